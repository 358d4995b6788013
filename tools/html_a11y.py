"""A Sphinx extension that fixes what our HTML does wrong for assistive technology.

Docutils (0.18 and later) writes a run of citations, which is what sphinxcontrib-bibtex's
``{bibliography}`` produces, as ``<div role="list" class="citation-list">`` around
``<div class="citation" role="doc-biblioentry">`` entries. ARIA allows only ``listitem``
children in a ``list``, and DPUB-ARIA 1.1 deprecates ``doc-biblioentry``, so axe-core
reports the list as invalid (``aria-required-children``, critical) and screen readers
may announce it as an empty list. This extension, active only for the HTML builders,
gives each entry the role ``listitem``: the bibliography reads as a list of its entries.
"""

import re

# A citation's opening tag as docutils' HTML5 writer emits it (attributes in its order).
CITATION_ROLE = re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"')


def fix_citation_roles(body):
    """The page body with each citation entry's role ``doc-biblioentry`` made ``listitem``."""
    return CITATION_ROLE.sub(r'\1 role="listitem"', body)


def _on_html_page_context(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = fix_citation_roles(context["body"])


def setup(app):
    app.connect("html-page-context", _on_html_page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
