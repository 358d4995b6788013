"""The PDF book (``make pdf``): its structure, its text and its figures.

The PDF is built by ``make pdf`` (``make test`` builds it before running the tests);
these tests read ``_build/latex/raetut.pdf`` with poppler-utils' ``pdftotext`` and
``pdfimages`` (``make system-deps`` installs them). They check what a reader of the
print edition sees: the intro as unnumbered front matter, the chapters numbered as on
the website, the parts kept, every interactive figure printed as a picture (never as
the text of an HTML object), and at least as many pictures as the notebooks have.
"""

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml
from book_toc import toc_files

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "_build" / "latex" / "raetut.pdf"

pytestmark = pytest.mark.book


def _normalise(text):
    """Text as pdftotext gives it, made comparable: ligatures split, quotes and dashes
    plain, hyphenation at line ends undone, all whitespace one space."""
    text = unicodedata.normalize("NFKC", text)
    for fancy, plain in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(fancy, plain)
    return re.sub(r"\s+", " ", text)


def page_title(page):
    """The first level-1 heading of a page of the book, as plain text."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / (page + suffix)
        if path.exists():
            break
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        source = path.read_text()
    title = next(line[2:] for line in source.splitlines() if line.startswith("# "))
    return _normalise(title.replace("`", "").strip())


def toc_parts():
    """(caption, numbered, [pages]) for each part of _toc.yml, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [
        (part["caption"], bool(part.get("numbered")), [c["file"] for c in part["chapters"]])
        for part in toc["parts"]
    ]


@pytest.fixture(scope="module")
def pdf():
    if not PDF.exists():
        pytest.fail(f"{PDF.relative_to(ROOT)} is missing: build it with `make pdf`")
    for tool in ("pdftotext", "pdfimages"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: `make system-deps` installs poppler-utils")
    sources = [ROOT / "_toc.yml", ROOT / "_config.yml"] + [
        ROOT / (page + suffix) for page in toc_files() for suffix in (".ipynb", ".md")
    ]
    stale = [
        str(p.relative_to(ROOT))
        for p in sources
        if p.exists() and p.stat().st_mtime > PDF.stat().st_mtime
    ]
    if stale:
        pytest.fail(f"the PDF is older than {stale}: rebuild it with `make pdf`")
    return PDF


@pytest.fixture(scope="module")
def text(pdf):
    proc = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return _normalise(proc.stdout)


def test_pdf_has_every_chapter_numbered_as_on_the_website(text):
    number = 0
    for _, numbered, pages in toc_parts():
        for page in pages:
            title = page_title(page)
            assert title in text, f"the PDF lacks the title of {page}: {title!r}"
            if numbered:
                number += 1
                # the running head of the chapter's pages: "Chapter N. Title"
                head = f"Chapter {number}. {title}"
                assert head in text, f"{page} is not chapter {number} in the PDF ({head!r})"
    assert number > 0
    assert f"Chapter {number + 1}." not in text, "the PDF numbers more chapters than the website"


def contents(text):
    """The table of contents: from its heading to the running head of chapter 1."""
    start = text.index("CONTENTS")
    return text[start : text.index("Chapter 1. ", start)]


def test_pdf_intro_is_front_matter_before_chapter_one(text):
    intro = toc_files()[0]
    source = (ROOT / (intro + ".md")).read_text()
    first_section = next(line[3:] for line in source.splitlines() if line.startswith("## "))
    assert f"Chapter 1. {page_title(intro)}" not in text, "the intro is numbered as a chapter"
    # in the contents, the intro and its sections come before the first part and chapter 1
    toc = contents(text)
    first_part = toc.index(_normalise(toc_parts()[0][0]))
    assert 0 <= toc.find(page_title(intro)) < toc.find(_normalise(first_section)) < first_part
    assert f"1 {page_title(toc_parts()[0][2][0])}" in toc[first_part:]


def test_pdf_keeps_the_parts_in_order(text):
    toc = contents(text)
    position = 0
    for caption, _, pages in toc_parts():
        caption = _normalise(caption)
        position = toc.find(caption, position)
        assert position >= 0, f"the contents lack part {caption!r} (or have it out of order)"
        for page in pages:
            position = toc.find(page_title(page), position)
            assert position >= 0, f"the contents lack {page} in part {caption!r}"
        # and the part has a page of its own
        assert text.count(caption) >= 2, f"part {caption!r} has no page of its own"


def test_pdf_prints_no_html_object(text):
    found = [m.start() for m in re.finditer(r"IPython\.core\.display|<IPython", text)]
    context = [text[max(0, i - 120) : i + 60] for i in found[:3]]
    assert not found, (
        f"{len(found)} outputs print as the text of an IPython object (an output with HTML "
        f"but no image/png, e.g. a slider executed before static_slider had a print "
        f"picture); first ones after: {context}"
    )


def notebook_figures():
    """Number of picture outputs (PNG or JPEG, sliders' print pictures included)."""
    count = 0
    for page in toc_files():
        path = ROOT / (page + ".ipynb")
        if not path.exists():
            continue
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
                if {"image/png", "image/jpeg"} & set(output.get("data", {})):
                    count += 1
    return count


def test_pdf_has_the_notebooks_figures(pdf):
    proc = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                          check=True)
    rows = [line.split() for line in proc.stdout.splitlines()[2:]]
    images = sum(1 for row in rows if len(row) > 2 and row[2] == "image")
    expected = notebook_figures()
    assert expected > 0
    assert images >= expected, f"the PDF has {images} images, the notebooks {expected} figures"


def code_lines(hidden):
    """Distinctive code lines (20-60 characters, no comments) of the notebooks' code cells
    whose input the website folds (``hidden``: tagged ``hide-input``) or shows."""
    cells = {True: [], False: []}
    for page in toc_files():
        path = ROOT / (page + ".ipynb")
        if not path.exists():
            continue
        for cell in json.loads(path.read_text())["cells"]:
            tags = cell["metadata"].get("tags", [])
            if cell["cell_type"] != "code" or {"remove-cell", "remove-input"} & set(tags):
                continue
            lines = [line.strip() for line in "".join(cell["source"]).splitlines()]
            cells["hide-input" in tags].append(lines)
    shown = {line for lines in cells[False] for line in lines}
    return {
        _normalise(line)
        for lines in cells[hidden]
        for line in lines
        if 20 <= len(line) <= 60 and not line.startswith("#") and (not hidden or line not in shown)
    }


def test_pdf_leaves_out_the_code_the_website_folds(text):
    # tools/latex_book.py drops the source of hide-input cells: in print, as on the
    # website, prose -> figure -> prose. A short line may occur elsewhere by chance, and
    # a long one is wrapped in print, hence the margins.
    hidden, shown = code_lines(hidden=True), code_lines(hidden=False)
    assert hidden and shown
    printed_hidden = sorted(line for line in hidden if line in text)
    printed_shown = sum(line in text for line in shown)
    assert len(printed_hidden) <= 0.05 * len(hidden), (
        f"{len(printed_hidden)} of {len(hidden)} lines of folded code are printed, e.g. "
        f"{printed_hidden[:3]}"
    )
    assert printed_shown >= 0.8 * len(shown), (
        f"only {printed_shown} of {len(shown)} lines of visible code are printed"
    )
