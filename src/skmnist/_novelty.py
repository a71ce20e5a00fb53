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

Optionally (``image_view=True``, off by default), a third, *image* view: the Mahalanobis
distance (one Gaussian for all classes) of two statistics of the input image itself, the
share of grey pixels among the inked ones and the edge length per unit of ink. With it the
three tail p-values are combined by Fisher's sum of their ``-log`` (beyond the farthest
held-out row, an exponential tail fitted to their top 1%, so that one far-out view still
reaches a novelty of 1). It lifts the benchmark's font glyphs from an AUROC of about 0.94 to
0.99, but a control shows why: it tells *how an image was prepared* (the glyph sets are
blurrier than MNIST's digits), not whether it shows a digit; MNIST digits re-rendered through
the same chain are flagged as often.

So ``novelty`` is the share of held-out training-distribution samples whose statistic is lower:
about uniform on ordinary digits, and ``novelty > 0.99`` flags about 1% of them.

Only NumPy (and scikit-learn's Ledoit-Wolf coefficient, itself NumPy) is used: fitting and
scoring never import TensorFlow; the fitted state is a handful of plain arrays that pickle with
the estimator.
"""

from collections.abc import Mapping
from numbers import Real

import numpy as np
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state

from ._checks import is_int

__all__ = ["INPUT", "PROBA", "NoveltyModel", "EntropyNovelty", "entropy"]

# Fewest rows fit() accepts: a few to fit the class statistics, a few to calibrate on.
MIN_ROWS = 10
# Rows scored per block: bounds the (rows, views, classes, units) float32 array scoring builds
# (8192 rows x 400 values for the default 20-unit layer: 13 MB).
_SCORE_BLOCK = 8192
# Eigenvalues of a class covariance are floored at this share of their mean (dead ReLU units
# have zero variance in every class; a zero would make the whitening infinite).
_EIG_FLOOR = 1e-6
_EPS = 1e-12
# Rows per block of the image statistics (2048 x 784 float32: 6 MB, kept in cache).
_IMAGE_BLOCK = 2048
# The key of the network's inputs in the activations mapping (read by the image view).
INPUT = "input"
# The key of the class probabilities in the activations mapping (read by EntropyNovelty).
PROBA = "proba"


def _image_statistics(X, side):
    """Two statistics of each row as a ``side`` x ``side`` grey-scale image (higher is ink).

    Both are invariant to the scale of the grey levels (thresholds are relative to each
    image's brightest pixel), so raw 0-255 pixels and [0, 1] pixels read alike:

    * the share of the inked pixels (above 10% of the brightest) that are grey (below 90%):
      the soft edges of a pen stroke against the flat, hard-edged or fully grey areas of a
      rendered glyph, a photograph or noise;
    * the summed absolute difference between neighbouring pixels per unit of ink: the
      outline's length per unit of area, i.e. about twice the inverse stroke width (thin
      font strokes, hairlines, solid shapes and textures all differ from a pen's).
      Horizontal neighbours are taken in reading order on the flat rows (the pair across a
      line break is counted too: cheaper, and the same for fitting and scoring).

    Returns an array of shape (n_samples, 2), float64.
    """
    out = np.empty((len(X), 2))
    for start in range(0, len(X), _IMAGE_BLOCK):
        b = X[start:start + _IMAGE_BLOCK]
        top = b.max(axis=1, keepdims=True)
        ink = b > 0.1 * top
        grey = np.count_nonzero(ink & (b < 0.9 * top), axis=1)
        edges = (np.abs(b[:, 1:] - b[:, :-1]).sum(axis=1)
                 + np.abs(b[:, side:] - b[:, :-side]).sum(axis=1))
        rows = slice(start, start + len(b))
        out[rows, 0] = grey / np.maximum(np.count_nonzero(ink, axis=1), 1)
        out[rows, 1] = edges / np.maximum(b.sum(axis=1), _EPS)
    return out


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
    image_view : bool, default=False
        Add the image view when :meth:`fit` is given the network's inputs as
        ``activations["input"]`` and they are square images (``n_features`` a square):
        a Gaussian of two statistics of each image (the share of grey pixels among the
        inked ones, and the edge length per unit of ink). It reads how an image was
        *prepared* (blur, resampling, stroke width) more than what it shows: it flags
        about 40% of MNIST test digits merely re-rendered through another resampling
        chain, and adds nothing against glyphs prepared like those digits (see
        ``benchmarks/results/ood.json``), hence off by default. Use it to catch inputs
        not prepared like the training images.

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
    image_side_ : int or None
        Side of the input images when the image view is used, else None.

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
                 max_fit=20000, max_features=64, image_view=False):
        self.layer = layer
        self.calibration_fraction = calibration_fraction
        self.max_calibration = max_calibration
        self.max_fit = max_fit
        self.max_features = max_features
        self.image_view = image_view

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
        if not isinstance(self.image_view, (bool, np.bool_)):
            raise TypeError(f"image_view must be a bool, got {self.image_view!r}.")

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

    def _inputs(self, activations, n_rows, required):
        """The network's inputs, ``activations["input"]``, as float32 rows (or None)."""
        if INPUT not in activations:
            if required:
                raise ValueError(
                    f"activations has no {INPUT!r}: the model was fitted with the network's "
                    "inputs (its image view); pass them as activations['input']."
                )
            return None
        X = np.asarray(activations[INPUT])
        if (X.ndim != 2 or not np.issubdtype(X.dtype, np.number) or X.dtype.kind == "c"
                or len(X) != n_rows):
            raise ValueError(
                f"activations[{INPUT!r}] must be a real 2-D array with one row per row of the "
                f"activations ({n_rows}), got shape {X.shape} and dtype {X.dtype}."
            )
        X = X.astype(np.float32, copy=False)
        if not np.isfinite(X).all():
            raise ValueError(f"activations[{INPUT!r}] contains NaN or infinity.")
        return X

    # ------------------------------------------------------------------ fit / score
    def fit(self, activations, y, *, random_state=None):
        """Fit the class statistics on part of the rows and calibrate on the rest.

        Parameters
        ----------
        activations : mapping of str to ndarray of shape (n_samples, n_units)
            The network's activations of the training rows: ``activations[layer]``, and
            ``activations["input"]``, the network's inputs, when given (the image view,
            fitted if they are square images and ``image_view`` is true).
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
        X = self._inputs(activations, len(H), required=False)
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

        # The image view: one Gaussian (all classes together) of two statistics of the input
        # images, when the inputs are given and are square images.
        self.image_side_, self.image_shift_, self.image_whiten_ = None, None, None
        side = int(np.sqrt(X.shape[1])) if X is not None else 0
        if self.image_view and side >= 3 and side * side == X.shape[1]:
            stats = _image_statistics(X[rest], side)
            shift, whiten = _class_gaussians(stats, np.zeros(len(stats)), [0])
            self.image_side_, self.image_shift_, self.image_whiten_ = side, shift, whiten
        # Fisher's sum with the image view (measured better on three views), else the
        # smaller p-value (measured better on the two feature views alone)
        self.combine_ = "sum" if self.image_side_ is not None else "min"

        distances = self._distances(H[cal], None if X is None else X[cal])
        self.calibration_distances_ = np.sort(distances, axis=1)
        # Exponential tail beyond the farthest held-out row, its scale the mean excess of the
        # top 1% over the next row (peaks over a threshold): -log p keeps growing with the
        # distance, so one far-out view outweighs the others in the sum.
        # (at most n_cal - 1 rows above the threshold row: small fits calibrate on few rows)
        k = max(1, min(max(5, n_cal // 100), n_cal - 1))
        threshold = self.calibration_distances_[:, -k - 1 : -k] if n_cal > 1 else 0.0
        top = self.calibration_distances_[:, -k:]
        self.calibration_tail_scale_ = np.maximum((top - threshold).mean(axis=1), _EPS)
        self.calibration_statistic_ = np.sort(self._combine(distances))
        self.n_calibration_ = n_cal
        return self

    @property
    def _uses_image(self):
        # absent from models pickled before the image view existed
        return getattr(self, "image_side_", None) is not None

    def _distances(self, H, X):
        if self.projection_ is not None:
            H = H @ self.projection_
        distances = _min_distances(H, self.shift_, self.whiten_)
        if self._uses_image:
            z = _image_statistics(X, self.image_side_) @ self.image_whiten_ - self.image_shift_
            distances = np.vstack([distances, (z ** 2).sum(axis=1)[None]])
        return distances

    def _combine(self, distances):
        # Tail p-value of each view: (1 + held-out rows at least as far) / (n + 1), never 0.
        # The statistic is -log of the smallest, or with the image view -sum of their logs
        # (Fisher's; models pickled before the image view have no combine_: the smallest).
        n = self.calibration_distances_.shape[1]
        log_p = [
            np.log((1 + n - np.searchsorted(reference, d, side="left")) / (n + 1))
            for reference, d in zip(self.calibration_distances_, distances)
        ]
        if getattr(self, "combine_", "min") != "sum":
            return -np.min(log_p, axis=0)
        for lp, reference, scale, d in zip(log_p, self.calibration_distances_,
                                           self.calibration_tail_scale_, distances):
            lp -= np.maximum(d - reference[-1], 0) / scale
        return -np.sum(log_p, axis=0)

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
        X = None
        if self._uses_image:
            X = self._inputs(activations, len(H), required=True)
            if X.shape[1] != self.image_side_ ** 2:
                raise ValueError(
                    f"activations[{INPUT!r}] has {X.shape[1]} columns; the model was fitted "
                    f"on {self.image_side_ ** 2}."
                )
        return self._combine(self._distances(H, X))

    def score(self, activations):
        """Calibrated novelty: the share of held-out training rows whose statistic is lower.

        Parameters
        ----------
        activations : mapping of str to ndarray of shape (n_samples, n_units)
            The network's activations of the rows to score: ``activations[layer]``, and
            ``activations["input"]`` if the model was fitted with the image view.

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
