"""Random distortions of training images, applied batch by batch inside the tf.data pipeline.

The ``augmentation`` parameter of every skmnist network names the distortions: random small
shifts, rotations, scalings, shears and elastic distortions (Simard, Steinkraus & Platt,
2003), drawn afresh for every image of every epoch.  They are one resampling per image: each
output pixel reads the source image, bilinearly, at the position that the affine map plus
a smoothed random displacement field sends it to (outside the image reads 0).  The training
set itself is never copied or enlarged; only the batch in flight is distorted, and the model
(whose layers the NumPy prediction path runs) never sees an augmentation layer.

:func:`resolve_augmentation` validates the parameter without importing TensorFlow;
:func:`make_augmenter` builds the batch function the input pipeline maps.
"""

from numbers import Real

import numpy as np

#: The distortions of ``augmentation="standard"``: moderate enough to raise MNIST's own test
#: accuracy, strong enough to cover other hands and imperfect framings.  ``low_resolution``
#: is not among them: measured, it did not help on 8x8 and 16x16 digits and cost time
#: (``benchmarks/results/other_digits.json``).
STANDARD_AUGMENTATION = {
    "shift": 2.0,
    "rotation": 12.0,
    "scale": 0.12,
    "shear": 0.15,
    "aspect": 0.3,
    "elastic_alpha": 20.0,
    "elastic_sigma": 4.0,
}

_DOC_KEYS = {
    "shift": "largest shift, in pixels, along each axis (uniform in [-shift, shift])",
    "rotation": "largest rotation, in degrees (uniform in [-rotation, rotation])",
    "scale": "largest relative change of size (zoom uniform in [1 - scale, 1 + scale])",
    "shear": "largest horizontal shear factor (uniform in [-shear, shear])",
    "aspect": "largest relative change of width against height (a factor between "
    "1 / (1 + aspect) and 1 + aspect, log-uniform)",
    "elastic_alpha": "scale of the elastic displacement field (Simard et al.'s alpha; 0: none)",
    "elastic_sigma": "Gaussian smoothing of the displacement field, in pixels (their sigma)",
    "low_resolution": "probability that an image is re-sampled from 1/1.5, 1/2.25 or 1/3 of "
    "its resolution (a digit from a small source, enlarged)",
}
_NO_DISTORTION = {key: 0.0 for key in _DOC_KEYS} | {"elastic_sigma": 4.0}


def resolve_augmentation(augmentation):
    """Return the distortion ranges of an ``augmentation`` parameter, or None when off.

    Parameters
    ----------
    augmentation : None, "standard" or dict
        None: no augmentation.  ``"standard"``: :data:`STANDARD_AUGMENTATION`.  A dict
        names some of the ranges (``shift``, ``rotation``, ``scale``, ``shear``, ``aspect``,
        ``elastic_alpha``, ``elastic_sigma``, ``low_resolution``); the others are 0 (off),
        ``elastic_sigma`` 4.

    Returns
    -------
    ranges : dict or None
        Every range as a float, or None when no distortion is asked for.

    Examples
    --------
    >>> from skmnist._augmentation import resolve_augmentation
    >>> resolve_augmentation({"rotation": 10})["rotation"]
    10.0
    >>> resolve_augmentation(None) is None
    True
    """
    if augmentation is None:
        return None
    if isinstance(augmentation, str):
        if augmentation != "standard":
            raise ValueError(
                f"augmentation must be None, 'standard' or a dict, got {augmentation!r}."
            )
        return {**_NO_DISTORTION, **STANDARD_AUGMENTATION}
    if not isinstance(augmentation, dict):
        raise TypeError(
            "augmentation must be None, 'standard' or a dict of distortion ranges, got "
            f"{type(augmentation).__name__}."
        )
    unknown = sorted(set(augmentation) - set(_DOC_KEYS))
    if unknown:
        raise ValueError(
            f"Unknown augmentation key(s) {unknown}; the keys are {sorted(_DOC_KEYS)}."
        )
    ranges = dict(_NO_DISTORTION)
    for key, value in augmentation.items():
        if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
            raise ValueError(f"augmentation[{key!r}] must be a finite number, got {value!r}.")
        if value < 0:
            raise ValueError(f"augmentation[{key!r}] must be >= 0, got {value!r}.")
        ranges[key] = float(value)
    if ranges["low_resolution"] > 1:
        raise ValueError(
            f"augmentation['low_resolution'] is a probability, got {ranges['low_resolution']!r}."
        )
    if ranges["scale"] >= 1:
        raise ValueError(f"augmentation['scale'] must be < 1, got {ranges['scale']!r}.")
    if ranges["elastic_alpha"] > 0 and ranges["elastic_sigma"] <= 0:
        raise ValueError("augmentation['elastic_sigma'] must be > 0 with an elastic_alpha.")
    if all(ranges[key] == 0 for key in _DOC_KEYS if key != "elastic_sigma"):
        return None
    return ranges


# The resolutions the low_resolution distortion re-samples from (fractions of the image's).
_LOW_RESOLUTION_FACTORS = (1.5, 2.25, 3.0)


def _blur_matrix(size, sigma):
    """The (size, size) matrix of a 1-D Gaussian blur with zero padding (``M @ v``)."""
    radius = max(1, int(np.ceil(3 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (t / sigma) ** 2)
    kernel /= kernel.sum()
    matrix = np.zeros((size, size))
    for i in range(size):
        for offset, weight in zip(t.astype(int), kernel):
            if 0 <= i + offset < size:
                matrix[i, i + offset] = weight
    return matrix.astype(np.float32)


def _resample_matrix(size, factor):
    """The (size, size) matrix that shrinks a 1-D signal by ``factor`` (area average) and
    enlarges it back (Lanczos 3), as ``tf.image.resize`` does along each axis."""
    from ._tf import tf

    small = max(2, round(size / factor))
    basis = tf.eye(size, dtype=tf.float32)[:, :, None, None]  # size signals (size, 1, 1)
    shrunk = tf.image.resize(basis, (small, 1), method="area")
    back = tf.image.resize(shrunk, (size, 1), method="lanczos3")
    return back.numpy()[:, :, 0, 0].T  # column i: the response to the i-th unit pulse


def make_augmenter(ranges, image_shape):
    """Return ``augment(x, seed) -> x``: distort a batch of flat rows viewed as images.

    ``image_shape`` is ``(height, width)`` or ``(height, width, channels)``; every channel
    of an image moves alike.  ``seed`` is a shape-(2,) int tensor (a stateless seed): the
    same seed and batch give the same distortions, so a seeded fit is reproducible.
    """
    from ._tf import tf

    height, width = int(image_shape[0]), int(image_shape[1])
    channels = int(image_shape[2]) if len(image_shape) > 2 else 1
    n_pixels = height * width
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    grid_y, grid_x = np.meshgrid(
        np.arange(height, dtype=np.float32) - cy,
        np.arange(width, dtype=np.float32) - cx,
        indexing="ij",
    )
    grid = tf.constant(np.stack([grid_y.ravel(), grid_x.ravel()]), tf.float32)  # (2, P)
    # Both blurs below are separable linear maps, so they are small matrix products per
    # image (rows then columns), far cheaper than convolutions or resize ops on the batch.
    blur = None
    if ranges["elastic_alpha"] > 0:
        blur = (
            tf.constant(_blur_matrix(height, ranges["elastic_sigma"])),
            tf.constant(_blur_matrix(width, ranges["elastic_sigma"]).T),
        )
    resample = None
    if ranges["low_resolution"] > 0:
        identity = (np.eye(height, dtype=np.float32), np.eye(width, dtype=np.float32))
        resample = tuple(
            tf.constant(np.stack([eye] + [
                _resample_matrix(len(eye), factor) for factor in _LOW_RESOLUTION_FACTORS
            ]))
            for eye in identity
        )  # (levels, h, h) and (levels, w, w); level 0 leaves the image as it is

    def uniform(seed, n, bound, salt):
        seed = seed + tf.constant([0, salt], seed.dtype)
        return tf.random.stateless_uniform((n,), seed, -bound, bound)

    def augment(x, seed):
        n = tf.shape(x)[0]
        images = tf.reshape(x, (n, n_pixels, channels))
        angle = uniform(seed, n, np.deg2rad(ranges["rotation"]), 1)
        zoom = 1.0 + uniform(seed, n, ranges["scale"], 2)
        shear = uniform(seed, n, ranges["shear"], 3)
        shift_y = uniform(seed, n, ranges["shift"], 4)
        shift_x = uniform(seed, n, ranges["shift"], 5)
        # Narrow or wide writing: the width scaled against the height (1 when off).
        widen = tf.exp(uniform(seed, n, np.log1p(ranges["aspect"]), 8))
        # The inverse map, output pixel -> source position: undo the zoom, the rotation and
        # the shear (y, x order; a forward map would leave holes).
        cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
        a = tf.stack([cos, -sin / widen], -1)  # source y from (y, x)
        b = tf.stack([sin + shear * cos, (cos - shear * sin) / widen], -1)  # source x
        src_y = tf.matmul(a, grid) + cy - shift_y[:, None]  # (n, P)
        src_x = tf.matmul(b, grid) + cx - shift_x[:, None]
        if blur is not None:
            noise = tf.random.stateless_uniform(
                (n, height, width, 2), seed + tf.constant([0, 6], seed.dtype), -1.0, 1.0
            )
            noise = tf.transpose(noise, (3, 0, 1, 2))  # (y or x, n, h, w)
            # Simard et al.'s field: alpha times the uniform noise blurred by a Gaussian of
            # sigma (alpha=34, sigma=4 is their strong setting, about 1.4 px typically).
            field = tf.matmul(tf.matmul(blur[0], noise), blur[1]) * ranges["elastic_alpha"]
            src_y += tf.reshape(field[0], (n, n_pixels))
            src_x += tf.reshape(field[1], (n, n_pixels))
        out = _bilinear(images, src_y, src_x, height, width)
        if resample is not None:
            out = low_resolution(out, seed + tf.constant([0, 7], seed.dtype))
        return tf.reshape(out, tf.shape(x))

    def low_resolution(images, seed):
        # Digits from small sources (8x8, 16x16 scans) reach the network enlarged, blurry and
        # blocky; show it such digits: shrink (area average) and enlarge back (Lanczos, as
        # DigitNormalizer does) a share of the images, each at one of a few resolutions.
        n = tf.shape(images)[0]
        pick = tf.random.stateless_uniform(
            (n,), seed, 0, len(_LOW_RESOLUTION_FACTORS), dtype=tf.int32
        ) + 1
        keep = tf.random.stateless_uniform((n,), seed + tf.constant([0, 1], seed.dtype))
        pick = tf.where(keep < ranges["low_resolution"], pick, 0)
        grid = tf.transpose(tf.reshape(images, (n, height, width, channels)), (0, 3, 1, 2))
        rows = tf.gather(resample[0], pick)[:, None]  # (n, 1, h, h)
        cols = tf.gather(resample[1], pick)[:, None]
        out = tf.matmul(tf.matmul(rows, grid), cols, transpose_b=True)
        top = tf.reduce_max(grid, axis=(1, 2, 3), keepdims=True)
        out = tf.clip_by_value(out, 0.0, top)  # Lanczos overshoots
        return tf.reshape(tf.transpose(out, (0, 2, 3, 1)), (n, n_pixels, channels))

    return augment


def _bilinear(images, src_y, src_x, height, width):
    """Sample ``images`` (n, P, C) bilinearly at (n, P) positions; outside reads 0."""
    from ._tf import tf

    y0, x0 = tf.floor(src_y), tf.floor(src_x)
    wy, wx = src_y - y0, src_x - x0
    out = 0.0
    for dy, weight_y in ((0.0, 1.0 - wy), (1.0, wy)):
        for dx, weight_x in ((0.0, 1.0 - wx), (1.0, wx)):
            yy, xx = y0 + dy, x0 + dx
            inside = (yy >= 0) & (yy <= height - 1) & (xx >= 0) & (xx <= width - 1)
            index = tf.cast(
                tf.clip_by_value(yy, 0, height - 1) * width + tf.clip_by_value(xx, 0, width - 1),
                tf.int32,
            )
            values = tf.gather(images, index, batch_dims=1)  # (n, P, C)
            weight = tf.where(inside, weight_y * weight_x, 0.0)
            out += values * tf.cast(weight, images.dtype)[..., None]
    return out


def augmenter(augmentation, image_shape):
    """The batch function for an estimator's ``augmentation``, or None when it is off.

    ``image_shape`` is a callable returning the estimator's image shape, asked only when
    there is something to distort (a dense network with no augmentation needs none).
    """
    ranges = resolve_augmentation(augmentation)
    if ranges is None:
        return None
    image_shape = image_shape()
    if image_shape[0] == 1:
        raise ValueError(
            "augmentation distorts images: set image_shape to the (height, width) of the "
            "images that the rows hold."
        )
    return make_augmenter(ranges, image_shape)
