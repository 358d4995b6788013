"""Interactive figures that work both on the website and in Jupyter.

Every interactive figure of the book is drawn by one function ``draw(fig, value)``
that fills an empty matplotlib figure for one parameter value. From it:

- :func:`static_slider` precomputes one frame per value and returns an HTML player
  (matplotlib's ``to_jshtml``) whose slider works in a static web page, with no kernel;
- :func:`live_slider` returns an ipywidgets slider that redraws the figure in a
  running Jupyter kernel.

A value may be anything ``draw`` understands, e.g. a pair ``(sigma, n)``; give
``fmt`` as a callable to label such values. matplotlib, IPython and ipywidgets are
imported inside the functions.
"""

import io
import numbers
import re

from ._validation import check_signature, one_of, positive_scalar

__all__ = ["static_slider", "live_slider"]

_FRAME_FORMATS = ("png", "jpeg", "svg")


def _check_values(values):
    """Return ``values`` as a non-empty list."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        kind = type(values).__name__
        raise TypeError(f"values must be a sequence of parameter values; got {kind}")
    values = list(values)
    if not values:
        raise ValueError("values must contain at least one parameter value")
    return values


def _value_texts(fmt, values):
    """Format every value with ``fmt`` (a format string or a callable) -> list of str."""
    if callable(fmt):
        return [str(fmt(v)) for v in values]
    if not isinstance(fmt, str):
        kind = type(fmt).__name__
        raise TypeError(f"fmt must be a format string like '{{:.3g}}' or a callable; got {kind}")
    try:
        return [fmt.format(v) for v in values]
    except (IndexError, KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"fmt {fmt!r} cannot format the values: {exc}") from exc


def _check_label(label):
    if not isinstance(label, str):
        raise TypeError(f"label must be a string; got {type(label).__name__}")
    return label


def _check_figsize(figsize):
    try:
        width, height = figsize
    except (TypeError, ValueError) as exc:
        msg = f"figsize must be a pair (width, height) in inches; got {figsize!r}"
        raise TypeError(msg) from exc
    return positive_scalar(width, "figsize[0]"), positive_scalar(height, "figsize[1]")


def _title(label, text):
    return f"{label} = {text}" if label else text


def _draw_frame(draw, fig, value, title):
    fig.clear()
    draw(fig, value)
    fig.suptitle(title)


def static_slider(
    draw,
    values,
    label="value",
    fmt="{:.3g}",
    figsize=(6, 3.5),
    dpi=80,
    frame_format="png",
    interval=400,
):
    """An animation player with a slider over precomputed frames, for static HTML pages.

    ``draw(fig, value)`` is called once per value on a cleared figure; the frames are
    embedded in an HTML player (matplotlib's ``to_jshtml``) whose range slider and
    buttons change the frame in the browser without a kernel. Each frame shows
    ``label = value`` as its title. The figure is closed afterwards, so the notebook
    shows only the player.

    Parameters
    ----------
    draw : callable
        ``draw(fig, value)`` fills an empty ``matplotlib.figure.Figure``.
    values : sequence
        Parameter values, one frame each, in slider order.
    label : str
        Name of the parameter, shown in each frame's title.
    fmt : str or callable
        Format of a value in the title: a format string (``"{:.3g}"``) or a
        callable ``value -> str`` (e.g. for pairs of parameters).
    figsize : tuple of float
        Figure size in inches.
    dpi : float
        Resolution of the frames.
    frame_format : str
        ``"png"``, ``"jpeg"`` (smaller) or ``"svg"``.
    interval : float
        Milliseconds between frames when playing.

    Returns
    -------
    IPython.display.HTML
        The player; display it as a cell's output.
    """
    check_signature(draw, "draw", 2, "draw(fig, value)")
    values = _check_values(values)
    label = _check_label(label)
    texts = _value_texts(fmt, values)
    figsize = _check_figsize(figsize)
    dpi = positive_scalar(dpi, "dpi")
    frame_format = one_of(frame_format, "frame_format", _FRAME_FORMATS)
    interval = positive_scalar(interval, "interval")

    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    fig = plt.figure(figsize=figsize, dpi=dpi, layout="constrained")
    try:

        def update(i):
            _draw_frame(draw, fig, values[i], _title(label, texts[i]))
            return []

        # The no-op init_func keeps draw() to exactly one call per value.
        anim = FuncAnimation(
            fig,
            update,
            frames=len(values),
            init_func=lambda: [],
            interval=interval,
            repeat=False,
        )
        # A tight bounding box would give frames of different sizes.
        settings = {
            "animation.frame_format": frame_format,
            "savefig.bbox": "standard",
            "savefig.dpi": dpi,
            "animation.embed_limit": 50.0,
        }
        with mpl.rc_context(settings):
            html = anim.to_jshtml(default_mode="once")
    finally:
        plt.close(fig)
    return HTML(_drop_external_stylesheets(html))


def _drop_external_stylesheets(html):
    """Remove ``<link>`` tags to remote stylesheets from a ``to_jshtml`` player.

    The player links an old icon font from a CDN; the book's theme already ships the
    icons, and a page should not depend on (or fail loading) a remote file.
    """
    return re.sub(r"<link[^>]*href=[\"']https?://[^>]*>\s*", "", html)


def live_slider(
    draw,
    values,
    label="value",
    fmt="{:.3g}",
    figsize=(6, 3.5),
    dpi=80,
    value=None,
):
    """A live ipywidgets slider that redraws ``draw(fig, value)`` in a Jupyter kernel.

    The figure is shown as an ``ipywidgets.Image`` whose PNG is replaced when the
    slider moves. (An ``Output`` widget would be simpler, but a notebook executed
    headless by nbclient, as the book build does, can then stall: nbclient answers
    every output captured by an ``Output`` widget with a message to the kernel.)

    Parameters
    ----------
    draw : callable
        ``draw(fig, value)`` fills an empty ``matplotlib.figure.Figure``.
    values : sequence
        The values the slider steps through.
    label : str
        Name of the parameter, shown beside the slider and in the figure title.
    fmt : str or callable
        Format of a value on the slider and in the title (see :func:`static_slider`).
    figsize : tuple of float
        Figure size in inches.
    dpi : float
        Figure resolution.
    value : object, optional
        Initial value, one of ``values`` (default: the first).

    Returns
    -------
    ipywidgets.VBox
        The slider (``children[0]``), the figure (``children[1]``) and a line that
        reports an error raised by ``draw`` (``children[2]``); display it as a
        cell's output.
    """
    check_signature(draw, "draw", 2, "draw(fig, value)")
    values = _check_values(values)
    label = _check_label(label)
    texts = _value_texts(fmt, values)
    figsize = _check_figsize(figsize)
    dpi = positive_scalar(dpi, "dpi")
    index = 0
    if value is not None:
        matches = [i for i, v in enumerate(values) if _same(v, value)]
        if not matches:
            raise ValueError(f"value must be one of values; got {value!r}")
        index = matches[0]

    import ipywidgets

    # Index-valued options: values such as arrays need not be hashable or comparable.
    options = [(text, i) for i, text in enumerate(texts)]
    slider = ipywidgets.SelectionSlider(
        options=options,
        value=index,
        description=label,
        continuous_update=False,
        style={"description_width": "initial"},
        layout=ipywidgets.Layout(width="60%"),
    )
    # The frame's own width in pixels: an Image widget would otherwise stretch to the cell.
    image = ipywidgets.Image(
        format="png",
        value=_render_png(draw, values[index], _title(label, texts[index]), figsize, dpi),
        width=str(round(figsize[0] * dpi)),
    )
    status = ipywidgets.Label(value="")

    def redraw(change):
        i = change["new"]
        try:
            image.value = _render_png(draw, values[i], _title(label, texts[i]), figsize, dpi)
            status.value = ""
        except Exception as exc:  # shown beside the slider: a callback has no cell output
            status.value = f"draw failed for {_title(label, texts[i])}: {exc!r}"

    slider.observe(redraw, names="value")
    return ipywidgets.VBox([slider, image, status])


def _render_png(draw, value, title, figsize, dpi):
    """One frame ``draw(fig, value)`` as PNG bytes (same layout as the static frames)."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig = plt.figure(figsize=figsize, dpi=dpi, layout="constrained")
    try:
        _draw_frame(draw, fig, value, title)
        with mpl.rc_context({"savefig.bbox": "standard"}):
            fig.savefig(buffer, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _same(a, b):
    """Whether two slider values are equal (numbers compared by value)."""
    if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
        return a == b
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b
