"""Split-conformal prediction sets: ``calibrate`` and ``predict_set`` for skmnist's networks.

A prediction set is the set of classes a classifier cannot rule out at a chosen error rate
``alpha``.  Split conformal prediction (Vovk et al. 2005; Angelopoulos & Bates 2021) turns any
classifier's probabilities into sets with a finite-sample guarantee: given ``n`` labelled
*calibration* rows that the network did not train on and a test row exchangeable with them,
``P(y in set) >= 1 - alpha``.  It scores how poorly each calibration row's probabilities fit
its true label (the *conformity score*, higher is worse), takes the score at index
``k = ceil((n + 1) * (1 - alpha))`` of the ``n`` sorted scores as the threshold ``q``, and
puts in a test row's set every class whose score is at most ``q``.  When ``k > n`` (too few
calibration rows for so small an ``alpha``) ``q`` is infinite and the set holds every class.

The scores (``method``):

``"lac"``
    ``1 - p_y`` (least ambiguous set-valued classifier, Sadinle et al. 2019): the smallest
    sets on average; a set may be empty (no class is likely enough).
``"aps"``
    adaptive prediction sets (Romano et al. 2020): the probability mass of the classes ranked
    above the label, plus the label's own.  A set is the top-ranked classes whose mass before
    them is at most ``q``, so it grows with the network's hesitation and is never empty.
``"raps"``
    regularized APS (Angelopoulos et al. 2021): APS plus ``penalty * max(0, rank - k_reg)``,
    which keeps far-down classes out of the sets of a confident network.

For APS and RAPS a calibration row's score counts its label's own probability a uniform share
``u`` (the papers' randomized score; the draws are made once, with a fixed seed, when the
calibration is made, so the threshold is the same at every call).  A set then, by default,
takes every class whose mass ranked *above* it is at most ``q`` (so the class at which the
mass crosses ``q`` is included: MAPIE's ``include_last_label=True``): a superset of the
randomized set, so coverage is at least ``1 - alpha``, sets are reproducible image by image
and never empty.  ``randomized=True`` draws ``u`` for each row to predict too (the papers'
randomized sets): coverage close to exactly ``1 - alpha`` and smaller sets, but a row's set
depends on the draw and may be empty.

With ``class_conditional=True`` (Mondrian conformal prediction, Vovk et al. 2003) each class
``c`` has its own threshold, from the calibration rows of class ``c`` only: then
``P(y in set | y = c) >= 1 - alpha`` for every class, not only on average over the classes.

The calibration keeps the calibration rows' class log-probabilities and labels (plain NumPy
arrays in a dict, saved with the estimator; no TensorFlow, nothing for skops to trust), so
``alpha``, ``method`` and ``class_conditional`` are all chosen at prediction time.
"""

import math
import warnings
from numbers import Real

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._checks import is_int
from ._fit_steps import FitStep
from ._predictor import LOG_PROBA
from .heads import LOG_PROBA_FLOOR

__all__ = ["METHODS", "Conformal", "ConformalMixin", "conformity_scores", "conformal_quantile",
           "set_mask"]

#: The conformity scores ``predict_set`` offers.
METHODS = ("lac", "aps", "raps")

# Seed of the calibration rows' uniform draws (APS, RAPS).
_U_SEED = 0
# (n + 1) * (1 - alpha) computed in floating point can land a hair above a whole number
# (101 * 0.99 = 99.99000000000001): that must not add a rank.
_RANK_TOL = 1e-9


def check_alpha(alpha):
    """``alpha`` as a float in (0, 1), or a clear error."""
    if isinstance(alpha, bool) or not isinstance(alpha, Real):
        raise TypeError(f"alpha must be a float in (0, 1), got {type(alpha).__name__}.")
    if not 0 < alpha < 1:  # NaN fails too
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
    return float(alpha)


def _check_method(method, penalty, k_reg):
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}.")
    if isinstance(penalty, bool) or not isinstance(penalty, Real) or not penalty >= 0:
        raise ValueError(f"penalty must be a non-negative number, got {penalty!r}.")
    if not is_int(k_reg, 0):
        raise ValueError(f"k_reg must be a non-negative int, got {k_reg!r}.")


def conformity_scores(log_proba, method="lac", *, penalty=0.01, k_reg=1, u=None):
    """Conformity score of every class of every row (higher: the class fits worse).

    Parameters
    ----------
    log_proba : array-like of shape (n_samples, n_classes)
        Class log-probabilities (``predict_log_proba``).
    method : {"lac", "aps", "raps"}, default="lac"
        The score (see the module's description).
    penalty, k_reg : float, int
        RAPS's ``lambda`` and ``k_reg`` (used by ``"raps"`` only).
    u : ndarray of shape (n_samples,), default=None
        APS and RAPS: the share (in [0, 1], one per row) of the class's own probability
        counted with the mass ranked above it.  None counts none of it: the score a
        deterministic set compares with the threshold (the class at which the mass crosses
        it is included); never more than the score with any ``u``, so the guarantee holds.

    Returns
    -------
    scores : ndarray of shape (n_samples, n_classes), float64
        For ``"lac"``, ``1 - p``.  For APS and RAPS, the mass is stored minus the row's
        total (``-`` the mass ranked below): the mass near 1 of a confident row keeps its
        float64 precision (``1 - 1e-18`` would round to 1 and tie every confident row).
    """
    log_proba = np.asarray(log_proba, dtype=np.float64)
    if method == "lac":
        return -np.expm1(log_proba)  # 1 - p, precise for p near 1
    proba = np.exp(log_proba)
    order = np.argsort(-proba, axis=1, kind="stable")
    ranked = np.take_along_axis(proba, order, axis=1)
    # mass from each rank down to the last, summed from the smallest (exact for tiny ones)
    ranked_scores = -np.cumsum(ranked[:, ::-1], axis=1)[:, ::-1]
    if u is not None:
        ranked_scores += np.asarray(u, np.float64)[:, None] * ranked
    if method == "raps":
        rank = np.arange(1, proba.shape[1] + 1)
        ranked_scores += penalty * np.maximum(rank - k_reg, 0)
    scores = np.empty_like(ranked_scores)
    np.put_along_axis(scores, order, ranked_scores, axis=1)
    return scores


def conformal_quantile(scores, alpha):
    """The split-conformal threshold of calibration ``scores`` at level ``1 - alpha``.

    The ``k``-th smallest of the ``n`` scores, ``k = ceil((n + 1) * (1 - alpha))``; ``inf``
    when ``k > n`` (every class then enters the set).

    Parameters
    ----------
    scores : array-like of shape (n,)
        Calibration scores (sorted or not).
    alpha : float in (0, 1)
        Error rate.

    Returns
    -------
    q : float

    Examples
    --------
    >>> from skmnist._conformal import conformal_quantile
    >>> conformal_quantile([0.3, 0.1, 0.2, 0.4], alpha=0.4)  # k = ceil(5 * 0.6) = 3
    0.3
    >>> conformal_quantile([0.3, 0.1, 0.2, 0.4], alpha=0.1)  # k = ceil(4.5) = 5 > 4
    inf
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    n = scores.size
    k = math.ceil((n + 1) * (1 - alpha) - _RANK_TOL)
    if k > n:
        return math.inf
    return float(np.partition(scores, k - 1)[k - 1])


def set_mask(calibration, log_proba, alpha, method="lac", *, class_conditional=False,
             penalty=0.01, k_reg=1, randomized=False, random_state=None):
    """Boolean (n_samples, n_classes) prediction sets of rows' ``log_proba``.

    ``calibration`` is a dict with ``log_proba`` and ``y`` (encoded labels) of the
    calibration rows; see :meth:`ConformalMixin.predict_set` for the rest.
    """
    alpha = check_alpha(alpha)
    _check_method(method, penalty, k_reg)
    for name, value in (("class_conditional", class_conditional), ("randomized", randomized)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {type(value).__name__}.")
    if randomized and method == "lac":
        raise ValueError("randomized=True applies to method='aps' and 'raps', not 'lac'.")
    kwargs = {"method": method, "penalty": penalty, "k_reg": k_reg}
    test_u = None
    if randomized:
        test_u = check_random_state(random_state).uniform(size=len(log_proba))
    cal_scores = conformity_scores(calibration["log_proba"], u=calibration["u"], **kwargs)
    y = calibration["y"]
    cal_scores = cal_scores[np.arange(len(y)), y]  # each row's score of its true label
    n_classes = np.shape(log_proba)[1]
    if class_conditional:
        q = np.array([conformal_quantile(cal_scores[y == c], alpha) for c in range(n_classes)])
    else:
        q = np.full(n_classes, conformal_quantile(cal_scores, alpha))
    return conformity_scores(log_proba, u=test_u, **kwargs) <= q


def _encode_labels(y, classes):
    """Labels as indices into ``classes`` (sorted, as a fitted classifier's ``classes_``);
    a clear error for labels it does not hold."""
    y = column_or_1d(y, warn=True)
    unseen = np.setdiff1d(np.unique(y), classes)
    if unseen.size:
        raise ValueError(
            f"y contains labels {unseen.tolist()[:10]} not seen in classes_ "
            f"{classes.tolist()}."
        )
    return np.searchsorted(classes, y).astype(np.intp)


def _calibration(log_proba, y):
    """The calibration state: plain arrays, saved with the estimator."""
    y = np.asarray(y, np.intp)
    return {
        "log_proba": np.asarray(log_proba, dtype=np.float32),
        "y": y,
        # APS/RAPS's share of the label's own mass, drawn once: the threshold, and so every
        # set, is the same at every call
        "u": np.random.RandomState(_U_SEED).uniform(size=len(y)),
    }


class ConformalMixin:
    """Split-conformal prediction sets for a fitted classifier with ``predict_log_proba``.

    Gives :meth:`calibrate` and :meth:`predict_set`; the calibration is plain NumPy state,
    saved with the estimator.  A fit that holds out validation rows (``early_stopping=True``)
    calibrates on them; any other fit or ``partial_fit`` drops the calibration, which
    described the network before it.
    """

    def calibrate(self, X, y):
        """Calibrate the prediction sets on labelled rows the network did not train on.

        Split conformal prediction needs calibration rows that are exchangeable with the
        rows to predict (e.g. drawn at random from the same source) and unseen in training:
        hold them out before ``fit`` (a few thousand rows give sets whose coverage is within
        about a percentage point of the target).  A fit with ``early_stopping=True``
        calibrates on its validation rows by itself (they chose the epoch whose weights
        are kept, a slight use of them: the guarantee is then approximate); ``calibrate``
        replaces that calibration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Calibration rows, as for ``predict``.
        y : array-like of shape (n_samples,)
            Their labels, from ``classes_``.

        Returns
        -------
        self : object
            The estimator, calibrated.
        """
        check_is_fitted(self)
        log_proba = self.predict_log_proba(X)
        y = _encode_labels(y, self.classes_)
        if len(y) != len(log_proba):
            raise ValueError(
                f"X and y have different numbers of samples: {len(log_proba)} and {len(y)}."
            )
        self._conformal = _calibration(log_proba, y)
        return self

    def predict_set(self, X, alpha=0.05, *, method="lac", class_conditional=False,
                    penalty=0.01, k_reg=1, randomized=False, random_state=None):
        """Return the set of classes that cannot be ruled out at error rate ``alpha``.

        Split conformal prediction: for a row exchangeable with the calibration rows (see
        :meth:`calibrate`), its true class is in its set with probability at least
        ``1 - alpha`` (over the draw of the calibration rows and the row).  With ``n``
        calibration rows the threshold is the ``ceil((n + 1) * (1 - alpha))``-th smallest
        calibration score, so coverage is at most ``1 - alpha + 1 / (n + 1)`` for
        ``"lac"`` (scores without ties); when that index exceeds ``n`` (``alpha < 1 / (n +
        1)``) every set holds every class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        alpha : float in (0, 1), default=0.05
            Error rate: the sets miss the true class of at most this share of rows.
        method : {"lac", "aps", "raps"}, default="lac"
            The conformity score: ``"lac"`` (``1 - p`` of the class: the smallest sets on
            average, possibly empty), ``"aps"`` (adaptive: the probability mass ranked
            above the class; never empty) or ``"raps"`` (APS with a penalty for classes
            ranked below ``k_reg``).
        class_conditional : bool, default=False
            A threshold per class (Mondrian conformal prediction): coverage of at least
            ``1 - alpha`` for each class, not only on average; needs calibration rows of
            every class (with fewer than ``1 / alpha - 1`` rows a class is in every set).
        penalty : float, default=0.01
            RAPS's ``lambda``: added to a class's score per rank it lies below ``k_reg``
            (``"raps"`` only).
        k_reg : int, default=1
            RAPS's ``k_reg``: the penalty applies to the classes ranked below the first
            ``k_reg``.
        randomized : bool, default=False
            APS and RAPS only: count each class's own probability a random share ``u``
            (uniform, one draw per row), as in Romano et al. and Angelopoulos et al.:
            coverage close to exactly ``1 - alpha`` and smaller sets, but a row's set
            depends on the draw (and may be empty).  Without it a set holds every class
            whose probability mass ranked above it is at most the threshold: reproducible,
            never empty, covering at least ``1 - alpha``.
        random_state : int, RandomState instance or None, default=None
            The draws of ``randomized``; an int gives the same sets at every call.

        Returns
        -------
        y_set : ndarray of shape (n_samples, n_classes), bool
            ``y_set[i, j]`` is True when ``classes_[j]`` is in row ``i``'s set.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            When the estimator is not calibrated (fit it with ``early_stopping=True``, or
            call :meth:`calibrate`).

        Examples
        --------
        >>> from skmnist import FCNClassifier, PixelScaler, load_mnist_sample
        >>> X, y = load_mnist_sample(return_X_y=True)
        >>> X = PixelScaler().fit_transform(X)
        >>> clf = FCNClassifier((32,), epochs=2, random_state=0).fit(X[:2000], y[:2000])
        >>> clf = clf.calibrate(X[2000:4000], y[2000:4000])  # rows it did not train on
        >>> y_set = clf.predict_set(X[4000:], alpha=0.1)
        >>> y_set.shape, y_set.dtype
        ((1000, 10), dtype('bool'))
        >>> covered = y_set[range(1000), y[4000:]].mean()  # about 0.9 (0.87 to 0.93)
        >>> bool(0.87 < covered < 0.93)
        True
        """
        check_is_fitted(self)
        calibration = self.__dict__.get("_conformal")
        if calibration is None:
            raise NotFittedError(
                f"This {type(self).__name__} is not calibrated for prediction sets. Call "
                "calibrate(X_cal, y_cal) with labelled rows it did not train on, or fit it "
                "with early_stopping=True (its validation rows calibrate it)."
            )
        return set_mask(calibration, self.predict_log_proba(X), alpha, method,
                        class_conditional=class_conditional, penalty=penalty, k_reg=k_reg,
                        randomized=randomized, random_state=random_state)

    def _calibrate_after_fit(self, validation, *, fresh, sample_weight, predictor=None):
        """Calibrate on a fit's validation rows, or drop the calibration.

        Only for a fresh network (not a warm start or a later ``partial_fit``, which may
        have trained on these rows before) and only when no row was repeated for an integer
        sample weight (its copies may sit on both sides of the split).  The outlier-exposure
        rows (label ``n_classes``) are not digits and calibrate nothing.
        """
        self._conformal = None
        repeated = sample_weight is not None and bool(
            np.any((sample_weight >= 2) & (sample_weight == np.round(sample_weight)))
        )
        if validation is None or not fresh or repeated:
            return
        X_val, y_val = validation[0], np.asarray(validation[1])
        digits = y_val < len(self.classes_)
        if not digits.any():
            return
        if predictor is not None:  # the fit's own (see FitInfo.predictor)
            log_proba = np.maximum(  # as predict_log_proba floors them
                predictor.run(X_val[digits], (LOG_PROBA,))[LOG_PROBA], LOG_PROBA_FLOOR
            )
        else:
            with warnings.catch_warnings():
                # the validated rows of a fit on a DataFrame come as an array: not the
                # user's doing, nothing to warn about
                warnings.filterwarnings("ignore", message="X does not have valid feature names")
                log_proba = self.predict_log_proba(X_val[digits])
        self._conformal = _calibration(log_proba, y_val[digits])


class Conformal(FitStep):
    """Conformal calibration as a fit step: calibrated on a fresh fit's early-stopping
    hold-out (see ``ConformalMixin._calibrate_after_fit``); fitted state ``_conformal``."""

    state = ("_conformal",)

    def after_fit(self, info):
        self.estimator._calibrate_after_fit(
            info.validation, fresh=info.fresh, sample_weight=info.sample_weight,
            predictor=info.predictor,
        )
