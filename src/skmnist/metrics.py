"""Classification summary and uncertainty-quality metrics for probabilistic classifiers.

The functions follow :mod:`sklearn.metrics`: ``f(y_true, y_prob, ...)`` returning a plain
``float`` (or NumPy arrays for curves), with validated inputs. ``y_prob`` is what a classifier's
``predict_proba`` returns: an array of shape ``(n_samples, n_classes)`` whose columns follow
``labels``.

Which labels the columns of ``y_prob`` stand for
-------------------------------------------------
- ``labels`` given: column ``j`` is the probability of ``labels[j]``, in the order given (pass an
  estimator's ``classes_``). Unlike :func:`sklearn.metrics.log_loss`, which assumes the columns
  are in sorted order and warns when ``labels`` is not, the order given is respected. ``labels``
  must be unique and have exactly ``n_classes`` entries, and every value of ``y_true`` must be
  one of them.
- ``labels=None``: if ``y_true`` holds exactly ``n_classes`` distinct values, the columns are
  those values in sorted order (the rule of :func:`sklearn.metrics.log_loss`). Otherwise, if
  ``y_true`` holds integers in ``[0, n_classes)``, the labels are ``np.arange(n_classes)`` (an
  MNIST batch that happens to lack a digit still scores against 10 columns). Otherwise a
  ``ValueError`` asks for ``labels``.

Validation: ``y_true`` must be 1-D and non-empty, with labels of one type and no NaN; ``y_prob``
must be 2-D with at least two columns, finite, in ``[0, 1]``, with rows summing to 1 within
``max(1e-5, sqrt(eps))`` (``eps`` the machine epsilon of ``y_prob``'s float dtype, so 1e-5 for
float64 and about 3.5e-4 for float32); both must have the same number of samples.

Nothing here imports TensorFlow: the module needs only NumPy and scikit-learn.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array

__all__ = [
    "accuracy_at_coverage",
    "area_under_risk_coverage",
    "brier_score",
    "calibration_bins",
    "classification_summary",
    "expected_calibration_error",
    "negative_log_likelihood",
    "mean_set_size",
    "risk_coverage_curve",
    "set_coverage_score",
]

# Absolute tolerance on the row sums of y_prob, at least this (float64) or sqrt(eps) of the dtype.
_MIN_SUM_TOL = 1e-5


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _preview(values, limit=10):
    """Up to ``limit`` values as a plain Python list (for error messages)."""
    values = np.asarray(values)
    shown = values[:limit].tolist()
    return f"{shown}{' ...' if values.size > limit else ''}"


def _check_label_vector(y, name):
    """``y`` as a 1-D, non-empty ndarray of class labels of a single type."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of class labels of shape (n_samples,), "
            f"got an array of shape {y.shape}."
        )
    if y.shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one sample is required.")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError(f"Input {name} contains NaN or infinity.")
    mixed = y.dtype == object and len({isinstance(v, str) for v in y.tolist()}) > 1
    try:
        kind = type_of_target(y, input_name=name)
    except TypeError:
        mixed = True
    if mixed:
        raise TypeError(
            f"{name} must hold labels of a single type (all numbers or all strings), "
            f"got {_preview(y, 5)}."
        )
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"{name} must hold class labels (integers or strings), but its values are of type "
            f"{kind!r} (e.g. {_preview(y, 5)})."
        )
    return y


def _check_labels_arg(labels):
    """``labels`` as a 1-D, non-empty ndarray of unique, mutually comparable labels."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be a 1-D array-like, got an array of shape {labels.shape}.")
    if labels.size == 0:
        raise ValueError("labels is empty: pass the class labels in y_prob's column order.")
    try:
        unique, counts = np.unique(labels, return_counts=True)
    except TypeError:
        raise TypeError(
            "labels must hold labels of a single type (all numbers or all strings), "
            f"got {_preview(labels)}."
        ) from None
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        raise ValueError("labels contains NaN or infinity.")
    if unique.size != labels.size:
        raise ValueError(f"labels must be unique; repeated: {_preview(unique[counts > 1])}.")
    return labels


def _check_in_labels(y, labels, name):
    """Raise when ``y`` has values outside ``labels``."""
    outside = ~np.isin(y, labels)
    if np.any(outside):
        raise ValueError(
            f"{name} contains labels not in labels={_preview(labels)}: "
            f"{_preview(np.unique(y[outside]))}."
        )


def _encode(y, labels):
    """Column index in ``labels`` of each value of ``y`` (all known to be in ``labels``)."""
    order = np.argsort(labels, kind="stable")
    return order[np.searchsorted(labels[order], y)]


def _check_y_prob(y_prob):
    """``y_prob`` validated; returns (float64 array, eps of its float dtype)."""
    arr = check_array(
        y_prob,
        ensure_2d=False,
        allow_nd=True,
        dtype=[np.float64, np.float32, np.float16],
        ensure_min_samples=0,
        ensure_min_features=0,
        input_name="y_prob",
    )
    if arr.ndim != 2:
        raise ValueError(
            "y_prob must be a 2-D array of shape (n_samples, n_classes), "
            f"got an array of shape {arr.shape}."
        )
    if arr.shape[1] < 2:
        raise ValueError(
            f"y_prob must have one column per class and at least 2 columns, got shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError("y_prob is empty: at least one sample is required.")
    eps = float(np.finfo(arr.dtype).eps)
    low, high = arr.min(), arr.max()
    if low < 0:
        raise ValueError(f"y_prob contains values lower than 0: {float(low)!r}.")
    if high > 1:
        raise ValueError(f"y_prob contains values greater than 1: {float(high)!r}.")
    arr = arr.astype(np.float64, copy=False)
    tol = max(_MIN_SUM_TOL, math.sqrt(eps))
    sums = arr.sum(axis=1)
    off = np.abs(sums - 1.0) > tol
    if np.any(off):
        first = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"y_prob rows must sum to 1 (within {tol:.2g}), but {int(off.sum())} of "
            f"{arr.shape[0]} rows do not (row {first} sums to {float(sums[first])!r}). "
            "Pass probabilities such as predict_proba's output, not scores or logits."
        )
    return arr, eps


def _resolve_labels(y_true, labels, n_classes):
    """The labels of y_prob's columns (see the module docstring for the rule)."""
    if labels is not None:
        labels = _check_labels_arg(labels)
        if labels.size != n_classes:
            raise ValueError(
                f"labels has {labels.size} entries but y_prob has {n_classes} columns; "
                "labels must name y_prob's columns, in order."
            )
        _check_in_labels(y_true, labels, "y_true")
        return labels
    present = np.unique(y_true)
    if present.size == n_classes:
        return present
    if (
        y_true.dtype.kind in "iuf"
        and np.all(present == np.round(present))
        and present.min() >= 0
        and present.max() < n_classes
    ):
        return np.arange(n_classes)
    raise ValueError(
        f"y_true has {present.size} distinct labels {_preview(present)} but y_prob has "
        f"{n_classes} columns, and the labels are not integers in [0, {n_classes - 1}]. "
        "Pass labels= with the class labels in y_prob's column order (e.g. the estimator's "
        "classes_)."
    )


def _check_targets_prob(y_true, y_prob, labels):
    """Validate the common arguments.

    Returns ``(y_idx, prob, labels, eps)``: the column index of each true label, the
    probabilities as float64, the labels of the columns and the machine epsilon of
    ``y_prob``'s float dtype.
    """
    y_true = _check_label_vector(y_true, "y_true")
    prob, eps = _check_y_prob(y_prob)
    if y_true.shape[0] != prob.shape[0]:
        raise ValueError(
            "y_true and y_prob have different numbers of samples: "
            f"{y_true.shape[0]} and {prob.shape[0]}."
        )
    labels = _resolve_labels(y_true, labels, prob.shape[1])
    return _encode(y_true, labels), prob, labels, eps


def _check_coverage(coverage, name="coverage"):
    """Coverage value(s) as a float64 array of at most one dimension, each in (0, 1]."""
    try:
        cov = np.asarray(coverage, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a float or a sequence of floats, got {coverage!r}."
        ) from None
    if cov.ndim > 1:
        raise ValueError(f"{name} must be a float or a 1-D sequence, got shape {cov.shape}.")
    flat = np.atleast_1d(cov)
    bad = ~((flat > 0) & (flat <= 1))  # also catches NaN
    if np.any(bad):
        raise ValueError(f"{name} values must be in (0, 1], got {_preview(flat[bad])}.")
    return cov


# --------------------------------------------------------------------------------------------
# computations on validated arrays
# --------------------------------------------------------------------------------------------


def _nll(y_idx, prob, eps):
    p_true = prob[np.arange(y_idx.size), y_idx]
    return float(-np.mean(np.log(np.clip(p_true, eps, 1 - eps))))


def _brier(y_idx, prob):
    diff = prob.copy()
    diff[np.arange(y_idx.size), y_idx] -= 1.0
    return float(np.mean(np.sum(diff * diff, axis=1)))


def _confidence_correct(y_idx, prob):
    # np.argmax takes the first of tied columns, as sklearn's predict does.
    return prob.max(axis=1), prob.argmax(axis=1) == y_idx


def _bins(confidence, correct, n_bins):
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # right-closed bins (e_b, e_{b+1}], the first one also holding 0 (Guo et al., 2017)
    index = np.searchsorted(edges[1:-1], confidence, side="left")
    count = np.bincount(index, minlength=n_bins)
    conf_sum = np.bincount(index, weights=confidence, minlength=n_bins)
    acc_sum = np.bincount(index, weights=correct.astype(np.float64), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.where(count > 0, conf_sum / count, np.nan)
        acc = np.where(count > 0, acc_sum / count, np.nan)
    return Bunch(confidence=conf, accuracy=acc, count=count, bin_edges=edges)


def _ece(bins):
    nonempty = bins.count > 0
    weights = bins.count[nonempty] / bins.count.sum()
    return float(np.sum(weights * np.abs(bins.accuracy[nonempty] - bins.confidence[nonempty])))


def _expected_errors(confidence, correct):
    """Confidence sorted descending and the expected number of errors among the k most confident.

    Within a group of tied confidences the errors are spread evenly (the expectation over a
    uniformly random order of the tied samples), so the result does not depend on sample order.
    """
    n = confidence.size
    order = np.argsort(-confidence, kind="stable")
    conf_sorted = confidence[order]
    cum_err = np.concatenate(([0.0], np.cumsum(~correct[order], dtype=np.float64)))
    starts = np.concatenate(([0], np.flatnonzero(np.diff(conf_sorted) != 0) + 1))
    ends = np.concatenate((starts[1:], [n]))
    sizes = ends - starts
    group = np.repeat(np.arange(starts.size), sizes)
    before = cum_err[starts][group]
    in_group = (cum_err[ends] - cum_err[starts])[group]
    k = np.arange(1, n + 1)
    # multiply before dividing: exact at the end of each group and when in_group == size
    errors = before + (k - starts[group]) * in_group / sizes[group]
    return conf_sorted, errors


def _aurc(errors):
    """Mean selective risk over k = 1..n, from the expected errors of the k most confident."""
    return float(np.mean(errors / np.arange(1, errors.size + 1)))


def _accuracy_at(errors, coverage):
    n = errors.size
    # ceil(coverage * n), rounded first so that e.g. 0.07 * 100 = 7.000000000000001 gives 7
    k = np.maximum(np.ceil(np.round(coverage * n, 9)).astype(np.int64), 1)
    return (k - errors[k - 1]) / k


def _coverage_key(coverage):
    return f"accuracy_at_{float(coverage) * 100:g}"


# --------------------------------------------------------------------------------------------
# public metrics
# --------------------------------------------------------------------------------------------


@validate_params(
    {"y_true": ["array-like"], "y_prob": ["array-like"], "labels": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def negative_log_likelihood(y_true, y_prob, labels=None):
    """Mean negative log-likelihood of the true labels (log loss, cross-entropy).

    ``-mean_i log p_i(y_i)``, with natural logarithms. The probabilities are clipped to
    ``[eps, 1 - eps]``, ``eps`` being the machine epsilon of ``y_prob``'s float dtype
    (``np.finfo(np.float64).eps`` ~ 2.2e-16 for float64, ~ 1.2e-7 for float32), so a confident
    mistake costs about 36.04 (float64) instead of infinity. This is the same number as
    :func:`sklearn.metrics.log_loss` (which clips the same way) whenever the columns of
    ``y_prob`` are in sorted label order.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.

    y_prob : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as returned by a classifier's ``predict_proba``.

    labels : array-like of shape (n_classes,), default=None
        The class labels of ``y_prob``'s columns, in order. If None, the sorted distinct
        values of ``y_true`` when there are ``n_classes`` of them, else
        ``np.arange(n_classes)`` when ``y_true`` holds integers in that range.

    Returns
    -------
    nll : float
        Mean negative log-likelihood, in ``[0, -log(eps)]``; lower is better.

    See Also
    --------
    sklearn.metrics.log_loss : The same loss, with sample weights.

    Examples
    --------
    >>> from skmnist.metrics import negative_log_likelihood
    >>> round(negative_log_likelihood([0, 1], [[0.5, 0.5], [0.5, 0.5]]), 6)  # log(2)
    0.693147
    >>> negative_log_likelihood([0, 1], [[1.0, 0.0], [0.0, 1.0]]) < 1e-12
    True
    """
    y_idx, prob, _, eps = _check_targets_prob(y_true, y_prob, labels)
    return _nll(y_idx, prob, eps)


@validate_params(
    {"y_true": ["array-like"], "y_prob": ["array-like"], "labels": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def brier_score(y_true, y_prob, labels=None):
    """Multiclass Brier score: mean squared distance to the one-hot true label.

    ``mean_i sum_k (p_ik - 1[y_i = k])^2``. This is Brier's original multiclass definition
    (Brier, 1950), which ranges over ``[0, 2]``: 0 for confident correct predictions, 2 for
    confident wrong ones. It is twice :func:`sklearn.metrics.brier_score_loss` for binary
    problems, which scores the positive class only. Probabilities are not clipped.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.

    y_prob : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as returned by a classifier's ``predict_proba``.

    labels : array-like of shape (n_classes,), default=None
        The class labels of ``y_prob``'s columns, in order (see
        :func:`negative_log_likelihood` for the default).

    Returns
    -------
    score : float
        The Brier score, in ``[0, 2]``; lower is better.

    Examples
    --------
    >>> from skmnist.metrics import brier_score
    >>> brier_score([0, 1], [[1.0, 0.0], [0.5, 0.5]])  # (0 + (0.25 + 0.25)) / 2
    0.25
    """
    y_idx, prob, _, _ = _check_targets_prob(y_true, y_prob, labels)
    return _brier(y_idx, prob)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "labels": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def calibration_bins(y_true, y_prob, n_bins=15, labels=None):
    """Per-bin confidence, accuracy and count of the top-label predictions.

    The data of a reliability diagram. Each sample's confidence is its largest predicted
    probability and it counts as correct when that column (the first one, on ties) is its
    true label. Confidences are grouped into `n_bins` equal-width bins over ``[0, 1]``, closed
    on the right as in Guo et al. (2017): ``[0, 1/n_bins], (1/n_bins, 2/n_bins], ...,
    ((n_bins - 1)/n_bins, 1]``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.

    y_prob : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as returned by a classifier's ``predict_proba``.

    n_bins : int, default=15
        Number of equal-width confidence bins.

    labels : array-like of shape (n_classes,), default=None
        The class labels of ``y_prob``'s columns, in order (see
        :func:`negative_log_likelihood` for the default).

    Returns
    -------
    bins : :class:`~sklearn.utils.Bunch`
        With the arrays

        - ``confidence``, shape (n_bins,): mean confidence of the samples in each bin, NaN for
          an empty bin;
        - ``accuracy``, shape (n_bins,): fraction of correct predictions in each bin, NaN for
          an empty bin;
        - ``count``, shape (n_bins,): number of samples in each bin (int);
        - ``bin_edges``, shape (n_bins + 1,): ``np.linspace(0, 1, n_bins + 1)``.

    See Also
    --------
    expected_calibration_error : The count-weighted mean gap between the two.
    sklearn.calibration.calibration_curve : The binary (positive-class) counterpart.

    Examples
    --------
    >>> from skmnist.metrics import calibration_bins
    >>> bins = calibration_bins([0, 1, 1], [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], n_bins=2)
    >>> bins.count.tolist(), bins.accuracy.tolist()
    ([0, 3], [nan, 0.6666666666666666])
    >>> bins.confidence.round(2).tolist()
    [nan, 0.8]
    """
    y_idx, prob, _, _ = _check_targets_prob(y_true, y_prob, labels)
    return _bins(*_confidence_correct(y_idx, prob), n_bins)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "labels": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def expected_calibration_error(y_true, y_prob, n_bins=15, labels=None):
    """Top-label expected calibration error (ECE) with equal-width bins.

    ``sum_b (n_b / n) |acc_b - conf_b|`` over the non-empty bins of :func:`calibration_bins`:
    the gap between how often the predicted class is right and how confident the classifier
    is, weighted by how many samples fall in each confidence bin (Naeini et al., 2015; Guo et
    al., 2017).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.

    y_prob : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as returned by a classifier's ``predict_proba``.

    n_bins : int, default=15
        Number of equal-width confidence bins over ``[0, 1]`` (closed on the right).

    labels : array-like of shape (n_classes,), default=None
        The class labels of ``y_prob``'s columns, in order (see
        :func:`negative_log_likelihood` for the default).

    Returns
    -------
    ece : float
        In ``[0, 1]``; 0 is perfectly calibrated, lower is better.

    Examples
    --------
    >>> from skmnist.metrics import expected_calibration_error
    >>> # one bin (0.5, 1]: mean confidence 0.8, accuracy 2/3
    >>> round(expected_calibration_error(
    ...     [0, 1, 1], [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], n_bins=2), 6)
    0.133333
    """
    y_idx, prob, _, _ = _check_targets_prob(y_true, y_prob, labels)
    return _ece(_bins(*_confidence_correct(y_idx, prob), n_bins))


@validate_params(
    {"y_true": ["array-like"], "y_prob": ["array-like"], "labels": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def risk_coverage_curve(y_true, y_prob, labels=None):
    """Selective risk against coverage when keeping the most confident predictions.

    The samples are ranked by confidence (largest predicted probability), highest first. For
    ``k = 1, ..., n`` the coverage is ``k / n`` and the risk is the error rate of the top-label
    prediction among the ``k`` most confident samples.

    Ties: samples with equal confidence cannot be ranked against each other, so inside a group
    of tied confidences the risk is the expectation over a uniformly random order of that
    group, i.e. the group's errors are spread evenly over its positions. The curve is thus
    deterministic and does not depend on the order of the samples; at the end of each tie
    group, and everywhere when there are no ties, it is the exact error rate.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.

    y_prob : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as returned by a classifier's ``predict_proba``.

    labels : array-like of shape (n_classes,), default=None
        The class labels of ``y_prob``'s columns, in order (see
        :func:`negative_log_likelihood` for the default).

    Returns
    -------
    coverage : ndarray of shape (n_samples,)
        ``k / n`` for ``k = 1, ..., n`` (increasing).

    risk : ndarray of shape (n_samples,)
        Error rate among the ``k`` most confident samples.

    thresholds : ndarray of shape (n_samples,)
        The confidence of the ``k``-th most confident sample (non-increasing): keeping the
        samples whose confidence is at least ``thresholds[k - 1]`` covers at least ``k``.

    See Also
    --------
    area_under_risk_coverage : The mean of `risk` (AURC).
    accuracy_at_coverage : ``1 - risk`` at chosen coverages.

    Examples
    --------
    >>> from skmnist.metrics import risk_coverage_curve
    >>> coverage, risk, thresholds = risk_coverage_curve(
    ...     [0, 1, 1], [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]])
    >>> coverage.round(3).tolist(), risk.round(3).tolist(), thresholds.tolist()
    ([0.333, 0.667, 1.0], [0.0, 0.5, 0.333], [0.9, 0.8, 0.7])
    """
    y_idx, prob, _, _ = _check_targets_prob(y_true, y_prob, labels)
    thresholds, errors = _expected_errors(*_confidence_correct(y_idx, prob))
    k = np.arange(1, errors.size + 1)
    return k / errors.size, errors / k, thresholds


@validate_params(
    {"y_true": ["array-like"], "y_prob": ["array-like"], "labels": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def area_under_risk_coverage(y_true, y_prob, labels=None):
    """Area under the risk-coverage curve (AURC).

    The mean of the risk of :func:`risk_coverage_curve` over ``k = 1, ..., n`` (Geifman et al.,
    2019). It is 0 when every prediction is right, the error rate when all confidences are
    equal (nothing to rank by), and lower the better the confidence separates right from wrong
    predictions. Ties are handled as in :func:`risk_coverage_curve`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.

    y_prob : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as returned by a classifier's ``predict_proba``.

    labels : array-like of shape (n_classes,), default=None
        The class labels of ``y_prob``'s columns, in order (see
        :func:`negative_log_likelihood` for the default).

    Returns
    -------
    aurc : float
        In ``[0, 1]``; lower is better.

    Examples
    --------
    >>> from skmnist.metrics import area_under_risk_coverage
    >>> round(area_under_risk_coverage(
    ...     [0, 1, 1], [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]]), 6)  # (0 + 1/2 + 1/3) / 3
    0.277778
    """
    y_idx, prob, _, _ = _check_targets_prob(y_true, y_prob, labels)
    _, errors = _expected_errors(*_confidence_correct(y_idx, prob))
    return _aurc(errors)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "coverage": [Interval(Real, 0, 1, closed="right"), "array-like"],
        "labels": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def accuracy_at_coverage(y_true, y_prob, coverage, labels=None):
    """Accuracy on the most confident fraction `coverage` of the samples.

    The accuracy of the top-label predictions on the ``ceil(coverage * n)`` samples with the
    highest confidence (at least one sample), i.e. ``1 - risk`` of
    :func:`risk_coverage_curve` at that ``k``, with the same handling of ties (the expected
    accuracy over a random order of tied samples). The product ``coverage * n`` is rounded to
    9 decimals before the ceiling, so float noise (``0.07 * 100 = 7.000000000000001``) does
    not add a sample. ``coverage=1`` gives the plain accuracy.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.

    y_prob : array-like of shape (n_samples, n_classes)
        Predicted probabilities, as returned by a classifier's ``predict_proba``.

    coverage : float or array-like of shape (n_coverages,)
        Fraction(s) of the samples to keep, each in ``(0, 1]``.

    labels : array-like of shape (n_classes,), default=None
        The class labels of ``y_prob``'s columns, in order (see
        :func:`negative_log_likelihood` for the default).

    Returns
    -------
    accuracy : float or ndarray of shape (n_coverages,)
        A float for a scalar `coverage`, else an array with one accuracy per coverage.

    Examples
    --------
    >>> from skmnist.metrics import accuracy_at_coverage
    >>> y_prob = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]
    >>> accuracy_at_coverage([0, 0, 1, 0], y_prob, 0.5)
    1.0
    >>> accuracy_at_coverage([0, 0, 1, 0], y_prob, [0.5, 0.75, 1.0]).tolist()
    [1.0, 1.0, 0.75]
    """
    cov = _check_coverage(coverage)
    y_idx, prob, _, _ = _check_targets_prob(y_true, y_prob, labels)
    _, errors = _expected_errors(*_confidence_correct(y_idx, prob))
    acc = _accuracy_at(errors, cov)
    return float(acc) if acc.ndim == 0 else acc


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like", None],
        "y_prob": ["array-like", None],
        "labels": ["array-like", None],
        "coverages": ["array-like"],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def classification_summary(
    y_true, y_pred=None, y_prob=None, labels=None, coverages=(0.9, 0.95, 0.99), n_bins=15
):
    """The headline numbers of a classifier on one dataset, as a dict of floats.

    Always: ``accuracy``, ``precision_macro``, ``recall_macro`` and ``f1_macro``
    (:mod:`sklearn.metrics`, ``zero_division=0``; the macro averages run over the labels that
    occur in `y_true` or `y_pred`, sklearn's default). With `y_prob` also: ``nll``
    (:func:`negative_log_likelihood`), ``brier`` (:func:`brier_score`), ``ece``
    (:func:`expected_calibration_error`), ``aurc`` (:func:`area_under_risk_coverage`) and one
    ``accuracy_at_<100 * coverage>`` (:func:`accuracy_at_coverage`) per entry of `coverages`,
    e.g. ``accuracy_at_90``, ``accuracy_at_99.5``. Every value is a Python ``float``, so the
    dict is JSON-serialisable.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.

    y_pred : array-like of shape (n_samples,), default=None
        Predicted labels. If None, ``labels[argmax(y_prob, axis=1)]`` (then `y_prob` is
        required).

    y_prob : array-like of shape (n_samples, n_classes), default=None
        Predicted probabilities, as returned by a classifier's ``predict_proba``.

    labels : array-like of shape (n_classes,), default=None
        The class labels of ``y_prob``'s columns, in order (see
        :func:`negative_log_likelihood` for the default). When given, `y_true` and `y_pred`
        must only hold these labels.

    coverages : array-like of float, default=(0.9, 0.95, 0.99)
        Coverages, each in ``(0, 1]``, at which to report :func:`accuracy_at_coverage`.

    n_bins : int, default=15
        Number of confidence bins of the ECE.

    Returns
    -------
    summary : dict of str to float
        The metrics, in the order listed above.

    Examples
    --------
    >>> from skmnist.metrics import classification_summary
    >>> summary = classification_summary(
    ...     [0, 1, 1], y_prob=[[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], coverages=[0.3])
    >>> list(summary)  # doctest: +NORMALIZE_WHITESPACE
    ['accuracy', 'precision_macro', 'recall_macro', 'f1_macro',
     'nll', 'brier', 'ece', 'aurc', 'accuracy_at_30']
    >>> round(summary["accuracy"], 4), summary["accuracy_at_30"]
    (0.6667, 1.0)
    """
    if y_pred is None and y_prob is None:
        raise ValueError("classification_summary needs y_pred, y_prob or both; got neither.")
    cov = np.atleast_1d(_check_coverage(coverages, "coverages"))

    if y_prob is not None:
        y_idx, prob, labels, eps = _check_targets_prob(y_true, y_prob, labels)
        y_true = np.asarray(y_true)
    else:
        y_true = _check_label_vector(y_true, "y_true")
        if labels is not None:
            labels = _check_labels_arg(labels)
            _check_in_labels(y_true, labels, "y_true")

    if y_pred is None:
        y_pred = labels[prob.argmax(axis=1)]
    else:
        y_pred = _check_label_vector(y_pred, "y_pred")
        if y_pred.shape[0] != y_true.shape[0]:
            raise ValueError(
                "y_true and y_pred have different numbers of samples: "
                f"{y_true.shape[0]} and {y_pred.shape[0]}."
            )
        if labels is not None:
            _check_in_labels(y_pred, labels, "y_pred")

    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, average="macro", zero_division=0
    )
    summary = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision_macro": float(precision),
        "recall_macro": float(recall),
        "f1_macro": float(f1),
    }
    if y_prob is not None:
        confidence, correct = _confidence_correct(y_idx, prob)
        _, errors = _expected_errors(confidence, correct)
        summary["nll"] = _nll(y_idx, prob, eps)
        summary["brier"] = _brier(y_idx, prob)
        summary["ece"] = _ece(_bins(confidence, correct, n_bins))
        summary["aurc"] = _aurc(errors)
        for c, acc in zip(cov, _accuracy_at(errors, cov)):
            summary[_coverage_key(c)] = float(acc)
    return summary


# --------------------------------------------------------------------------------------------
# prediction sets
# --------------------------------------------------------------------------------------------


def _check_y_set(y_set):
    """``y_set`` as a 2-D boolean array of shape (n_samples, n_classes)."""
    arr = np.asarray(y_set)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(
            "y_set must be a 2-D boolean array of shape (n_samples, n_classes) with at least "
            f"2 columns (a classifier's predict_set), got an array of shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError("y_set is empty: at least one sample is required.")
    if arr.dtype != bool:
        if arr.dtype.kind not in "iuf" or not np.isin(arr, (0, 1)).all():
            raise ValueError(
                "y_set must be boolean (or 0/1): True where the class is in the set, got "
                f"values {_preview(np.unique(arr), 5)}."
            )
        arr = arr.astype(bool)
    return arr


@validate_params(
    {
        "y_true": ["array-like"],
        "y_set": ["array-like"],
        "labels": ["array-like", None],
        "average": [StrOptions({"micro", "macro"}), None],
    },
    prefer_skip_nested_validation=True,
)
def set_coverage_score(y_true, y_set, *, labels=None, average="micro"):
    """Share of samples whose prediction set holds the true label (coverage).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.

    y_set : array-like of shape (n_samples, n_classes), bool
        Prediction sets, one column per class (a classifier's ``predict_set``).

    labels : array-like of shape (n_classes,), default=None
        The class labels of ``y_set``'s columns, in order (pass the estimator's
        ``classes_``; see :func:`negative_log_likelihood` for the default).

    average : {"micro", "macro"} or None, default="micro"
        ``"micro"``: over all samples; ``"macro"``: the mean of the per-class coverages;
        None: the coverage of each class (NaN for a class absent from ``y_true``), in
        ``labels`` order.

    Returns
    -------
    coverage : float or ndarray of shape (n_classes,)

    Examples
    --------
    >>> from skmnist.metrics import set_coverage_score
    >>> y_set = [[True, False, False], [True, True, False], [False, False, True],
    ...          [False, True, False]]
    >>> set_coverage_score([0, 1, 1, 1], y_set)
    0.75
    >>> set_coverage_score([0, 1, 1, 1], y_set, average=None).tolist()
    [1.0, 0.6666666666666666, nan]
    """
    y_true = _check_label_vector(y_true, "y_true")
    y_set = _check_y_set(y_set)
    if y_true.shape[0] != y_set.shape[0]:
        raise ValueError(
            "y_true and y_set have different numbers of samples: "
            f"{y_true.shape[0]} and {y_set.shape[0]}."
        )
    labels = _resolve_labels(y_true, labels, y_set.shape[1])
    y_idx = _encode(y_true, labels)
    covered = y_set[np.arange(y_idx.size), y_idx]
    if average == "micro":
        return float(covered.mean())
    counts = np.bincount(y_idx, minlength=labels.size)
    hits = np.bincount(y_idx, weights=covered, minlength=labels.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = hits / counts
    if average == "macro":
        return float(np.nanmean(per_class))
    return per_class


@validate_params({"y_set": ["array-like"]}, prefer_skip_nested_validation=True)
def mean_set_size(y_set):
    """Mean number of classes in the prediction sets (their "width").

    Parameters
    ----------
    y_set : array-like of shape (n_samples, n_classes), bool
        Prediction sets (a classifier's ``predict_set``).

    Returns
    -------
    size : float

    Examples
    --------
    >>> from skmnist.metrics import mean_set_size
    >>> mean_set_size([[True, False, False], [True, True, False]])
    1.5
    """
    return float(_check_y_set(y_set).sum(axis=1).mean())
