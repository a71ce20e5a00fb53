"""The mixture head's NumPy side: class probabilities, draws and moments, without TensorFlow.

What prediction needs from the head's outputs ``[K mixing logits | K means | K raw scales]``
(see ``skmnist._mixture`` for the layer, the losses and the metric that training uses):
:func:`mixture_from_outputs` (weights, means, scales), :func:`class_log_proba` (the log of
the mass of every class bin; :func:`class_proba_from_outputs` and
:func:`class_log_proba_from_outputs` from the raw outputs, for prediction),
:func:`sample_mixture` and :func:`mixture_moments`.

Class masses are computed in float32, like the network, from the normal tail
``Q(|z|) = P(N(0, 1) > |z|)`` at the bin edges (SciPy's ``ndtr``, computed in double and
rounded once): a bin on one side of a component's mean is the difference of two small tails
(never of two numbers close to 1), the bin holding the mean is one minus two tails.  Masses
keep float32's relative accuracy (about 1e-6) down to its smallest numbers; the estimators
floor class log-probabilities below the smallest normal one anyway (log = -87.3).

Prediction needs ``n * K * (C + 1)`` tails.  Many rows are computed edge-major, in steps that
stay in cache, evaluating only the tails that are not exactly 0; a few rows (a one-image
prediction, bound by the number of NumPy calls rather than by arithmetic) in their own
layout, in about twenty calls.  Every path gives the same bits for a row, whatever the rows
around it.
"""

import functools

import numpy as np
from scipy import special
from sklearn.utils import Bunch, check_random_state

from ._sampling import check_n_draws, inverse_cdf_draw

__all__ = [
    "mixture_from_outputs", "class_log_proba", "class_proba_from_outputs",
    "class_log_proba_from_outputs", "sample_mixture", "mixture_moments",
]


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
    weights, means, scales = _unnormalized_mixture(outputs, k, sigma_floor)
    weights /= weights.sum(axis=1, keepdims=True)
    return Bunch(weights=weights, means=means, scales=scales)


def _unnormalized_mixture(outputs, k, sigma_floor):
    """``exp(logits - max)`` (the weights up to a factor per row), means and scales."""
    logits, means, raw = outputs[:, :k], outputs[:, k : 2 * k], outputs[:, 2 * k :]
    weights = logits - np.maximum.reduce(logits, axis=1, keepdims=True)
    np.exp(weights, out=weights)
    scales = np.logaddexp(0, raw)
    scales += outputs.dtype.type(sigma_floor)
    return weights, means, scales


def class_proba_from_outputs(outputs, n_components, sigma_floor, n_classes):
    """The mixture's mass on every class bin, from the raw head outputs (float32).

    What prediction computes: the masses of :func:`class_log_proba` (without the log), from
    the outputs as :func:`mixture_from_outputs` reads them.  The weights are left
    unnormalized (the class masses, which sum to the weights' total, are normalized): two
    NumPy calls fewer, a tenth of a one-image head.

    Parameters
    ----------
    outputs : ndarray of shape (n, 3 * n_components), float32
        ``[mixing logits | means | raw scales]``.
    n_components : int
        Number of components ``K``.
    sigma_floor : float
        Lower bound added to every scale.
    n_classes : int
        Number of classes.

    Returns
    -------
    ndarray of shape (n, n_classes), float32
        Class probabilities (rows sum to 1; 0 where a mass is below float32's range).
    """
    outputs = np.asarray(outputs, dtype=np.float32)
    return _class_proba(*_unnormalized_mixture(outputs, n_components, sigma_floor), n_classes)


def class_log_proba_from_outputs(outputs, n_components, sigma_floor, n_classes):
    """:func:`class_log_proba` of the raw head outputs (float32, as prediction computes them).

    The log of :func:`class_proba_from_outputs`; the parameters are the same.

    Returns
    -------
    ndarray of shape (n, n_classes), float32
        Log class probabilities.
    """
    return _log(class_proba_from_outputs(outputs, n_components, sigma_floor, n_classes))


# |z| from which the float32 normal tail is exactly 0 (SciPy's ndtr, rounded to float32, is 0
# from 14.17 on; tests check every float32 in [_FAR, 2 * _FAR] and the infinities).
_FAR = np.float32(14.25)
# Rows of the mixture per step of class_log_proba: its (C, K, rows) temporaries stay in the
# cores' caches (10 x 10 x 512 float32: 200 KB) instead of streaming through memory.
_ROWS_PER_STEP = 512
# Below this many edges (n * K * (C - 1)) the tails are evaluated at every edge: gathering
# the near ones costs more calls than it saves.  Both ways give the same bits.
_SPARSE_FROM = 2048
# Up to this many rows the masses are computed in the rows' own (n, K) layout, with about
# twenty NumPy calls (a one-image prediction is bound by their count, not by arithmetic);
# beyond it in the edge-major layout, in steps.  Both give the same bits.
_FEW_ROWS = 16


def _normal_tail(z):
    """``Q(|z|) = P(N(0, 1) > |z|)``, float32, elementwise (a new array).

    SciPy's ``ndtr`` at ``-|z|``: computed in double and rounded once to float32, so every
    tail keeps float32's relative accuracy down to its smallest (subnormal) numbers, and a
    tail never comes from ``1 - something``.
    """
    q = np.copysign(z, np.float32(-1))  # -|z|, in one call
    return special.ndtr(q, out=q)


@functools.cache
def _padded_edges(n_classes):
    """The bin edges, float32: -inf, the C - 1 inner ones (0.5, 1.5, ...), +inf.

    The outer edges' tails are exactly 0 (and far beyond ``_FAR``), so class 0 and the last
    class are bins like the others.
    """
    inner = np.arange(1, n_classes, dtype=np.float32) - np.float32(0.5)
    edges = np.concatenate([[-np.inf], inner, [np.inf]]).astype(np.float32)
    edges.flags.writeable = False
    return edges


def _sparse_normal_tail(z):
    """``_normal_tail(z)``, bit for bit, evaluated only where it is not exactly 0.

    For a trained network most components are narrow and most bin edges many standard
    deviations away (about 80% of them beyond ``_FAR`` on MNIST): those tails are the exact
    zeros ``_normal_tail`` gives there, and the tail runs on the rest only.  (Elementwise
    float32 operations give the same bits for an element wherever it sits in an array; the
    tests check it.)
    """
    q = np.zeros_like(z)
    far = np.abs(z) >= _FAR
    near = np.flatnonzero(~far)  # NaN stays "near", and NaN
    q.ravel()[near] = _normal_tail(z.ravel()[near])
    return q


# A bin's lower and upper edges, along the last axis (False) or the first (True)
_LOWER_EDGES = {False: np.s_[..., :-1], True: np.s_[:-1]}
_UPPER_EDGES = {False: np.s_[..., 1:], True: np.s_[1:]}


def _bin_masses(z, q, first_axis, out=None):
    """Mass of every bin between consecutive edges (``z``: the edges as z-scores), float32.

    ``Phi(z)`` is ``q`` below the mean and ``1 - q`` above it (``q`` the tail ``Q(|z|)``):
    ``Phi(z) = s - w`` with ``s = 0.5 + copysign(0.5, z)`` (0 or 1) and ``w = copysign(q,
    z)``.  A bin's mass ``Phi(z_hi) - Phi(z_lo)`` is then ``(s_hi - s_lo) - (w_hi - w_lo)``:
    on one side of the mean the difference of two small tails (never of two numbers close to
    1), in the bin holding the mean ``1 - (q_lo + q_hi)``.  ``q`` is overwritten.  The edges
    run along the first axis (``first_axis``) or the last.  (All float32: ufuncs on mixed
    types cost a cast per call.)
    """
    lo, hi = _LOWER_EDGES[first_axis], _UPPER_EDGES[first_axis]
    w = np.copysign(q, z, out=q)
    half = np.copysign(np.float32(0.5), z)  # s - 0.5
    holds_mean = np.subtract(half[hi], half[lo])  # s_hi - s_lo: 1 in the mean's bin, else 0
    mass = np.subtract(w[hi], w[lo], out=out)
    return np.subtract(holds_mean, mass, out=mass)


def _few_rows_class_proba(weights, means, scales, n_classes):
    """The class masses ``sum_k w_k mass_k``, shape (n, C), for a few rows.

    The rows' own (n, K) layout, edges last; the same arithmetic as
    :func:`_many_rows_class_proba`, element by element, in few NumPy calls of the kinds
    every prediction makes (no ``einsum``: a one-image prediction is bound by the calls).
    """
    z = _padded_edges(n_classes) - means[:, :, None]  # (n, K, C + 1)
    z *= (np.float32(1) / scales)[:, :, None]
    mass = _bin_masses(z, _normal_tail(z), first_axis=False)
    # the K terms in their order, one float32 rounding per product and per sum (as the
    # additions of _many_rows_class_proba: the same bits); a reduction over an axis that is
    # not the last adds whole rows of C one after the other, not pairwise
    mass *= weights[:, :, None]
    return np.add.reduce(mass, axis=1)


def _component_masses(means, scales, n_classes, sparse):
    """Mass of every component on every class bin, shape (C, K, n), float32.

    ``means`` and ``scales`` are (K, n): edge-major layout, so that every
    operation below runs over contiguous runs of ``n`` elements (with the (n, K, C) layout
    the edge slices are strided runs of 9, and numpy's loops cost ten times more).  Only the
    C - 1 inner edges are evaluated; the outer bins get what :func:`_bin_masses` gives with
    the padded edges (tail 0, ``w = -0.0`` at -inf and ``+0.0`` at +inf), the same bits.
    """
    inner = _padded_edges(n_classes)[1:-1]
    z = inner[:, None, None] - means
    z *= np.float32(1) / scales  # (C - 1, K, n)
    q = _sparse_normal_tail(z) if sparse else _normal_tail(z)
    mass = np.empty((n_classes, *z.shape[1:]), dtype=np.float32)
    _bin_masses(z, q, first_axis=True, out=mass[1:-1])
    w = q  # _bin_masses made the tails into w = copysign(q, z)
    half = np.float32(0.5)
    first = np.add(half, np.copysign(half, z[0]))  # s_0 - 0
    np.subtract(first, w[0], out=mass[0])  # (s_0 - 0) - (w_0 - (-0.0))
    last = np.subtract(half, np.copysign(half, z[-1]))  # 1 - s_last
    np.add(last, w[-1], out=mass[-1])  # (1 - s_last) - (+0.0 - w_last)
    return mass


def _many_rows_class_proba(weights, means, scales, n_classes):
    """The class masses ``sum_k w_k mass_k``, shape (n, C), in steps of edge-major blocks."""
    # (K, n) each, contiguous: one conversion and one copy for the three
    weights, means, scales = np.array((weights, means, scales)).transpose(0, 2, 1).copy()
    k, n = weights.shape
    sparse = n * k * (n_classes - 1) >= _SPARSE_FROM
    proba = np.empty((n, n_classes), dtype=np.float32)
    for start in range(0, n, _ROWS_PER_STEP):
        rows = slice(start, start + _ROWS_PER_STEP)
        mass = _component_masses(means[:, rows], scales[:, rows], n_classes, sparse)
        # sum_k w_k mass_k, the K terms in their order, one float32 rounding per product and
        # per sum; np.add.reduce would sum a single row's K terms pairwise, in another order
        mass *= weights[:, rows]
        total = mass[:, 0].copy()
        for j in range(1, k):
            total += mass[:, j]
        proba[rows] = total.T
    return proba


def class_log_proba(weights, means, scales, n_classes):
    """Log of the mixture's mass on every class bin (float32).

    Class ``k`` owns ``[k - 0.5, k + 0.5]``, class 0 ``(-inf, 0.5]`` and the last class
    ``[n_classes - 1.5, +inf)``.  Computed with elementwise operations and a sum over the
    components in their order, so each row's result is the same bits whatever the rows
    around it.

    Parameters
    ----------
    weights, means, scales : ndarray of shape (n, K)
        Mixture parameters, float32; the weights up to a positive factor per row.
    n_classes : int
        Number of classes (>= 2).

    Returns
    -------
    ndarray of shape (n, n_classes), float32
        Log class probabilities (``-inf`` where a mass is below float32's range), normalized
        so that their ``exp`` sums to one per row.
    """
    weights, means, scales = (np.asarray(a, dtype=np.float32) for a in (weights, means, scales))
    return _log(_class_proba(weights, means, scales, n_classes))


def _class_proba(weights, means, scales, n_classes):
    """The class masses of float32 (n, K) parameters, normalized per row."""
    if len(weights) <= _FEW_ROWS:
        proba = _few_rows_class_proba(weights, means, scales, n_classes)
    else:
        proba = _many_rows_class_proba(weights, means, scales, n_classes)
    proba /= np.add.reduce(proba, axis=1, keepdims=True)
    return proba


def _log(proba):
    """``log`` in place; a mass of 0 (below float32's range) is ``-inf``, silently."""
    with np.errstate(divide="ignore"):
        return np.log(proba, out=proba)


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
