"""Interactive figures that work both on the website and in Jupyter.

Every interactive figure of the book is drawn by one function ``draw(fig, value)``
that fills an empty matplotlib figure for one parameter value. From it:

- :func:`static_slider` precomputes one frame per value and returns a player
  (matplotlib's ``to_jshtml``) whose slider works in a static web page, with no kernel,
  together with a print picture (a grid of a few frames) for the PDF;
- :func:`live_slider` returns an ipywidgets slider that redraws the figure in a
  running Jupyter kernel.

A value may be anything ``draw`` understands, e.g. a pair ``(sigma, n)``; give
``fmt`` as a callable to label such values. matplotlib, IPython and ipywidgets are
imported inside the functions.
"""

import base64
import html as _html
import io
import numbers
import re
import tempfile
from pathlib import Path

from ._validation import check_signature, one_of, positive_int, positive_scalar

__all__ = ["static_slider", "live_slider"]

_FRAME_FORMATS = ("png", "jpeg", "svg")
_MAX_PRINT_FRAMES = 6


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


class StaticSlider:
    """What :func:`static_slider` returns: one figure in three forms.

    Displayed as a cell's output, it gives Jupyter and the book's builders a bundle
    of three representations, each taking the one it can show:

    - ``text/html``: the player (a range slider over the frames), for the website
      and for Jupyter;
    - ``image/png``: the print picture, a grid of a few frames chosen evenly over
      the values, each titled with its value, for the PDF;
    - ``text/plain``: a short description (``Slider over sigma: 9 frames, 0.05 to 1``)
      that depends only on the arguments, so a re-executed notebook reproduces it.

    Attributes
    ----------
    data : str
        The player's HTML.
    png : bytes
        The print picture.
    text : str
        The description.
    """

    def __init__(self, data, png, text):
        self.data = data
        self.png = png
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/html": self.data,
            "image/png": base64.b64encode(self.png).decode("ascii"),
            "text/plain": self.text,
        }

    def _repr_html_(self):
        return self.data

    def _repr_png_(self):
        return self.png

    def __repr__(self):
        return self.text


def static_slider(
    draw,
    values,
    label="value",
    fmt="{:.3g}",
    figsize=(6, 3.5),
    dpi=80,
    frame_format="png",
    interval=400,
    alt=None,
    print_frames=4,
    print_dpi=120,
):
    """An animation player with a slider over precomputed frames, for static HTML pages.

    ``draw(fig, value)`` is called once per value on a cleared figure; the frames are
    embedded in an HTML player (matplotlib's ``to_jshtml``) whose range slider and
    buttons change the frame in the browser without a kernel. Each frame shows
    ``label = value`` as its title. The figure is closed afterwards, so the notebook
    shows only the player. The player's slider is labelled with ``label`` and its
    image described by ``alt``, for readers with a screen reader.

    For print (the PDF), the result also carries a picture of ``print_frames`` of the
    frames, chosen evenly over the values (the first and the last included), in a grid.

    Parameters
    ----------
    draw : callable
        ``draw(fig, value)`` fills an empty ``matplotlib.figure.Figure``.
    values : sequence
        Parameter values, one frame each, in slider order.
    label : str
        Name of the parameter, shown in each frame's title and naming the slider.
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
    alt : str, optional
        Text alternative of the player's image: what the figure shows and how it
        changes with the parameter. Default: built from ``label`` and the values.
    print_frames : int
        Number of frames in the print picture, 1 to 6 (at most the number of values).
    print_dpi : float
        Resolution of the print picture's frames.

    Returns
    -------
    StaticSlider
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
    print_frames = positive_int(print_frames, "print_frames")
    if print_frames > _MAX_PRINT_FRAMES:
        msg = f"print_frames must be at most {_MAX_PRINT_FRAMES}; got {print_frames}"
        raise ValueError(msg)
    print_dpi = positive_scalar(print_dpi, "print_dpi")
    description = _description(label, texts)
    if alt is None:
        alt = _default_alt(label, texts)
    elif not isinstance(alt, str):
        raise TypeError(f"alt must be a string; got {type(alt).__name__}")
    elif not alt.strip():
        raise ValueError("alt must describe the figure; got an empty string")
    shown = _evenly_chosen(len(values), print_frames)

    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib.animation import HTMLWriter

    prints = {}
    fig = plt.figure(figsize=figsize, dpi=dpi, layout="constrained")
    # A tight bounding box would give frames of different sizes.
    settings = {"savefig.bbox": "standard", "animation.embed_limit": 50.0}
    try:
        with mpl.rc_context(settings), tempfile.TemporaryDirectory() as tmpdir:
            # matplotlib's HTMLWriter fed directly: one render per frame (and one more per
            # print frame), where FuncAnimation.to_jshtml renders every frame about three
            # times (an idle redraw, the grab, the layout passes).
            path = Path(tmpdir, "player.html")
            writer = HTMLWriter(fps=1000.0 / interval, embed_frames=True, default_mode="once")
            writer.frame_format = frame_format
            with writer.saving(fig, str(path), dpi):
                for i, value in enumerate(values):
                    _draw_frame(draw, fig, value, _title(label, texts[i]))
                    writer.grab_frame()
                    if i in shown:
                        prints[i] = _figure_rgba(fig, print_dpi)
            player = path.read_text()
    finally:
        plt.close(fig)
    player = _label_player(_drop_external_stylesheets(player), _plain(label), alt)
    png = _grid_png([prints[i] for i in shown])
    return StaticSlider(player, png, description)


def _plain(label):
    """A label as plain text: ``r"$\\sigma$"`` -> ``"sigma"`` (for screen readers and text)."""
    text = re.sub(r"\\([A-Za-z]+)", r"\1", label)
    text = re.sub(r"[$\\{}]", "", text).strip()
    return text or "value"


def _description(label, texts):
    """``Slider over sigma: 9 frames, 0.05 to 1`` (depends only on the arguments)."""
    n = len(texts)
    frames = "1 frame" if n == 1 else f"{n} frames"
    span = texts[0] if n == 1 else f"{texts[0]} to {texts[-1]}"
    return f"Slider over {_plain(label)}: {frames}, {span}"


def _default_alt(label, texts):
    """A text alternative from the label and the values (a chapter's own is better)."""
    name = _plain(label)
    if len(texts) == 1:
        return f"Figure for {name} = {texts[0]}."
    return (
        f"Figure that changes with {name}: the slider below it steps through "
        f"{len(texts)} frames, from {name} = {texts[0]} to {name} = {texts[-1]}; "
        "each frame is titled with its value."
    )


def _evenly_chosen(n, k):
    """Indices of ``min(n, k)`` of ``n`` frames spread evenly, first and last included."""
    k = min(n, k)
    if k == 1:
        return [0]
    return sorted({round(j * (n - 1) / (k - 1)) for j in range(k)})


def _figure_rgba(fig, dpi):
    """The figure as it is now, rendered at ``dpi``, as an RGBA array of floats in [0, 1].

    One draw on the figure's Agg canvas (savefig would lay the figure out in a second,
    non-rendering pass and then encode and decode a PNG); the figure's dpi is restored.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    saved_dpi, saved_canvas = fig.dpi, fig.canvas
    canvas = FigureCanvasAgg(fig)
    try:
        fig.dpi = dpi
        canvas.draw()
        return np.asarray(canvas.buffer_rgba(), dtype=float) / 255.0
    finally:
        fig.dpi = saved_dpi
        fig.set_canvas(saved_canvas)


def _grid_png(frames, gap=12):
    """Tile equally sized RGBA frames into a grid (1, 2 or 3 columns) -> PNG bytes."""
    import matplotlib.pyplot as plt
    import numpy as np

    k = len(frames)
    columns = 1 if k == 1 else 2 if k in (2, 4) else 3
    rows = -(-k // columns)
    height, width = frames[0].shape[:2]
    grid = np.ones((rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap, 4))
    for j, frame in enumerate(frames):
        r, c = divmod(j, columns)
        top, left = r * (height + gap), c * (width + gap)
        grid[top : top + height, left : left + width] = frame[:height, :width, :4]
    buffer = io.BytesIO()
    plt.imsave(buffer, grid, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _label_player(player, label, alt):
    """Name the player's range input (``aria-label``) and describe its image (``alt``)."""
    name = _html.escape(f"Choose {label}", quote=True)
    player = re.sub(
        r'(<input id="_anim_slider[^"]*")',
        lambda m: f'{m.group(1)} aria-label="{name}"',
        player,
        count=1,
    )
    return re.sub(
        r'(<img id="_anim_img[^"]*")',
        lambda m: f'{m.group(1)} alt="{_html.escape(alt, quote=True)}"',
        player,
        count=1,
    )


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
