"""A Sphinx extension that gives the book's PDF the structure of the website.

Sphinx's LaTeX builder inlines every toctree of the root page (``book/intro``) in
place and drops the toctrees' captions, so without help the intro's sections become
chapters 1-4, the first chapter of the book is "Chapter 5" and the parts vanish.
This extension, active only for the ``latex`` builder, rearranges the assembled
document so that

- the intro is one unnumbered chapter in the front matter (roman page numbers),
- each part of ``_toc.yml`` starts with an unnumbered ``\\part*`` page that carries
  its caption and appears in the table of contents (the website does not number parts),
- the chapters of the numbered parts are numbered 1, 2, ... as on the website
  (``\\mainmatter``),
- the parts that the website leaves unnumbered (the reference pages) come in the back
  matter, as unnumbered chapters,
- the citations are listed under the heading of the bibliography page, not in a
  second, otherwise empty chapter,
- the code of cells tagged ``hide-input`` (folded behind a "show code" toggle on the
  website: cells that only draw a figure) is left out, so that the page reads prose,
  figure, prose as on the website; their outputs stay.

The LaTeX macros it emits (``\\raetutfrontmatter``, ``\\raetutmainmatter``,
``\\raetutbackmatter``, ``\\raetutpart``) are defined by :data:`PREAMBLE`, which
``setup`` adds to ``latex_elements``; the document class must provide
``\\frontmatter`` (``latex_docclass = {"manual": "book"}`` in ``_config.yml``).
"""

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

PREAMBLE = r"""
% --- tools/latex_book.py: front matter, parts and back matter as on the website ---
\makeatletter
\addto\captionsenglish{\renewcommand{\contentsname}{Contents}}
% The table of contents stays in the front matter's roman page numbers.
\renewcommand{\sphinxtableofcontents}{%
  \begingroup\parskip\z@skip\sphinxtableofcontentshook\tableofcontents\endgroup
  \clearpage}
\makeatother
\newcounter{raetutsecnumdepth}
\newcommand{\raetutfrontmatter}{\frontmatter
  \setcounter{raetutsecnumdepth}{\value{secnumdepth}}\setcounter{secnumdepth}{-1}}
\newcommand{\raetutmainmatter}{\mainmatter\setcounter{secnumdepth}{\value{raetutsecnumdepth}}}
\newcommand{\raetutbackmatter}{\backmatter\setcounter{secnumdepth}{-1}}
\newcommand{\raetutpart}[1]{\cleardoublepage\phantomsection
  \addcontentsline{toc}{part}{#1}\part*{#1}}
% The citations follow the heading of the bibliography page (the last page of the book):
% no second chapter "Bibliography" of their own, no page break before them.
\makeatletter
\renewenvironment{sphinxthebibliography}[1]
  {\let\raetut@chapter\chapter\def\chapter*##1{\let\chapter\raetut@chapter}%
   \begin{thebibliography}{#1}}
  {\end{thebibliography}}
\makeatother
% --- end of tools/latex_book.py ---
"""


def _raw(latex):
    return nodes.raw("", latex + "\n", format="latex")


def _escape(text):
    """Escape a part caption for LaTeX (captions are plain text)."""
    for char, replacement in (
        ("\\", r"\textbackslash{}"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
    ):
        text = text.replace(char, replacement)
    return text


def mark_root_toctrees(app, doctree):
    """Store each root toctree's caption and numbering on its wrapper node.

    The LaTeX builder replaces the toctree nodes by the pages they include, so the
    captions would be lost; the wrapper (``compound.toctree-wrapper``) survives.
    Runs after sphinx-external-toc has inserted the toctrees (a later ``doctree-read``).
    """
    if app.env.docname != app.config.root_doc:
        return
    for wrapper in doctree.findall(nodes.compound):
        if "toctree-wrapper" not in wrapper["classes"]:
            continue
        toctrees = [c for c in wrapper.children if isinstance(c, addnodes.toctree)]
        if toctrees:
            wrapper["raetut_caption"] = toctrees[0].get("caption") or ""
            wrapper["raetut_numbered"] = bool(toctrees[0].get("numbered"))


class BookStructure(SphinxPostTransform):
    """Front matter, parts and back matter in the assembled LaTeX document."""

    builders = ("latex",)
    default_priority = 900

    def run(self, **kwargs):
        document = self.document
        root_doc = self.config.root_doc
        if document.get("docname") != root_doc:
            return
        sections = [c for c in document.children if isinstance(c, nodes.section)]
        if not sections:
            return
        intro = sections[0]
        wrappers = [
            w
            for w in intro.findall(nodes.compound)
            if "raetut_caption" in w and w.parent is not None
        ]
        if not wrappers:
            return
        for wrapper in wrappers:
            wrapper.parent.remove(wrapper)

        # The writer takes the first section title as the document's title and prints
        # no heading for it: a title-only section in front keeps the intro a chapter.
        book = nodes.section("", nodes.title(intro[0].astext(), intro[0].astext()))
        index = document.index(intro)
        document.remove(intro)
        book += intro  # in the front matter, begun before the title page
        matter = "front"
        for wrapper in wrappers:
            caption = wrapper["raetut_caption"]
            if wrapper["raetut_numbered"] and matter == "front":
                book += _raw(r"\raetutmainmatter")
                matter = "main"
            elif not wrapper["raetut_numbered"] and matter == "main":
                book += _raw(r"\raetutbackmatter")
                matter = "back"
            if caption:
                book += _raw(r"\raetutpart{%s}" % _escape(caption))
            book += wrapper
        document.insert(index, book)


class DropHiddenInputs(SphinxPostTransform):
    """Leave out the source of code cells whose input the website folds (``hide-input``)."""

    builders = ("latex",)
    default_priority = 899

    def run(self, **kwargs):
        for cell in list(self.document.findall(nodes.container)):
            if cell.get("nb_element") != "cell_code":
                continue
            if cell.get("hide_mode") not in ("input", "input+output"):
                continue
            for child in list(cell.children):
                if isinstance(child, nodes.container) and (
                    child.get("nb_element") == "cell_code_source"
                ):
                    cell.remove(child)


def setup(app):
    app.connect("doctree-read", mark_root_toctrees, priority=900)
    app.add_post_transform(BookStructure)
    app.add_post_transform(DropHiddenInputs)
    app.connect("config-inited", _add_preamble)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def math_macros(mathjax3_config):
    """The book's MathJax macros (``mathjax3_config.tex.macros``) as LaTeX definitions.

    A macro is ``"body"`` or ``["body", number_of_arguments]``; each becomes
    ``\\providecommand`` + ``\\renewcommand``, so that it replaces a definition of
    the same name (``\\N``, ``\\R``) that a LaTeX package may already have made.
    """
    macros = ((mathjax3_config or {}).get("tex") or {}).get("macros") or {}
    lines = []
    for name, macro in macros.items():
        body, nargs = (macro, 0) if isinstance(macro, str) else (macro[0], int(macro[1]))
        args = f"[{nargs}]" if nargs else ""
        lines.append(f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{args}{{{body}}}")
    return "\n".join(lines) + "\n" if lines else ""


def _add_preamble(app, config):
    elements = dict(config.latex_elements or {})
    preamble = PREAMBLE + math_macros(config.mathjax3_config)
    elements["preamble"] = elements.get("preamble", "") + preamble
    # \frontmatter before the title page: title, contents and intro in roman numbers.
    elements.setdefault("maketitle", r"\raetutfrontmatter\sphinxmaketitle")
    config.latex_elements = elements
