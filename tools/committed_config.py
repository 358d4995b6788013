"""Write a copy of _config.yml that renders the chapters' committed outputs, executing none.

``make test`` builds the book and the PDF from the outputs stored in the chapter notebooks:
nbval, in the same run, re-executes every chapter and shows that it reproduces them, so a
second execution for the build would only repeat work. The copy differs from
``_config.yml`` in two ways. The chapters under ``notebooks/`` are excluded from
execution; the text pages with code (``book/intro.md``, whose figure has no stored
output, and ``book/status.md``, which runs every check) are still executed, through the
build's cache, so the PDF build after the HTML build (or the other way round) reuses
them. And the local Sphinx extensions get absolute paths (Jupyter Book resolves them
from the configuration file's folder).

Usage, from the project root: ``python tools/committed_config.py _build/config-committed.yml``.
"""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def committed_config(source=ROOT / "_config.yml"):
    """The book's configuration with the chapters' execution off, absolute extension paths."""
    config = yaml.safe_load(Path(source).read_text())
    execute = config.setdefault("execute", {})
    execute["execute_notebooks"] = "cache"
    execute["exclude_patterns"] = ["notebooks/*.ipynb"]
    extensions = config.get("sphinx", {}).get("local_extensions") or {}
    for name, folder in extensions.items():
        extensions[name] = str((ROOT / folder).resolve())
    return config


def write_committed_config(target):
    """Write :func:`committed_config` to ``target`` (a path); return the path."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(committed_config(), sort_keys=False))
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/committed_config.py TARGET.yml")
    print(write_committed_config(sys.argv[1]))
