"""Outlier exposure: training on non-digits made from the training images themselves.

A network trained only on digits maps anything it is shown onto digit features, so a letter
gets a confident digit label.  Outlier exposure (Hendrycks, Mazeika & Dietterich, 2019, "Deep
anomaly detection with outlier exposure") adds non-examples to training, with a loss that
pushes the predicted distribution on them towards the uniform one:

    loss = E_training[loss of the head] + lambda * E_outliers[cross-entropy to uniform]

The outliers are made **only from the training images**, by :func:`make_outliers`: chimeras
(top of one image over the bottom of one of another class; left and right halves), left-right
mirror images and quarter turns of the digits that are not symmetric, overlays of two images
of different classes, quadrant jigsaws and zoomed-in crops (a piece of stroke the size of a
digit).  Nothing else is downloaded or rendered.  A pool half the size of the training rows
is drawn once per ``fit``/``partial_fit`` call and joins the shuffled rows with the label
``n_classes``, which the loss (:class:`skmnist._outlier_exposure_loss.OutlierExposureLoss`)
reads.  The loss turns the head's outputs into class probabilities with the head's own
``log_proba`` (any :class:`skmnist.Head`), so every head gets outlier exposure.

:class:`OutlierExposure` is the fit step that plugs it into every network (see
:mod:`skmnist._fit_steps`), selected by the ``outlier_exposure`` parameter alone.  This
module imports no TensorFlow.

What it gains and costs, measured on full MNIST by ``benchmarks/bench_outlier_exposure.py``,
is on the user guide's novelty page.  It is meant for use with ``augmentation="standard"``:
without augmentation the network learns "not drawn exactly like MNIST" as well as "not a
digit" (the page shows the control digits it then rejects).
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._fit_steps import FitStep
from ._seeding import OUTLIER_SEED_OFFSET, seed_offset

#: Outlier rows drawn per training row.
POOL_SHARE = 0.5

# Digits whose left-right mirror image is not a digit (0, 1 and 8 mirror onto themselves),
# and those whose quarter turn is not one (a turned 0 is a 0, a turned 8 close to one).
_MIRROR_DIGITS = (2, 3, 4, 5, 6, 7, 9)
_ROTATE_DIGITS = (1, 2, 3, 4, 5, 6, 7, 9)


def _digit_classes(classes):
    """The encoded labels of the digits 0-9 if ``classes`` are those ten digits, else None."""
    try:
        values = [int(str(c)) for c in classes]
    except ValueError:
        return None
    return values if sorted(values) == list(range(10)) else None


def _pairs(y, n, rng):
    """``n`` index pairs of rows of different classes."""
    i = rng.integers(len(y), size=n)
    j = rng.integers(len(y), size=n)
    same = y[i] == y[j]
    while same.any():
        j[same] = rng.integers(len(y), size=int(same.sum()))
        same = y[i] == y[j]
    return i, j


def _recentre(images):
    """Shift each image by whole pixels so its centre of mass is the frame's centre, as MNIST's
    digits are: an outlier should differ from a digit by what it shows, not by its placement
    (and whole-pixel shifts add no resampling blur the network could key on)."""
    h, w = images.shape[1:]
    out = np.zeros_like(images)
    rows, cols = np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64)
    for k, image in enumerate(images):
        mass = image.sum(dtype=np.float64)
        if mass > 0:
            dy = int(round((h - 1) / 2 - image.sum(1) @ rows / mass))
            dx = int(round((w - 1) / 2 - image.sum(0) @ cols / mass))
            out[k] = np.roll(image, (dy, dx), axis=(0, 1))
    return out


def _chimeras(images, y, n, rng, axis):
    i, j = _pairs(y, n, rng)
    size = images.shape[axis]
    cut = rng.integers(round(0.4 * size), round(0.64 * size) + 1, size=n)
    index = np.arange(size)[None, :, None] if axis == 1 else np.arange(size)[None, None, :]
    return _recentre(np.where(index < cut[:, None, None], images[i], images[j]))


def _mirrored(images, y, n, rng, digits):
    pool = np.flatnonzero(np.isin(y, [digits.index(d) for d in _MIRROR_DIGITS]))
    return images[rng.choice(pool, n)][:, :, ::-1]


def _rotated(images, y, n, rng, digits):
    pool = np.flatnonzero(np.isin(y, [digits.index(d) for d in _ROTATE_DIGITS]))
    picked = images[rng.choice(pool, n)]
    left = rng.random(n) < 0.5
    out = np.empty_like(picked)
    out[left] = np.rot90(picked[left], 1, axes=(1, 2))
    out[~left] = np.rot90(picked[~left], -1, axes=(1, 2))
    return out


def _overlay(images, y, n, rng):
    i, j = _pairs(y, n, rng)
    shifts = rng.integers(-3, 4, size=(n, 2))
    second = np.stack([np.roll(images[b], tuple(s), axis=(0, 1)) for b, s in zip(j, shifts)])
    return np.maximum(images[i], second)


def _jigsaw(images, y, n, rng):
    picked = images[rng.integers(len(y), size=n)]
    h2, w2 = images.shape[1] // 2, images.shape[2] // 2
    out = np.zeros_like(picked)
    corners = [(0, 0), (0, w2), (h2, 0), (h2, w2)]
    for k in range(n):
        order = rng.permutation(4)
        while (order == np.arange(4)).all():
            order = rng.permutation(4)
        for (r, c), source in zip(corners, order):
            sr, sc = corners[source]
            out[k, r:r + h2, c:c + w2] = picked[k, sr:sr + h2, sc:sc + w2]
    return _recentre(out)


def _zoomed_crop(images, y, n, rng):
    from scipy import ndimage

    picked = images[rng.integers(len(y), size=n)]
    h, w = images.shape[1:]
    box = max(2, round(20 / 28 * min(h, w)))  # MNIST's digit box in its frame
    lo, hi = max(2, round(8 / 28 * min(h, w))), max(3, round(12 / 28 * min(h, w)))
    r0, c0 = (h - box) // 2, (w - box) // 2
    out = np.zeros_like(picked)
    for k, image in enumerate(picked):
        side = int(rng.integers(lo, hi + 1))
        r = int(rng.integers(r0, max(r0, r0 + box - side) + 1))
        c = int(rng.integers(c0, max(c0, c0 + box - side) + 1))
        crop = image[r:r + side, c:c + side]
        big = np.clip(ndimage.zoom(crop, box / side, order=1), 0, None)[:box, :box]
        out[k, r0:r0 + big.shape[0], c0:c0 + big.shape[1]] = big
    return _recentre(out)


def make_outliers(X, y, image_shape, classes, n, seed):
    """Return ``n`` outlier rows (flat, float32, like ``X``) made from the rows of ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32
        Training rows (images flattened row by row).
    y : ndarray of shape (n_samples,)
        Their encoded labels ``0 .. n_classes - 1``.
    image_shape : tuple
        ``(height, width)`` or ``(height, width, 1)`` of the images.
    classes : ndarray
        The estimator's ``classes_``: mirror images and quarter turns are made only when
        they are the ten digits (whose symmetric ones are then left out).
    n : int
        Number of outliers.
    seed : int or None
        Seed of the draws.

    Returns
    -------
    ndarray of shape (n_kept, n_features), float32
        The outliers; those left with no ink (an empty crop) are dropped.
    """
    if len(image_shape) == 3 and image_shape[2] != 1:
        raise ValueError(
            "outlier_exposure makes its outliers from single-channel images; image_shape="
            f"{tuple(image_shape)} has {image_shape[2]} channels."
        )
    if len(np.unique(y)) < 2:
        raise ValueError("outlier_exposure needs training images of at least 2 classes.")
    h, w = image_shape[:2]
    images = X.reshape(-1, h, w)
    rng = np.random.default_rng(seed)
    digits = _digit_classes(classes)
    makers = [
        lambda k: _chimeras(images, y, k, rng, axis=1),
        lambda k: _chimeras(images, y, k, rng, axis=2),
        lambda k: _overlay(images, y, k, rng),
        lambda k: _jigsaw(images, y, k, rng),
        lambda k: _zoomed_crop(images, y, k, rng),
    ]
    if digits is not None:
        makers.append(lambda k: _mirrored(images, y, k, rng, digits))
        if h == w:  # a quarter turn of a non-square image would not fit the frame
            makers.append(lambda k: _rotated(images, y, k, rng, digits))
    shares = np.diff(np.linspace(0, n, len(makers) + 1).astype(int))
    out = np.concatenate([make(int(k)) for make, k in zip(makers, shares) if k > 0])
    out = out.reshape(len(out), -1).astype(np.float32, copy=False)
    top = X.max() if X.size else 0
    return np.ascontiguousarray(out[out.max(axis=1) > 0.2 * top])


def with_outliers(X, y, sample_weight, image_shape, classes, seed):
    """The training arrays with a pool of outliers appended (label ``len(classes)``).

    Outliers get sample weight 1 where the rows have weights.  The training set is copied
    once (the pool is half its size more): the price of the option.
    """
    outliers = make_outliers(X, y, image_shape, classes, round(POOL_SHARE * len(X)), seed)
    X = np.concatenate([X, outliers])
    y = np.concatenate([y, np.full(len(outliers), len(classes), dtype=y.dtype)])
    if sample_weight is not None:
        sample_weight = np.concatenate(
            [sample_weight, np.ones(len(outliers), dtype=sample_weight.dtype)]
        )
    return X, y, sample_weight


def loss_weights(weight):
    """``(weight_in, weight_out)`` of the outlier-exposure loss for lambda ``weight``."""
    return 1 + POOL_SHARE, weight * (1 + POOL_SHARE) / POOL_SHARE


class OutlierExposure(FitStep):
    """Outlier exposure as a fit step: outlier rows in the training data, the loss wrapped.

    Active when the estimator's ``outlier_exposure`` (lambda) is not None.  It teaches the
    network to hesitate on non-digits (``teaches_hesitation``), which the novelty step reads.
    """

    teaches_hesitation = True
    parameter_constraints = {
        "outlier_exposure": [Interval(Real, 0, None, closed="neither"), None],
    }

    @property
    def weight(self):
        return getattr(self.estimator, "outlier_exposure", None)

    @property
    def active(self):
        return self.weight is not None

    def training_data(self, X, y, sample_weight, seed):
        # a pool of non-digits made from this call's training images, labelled n_classes;
        # the later steps (novelty) still see the digits only
        if not self.active:
            return X, y, sample_weight
        est = self.estimator
        if est.image_shape is None:
            raise ValueError(
                "outlier_exposure makes its outliers from images: set image_shape (e.g. "
                "(28, 28)) rather than None."
            )
        return with_outliers(
            X, y, sample_weight, est._image_shape(X.shape[1]), est.classes_,
            seed_offset(seed, OUTLIER_SEED_OFFSET),
        )

    def wrap_loss(self, loss, head, n_classes):
        if not self.active:
            return loss
        from ._outlier_exposure_loss import OutlierExposureLoss

        return OutlierExposureLoss(loss, n_classes, *loss_weights(self.weight), head)

    def loss_is_current(self, loss):
        compiled = getattr(loss, "weight_out", None)  # None for the head's own loss
        wanted = loss_weights(self.weight)[1] if self.active else None
        if (compiled is None) != (wanted is None):
            return False
        return wanted is None or bool(np.isclose(compiled, wanted))

    def register_keras_objects(self):
        from . import _outlier_exposure_loss  # noqa: F401  (registers the loss)
