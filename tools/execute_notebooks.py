"""Execute the book's chapters side by side, into the cache that ``jupyter-book build`` reads.

Jupyter Book 1.x executes notebooks one after another. This script runs them in
parallel, one kernel per core, and stores the results in the build's execution cache
(``_build/.jupyter_cache``): the build that follows finds every chapter there and only
renders it. Chapters already in the cache (same code) are not executed again.

Usage, from the project root: ``python tools/execute_notebooks.py`` (``make book``
runs it). Exit status 1, with the traceback, if a chapter fails.
"""

import logging
import os
import sys
import time
from pathlib import Path

import yaml
from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
from book_toc import toc_files  # noqa: E402  (the one reader of _toc.yml, beside this file)


def chapters():
    """The notebooks listed in _toc.yml, in reading order, as absolute paths."""
    return [str(ROOT / (f + ".ipynb")) for f in toc_files() if (ROOT / (f + ".ipynb")).exists()]


def main():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    timeout = int(config.get("execute", {}).get("timeout", 300))
    uris = chapters()
    cache = get_cache(str(CACHE))
    for uri in uris:
        cache.add_nb_to_project(uri)
    logger = logging.getLogger("execute_notebooks")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    executor = load_executor("local-parallel", cache=cache, logger=logger)

    start = time.perf_counter()
    pending = [r.uri for r in executor.get_records(filter_uris=uris)]
    if not pending:
        print(f"all {len(uris)} chapters are in the execution cache")
        return 0
    print(f"executing {len(pending)} of {len(uris)} chapters on {os.cpu_count()} cores ...",
          flush=True)
    result = executor.run_and_cache(filter_uris=pending, timeout=timeout, allow_errors=False)
    for uri in pending:
        name = Path(uri).relative_to(ROOT)
        if uri in result.succeeded:
            seconds = cache.get_cached_project_nb(uri).data.get("execution_seconds", float("nan"))
            print(f"  {name}: {seconds:.1f} s")
        else:
            print(f"  {name}: FAILED")
    print(f"executed in {time.perf_counter() - start:.0f} s (wall)")

    failed = result.excepted + result.errored
    for uri in failed:
        traceback = cache.get_project_record(uri).traceback or "(no traceback recorded)"
        print(f"\n{Path(uri).relative_to(ROOT)} failed:\n{traceback}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
