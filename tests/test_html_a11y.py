"""tools/html_a11y.py: the bibliography's entries are list items of its ARIA list, and the
summaries of folded code cells are named by their visible text."""

from docutils.core import publish_parts
from html_a11y import fix_citation_roles, fix_folded_cell_summaries
from myst_nb.sphinx_ import visit_HideCellInput

# Two citations, as sphinxcontrib-bibtex's {bibliography} leaves them in the doctree.
SOURCE = """
See [alain2014]_ and [vincent2011]_.

.. [alain2014] G. Alain and Y. Bengio. What regularized auto-encoders learn.
.. [vincent2011] P. Vincent. A connection between score matching and denoising.
"""


def docutils_body():
    return publish_parts(SOURCE, writer_name="html5", settings_overrides={"report_level": 5})[
        "body"
    ]


def test_docutils_still_writes_the_markup_that_is_fixed():
    body = docutils_body()
    assert '<div role="list" class="citation-list">' in body
    assert body.count('role="doc-biblioentry"') == 2


def test_citations_become_list_items():
    fixed = fix_citation_roles(docutils_body())
    assert "doc-biblioentry" not in fixed
    assert fixed.count('role="listitem"') == 2
    assert '<div role="list" class="citation-list">' in fixed


def test_other_markup_is_left_alone():
    body = '<div class="note" role="doc-biblioentry"><p>role="doc-biblioentry"</p></div>'
    assert fix_citation_roles(body) == body


class _Translator:
    def __init__(self):
        self.body = []


def myst_nb_summary():
    """The opening of a folded code cell, written by myst-nb's own visitor."""
    translator = _Translator()
    node = {"classes": ["tag_hide-input"], "prompt_show": "Show code", "prompt_hide": "Hide"}
    visit_HideCellInput(translator, node)
    return "".join(translator.body)


def test_folded_cell_summaries_are_named_by_their_text():
    html = myst_nb_summary()
    assert 'aria-label="Toggle hidden content"' in html  # what myst-nb still writes
    fixed = fix_folded_cell_summaries(html)
    assert "aria-label" not in fixed
    assert fixed.startswith('<details class="admonition hide tag_hide-input">\n<summary>\n<p')
    assert fix_folded_cell_summaries(fixed) == fixed
