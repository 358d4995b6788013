"""Input checks shared by every public function.

Each helper either returns a clean value or raises a ``ValueError``/``TypeError``
whose message names the offending argument and says what was expected.
"""

import inspect
import numbers

import numpy as np
from autograd.tracer import Box, getval


def as_points(X, name="X", dim=None, allow_empty=False):
    """Return ``X`` as a finite float array of points, shape (n, d).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points, one per row. 1-D data must be given as shape (n, 1).
    name : str
        Argument name used in error messages.
    dim : int, optional
        Required number of columns ``d``.
    allow_empty : bool
        Whether ``n == 0`` is accepted.

    Returns
    -------
    ndarray, shape (n, d), float64
    """
    try:
        arr = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be a numeric array of shape (n, d); got {type(X).__name__}"
        ) from exc
    if arr.ndim != 2:
        hint = f" (for 1-D data pass {name}[:, None])" if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be a 2-D array of shape (n, d); got shape {arr.shape}{hint}")
    if dim is not None and arr.shape[1] != dim:
        raise ValueError(
            f"{name} must have {dim} column(s) (dimension d={dim}); got shape {arr.shape}"
        )
    if arr.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} must contain at least one point; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def as_finite_array(a, name, ndim=None, shape=None):
    """Return ``a`` as a finite float array, optionally checking ``ndim`` and ``shape``."""
    try:
        arr = np.asarray(a, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array; got {type(a).__name__}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array; got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _real_scalar(value, name, zero_allowed):
    kind, bound = ("a real number >= 0", ">= 0") if zero_allowed else ("a positive real number",
                                                                       "> 0")
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be {kind}; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not zero_allowed):
        raise ValueError(f"{name} must be a finite number {bound}; got {value}")
    return value


def positive_scalar(value, name):
    """Return ``value`` as a float, checking it is a finite real number > 0."""
    return _real_scalar(value, name, zero_allowed=False)


def scale_parameter(value, name, power=2):
    """Return ``value`` as a float > 0 whose ``power``-th power and its inverse are normal floats.

    For a noise level ``sigma`` (``power=2``: the code divides by ``sigma**2``) or a
    penalty ``lam`` (``power=1``), so that ``sigma = 1e200`` or ``1e-300`` is refused
    with a message naming the argument instead of overflowing or dividing by zero.
    """
    value = _real_scalar(value, name, zero_allowed=False)
    tiny = np.finfo(float).tiny
    low, high = tiny ** (1.0 / power), tiny ** (-1.0 / power)
    if not low <= value <= high:
        raise ValueError(
            f"{name} must lie in [{low:.1e}, {high:.1e}] so that {name}**{power} and its "
            f"inverse are normal floating-point numbers; got {value:g}"
        )
    return value


def nonnegative_scalar(value, name):
    """Return ``value`` as a float, checking it is a finite real number >= 0."""
    return _real_scalar(value, name, zero_allowed=True)


def positive_int(value, name, minimum=1):
    """Return ``value`` as an int, checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {type(value).__name__}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return value


def check_rng(rng, name="rng"):
    """Check that ``rng`` is a ``numpy.random.Generator`` and return it."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)); "
            f"got {type(rng).__name__}"
        )
    return rng


def check_callable(f, name):
    """Check that ``f`` is callable and return it."""
    if not callable(f):
        raise TypeError(f"{name} must be callable; got {type(f).__name__}")
    return f


def check_signature(f, name, n_args, how):
    """Check that ``f`` accepts ``n_args`` positional arguments; ``how`` shows the call.

    A function whose signature cannot be inspected (a builtin) is accepted as it is.
    """
    check_callable(f, name)
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):
        return f
    try:
        signature.bind(*range(n_args))
    except TypeError:
        raise TypeError(f"{name} must accept {n_args} positional argument(s), called as "
                        f"{how}; its signature is {name}{signature}") from None
    return f


def as_pair(value, name, what="(lower, upper)"):
    """Return ``value`` as a tuple of two finite floats ``lower < upper``."""
    try:
        lower, upper = (float(b) for b in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite pair {what}; got {value!r}") from None
    if not (np.isfinite(lower) and np.isfinite(upper) and lower < upper):
        raise ValueError(f"{name} must be a finite pair {what} with lower < upper; got {value!r}")
    return lower, upper


def increasing_grid(grid, name="grid", min_len=3):
    """Return ``grid`` as a strictly increasing finite 1-D float array of length >= ``min_len``."""
    arr = as_finite_array(grid, name, ndim=1)
    if arr.size < min_len:
        raise ValueError(f"{name} must have at least {min_len} points; got {arr.size}")
    if not np.all(np.diff(arr) > 0):
        raise ValueError(f"{name} must be strictly increasing")
    return arr


def one_of(value, name, options):
    """Check that ``value`` is one of ``options`` and return it."""
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}; got {value!r}")
    return value


def as_jacobians(J, name="J"):
    """Return ``J`` as a finite float array of square matrices, shape (n, d, d)."""
    J = as_finite_array(J, name)
    if J.ndim != 3 or J.shape[1] != J.shape[2]:
        raise ValueError(f"{name} must have shape (n, d, d); got shape {J.shape}")
    return J


def as_chains(chains, name="chains", dim=None, min_steps=1):
    """Return ``chains`` as a finite float array of shape (n_steps, n_chains, d).

    ``dim`` is the required ``d``; ``min_steps`` the fewest steps (axis 0) accepted.
    """
    chains = as_finite_array(chains, name, ndim=3)
    if dim is not None and chains.shape[2] != dim:
        raise ValueError(
            f"{name} must have shape (n_steps, n_chains, {dim}); got shape {chains.shape}"
        )
    if chains.shape[0] < min_steps:
        raise ValueError(
            f"{name} must have at least {min_steps} steps (axis 0); got {chains.shape[0]}"
        )
    return chains


def values_on_grid(values, m, name):
    """Finite values on a 1-D grid as shape (m,), accepting (m,) or (m, 1).

    Parameters
    ----------
    values : array_like, shape (m,) or (m, 1)
    m : int or None
        Required length (the grid's); None accepts any length >= 1.
    name : str
        Argument name used in error messages.

    Returns
    -------
    ndarray, shape (m,)
    """
    values = as_finite_array(values, name)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if m is None:
        if values.ndim != 1:
            raise ValueError(f"{name} must have shape (m,) or (m, 1); got shape {values.shape}")
    elif values.shape != (m,):
        raise ValueError(
            f"{name} must have shape ({m},) or ({m}, 1) to match the grid; got shape {values.shape}"
        )
    return values


def as_matching_points(A, B, name_a, name_b):
    """Two finite arrays of points of one shape (n, d), e.g. an estimate and its reference."""
    A = as_points(A, name_a)
    B = as_points(B, name_b, dim=A.shape[1])
    if B.shape != A.shape:
        raise ValueError(f"{name_b} must have the shape of {name_a}, {A.shape}; got {B.shape}")
    return A, B


def call_checked(f, X, name, shape=None, finite=True, call=None):
    """Call a user function on ``X`` and check what it returns.

    The one place where the package calls a function it was given (a reconstruction,
    a score, a log-density, a log-ratio, a Jacobian ...) and checks its output.

    Parameters
    ----------
    f : callable
        The user's function, called as ``f(X)`` (or ``f(*X)`` for a tuple ``X``).
    X : ndarray or tuple of ndarray
        Its input (points of shape (n, d), or grid values); a tuple holds several
        arguments, e.g. ``(x, x_new)`` for a log-ratio.
    name : str
        The argument name of ``f``, used in error messages.
    shape : tuple of int, optional
        Required shape of the output; default ``X.shape``.
    finite : True, "log" or "inf"
        What non-finite output is accepted; NaN never is. ``True``: none. ``"log"``:
        ``-inf`` (a log-density where the density is 0), but not ``+inf``. ``"inf"``:
        ``±inf`` (a log-ratio into or out of a region of zero density, which a sampler
        rejects or accepts).
    call : str, optional
        How the call is written in messages; default ``name + "(X)"``.

    Returns
    -------
    ndarray of float
        ``f(X)``, of the required shape. If ``f`` is traced by autograd (its output is
        an autograd box) the box itself is returned, so that gradients flow through.

    Raises
    ------
    ValueError
        If the output has the wrong shape or non-finite values that ``finite`` does
        not accept; the message names ``f`` and the first offending input.
    """
    args = X if isinstance(X, tuple) else (X,)
    shape = np.shape(args[0]) if shape is None else tuple(shape)
    call = f"{name}(X)" if call is None else call
    try:
        out = f(*args)
    except TypeError as exc:
        if not callable(f):
            raise TypeError(f"{name} must be callable; got {type(f).__name__}") from exc
        raise
    except ValueError as exc:  # say which call failed, e.g. a sampler's x0 of the wrong width
        raise ValueError(f"{call} failed on an input of shape {np.shape(args[0])}: {exc}") from exc
    traced = isinstance(out, Box)
    values = np.asarray(getval(out) if traced else out, dtype=float)
    if values.shape != shape:
        raise ValueError(f"{call} must return shape {shape}; got shape {values.shape}")
    if finite not in (True, "log", "inf"):
        raise ValueError(f"finite must be True, 'log' or 'inf'; got {finite!r}")
    if np.isfinite(values).all():  # the common case, in one pass over the output
        return out if traced else values
    bad = np.isnan(values)
    if finite != "inf":
        bad |= values == np.inf
    if finite is True:
        bad |= values == -np.inf
    if np.any(bad):
        index = np.argwhere(bad)[0]
        row = int(index[0]) if values.ndim and len(index) else 0
        where = tuple(np.asarray(a)[row] if np.ndim(a) else a for a in args)
        where = where[0] if len(where) == 1 else where
        raise ValueError(
            f"{name} returned a non-finite value ({values[tuple(index)]}) at input {where}"
        )
    return out if traced else values
