"""One figure style for the whole book, and the small plotting helpers chapters share.

matplotlib is imported inside the functions, so importing this module (or
``raetut``) does not load a plotting library.

Every helper takes a matplotlib ``Axes`` first, draws on it and returns it, so
calls can be chained and combined freely inside a figure's drawing function.
Colours for the quantities that recur across chapters live in :data:`COLORS`;
using them keeps, say, "the optimal DAE" the same colour on every page.
"""

import numbers

import numpy as np

from ._validation import as_finite_array, values_on_grid

__all__ = [
    "COLORS",
    "PALETTE",
    "use_book_style",
    "plot_density_1d",
    "plot_field_1d",
    "plot_field_arrows_1d",
    "plot_vector_field_2d",
    "plot_loglog_fit",
    "mark_critical_points",
]

#: The Okabe-Ito palette, distinguishable under the common forms of colour blindness.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Colours for the roles that recur in the book's figures.
COLORS = {
    "density": "#0072B2",  # the data density p (or p_sigma)
    "score": "#000000",  # the true score s = grad log p, or sigma^2 s
    "dae": "#D55E00",  # denoising auto-encoder: r*_sigma and its field
    "rcae": "#009E73",  # reconstruction-contractive auto-encoder
    "estimate": "#CC79A7",  # a learned / estimated quantity
    "data": "#56B4E9",  # samples, training points
    "reference": "#7F7F7F",  # guides: identity line, reference slopes, zero line
    "mode": "#E69F00",  # local maxima of the density
    "antimode": "#7F7F7F",  # local minima of the density
}

_BOOK_STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": "figure",
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.titlesize": 11,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "grid.alpha": 1.0,
    "image.cmap": "viridis",
    "mathtext.fontset": "dejavusans",
}


def use_book_style():
    """Set matplotlib's ``rcParams`` to the book's figure style.

    Font sizes, line widths, a light grid, a colour-blind-safe colour cycle
    (:data:`PALETTE`), a default figure size of 6.4 x 3.6 in at 100 dpi and tight
    bounding boxes when saving. The backend is left untouched.

    Returns
    -------
    dict
        The settings that were applied.
    """
    import matplotlib as mpl
    from cycler import cycler

    style = dict(_BOOK_STYLE)
    style["axes.prop_cycle"] = cycler(color=list(PALETTE))
    mpl.rcParams.update(style)
    return style


def _check_ax(ax):
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes; got {type(ax).__name__}")
    return ax


def _density_values(density, x):
    """Evaluate ``density`` on the 1-D grid ``x`` (object, callable or array)."""
    m = x.shape[0]
    if hasattr(density, "prob"):
        values = density.prob(x[:, None])
    elif hasattr(density, "log_prob"):
        values = np.exp(density.log_prob(x[:, None]))
    elif callable(density):
        values = density(x[:, None])
    else:
        values = density
    values = values_on_grid(values, m, "density")
    if np.any(values < 0):
        raise ValueError("density must be non-negative on x")
    return values


def plot_density_1d(ax, density, x, label="$p(x)$", color=None, fill=True, **kwargs):
    """Draw a 1-D density as a line over a light fill.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    density : object, callable or array_like
        An object with ``prob(X)`` (or ``log_prob(X)``) taking ``X`` of shape (m, 1),
        such as a 1-D ``GaussianMixture``; or a callable ``X -> (m,)``; or the values
        on ``x`` themselves, shape (m,).
    x : array_like, shape (m,)
        Grid of points.
    label : str
        Legend label.
    color : str, optional
        Defaults to ``COLORS["density"]``.
    fill : bool
        Shade the area under the curve.
    **kwargs
        Passed to ``ax.plot``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _check_ax(ax)
    x = values_on_grid(x, None, "x")
    values = _density_values(density, x)
    color = COLORS["density"] if color is None else color
    ax.plot(x, values, color=color, label=label, **kwargs)
    if fill:
        ax.fill_between(x, 0.0, values, color=color, alpha=0.15, linewidth=0)
    ax.set_xlabel("$x$")
    return ax


def plot_field_1d(ax, x, field, label=None, color=None, zero_line=True, **kwargs):
    """Draw a 1-D vector field such as ``r(x) - x`` or ``sigma^2 s(x)`` against ``x``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : array_like, shape (m,)
        Grid of points.
    field : array_like, shape (m,) or (m, 1)
        Field values on ``x``.
    label : str, optional
        Legend label.
    color : str, optional
        Line colour (default: the axes' colour cycle).
    zero_line : bool
        Draw a thin horizontal line at 0, where the field changes direction.
    **kwargs
        Passed to ``ax.plot`` (e.g. ``linestyle``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _check_ax(ax)
    x = values_on_grid(x, None, "x")
    field = values_on_grid(field, x.shape[0], "field")
    if zero_line:
        ax.axhline(0.0, color=COLORS["reference"], linewidth=0.8, zorder=0)
    ax.plot(x, field, label=label, color=color, **kwargs)
    ax.set_xlabel("$x$")
    return ax


def plot_field_arrows_1d(ax, x, field, y=0.0, scale=1.0, color=None, label=None, **kwargs):
    """Draw a 1-D field as horizontal arrows: at each ``x`` an arrow of length ``scale * field``.

    The picture of a 1-D auto-encoder as a vector field: the arrows show where
    ``r`` moves each point.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : array_like, shape (m,)
        Arrow tails.
    field : array_like, shape (m,) or (m, 1)
        Field values on ``x`` (e.g. ``r(x) - x``).
    y : float or array_like, shape (m,)
        Height of the arrows (e.g. the density at ``x``, to draw them on its curve).
    scale : float
        Arrow length per unit of field, > 0, to make small fields visible.
    color : str, optional
        Defaults to ``COLORS["dae"]``.
    label : str, optional
        Legend label.
    **kwargs
        Passed to ``ax.quiver`` (e.g. ``width``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _check_ax(ax)
    x = values_on_grid(x, None, "x")
    field = values_on_grid(field, x.shape[0], "field")
    y = as_finite_array(y, "y")
    if y.ndim == 0:
        y = np.full_like(x, float(y))
    y = values_on_grid(y, x.shape[0], "y")
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
        raise ValueError(f"scale must be a number > 0; got {scale!r}")
    kwargs.setdefault("width", 0.004)
    ax.quiver(x, y, scale * field, np.zeros_like(field), angles="xy", scale_units="xy",
              scale=1.0, color=COLORS["dae"] if color is None else color, label=label, **kwargs)
    ax.set_xlabel("$x$")
    return ax


def _grid_array(a, name, shape=None):
    a = as_finite_array(a, name, ndim=2)
    if shape is not None and a.shape != shape:
        raise ValueError(f"{name} must have the shape of X, {shape}; got shape {a.shape}")
    return a


def plot_vector_field_2d(
    ax,
    X,
    Y,
    U,
    V,
    density=None,
    color=None,
    normalize=False,
    density_cmap="Blues",
    **quiver_kwargs,
):
    """Draw a 2-D vector field as arrows, optionally over a shaded density.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    X, Y : array_like, shape (ny, nx)
        Grid coordinates, as returned by ``numpy.meshgrid``.
    U, V : array_like, shape (ny, nx)
        Components of the field at the grid points (e.g. of ``r(x) - x``).
    density : array_like or tuple, optional
        Density values on the same grid, shape (ny, nx), or a triple
        ``(Xd, Yd, P)`` of a (finer) grid and the values on it; drawn as filled contours.
    color : str, optional
        Arrow colour; defaults to ``COLORS["dae"]``.
    normalize : bool
        Draw every arrow with the same length, to show directions only.
    density_cmap : str
        Colour map of the density shading.
    **quiver_kwargs
        Passed to ``ax.quiver`` (e.g. ``scale``, ``width``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _check_ax(ax)
    X = _grid_array(X, "X")
    Y = _grid_array(Y, "Y", X.shape)
    U = _grid_array(U, "U", X.shape)
    V = _grid_array(V, "V", X.shape)
    if density is not None:
        if isinstance(density, tuple):
            if len(density) != 3:
                raise ValueError("density given as a tuple must be (Xd, Yd, P)")
            Xd = _grid_array(density[0], "density[0]")
            Yd = _grid_array(density[1], "density[1]", Xd.shape)
            P = _grid_array(density[2], "density[2]", Xd.shape)
        else:
            Xd, Yd, P = X, Y, _grid_array(density, "density", X.shape)
        if np.any(P < 0):
            raise ValueError("density must be non-negative")
        ax.contourf(Xd, Yd, P, levels=12, cmap=density_cmap, alpha=0.8, zorder=0)
    if normalize:
        length = np.hypot(U, V)
        length = np.where(length > 0, length, 1.0)
        U, V = U / length, V / length
    quiver_kwargs.setdefault("angles", "xy")
    quiver_kwargs.setdefault("pivot", "mid")
    ax.quiver(X, Y, U, V, color=COLORS["dae"] if color is None else color, **quiver_kwargs)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def plot_loglog_fit(
    ax,
    h,
    err,
    fit=None,
    label=None,
    slope_label=True,
    color=None,
    marker="o",
    reference_slope=None,
):
    """Plot errors against a small parameter on log-log axes, with a fitted power law.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    h : array_like, shape (k,)
        The small parameter (e.g. ``sigma`` or ``lam``), > 0.
    err : array_like, shape (k,)
        The measured errors, > 0.
    fit : object, optional
        Anything with attributes ``slope`` and ``constant`` describing
        ``err = constant * h**slope`` (e.g. the result of a power-law fit); drawn as a line.
    label : str, optional
        Legend label of the measured points.
    slope_label : bool
        Put the fitted slope in the legend.
    color : str, optional
        Colour of points and fit (default: the axes' colour cycle).
    marker : str
        Marker of the measured points.
    reference_slope : float, optional
        Also draw a dashed guide of this slope through the middle of the data.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _check_ax(ax)
    h = as_finite_array(h, "h", ndim=1)
    err = as_finite_array(err, "err", ndim=1)
    if err.shape != h.shape:
        raise ValueError(f"err must have the shape of h, {h.shape}; got shape {err.shape}")
    if np.any(h <= 0):
        raise ValueError("h must be > 0 for a log-log plot")
    if np.any(err <= 0):
        raise ValueError("err must be > 0 for a log-log plot")
    (points,) = ax.loglog(h, err, marker=marker, linestyle="none", color=color, label=label)
    color = points.get_color()
    h_line = np.geomspace(h.min(), h.max(), 50)
    if fit is not None:
        try:
            slope, constant = float(fit.slope), float(fit.constant)
        except AttributeError as exc:
            raise TypeError("fit must have attributes 'slope' and 'constant'") from exc
        fit_label = f"fit: slope {slope:.2f}" if slope_label else None
        ax.loglog(h_line, constant * h_line**slope, color=color, label=fit_label)
    if reference_slope is not None:
        if not isinstance(reference_slope, numbers.Real):
            kind = type(reference_slope).__name__
            raise TypeError(f"reference_slope must be a number; got {kind}")
        h_mid = np.exp(np.mean(np.log(h)))
        e_mid = np.exp(np.mean(np.log(err)))
        ax.loglog(
            h_line,
            e_mid * (h_line / h_mid) ** reference_slope,
            color=COLORS["reference"],
            linestyle="--",
            linewidth=1.0,
            label=f"slope {reference_slope:g}",
        )
    return ax


def _critical_array(points, name):
    arr = np.asarray(points, dtype=float)
    if arr.size == 0:
        return arr.reshape(0)
    if arr.ndim not in (1, 2) or (arr.ndim == 2 and arr.shape[1] != 2):
        raise ValueError(f"{name} must have shape (k,) for 1-D plots or (k, 2) for 2-D plots; "
                         f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def mark_critical_points(ax, modes, antimodes, labels=True):
    """Mark the critical points of a density: modes and antimodes.

    In a 1-D plot (points of shape (k,)) each is a dotted vertical line; in a 2-D
    plot (points of shape (k, 2)) a marker.

    The positions can come from :func:`raetut.densities.critical_points_1d`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    modes : array_like, shape (k,) or (k, 2)
        Local maxima of the density (may be empty).
    antimodes : array_like, shape (j,) or (j, 2)
        Local minima of the density (may be empty).
    labels : bool or tuple of str
        Add "mode" / "antimode" to the legend (once each), or the given pair of
        legend labels instead, e.g. ``("mode of the smoothed density", "its antimode")``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _check_ax(ax)
    if isinstance(labels, bool):
        names = ("mode", "antimode") if labels else (None, None)
    elif (isinstance(labels, (tuple, list)) and len(labels) == 2
          and all(isinstance(name, str) for name in labels)):
        names = tuple(labels)
    else:
        raise TypeError(f"labels must be a bool or a pair of strings; got {labels!r}")
    groups = (
        (_critical_array(modes, "modes"), "mode", names[0], ":", "^"),
        (_critical_array(antimodes, "antimodes"), "antimode", names[1], "-.", "v"),
    )
    dims = {arr.ndim for arr, *_ in groups if arr.size}
    if len(dims) > 1:
        raise ValueError("modes and antimodes must both be 1-D positions or both be 2-D points")
    for arr, role, name, linestyle, marker in groups:
        color = COLORS[role]
        for i, point in enumerate(arr):
            label = name if i == 0 else None
            if arr.ndim == 1:
                ax.axvline(point, color=color, linestyle=linestyle, linewidth=1.2, label=label)
            else:
                ax.plot(point[0], point[1], marker=marker, color=color, markersize=8,
                        markeredgecolor="black", linestyle="none", label=label)
    return ax
