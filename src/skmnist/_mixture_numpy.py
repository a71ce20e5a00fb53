"""The mixture head's NumPy side: class probabilities, draws and moments, without TensorFlow.

What prediction needs from the head's outputs ``[K mixing logits | K means | K raw scales]``
(see ``skmnist._mixture`` for the layer, the losses and the metric that training uses):
:func:`mixture_from_outputs` (weights, means, scales), :func:`class_log_proba` (the mass of
every class bin), :func:`sample_mixture` and :func:`mixture_moments`.

Class masses are computed in float32, like the network, from the normal tail
``Q(|z|) = erfc(|z| / sqrt2) / 2`` at the bin edges: a bin on one side of a component's mean
is the difference of two small tails (never of two numbers close to 1), a bin straddling the
mean is one minus two tails.  ``erfc`` is Numerical Recipes' Chebyshev fit ``erfcc``
(relative error below 1.2e-7 for every argument, the Gaussian factor kept as one ``exp``), a
dozen vectorized operations: prediction needs it at ``n * K * (C - 1)`` edges (and evaluates
it only at those where it is not exactly 0), and SciPy's scalar-loop ``ndtr`` cost four times
as much.  Masses keep a relative accuracy of
about 1e-6 near the components and 3e-5 in the far tails (the float32 rounding of ``z**2``),
down to float32's smallest normal number; below it the estimators floor class
log-probabilities anyway (log = -87.3).
"""

import functools

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._sampling import check_n_draws, inverse_cdf_draw

__all__ = ["mixture_from_outputs", "class_log_proba", "sample_mixture", "mixture_moments"]


def mixture_from_outputs(outputs, n_components, sigma_floor, dtype=np.float64):
    """Mixture parameters from the raw head outputs.

    The same transforms as the head's TensorFlow side (``skmnist._mixture.split_head``):
    ``softmax`` of the logits, the means as they are, ``softplus(raw) + sigma_floor``.

    Parameters
    ----------
    outputs : ndarray of shape (n, 3 * n_components)
        ``[mixing logits | means | raw scales]``.
    n_components : int
        Number of components ``K``.
    sigma_floor : float
        Lower bound added to every scale.
    dtype : dtype, default=np.float64
        Precision of the results (float64 for the user-facing parameters).

    Returns
    -------
    Bunch
        ``weights``, ``means`` and ``scales``, each of shape (n, K).
    """
    outputs = np.asarray(outputs, dtype=dtype)
    k = int(n_components)
    if outputs.ndim != 2 or outputs.shape[1] != 3 * k:
        raise ValueError(
            f"Head outputs have shape {outputs.shape}, expected (n, 3 * n_components = {3 * k})."
        )
    logits, means, raw = outputs[:, :k], outputs[:, k : 2 * k], outputs[:, 2 * k :]
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return Bunch(
        weights=weights, means=means, scales=np.logaddexp(0, raw) + outputs.dtype.type(sigma_floor)
    )


_LOG_TINY32 = np.float32(np.log(np.finfo(np.float32).tiny))

# Numerical Recipes' erfcc: erfc(x) = t exp(-x**2 + P(t)), t = 1 / (1 + x / 2), x >= 0
_ERFCC = tuple(np.float32(c) for c in (
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398,
    1.48851587, -0.82215223, 0.17087277,
))


def _normal_tail(z):
    """``Q(|z|) = P(N(0, 1) > |z|)``, float32, elementwise (a new array)."""
    x = np.abs(z)
    x *= np.float32(np.sqrt(0.5))
    t = x * np.float32(0.5)
    t += np.float32(1)
    np.divide(np.float32(1), t, out=t)  # the same bits as np.reciprocal, twice as fast
    poly = t * _ERFCC[-1]
    for c in _ERFCC[-2:0:-1]:  # Horner, in place: no temporaries of the (n, K, C) size
        poly += c
        poly *= t
    poly += _ERFCC[0]
    x *= x
    poly -= x
    # Tails below float32's smallest normal number (exp argument < -87.3) are set to exactly
    # 0: the subnormal numbers exp would give there cost x86 cores tens of times more per
    # operation, and every class probability below that number is floored anyway.
    np.copyto(poly, -np.inf, where=poly < _LOG_TINY32)
    np.exp(poly, out=poly)
    poly *= t
    poly *= np.float32(0.5)
    return poly


# |z| from which _normal_tail is exactly 0: its exponent, -z**2 / 2 plus the polynomial
# (above -1.27 there), is below _LOG_TINY32 from |z| = 13.2 on (tests check every float32
# in [_FAR, 2 * _FAR] and the infinities).
_FAR = np.float32(14)
# Rows of the mixture per step of class_log_proba: its (C, K, rows) temporaries stay in the
# cores' caches (10 x 10 x 512 float32: 200 KB) instead of streaming through memory.
_ROWS_PER_STEP = 512
# Below this many edges (n * K * (C - 1)) the tails are evaluated at every edge: gathering
# the near ones costs more calls than it saves.  Both ways give the same bits.
_SPARSE_FROM = 2048
# Up to this many rows the components' weighted masses are summed by one einsum (on a
# transposed copy), beyond it by K in-place additions over contiguous rows.
_EINSUM_UP_TO = 16


@functools.cache
def _bin_edges(n_classes):
    edges = np.arange(1, n_classes, dtype=np.float32) - np.float32(0.5)  # the C - 1 inner ones
    edges.flags.writeable = False
    return edges


def _sparse_normal_tail(z):
    """``_normal_tail(z)``, bit for bit, evaluated only where it is not exactly 0.

    For a trained network most components are narrow and most bin edges many standard
    deviations away (about 80% of them beyond ``_FAR`` on MNIST): those tails are the exact
    zeros ``_normal_tail`` gives there, and the tail's dozen elementwise operations run on
    the rest only.  (Elementwise float32 operations, ``exp`` included, give the same bits
    for an element wherever it sits in an array; the tests check it.)
    """
    q = np.zeros_like(z)
    far = np.abs(z) >= _FAR
    near = np.flatnonzero(~far)  # NaN stays "near", and NaN
    q.ravel()[near] = _normal_tail(z.ravel()[near])
    return q


def _component_masses(means, scales, n_classes, sparse):
    """Mass of every component on every class bin, shape (C, K, n), float32.

    ``means`` and ``scales`` are (K, n): edge-major layout, so that every
    operation below runs over contiguous runs of ``n`` elements (with the (n, K, C) layout
    the edge slices are strided runs of 9, and numpy's loops cost ten times more).
    """
    f32 = np.float32
    z = _bin_edges(n_classes)[:, None, None] - means
    z *= f32(1) / scales  # (C - 1, K, n)
    q = _sparse_normal_tail(z) if sparse else _normal_tail(z)
    below, above = z < 0, z > 0
    mass = np.empty((n_classes, *z.shape[1:]), dtype=f32)
    # inner bins: on one side of the mean the difference of the two tails, else 1 - both
    inner = mass[1:-1]
    np.subtract(q[1:], q[:-1], out=inner)
    np.abs(inner, out=inner)
    straddle = np.logical_and(below[:-1], above[1:])
    both = f32(1) - q[:-1]
    both -= q[1:]
    np.copyto(inner, both, where=straddle)
    # the outer bins: the tail beyond the edge, or one minus it
    np.subtract(f32(1), q[0], out=mass[0])
    np.copyto(mass[0], q[0], where=below[0])
    np.subtract(f32(1), q[-1], out=mass[-1])
    np.copyto(mass[-1], q[-1], where=above[-1])
    return mass


def class_log_proba(weights, means, scales, n_classes):
    """Log of the mixture's mass on every class bin (float32).

    Class ``k`` owns ``[k - 0.5, k + 0.5]``, class 0 ``(-inf, 0.5]`` and the last class
    ``[n_classes - 1.5, +inf)``.  Computed in steps of ``_ROWS_PER_STEP`` rows with
    elementwise operations and a sum over the components in their order, so each row's
    result is the same bits whatever the rows around it.

    Parameters
    ----------
    weights, means, scales : ndarray of shape (n, K)
        Mixture parameters (weights sum to one per row), float32.
    n_classes : int
        Number of classes (>= 2).

    Returns
    -------
    ndarray of shape (n, n_classes), float32
        Log class probabilities (``-inf`` where a mass is below float32's range), normalized
        so that their ``exp`` sums to one per row.
    """
    f32 = np.float32
    # (K, n) each, contiguous: one conversion and one copy for the three
    params = np.array((weights, means, scales), dtype=f32)
    weights, means, scales = params.transpose(0, 2, 1).copy()
    k, n = weights.shape
    sparse = n * k * (n_classes - 1) >= _SPARSE_FROM
    proba = np.empty((n, n_classes), dtype=f32)
    for start in range(0, n, _ROWS_PER_STEP):
        rows = slice(start, start + _ROWS_PER_STEP)
        mass = _component_masses(means[:, rows], scales[:, rows], n_classes, sparse)
        # sum_k w_k mass_k, the K terms in their order, one float32 rounding per product and
        # per sum; np.add.reduce would sum a single row's K terms pairwise, in another order
        if n <= _EINSUM_UP_TO:  # fewer calls; the same bits
            mass = np.ascontiguousarray(mass.transpose(2, 1, 0))  # (n, K, C)
            np.einsum("nk,nkc->nc", weights.T, mass, out=proba)
            continue
        mass *= weights[:, rows]
        total = mass[:, 0].copy()
        for j in range(1, k):
            total += mass[:, j]
        proba[rows] = total.T
    with np.errstate(divide="ignore"):
        log_proba = np.log(proba)
        log_proba -= np.log(proba.sum(axis=1, keepdims=True))
    return log_proba


def _check_mixture(weights, means, scales):
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    means = np.atleast_2d(np.asarray(means, dtype=np.float64))
    scales = np.atleast_2d(np.asarray(scales, dtype=np.float64))
    if not (weights.shape == means.shape == scales.shape) or weights.ndim != 2:
        raise ValueError(
            "weights, means and scales must share one shape (n, K); got "
            f"{weights.shape}, {means.shape}, {scales.shape}."
        )
    if np.any(weights < 0) or np.any(scales < 0):
        raise ValueError("weights and scales must be non-negative.")
    total = weights.sum(axis=1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("every row of weights must have a positive sum.")
    # renormalize: float32 probabilities from the network sum to 1 only up to rounding
    return weights / total, means, scales


def sample_mixture(weights, means, scales, n_draws, random_state=None):
    """Draw real values from per-row 1-D Gaussian mixtures.

    Parameters
    ----------
    weights : array-like of shape (n, K)
        Mixing probabilities (rows are renormalized).
    means, scales : array-like of shape (n, K)
        Component means and standard deviations.
    n_draws : int
        Number of draws per row.
    random_state : int, RandomState instance or None, default=None
        Seed or generator (see :func:`sklearn.utils.check_random_state`).

    Returns
    -------
    ndarray of shape (n, n_draws), float64
        Draws: a component picked by its weight, then a normal draw from it.
    """
    weights, means, scales = _check_mixture(weights, means, scales)
    rng = check_random_state(random_state)
    n = weights.shape[0]
    n_draws = check_n_draws(n_draws)
    u = rng.random_sample((n, n_draws))
    noise = rng.standard_normal((n, n_draws))
    component = inverse_cdf_draw(np.cumsum(weights, axis=1), u)
    rows = np.arange(n)[:, None]
    return means[rows, component] + scales[rows, component] * noise


def mixture_moments(weights, means, scales):
    """Mean and variance decomposition of per-row 1-D Gaussian mixtures.

    Parameters
    ----------
    weights : array-like of shape (n, K)
        Mixing probabilities (rows are renormalized).
    means, scales : array-like of shape (n, K)
        Component means and standard deviations.

    Returns
    -------
    dict of ndarray of shape (n,), float64
        ``mean``: ``sum_k w_k mu_k``;
        ``aleatoric_variance``: within-component variance ``sum_k w_k sigma_k**2``;
        ``multimodality_variance``: between-component variance
        ``sum_k w_k (mu_k - mean)**2`` (how far apart the components sit);
        ``total_variance``: the mixture's variance, the sum of the two.
    """
    weights, means, scales = _check_mixture(weights, means, scales)
    mean = np.sum(weights * means, axis=1)
    aleatoric = np.sum(weights * scales**2, axis=1)
    between = np.sum(weights * (means - mean[:, None]) ** 2, axis=1)
    return {
        "mean": mean,
        "aleatoric_variance": aleatoric,
        "multimodality_variance": between,
        "total_variance": aleatoric + between,
    }
