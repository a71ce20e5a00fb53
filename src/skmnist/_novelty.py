"""Novelty of an input relative to the training data, from a fitted network's hidden features.

A classifier's probabilities say which digit an input most resembles, not whether it is a digit
at all: shown a letter, a photograph or noise, a network trained on MNIST often stays confident.
:class:`NoveltyModel` fits a density of the training data in the feature space of one hidden
layer (the last hidden Dense layer by default) and reads it back as a *calibrated* novelty in
[0, 1].

The score, chosen by measurement (``benchmarks/bench_ood.py``, ``benchmarks/results/ood.json``):

* two class-conditional Gaussian distances on the layer's features ``h``: the Mahalanobis
  distance to the nearest class of ``h / ||h||`` (the *pattern* of active units: where a
  letter or a scribble differs from every digit) and of ``h`` itself (also its magnitude:
  noise, photographs and inverted digits drive the units far harder than any digit). Each
  class has its own mean and covariance, shrunk by the Ledoit-Wolf coefficient, fitted on the
  training rows;
* each distance becomes a tail p-value by its rank among held-out training rows; the smaller
  of the two (the view in which the input is more unusual) is again ranked among the held-out
  rows. Taking the smaller p-value (rather than e.g. Fisher's ``-2 * sum(log p)``) lets an
  input that is extreme in one view alone reach a novelty of 1.

So ``novelty`` is the share of held-out training-distribution samples whose statistic is lower:
about uniform on ordinary digits, and ``novelty > 0.99`` flags about 1% of them.

Only NumPy (and scikit-learn's Ledoit-Wolf coefficient, itself NumPy) is used: fitting and
scoring never import TensorFlow; the fitted state is a handful of plain arrays that pickle with
the estimator.
"""

import warnings
from collections.abc import Mapping
from numbers import Real

import numpy as np
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state

from ._checks import is_int
from ._fit_steps import FitStep
from ._predictor import FEATURES, LOG_PROBA
from ._seeding import NOVELTY_SEED_OFFSET, seed_offset
from .heads import floored_exp

__all__ = ["PROBA", "Novelty", "NoveltyModel", "EntropyNovelty", "entropy"]

# Fewest rows fit() accepts: a few to fit the class statistics, a few to calibrate on.
MIN_ROWS = 10
# Rows scored per block: bounds the (rows, views, classes, units) float32 array scoring builds
# (8192 rows x 400 values for the default 20-unit layer: 13 MB).
_SCORE_BLOCK = 8192
# Eigenvalues of a class covariance are floored at this share of their mean (dead ReLU units
# have zero variance in every class; a zero would make the whitening infinite).
_EIG_FLOOR = 1e-6
_EPS = 1e-12
# The key of the class probabilities in the activations mapping (read by EntropyNovelty).
PROBA = "proba"


def _normalized(H):
    return H / (np.linalg.norm(H, axis=1, keepdims=True) + _EPS)


# The feature maps whose class-conditional distances are combined, in this order.
_VIEWS = (("direction", _normalized), ("raw", lambda H: H))


def _class_gaussians(Z, y, classes):
    """Per-class means and whitening matrices (shrunk covariance), stacked.

    Returns ``shift`` of shape (n_classes, d) and ``whiten`` of shape (d, n_classes * d) such
    that the squared Mahalanobis distance of row ``z`` to class ``c`` is
    ``||(z @ whiten)[c] - shift[c]||^2``.
    """
    d = Z.shape[1]
    pooled = []
    stats = []
    for c in classes:
        Zc = Z[y == c]
        mu = Zc.mean(axis=0)
        pooled.append(Zc - mu)
        stats.append((mu, Zc))
    pooled = np.concatenate(pooled)
    shared = pooled.T @ pooled / max(len(pooled) - 1, 1)
    shift, whiten = [], []
    for mu, Zc in stats:
        if len(Zc) > 2:
            R = Zc - mu
            a = float(ledoit_wolf_shrinkage(R, assume_centered=True))
            cov = R.T @ R / (len(R) - 1)
        else:  # too few rows for a covariance of its own: the classes' shared one
            a, cov = 0.1, shared
        cov = (1 - a) * cov + a * np.trace(cov) / d * np.eye(d)
        w, V = np.linalg.eigh(cov)
        w = np.maximum(w, _EIG_FLOOR * max(w.mean(), _EPS))
        W = V / np.sqrt(w)
        whiten.append(W)
        shift.append(mu @ W)
    return np.stack(shift), np.concatenate(whiten, axis=1)


def _min_distances(H, shift, whiten):
    """Squared Mahalanobis distance of every row to its nearest class, in every view.

    One float32 product serves both views: whitening is linear, so the direction view's
    ``(h / ||h||) @ W`` is ``(h @ W) / ||h||``.

    Returns an array of shape (n_views, n_samples).
    """
    n_views, n_classes, d = shift.shape
    out = np.empty((n_views, len(H)), np.float32)
    for start in range(0, len(H), _SCORE_BLOCK):
        block = H[start:start + _SCORE_BLOCK]
        proj = (block @ whiten).reshape(len(block), n_views, n_classes, d)
        proj[:, 0] /= (np.linalg.norm(block, axis=1) + _EPS)[:, None, None]
        proj -= shift
        out[:, start:start + _SCORE_BLOCK] = np.einsum("nvcd,nvcd->vnc", proj, proj).min(-1)
    return out


class NoveltyModel:
    """Calibrated novelty of inputs from one hidden layer's activations of a fitted network.

    Parameters
    ----------
    layer : str or tuple of str, default="hidden_1"
        Name of the layer whose activations are used (the last hidden Dense layer of the
        trunk, ``hidden_{len(hidden_layer_sizes) - 1}``), or several names, whose activations
        are put side by side (e.g. ``("hidden_0", "hidden_1")``: measured slightly better on
        glyph-like images at about 14 times the scoring cost, see
        ``benchmarks/results/ood.json``).
    calibration_fraction : float, default=0.2
        Share of the rows given to :meth:`fit` held out to calibrate on (never used to fit
        the class statistics), at most ``max_calibration`` rows.
    max_calibration : int, default=5000
        Most rows held out for calibration; 5,000 resolve a 1% tail to about +-0.15%.
    max_fit : int, default=20000
        Most rows the class statistics are fitted on (a random subsample beyond).
    max_features : int, default=64
        A wider layer (e.g. a 400-unit last hidden layer, or convolution features) is first
        projected on its ``max_features`` leading principal directions (uncentered, so that
        the direction view keeps its meaning): the fitted matrices and the scoring cost grow
        with the square of the width.

    Attributes
    ----------
    layers : tuple of str
        The layers :meth:`fit` and :meth:`score` need, ``(layer,)``.
    classes_ : ndarray of shape (n_classes,)
        The labels seen by :meth:`fit`.
    n_features_ : int
        Width of the layer.
    n_calibration_ : int
        Number of held-out rows calibrated on.
    projection_ : ndarray of shape (n_features_, max_features) or None
        The projection of a layer wider than ``max_features``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist._novelty import NoveltyModel
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 2000)
    >>> H = np.abs(rng.normal(size=(2000, 8)) + 3 * np.eye(8)[y])  # ReLU-like features
    >>> model = NoveltyModel(layer="hidden_1").fit({"hidden_1": H}, y, random_state=0)
    >>> model.layers
    ('hidden_1',)
    >>> ordinary = np.abs(rng.normal(size=(5, 8)) + 3 * np.eye(8)[[0, 1, 2, 0, 1]])
    >>> bool(model.score({"hidden_1": ordinary}).max() < 1)
    True
    >>> model.score({"hidden_1": np.full((1, 8), 40.0)})  # nothing like the training data
    array([1.])
    """

    #: Whether :meth:`fit` and :meth:`score` read ``activations["proba"]`` (no: the layers).
    reads_proba = False

    def __init__(self, layer="hidden_1", calibration_fraction=0.2, max_calibration=5000,
                 max_fit=20000, max_features=64):
        self.layer = layer
        self.calibration_fraction = calibration_fraction
        self.max_calibration = max_calibration
        self.max_fit = max_fit
        self.max_features = max_features

    @property
    def layers(self):
        """The layers :meth:`fit` and :meth:`score` read, a tuple of names."""
        return (self.layer,) if isinstance(self.layer, str) else tuple(self.layer)

    @property
    def max_rows(self):
        """Most rows :meth:`fit` uses; a caller may subsample to this many before computing
        activations (the same result in distribution, a cheaper forward pass)."""
        return self.max_calibration + self.max_fit

    # ------------------------------------------------------------------ validation
    def _check_params(self):
        if not (isinstance(self.layer, str) or (
                isinstance(self.layer, tuple) and self.layer
                and all(isinstance(name, str) for name in self.layer))):
            raise TypeError(f"layer must be a str or a non-empty tuple of str, got "
                            f"{self.layer!r}.")
        if not (isinstance(self.calibration_fraction, Real)
                and 0 < self.calibration_fraction < 1):
            raise ValueError("calibration_fraction must be a float in (0, 1), got "
                             f"{self.calibration_fraction!r}.")
        for name in ("max_calibration", "max_fit", "max_features"):
            value = getattr(self, name)
            if not is_int(value, 2):
                raise ValueError(f"{name} must be an int >= 2, got {value!r}.")

    def _features(self, activations, n_features=None):
        if not isinstance(activations, Mapping):
            raise TypeError(
                "activations must be a mapping {layer name: array of shape (n_samples, "
                f"n_units)}}, got {type(activations).__name__}."
            )
        missing = [name for name in self.layers if name not in activations]
        if missing:
            raise ValueError(
                f"activations has no layer {missing[0]!r} (it has {sorted(activations)!r})."
            )
        blocks = []
        for name in self.layers:
            H = np.asarray(activations[name])
            if H.ndim != 2 or not np.issubdtype(H.dtype, np.number) or H.dtype.kind == "c":
                raise ValueError(
                    f"activations[{name!r}] must be a real 2-D array (n_samples, n_units), "
                    f"got shape {H.shape} and dtype {H.dtype}."
                )
            H = H.astype(np.float32, copy=False)
            if not np.isfinite(H).all():
                raise ValueError(f"activations[{name!r}] contains NaN or infinity.")
            blocks.append(H)
        if len({len(H) for H in blocks}) > 1:
            raise ValueError(f"the layers {self.layers} have different numbers of rows: "
                             f"{[len(H) for H in blocks]}.")
        H = blocks[0] if len(blocks) == 1 else np.hstack(blocks)
        if n_features is not None and H.shape[1] != n_features:
            raise ValueError(
                f"activations of {self.layer!r} have {H.shape[1]} units; the model was fitted "
                f"on {n_features}."
            )
        return H

    # ------------------------------------------------------------------ fit / score
    def fit(self, activations, y, *, random_state=None):
        """Fit the class statistics on part of the rows and calibrate on the rest.

        Parameters
        ----------
        activations : mapping of str to ndarray of shape (n_samples, n_units)
            The network's activations of the training rows: ``activations[layer]``.
        y : array-like of shape (n_samples,)
            Their labels (any values; each distinct one is a class).
        random_state : int, RandomState instance or None, default=None
            Seeds the split into fitting and calibration rows (and the subsample).

        Returns
        -------
        self : NoveltyModel
        """
        self._check_params()
        H = self._features(activations)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(H):
            raise ValueError(
                f"y must be 1-D with one label per row of the activations of {self.layer!r} "
                f"({len(H)}), got shape {y.shape}."
            )
        n_cal, order = _calibration_rows(self, len(H), random_state)
        cal, rest = order[:n_cal], order[n_cal:]
        rest = rest[:self.max_fit]

        self.classes_ = np.unique(y[rest])
        self.n_features_ = H.shape[1]
        fit_rows = H[rest].astype(np.float64)
        self.projection_ = None
        if self.n_features_ > self.max_features:
            # leading right singular vectors of the (uncentered) rows
            _, V = np.linalg.eigh(fit_rows.T @ fit_rows)
            self.projection_ = V[:, ::-1][:, :self.max_features].astype(np.float32)
            fit_rows = fit_rows @ self.projection_
        shift, whiten = zip(*(_class_gaussians(view(fit_rows), y[rest], self.classes_)
                              for _, view in _VIEWS))
        # float32 (like the activations): scoring is one product of the two views' whitening
        # matrices side by side, (n_features, n_views * n_classes * n_features)
        self.shift_ = np.stack(shift).astype(np.float32)
        self.whiten_ = np.concatenate(whiten, axis=1).astype(np.float32)

        distances = self._distances(H[cal])
        self.calibration_distances_ = np.sort(distances, axis=1)
        self.calibration_statistic_ = np.sort(self._combine(distances))
        self.n_calibration_ = n_cal
        return self

    def _distances(self, H):
        if self.projection_ is not None:
            H = H @ self.projection_
        return _min_distances(H, self.shift_, self.whiten_)

    def _combine(self, distances):
        # Tail p-value of each view: (1 + held-out rows at least as far) / (n + 1), never 0;
        # the statistic is -log of the smallest.
        n = self.calibration_distances_.shape[1]
        log_p = [
            np.log((1 + n - np.searchsorted(reference, d, side="left")) / (n + 1))
            for reference, d in zip(self.calibration_distances_, distances)
        ]
        return -np.min(log_p, axis=0)

    def _check_fitted(self):
        if not hasattr(self, "calibration_statistic_"):
            raise NotFittedError("This NoveltyModel is not fitted yet; call fit first.")

    def statistic(self, activations):
        """The combined statistic, ``-log`` of the smaller tail p-value (higher is more novel).

        Parameters
        ----------
        activations : mapping of str to ndarray of shape (n_samples, n_units)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        self._check_fitted()
        H = self._features(activations, self.n_features_)
        return self._combine(self._distances(H))

    def score(self, activations):
        """Calibrated novelty: the share of held-out training rows whose statistic is lower.

        Parameters
        ----------
        activations : mapping of str to ndarray of shape (n_samples, n_units)
            The network's activations of the rows to score: ``activations[layer]``.

        Returns
        -------
        ndarray of shape (n_samples,)
            Values in [0, 1]; about uniform on inputs like the training data, near 1 on
            inputs unlike it.
        """
        statistic = self.statistic(activations)  # checks that the model is fitted
        return _calibrated_rank(self.calibration_statistic_, statistic)


def entropy(proba):
    """Entropy (nats) of each row of class probabilities (float64)."""
    # 0 * log(0) is 0: clip at the smallest positive double so no NaN appears
    return -np.sum(proba * np.log(np.clip(proba, np.finfo(np.float64).tiny, None)), axis=1)


def _calibrated_rank(calibration_statistic, statistic):
    """The share of the (sorted) calibration statistics below each of ``statistic``."""
    ranks = np.searchsorted(calibration_statistic, statistic, side="left")
    return ranks / len(calibration_statistic)


def _calibration_rows(model, n_rows, random_state):
    """How many of ``n_rows`` rows ``model`` holds out to calibrate on (its
    ``calibration_fraction``, at most ``max_calibration``), and a permutation of the rows."""
    if n_rows < MIN_ROWS:
        raise ValueError(
            f"{type(model).__name__} needs at least {MIN_ROWS} rows to fit and calibrate, "
            f"got {n_rows}."
        )
    n_cal = int(min(model.max_calibration,
                    max(np.ceil(model.calibration_fraction * n_rows), MIN_ROWS // 2)))
    return n_cal, check_random_state(random_state).permutation(n_rows)


class EntropyNovelty:
    """Calibrated novelty from the entropy of the class probabilities.

    For networks trained with outlier exposure (``outlier_exposure`` on the estimators): they
    were taught to spread their probabilities evenly over the classes on non-digits, so their
    hesitation is the better reading of novelty (measured: ``benchmarks/results/
    outlier_exposure.json``). A network trained on digits alone is often confident on
    non-digits; :class:`NoveltyModel` reads its features instead.

    The entropy of an input's class probabilities is ranked among held-out training rows: the
    same reading as :class:`NoveltyModel`'s (``novelty > 0.99`` flags about 1% of inputs like
    the training data).

    Parameters
    ----------
    calibration_fraction : float, default=0.2
        Share of the rows given to :meth:`fit` used to calibrate on, at most
        ``max_calibration`` rows.
    max_calibration : int, default=5000
        Most rows calibrated on.

    Attributes
    ----------
    layers : tuple
        ``()``: only the class probabilities, ``activations["proba"]``, are read.
    reads_proba : bool
        True: the caller must pass ``activations["proba"]``.
    n_calibration_ : int
        Number of rows calibrated on.
    calibration_statistic_ : ndarray of shape (n_calibration_,)
        Their entropies, sorted.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist._novelty import EntropyNovelty
    >>> rng = np.random.default_rng(0)
    >>> confident = rng.dirichlet(np.full(10, 0.05), size=1000)
    >>> model = EntropyNovelty().fit({"proba": confident}, None, random_state=0)
    >>> model.score({"proba": np.full((1, 10), 0.1)})  # torn between every class
    array([1.])
    """

    layers = ()
    reads_proba = True

    def __init__(self, calibration_fraction=0.2, max_calibration=5000):
        self.calibration_fraction = calibration_fraction
        self.max_calibration = max_calibration

    @property
    def max_rows(self):
        """Most rows :meth:`fit` uses (the rest need not be computed)."""
        return self.max_calibration

    @staticmethod
    def _entropy(activations):
        if not isinstance(activations, Mapping) or PROBA not in activations:
            raise ValueError(
                f"activations must be a mapping holding the class probabilities as "
                f"activations[{PROBA!r}], an array of shape (n_samples, n_classes)."
            )
        P = np.asarray(activations[PROBA], dtype=np.float64)
        if P.ndim != 2 or not np.isfinite(P).all() or (P < 0).any():
            raise ValueError(
                f"activations[{PROBA!r}] must be a 2-D array of finite non-negative "
                f"probabilities, got shape {P.shape}."
            )
        return entropy(P)

    def fit(self, activations, y=None, *, random_state=None):
        """Keep the sorted entropies of (up to ``max_calibration``) rows.

        Parameters
        ----------
        activations : mapping of str to ndarray
            ``activations["proba"]``: the class probabilities of the training rows.
        y : None
            Ignored (the entropy needs no labels).
        random_state : int, RandomState instance or None, default=None
            Seeds the choice of the calibration rows.

        Returns
        -------
        self : EntropyNovelty
        """
        if not (isinstance(self.calibration_fraction, Real)
                and 0 < self.calibration_fraction <= 1):
            raise ValueError("calibration_fraction must be a float in (0, 1], got "
                             f"{self.calibration_fraction!r}.")
        entropy = self._entropy(activations)
        n_cal, order = _calibration_rows(self, len(entropy), random_state)
        self.calibration_statistic_ = np.sort(entropy[order[:n_cal]])
        self.n_calibration_ = n_cal
        return self

    def score(self, activations):
        """Calibrated novelty: the share of calibration rows with a lower entropy.

        Parameters
        ----------
        activations : mapping of str to ndarray
            ``activations["proba"]``: the class probabilities of the rows to score.

        Returns
        -------
        ndarray of shape (n_samples,)
            Values in [0, 1].
        """
        if not hasattr(self, "calibration_statistic_"):
            raise NotFittedError("This EntropyNovelty is not fitted yet; call fit first.")
        return _calibrated_rank(self.calibration_statistic_, self._entropy(activations))


class Novelty(FitStep):
    """Novelty statistics as a fit step: fitted after every fit, read by
    ``predict_uncertainty`` (its ``novelty``).

    Always active.  The statistic follows what the network was trained to do: where a step
    of the fit declares ``teaches_hesitation`` (outlier exposure), the entropy of the class
    probabilities (:class:`EntropyNovelty`, measured the better reading there, see
    ``benchmarks/results/outlier_exposure.json``); otherwise the density of the trunk's
    features, the layer the trunk declares (:class:`NoveltyModel`).  Works on any
    predictor.  Fitted state: ``_novelty`` (the model, or None) and ``_novelty_unavailable``
    (why it is None).
    """

    state = ("_novelty", "_novelty_unavailable")

    def after_fit(self, info):
        """Fit the novelty statistics on the features of this call's rows.

        Refitted after every fit and partial_fit: training moves the features, and
        statistics of an earlier network would no longer describe the current one.
        """
        est = self.estimator
        est._novelty, est._novelty_unavailable = None, None
        if info.interrupted:
            # Ctrl-C asks to stop now: no pass over up to 25,000 rows (seconds for a
            # convolutional network) for statistics of a network trained short of its epochs
            est._novelty_unavailable = (
                "the last fit or partial_fit was interrupted (KeyboardInterrupt); fit again "
                "to compute it"
            )
            return
        X, y = info.X, info.y
        predictor = info.predictor
        if any(step.teaches_hesitation and step.active for step in info.steps):
            novelty = EntropyNovelty()
        elif FEATURES in predictor.outputs:
            novelty = NoveltyModel(layer=est._feature_layer)
        else:
            est._novelty_unavailable = "the network has no hidden layer to read features from"
            return
        if len(X) < MIN_ROWS:
            est._novelty_unavailable = (
                f"the last fit or partial_fit saw {len(X)} samples; novelty needs at least "
                f"{MIN_ROWS}"
            )
            return
        rng = np.random.RandomState(seed_offset(info.seed, NOVELTY_SEED_OFFSET))
        rows = np.arange(len(X))
        if len(X) > novelty.max_rows:  # the model uses no more: a cheaper forward pass
            rows = np.sort(rng.choice(len(X), novelty.max_rows, replace=False))
        est._novelty = novelty.fit(self._activations(novelty, X[rows], predictor), y[rows],
                                   random_state=rng)

    @staticmethod
    def _activations(novelty, X, predictor):
        """What ``novelty`` reads of rows X, from ``predictor``."""
        if novelty.reads_proba:
            log_proba = predictor.run(X, (LOG_PROBA,))[LOG_PROBA]
            return {PROBA: floored_exp(log_proba, np.float64)}
        features = predictor.run(X, (FEATURES,))[FEATURES]
        return {name: features for name in novelty.layers}

    def uncertainty_outputs(self):
        novelty = self.estimator.__dict__.get("_novelty")
        if novelty is None or novelty.reads_proba:
            return ()
        return (FEATURES,)

    def uncertainty(self, outputs):
        est = self.estimator
        novelty = est.__dict__.get("_novelty")
        if novelty is None:
            reason = est.__dict__.get("_novelty_unavailable") or (
                "the model was saved by a version of skmnist without novelty statistics "
                "(0.1); refit it"
            )
            warnings.warn(f"novelty is unavailable: {reason}.", UserWarning, stacklevel=4)
            return {}
        if novelty.reads_proba:
            activations = {PROBA: floored_exp(outputs[LOG_PROBA], np.float64)}
        else:
            activations = {name: outputs[FEATURES] for name in novelty.layers}
        return {"novelty": novelty.score(activations)}
