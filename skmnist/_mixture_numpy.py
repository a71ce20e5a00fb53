"""The mixture head's NumPy side: class probabilities, draws and moments, without TensorFlow.

What prediction needs from the head's outputs ``[K mixing logits | K means | K raw scales]``
(see ``skmnist._mixture`` for the layer, the losses and the metric that training uses):
:func:`mixture_from_outputs` (weights, means, scales), :func:`class_log_proba` (the mass of
every class bin), :func:`sample_mixture` and :func:`mixture_moments`.

Class masses are computed in float64 from the normal CDF at the bin edges.  A bin right of
its component's mean is measured by the upper tail (``Phi(-z)``), one left of it by the lower
tail, so neither side subtracts numbers close to 1; float64 then keeps every mass down to
1e-300 to full relative precision, far below what the estimators report (class
log-probabilities are floored at float32's smallest normal number, log = -87.3).
"""

import numpy as np
from scipy import special
from sklearn.utils import Bunch, check_random_state

from ._sampling import check_n_draws, inverse_cdf_draw

__all__ = ["mixture_from_outputs", "class_log_proba", "sample_mixture", "mixture_moments"]


def mixture_from_outputs(outputs, n_components, sigma_floor):
    """Mixture parameters from the raw head outputs, in float64.

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

    Returns
    -------
    Bunch
        ``weights``, ``means``, ``scales`` of shape (n, K), float64, and ``log_weights``.
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    k = int(n_components)
    if outputs.ndim != 2 or outputs.shape[1] != 3 * k:
        raise ValueError(
            f"Head outputs have shape {outputs.shape}, expected (n, 3 * n_components = {3 * k})."
        )
    logits, means, raw = outputs[:, :k], outputs[:, k : 2 * k], outputs[:, 2 * k :]
    log_weights = logits - special.logsumexp(logits, axis=1, keepdims=True)
    return Bunch(
        weights=np.exp(log_weights),
        log_weights=log_weights,
        means=means,
        scales=np.logaddexp(0.0, raw) + sigma_floor,
    )


def class_log_proba(weights, means, scales, n_classes):
    """Log of the mixture's mass on every class bin (float64).

    Class ``k`` owns ``[k - 0.5, k + 0.5]``, class 0 ``(-inf, 0.5]`` and the last class
    ``[n_classes - 1.5, +inf)``.

    Parameters
    ----------
    weights, means, scales : ndarray of shape (n, K)
        Mixture parameters (weights sum to one per row).
    n_classes : int
        Number of classes (>= 2).

    Returns
    -------
    ndarray of shape (n, n_classes)
        Log class probabilities (``-inf`` where a mass is below float64's range), normalized
        so that their ``exp`` sums to one per row.
    """
    edges = np.arange(1, n_classes, dtype=np.float64) - 0.5  # the C - 1 inner bin edges
    z = (edges - means[..., None]) / scales[..., None]  # (n, K, C - 1)
    below = special.ndtr(z)  # mass left of each edge
    above = special.ndtr(-z)  # mass right of each edge
    # bin c lies between edges c - 1 and c; measure it on the side away from the mean
    left_of_mean = z[..., 1:] <= -z[..., :-1]  # centre left of the mean: za + zb <= 0
    inner = np.where(
        left_of_mean, below[..., 1:] - below[..., :-1], above[..., :-1] - above[..., 1:]
    )
    mass = np.concatenate([below[..., :1], inner, above[..., -1:]], axis=-1)  # (n, K, C)
    proba = np.einsum("nk,nkc->nc", weights, mass)
    with np.errstate(divide="ignore"):
        log_proba = np.log(proba)
    return log_proba - np.log(proba.sum(axis=1, keepdims=True))


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
