"""Chapters are committed executed, listed in the TOC, and follow the chapter standard.

nbval alone passes a notebook that was never executed (it only compares stored
outputs); these tests make sure every chapter was run before it was committed.
"""

import json
import re
from pathlib import Path

import pytest
from book_toc import toc_files

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_chapters():
    assert NOTEBOOKS, "notebooks/ holds no chapter"


def test_every_notebook_is_in_the_toc_and_every_toc_entry_exists():
    entries = toc_files()
    names = {f"notebooks/{p.stem}" for p in NOTEBOOKS}
    listed = {e for e in entries if e.startswith("notebooks/")}
    assert names == listed, (
        f"not in TOC: {sorted(names - listed)}; missing files: {sorted(listed - names)}"
    )
    for entry in entries:
        candidates = [ROOT / (entry + ext) for ext in (".md", ".ipynb")]
        assert any(c.exists() for c in candidates), f"_toc.yml lists {entry}, which does not exist"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert code, f"{path.name} has no code"
    unrun = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not unrun, f"{path.name}: code cells {unrun} were never executed"
    counts = [c["execution_count"] for c in code]
    assert counts == sorted(counts), f"{path.name}: cells were executed out of order"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name} has error outputs"


def _verification_code(nb):
    """The code of the "Numerical verification" section (up to the next section)."""
    inside, code = False, []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and "\n## " in "\n" + source:
            inside = "## Numerical verification" in source
        elif inside and cell["cell_type"] == "code":
            code.append(source)
    return "\n".join(code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_the_chapter_standard(path):
    nb = json.loads(path.read_text())
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    first = "".join(nb["cells"][0]["source"]).lstrip()
    assert first.startswith("(chap-"), (
        f"{path.name}: first cell must start with a (chap-...)= label"
    )
    assert "```{prf:" in markdown, f"{path.name}: no result box"
    assert "## Numerical verification" in markdown, (
        f"{path.name}: no Numerical verification section"
    )
    assert "assert all(" in _verification_code(nb), (
        f"{path.name}: the verification asserts nothing")
    assert "static_slider" in code, f"{path.name}: no interactive figure for the website"


def _lines_starting_a_list_inside_inline_math(source):
    """Lines of a Markdown cell that begin with ``+ ``, ``- `` or ``* `` inside ``$...$``.

    Markdown reads such a line as a list item and breaks the formula, on the website and
    in the PDF; the operator belongs at the end of the line before.
    """
    found, inline, display = [], False, False
    for number, line in enumerate(source.split("\n"), start=1):
        if line.strip() == "$$":
            display = not display
            continue
        if display:
            continue
        if inline and re.match(r"\s*[+\-*] ", line):
            found.append(number)
        if len(re.findall(r"(?<!\\)\$", line.replace("$$", ""))) % 2:
            inline = not inline
    return found


def test_the_math_guard_finds_a_broken_line():
    assert _lines_starting_a_list_inside_inline_math("$a = b\n+ c$ and\n- a list item") == [2]
    assert _lines_starting_a_list_inside_inline_math("$a = b +\nc$\n- a list item") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_line_inside_inline_math_starts_a_list(path):
    nb = json.loads(path.read_text())
    broken = [(i, line) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"
              for line in _lines_starting_a_list_inside_inline_math("".join(c["source"]))]
    assert not broken, (f"{path.name}: (cell, line) {broken} start with +, - or * inside "
                        "$...$; Markdown reads them as list items: move the operator to the "
                        "end of the line before")
