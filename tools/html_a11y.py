"""A Sphinx extension that fixes what our HTML does wrong for assistive technology.

Docutils (0.18 and later) writes a run of citations, which is what sphinxcontrib-bibtex's
``{bibliography}`` produces, as ``<div role="list" class="citation-list">`` around
``<div class="citation" role="doc-biblioentry">`` entries. ARIA allows only ``listitem``
children in a ``list``, and DPUB-ARIA 1.1 deprecates ``doc-biblioentry``, so axe-core
reports the list as invalid (``aria-required-children``, critical) and screen readers
may announce it as an empty list. This extension, active only for the HTML builders,
gives each entry the role ``listitem``: the bibliography reads as a list of its entries.

myst-nb folds a ``hide-input`` cell's code into ``<details>`` whose ``<summary>`` shows
"Show code cell source" but is named "Toggle hidden content" by a fixed ``aria-label``:
a speech-input user who says what they see cannot reach it (axe-core's
``label-content-name-mismatch``, serious). Without the ``aria-label`` the summary is
named by its visible text, and the ``<details>`` element announces whether it is open.
"""

import re

# A citation's opening tag as docutils' HTML5 writer emits it (attributes in its order).
CITATION_ROLE = re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"')


def fix_citation_roles(body):
    """The page body with each citation entry's role ``doc-biblioentry`` made ``listitem``."""
    return CITATION_ROLE.sub(r'\1 role="listitem"', body)


# The summary of a folded code cell as myst-nb writes it (myst_nb.sphinx_.visit_HideCellInput).
FOLDED_CELL_SUMMARY = re.compile(
    r'<summary aria-label="Toggle hidden content">(\s*<p class="collapsed admonition-title">)'
)


def fix_folded_cell_summaries(body):
    """The page body with the folded cells' summaries named by their visible text."""
    return FOLDED_CELL_SUMMARY.sub(r"<summary>\1", body)


def _on_html_page_context(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = fix_folded_cell_summaries(fix_citation_roles(context["body"]))


def setup(app):
    app.connect("html-page-context", _on_html_page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
