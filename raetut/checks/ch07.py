"""Chapter 7, data near a manifold: tangents and stretches of the Jacobian."""

import numpy as np

from .._validation import as_finite_array, nonnegative_scalar, positive_scalar
from ..fields import TangentAnalysis
from . import CheckResult

__all__ = [
    "check_tangent_angles",
    "check_eigenvalues",
]


def check_tangent_angles(analysis, quantile, tolerance, label):
    """The leading eigenvector of ``J_r`` follows the tangent of the curve.

    Measured: the ``quantile``-th percentile of :attr:`TangentAnalysis.angles` (degrees);
    expected 0 within ``tolerance``. For reference, directions drawn at random in the
    plane have median 45 and 90th percentile 81 degrees.

    Parameters
    ----------
    analysis : TangentAnalysis
    quantile : float
        In [0, 100].
    tolerance : float
        Degrees, > 0.
    label : str
        Whose Jacobian (e.g. "optimal DAE").

    Returns
    -------
    CheckResult
    """
    if not isinstance(analysis, TangentAnalysis):
        raise TypeError(f"analysis must be a TangentAnalysis; got {type(analysis).__name__}")
    quantile = nonnegative_scalar(quantile, "quantile")
    if quantile > 100:
        raise ValueError(f"quantile must be in [0, 100]; got {quantile}")
    tolerance = positive_scalar(tolerance, "tolerance")
    measured = float(np.percentile(analysis.angles, quantile))
    return CheckResult(
        f"{label}: {quantile:g}th pct angle(eigvec, tangent) [deg]", measured, 0.0, tolerance,
        bool(measured <= tolerance),
        f"{analysis.angles.size} points, complex eigenvalues at "
        f"{100 * np.mean(analysis.is_complex):.1f}%",
    )


def check_eigenvalues(analysis, which, expected, tolerance, label):
    """Median stretch of ``J_r`` along or across the curve against its predicted value.

    Parameters
    ----------
    analysis : TangentAnalysis
    which : {"along", "across", "gap"}
        The median of :attr:`TangentAnalysis.along`, of :attr:`TangentAnalysis.across`,
        or the difference of the two medians.
    expected : float
        Predicted value.
    tolerance : float
        Accepted ``|measured - expected|``, > 0.
    label : str
        Whose Jacobian.

    Returns
    -------
    CheckResult
    """
    if not isinstance(analysis, TangentAnalysis):
        raise TypeError(f"analysis must be a TangentAnalysis; got {type(analysis).__name__}")
    if which not in ("along", "across", "gap"):
        raise ValueError(f"which must be one of ['across', 'along', 'gap']; got {which!r}")
    expected = float(as_finite_array(expected, "expected", ndim=0))
    tolerance = positive_scalar(tolerance, "tolerance")
    along = float(np.median(analysis.along))
    across = float(np.median(analysis.across))
    measured = {"along": along, "across": across, "gap": along - across}[which]
    names = {"along": "median stretch along the curve", "across": "median stretch across it",
             "gap": "median stretch along - across"}
    return CheckResult(
        f"{label}: {names[which]}", measured, expected, tolerance,
        bool(abs(measured - expected) <= tolerance),
        f"along {along:.3g}, across {across:.3g} (medians over {analysis.along.size} points)",
    )
