"""The book builds with warnings as errors, and its pages work in a real browser.

The build runs once per session from a clean ``_build/html`` (the execution cache
in ``_build/.jupyter_cache`` is kept, so unchanged notebooks are not executed twice).
Browser tests drive Debian's Chromium through Playwright; on a machine without
``/usr/bin/chromium`` they fail with a message saying how to install it, unless
they are deselected with ``-m "not browser"``.
"""

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
HTML = BUILD / "html"
SCREENSHOTS = BUILD / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Console messages known to be harmless: the theme's favicon request, and a script of
# sphinx-thebe that may be included twice.
HARMLESS_CONSOLE = [
    re.compile(r"favicon\.ico"),
    re.compile(r"Identifier 'THEBE_JS_URL' has already been declared"),
]
# stderr lines of the build that are not Sphinx warnings.
NOT_WARNINGS = [re.compile(r"Kernel is running over TCP without encryption")]


def toc_files():
    """The pages listed in _toc.yml, in reading order, without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc.get("parts", toc.get("chapters", [])))
    return files


def notebook_pages():
    return [f for f in toc_files() if f.startswith("notebooks/")]


@pytest.fixture(scope="session")
def book_build():
    """Build the book once, from a clean _build/html, with -W -n --keep-going."""
    shutil.rmtree(HTML, ignore_errors=True)
    shutil.rmtree(BUILD / ".doctrees", ignore_errors=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    start = time.perf_counter()
    proc = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ROOT,
    )
    proc.wall_time = time.perf_counter() - start
    return proc


def build_problems(proc):
    lines = (proc.stdout + "\n" + proc.stderr).splitlines()
    return [
        line
        for line in lines
        if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback", line)
        and not any(p.search(line) for p in NOT_WARNINGS)
    ]


@pytest.mark.book
def test_book_builds_with_warnings_as_errors(book_build):
    problems = build_problems(book_build)
    tail = "\n".join((book_build.stdout + book_build.stderr).splitlines()[-40:])
    assert book_build.returncode == 0, f"jupyter-book build failed:\n{tail}"
    assert not problems, "build printed warnings:\n" + "\n".join(problems)
    print(f"book built in {book_build.wall_time:.1f} s")


@pytest.mark.book
def test_only_pages_in_the_toc_are_built(book_build):
    assert book_build.returncode == 0
    expected = {f + ".html" for f in toc_files()}
    special = {"genindex.html", "search.html", "py-modindex.html", "index.html"}
    built = {
        str(p.relative_to(HTML))
        for p in HTML.rglob("*.html")
        if not p.relative_to(HTML).parts[0].startswith("_")
    }
    assert expected <= built, f"missing pages: {sorted(expected - built)}"
    assert built - expected - special == set(), (
        f"pages outside the TOC: {sorted(built - expected - special)}"
    )


@pytest.mark.book
def test_every_chapter_is_downloadable_as_a_notebook(book_build):
    assert book_build.returncode == 0
    for page in notebook_pages():
        source = HTML / "_sources" / (page + ".ipynb")
        assert source.exists(), f"{source.relative_to(ROOT)} is missing: no download for {page}"
        html = (HTML / (page + ".html")).read_text()
        assert f"{Path(page).name}.ipynb" in html, f"{page}.html has no link to its .ipynb"


# --- browser tests --------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site(book_build):
    """Serve _build/html on a free loopback port; yields the base URL."""
    if book_build.returncode != 0:
        pytest.fail("the book did not build; see test_book_builds_with_warnings_as_errors")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's Chromium (apt-get install chromium) "
            "or deselect the browser tests with -m 'not browser'"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    profile = BUILD / "chromium-profile"
    shutil.rmtree(profile, ignore_errors=True)
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + [f"--user-data-dir={profile}"]
        )
        yield instance
        instance.close()


class PageVisit:
    """A loaded page with the console errors and failed requests seen while loading it."""

    def __init__(self, browser, url):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("requestfailed", lambda req: self.errors.append(f"request failed: {req.url}"))
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def _on_console(self, msg):
        if msg.type == "error":
            self.errors.append(f"console: {msg.text} ({msg.location.get('url', '')})")

    def real_errors(self):
        return [e for e in self.errors if not any(p.search(e) for p in HARMLESS_CONSOLE)]


UNRENDERED_MATH_JS = """
Array.from(document.querySelectorAll('.math'))
     .filter(e => !e.querySelector('mjx-container')).length
"""
BOX_TITLES_JS = """
Array.from(document.querySelectorAll('div.proof .proof-title')).map(e => e.textContent)
"""
UNRESOLVED_REFS_JS = """
Array.from(document.querySelectorAll('span.xref.std, .problematic')).map(e => e.textContent)
"""


def page_url(site, page):
    return site + page + ".html"


@pytest.mark.browser
@pytest.mark.parametrize("page", toc_files())
def test_page_loads_without_console_errors(browser, site, page):
    visit = PageVisit(browser, page_url(site, page))
    try:
        assert visit.real_errors() == [], f"{page}: " + "\n".join(visit.real_errors())
        broken = visit.page.evaluate(
            "Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0)"
            ".map(i => i.src)"
        )
        assert broken == [], f"{page}: broken images {broken}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        visit.page.screenshot(path=str(SCREENSHOTS / (Path(page).name + ".png")), full_page=False)
    finally:
        visit.page.close()


@pytest.mark.browser
@pytest.mark.parametrize("page", toc_files())
def test_internal_links_resolve(browser, site, page):
    visit = PageVisit(browser, page_url(site, page))
    try:
        hrefs = visit.page.evaluate(
            "Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
        )
    finally:
        visit.page.close()
    missing = []
    for href in hrefs:
        parsed = urlparse(href)
        if not href.startswith(site) or not parsed.path.endswith((".html", "/")):
            continue
        target = HTML / parsed.path.removeprefix(urlparse(site).path)
        if parsed.path.endswith("/"):
            target = target / "index.html"
        if not target.exists():
            missing.append(href)
        elif parsed.fragment and parsed.path.endswith(".html"):
            if f'id="{parsed.fragment}"' not in target.read_text():
                missing.append(href)
    assert missing == [], f"{page}: broken internal links {sorted(set(missing))}"


@pytest.mark.browser
@pytest.mark.parametrize(
    "page", [p for p in toc_files() if p.startswith(("notebooks/", "book/intro"))]
)
def test_math_renders(browser, site, page):
    visit = PageVisit(browser, page_url(site, page))
    try:
        visit.page.wait_for_selector("mjx-container", timeout=20_000)
        rendered = visit.page.evaluate("document.querySelectorAll('mjx-container').length")
        raw = visit.page.evaluate(UNRENDERED_MATH_JS)
    finally:
        visit.page.close()
    assert rendered > 0, f"{page}: no MathJax output"
    assert raw == 0, f"{page}: {raw} math elements left unrendered"


@pytest.mark.browser
@pytest.mark.parametrize("page", notebook_pages())
def test_result_boxes_and_citations_render(browser, site, page):
    visit = PageVisit(browser, page_url(site, page))
    try:
        boxes = visit.page.evaluate("document.querySelectorAll('div.proof').length")
        titles = visit.page.evaluate(BOX_TITLES_JS)
        unresolved = visit.page.evaluate(UNRESOLVED_REFS_JS)
    finally:
        visit.page.close()
    assert boxes > 0, f"{page}: no theorem/definition box"
    assert all(t.strip() for t in titles), f"{page}: a result box has no title"
    assert unresolved == [], f"{page}: unresolved references {unresolved}"


@pytest.mark.browser
@pytest.mark.parametrize("page", notebook_pages())
def test_static_sliders_change_the_figure(browser, site, page):
    visit = PageVisit(browser, page_url(site, page))
    try:
        players = visit.page.query_selector_all("div.animation")
        assert players, f"{page}: no interactive figure that works without a kernel"
        for player in players:
            slider = player.query_selector("input[type=range]")
            image = player.query_selector("img")
            assert slider is not None and image is not None, f"{page}: player without slider/image"
            n_frames = int(slider.get_attribute("max")) + 1
            assert n_frames >= 2, f"{page}: a slider with a single frame"
            seen = set()
            for frame in (0, n_frames - 1):
                slider.evaluate(
                    "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); "
                    "el.dispatchEvent(new Event('change')); }",
                    frame,
                )
                seen.add(image.get_attribute("src"))
            assert len(seen) == 2, f"{page}: moving the slider does not change the figure"
    finally:
        visit.page.close()
