"""Pixel preprocessing: digits put into MNIST's framing; pixels scaled to float32 in [0, 1]."""

import os
import warnings
from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._memory import aligned_empty
from .exceptions import PixelScaleWarning

__all__ = ["DigitNormalizer", "PixelScaler"]


class PixelScaler(TransformerMixin, BaseEstimator):
    """Scale pixel intensities to float32 features in [0, 1].

    Divides every pixel by `max_value` (255 for 8-bit images), after converting
    the data to ``float32`` exactly once: no float64 copy of the image data is made.
    Images of shape ``(n_samples, height, width)`` are flattened row by row
    (C order) into ``(n_samples, height * width)`` features; flat pixels of shape
    ``(n_samples, n_features)`` keep their shape. The output is what the networks
    in this package expect, so ``make_pipeline(PixelScaler(), FCNClassifier())``
    accepts raw MNIST images.

    The transformer is stateless: the scaling does not depend on the training
    data. :meth:`fit` only records the input's layout (number of features, feature
    names, image shape) so that :meth:`transform` can check that later data is
    laid out the same way, and :meth:`transform` may also be called without
    fitting.

    Parameters
    ----------
    max_value : float, default=255.0
        The intensity of a white pixel; each value is divided by it. Use 255 for
        8-bit images, 65535 for 16-bit ones and 1.0 for data already in [0, 1].

    clip : bool, default=False
        What to do with values outside ``[0, max_value]``.

        - ``False``: integer (and boolean) input with a value outside
          ``[0, max_value]`` raises a ``ValueError``; such pixels are corrupt data
          or a sign that `max_value` is wrong. Floating-point input is scaled
          linearly without any check, so out-of-range values map outside
          ``[0, 1]`` (floats may legitimately be noisy or augmented, and the
          mapping stays exactly invertible by :meth:`inverse_transform`).
        - ``True``: out-of-range values of any dtype are accepted and the output is
          clipped to ``[0, 1]``. Clipped values are not restored by
          :meth:`inverse_transform`.

    Attributes
    ----------
    n_features_in_ : int
        Number of features (pixels per sample) seen during :meth:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`. Defined only when `X` has
        feature names that are all strings (e.g. a pandas DataFrame).

    image_shape_ : tuple of int (height, width) or None
        Shape of one image when :meth:`fit` saw 3-D input
        ``(n_samples, height, width)``; None when it saw flat 2-D input.

    See Also
    --------
    sklearn.preprocessing.MinMaxScaler : Scales each feature by its range
        learned from the training data.
    sklearn.preprocessing.FunctionTransformer : Applies an arbitrary stateless
        function.

    Notes
    -----
    Input may be any integer, boolean or floating-point dtype; the output is always
    a C-contiguous ``float32`` array of shape ``(n_samples, n_features)``. Integer
    input is converted straight to ``float32`` and float32 input is copied once
    (it is never modified); float64 input is cast to ``float32``.

    Each value is divided by ``float32(max_value)`` in place, so a pixel equal to
    `max_value` maps to exactly 1.0, and images and their flattened version give
    bit-identical output.

    NaN and infinite values raise a ``ValueError``, as do empty input, 1-D input and
    input with more than three dimensions (for single-channel images of shape
    ``(n, height, width, 1)`` pass ``X[..., 0]``). Sparse input raises a
    ``TypeError``: pixel data is dense, convert it with ``X.toarray()``.

    :meth:`get_feature_names_out` returns the input feature names for 2-D input
    (``feature_names_in_``, or ``x0, x1, ...``) and ``pixel_{row}_{col}`` for image
    input, the convention of :func:`sklearn.datasets.load_digits`.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist.preprocessing import PixelScaler
    >>> images = np.array([[[0, 51], [102, 255]],
    ...                    [[255, 204], [153, 0]]], dtype=np.uint8)
    >>> scaler = PixelScaler().fit(images)
    >>> scaler.image_shape_
    (2, 2)
    >>> scaler.transform(images)
    array([[0. , 0.2, 0.4, 1. ],
           [1. , 0.8, 0.6, 0. ]], dtype=float32)
    >>> scaler.get_feature_names_out()
    array(['pixel_0_0', 'pixel_0_1', 'pixel_1_0', 'pixel_1_1'], dtype=object)
    >>> scaler.inverse_transform(scaler.transform(images)).shape
    (2, 2, 2)

    In a pipeline, in front of any scikit-learn classifier:

    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> model = make_pipeline(PixelScaler(), LogisticRegression())
    >>> model.fit(images, [3, 7]).predict(images)
    array([3, 7])
    """

    _parameter_constraints: dict = {
        "max_value": [Interval(Real, 0, None, closed="neither")],
        "clip": ["boolean"],
    }

    def __init__(self, max_value=255.0, *, clip=False):
        self.max_value = max_value
        self.clip = clip

    # ------------------------------------------------------------------ validation
    def _validate_pixels(self, X, *, reset):
        """Validate `X` and flatten images.

        Parameters
        ----------
        X : array-like
            The input.
        reset : bool or None
            True in fit (record the layout), False to check against the fitted
            layout, None when unfitted (validate only, record and check nothing).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Numeric 2-D data, not yet converted to float32.
        image_shape : tuple of int or None
            ``(height, width)`` for 3-D input.
        owned : bool
            Whether `X` is a fresh buffer that may be modified in place.
        """
        name = type(self).__name__
        if sparse.issparse(X):
            raise TypeError(
                f"{name} does not support sparse input: pixel data is dense. "
                "Convert it with X.toarray() first."
            )
        owned = False
        if isinstance(X, (list, tuple)):
            X = np.asarray(X)
            owned = True

        image_shape = None
        ndim = getattr(X, "ndim", None)
        if ndim is not None and ndim > 3:
            raise ValueError(
                f"{name} expects images of shape (n_samples, height, width) or flat "
                f"pixels of shape (n_samples, n_features); got a {ndim}-D array of "
                f"shape {tuple(X.shape)}. For single-channel images of shape "
                "(n_samples, height, width, 1) pass X[..., 0]."
            )
        if ndim == 3:
            X3 = np.asarray(X)
            n_samples, height, width = X3.shape
            image_shape = (int(height), int(width))
            fitted_shape = getattr(self, "image_shape_", None)
            if reset is False and fitted_shape is not None and fitted_shape != image_shape:
                raise ValueError(
                    f"X has images of shape {image_shape}, but {name} was fitted on "
                    f"images of shape {fitted_shape}."
                )
            if (
                not X3.flags.c_contiguous
                and X3.dtype.kind == "f"
                and X3.dtype.itemsize > 4
            ):
                # Flattening a non-contiguous array copies it in its own dtype: make
                # that one copy the float32 conversion instead of a float64 copy.
                buf = np.empty(X3.shape, dtype=np.float32)
                np.copyto(buf, X3, casting="unsafe")
                X3, owned = buf, True
            X = X3.reshape(n_samples, height * width)
            owned = owned or not np.may_share_memory(X, X3)

        if isinstance(X, np.ndarray) and X.dtype == object:
            # Convert object arrays straight to float32, with a clear message.
            try:
                X = np.asarray(X, dtype=np.float32)
            except (TypeError, ValueError) as exc:
                raise type(exc)(
                    f"{name} expects numeric pixel values; got an array of dtype "
                    f"object that cannot be converted to float32: {exc}"
                ) from exc
            owned = True

        X_in = X
        kwargs = dict(
            accept_sparse=False,
            dtype="numeric",
            ensure_all_finite=True,
            ensure_min_samples=1,
            ensure_min_features=1,
        )
        if reset is None:
            X = check_array(X, input_name="X", estimator=self, **kwargs)
        else:
            X = validate_data(self, X, reset=reset, **kwargs)
        if isinstance(X_in, np.ndarray) and not np.may_share_memory(X, X_in):
            owned = True
        elif not isinstance(X_in, np.ndarray):
            owned = False  # e.g. a DataFrame: the array may be a view of its data

        if X.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} expects numeric pixel values (integer, boolean or float); "
                f"got dtype {X.dtype}."
            )
        if X.dtype.kind in "biu" and not self.clip:
            lo, hi = X.min(), X.max()
            if lo < 0 or hi > self.max_value:
                found = []
                if lo < 0:
                    found.append(f"min {lo}")
                if hi > self.max_value:
                    found.append(f"max {hi}")
                raise ValueError(
                    f"{name}: integer pixel values must lie in "
                    f"[0, {self.max_value:g}]; found {' and '.join(found)}. Set "
                    "max_value to the data's white level, or clip=True to clip "
                    "out-of-range values."
                )
        if X.dtype.kind == "f" and self.max_value > 1:
            top = float(X.max())
            if 0 < top <= 1:
                warnings.warn(
                    f"{name}: X looks already scaled (float pixels, max {top:.3g} <= 1), "
                    f"and is divided by max_value={self.max_value:g} again. Pass the raw "
                    "pixels (0-255), or set max_value=1.0 for pixels already in [0, 1].",
                    PixelScaleWarning,
                    stacklevel=3,
                )
        return X, image_shape, owned

    def _scale(self, X, owned):
        """Return `X` as float32 divided by `max_value` (one conversion, in place)."""
        if X.dtype == np.float32 and owned and X.flags.writeable:
            Xt = np.ascontiguousarray(X)
        else:
            # Aligned, so that the networks read it without copying it into TensorFlow.
            Xt = aligned_empty(X.shape, np.float32)
            np.copyto(Xt, X, casting="unsafe")
        np.divide(Xt, np.float32(self.max_value), out=Xt)
        if self.clip:
            np.clip(Xt, 0.0, 1.0, out=Xt)
        return Xt

    # ------------------------------------------------------------------ public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the input layout; the scaling itself needs no fitting.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or (n_samples, n_features)
            Images or flat pixels. Validated as in :meth:`transform`.

        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        _, self.image_shape_, _ = self._validate_pixels(X, reset=True)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit to `X` and return it scaled, validating `X` only once.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or (n_samples, n_features)
            Images or flat pixels.

        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features), dtype float32
            Scaled, flattened pixels.
        """
        X, self.image_shape_, owned = self._validate_pixels(X, reset=True)
        return self._scale(X, owned)

    def transform(self, X):
        """Scale pixels to float32 features in [0, 1].

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or (n_samples, n_features)
            Images or flat pixels of any integer, boolean or float dtype. After
            :meth:`fit`, the number of features (and for images, the image shape)
            must match what fit saw.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features), dtype float32
            ``X / max_value``, images flattened row by row; clipped to [0, 1] when
            ``clip=True``.
        """
        self._validate_params()
        fitted = hasattr(self, "n_features_in_")
        X, _, owned = self._validate_pixels(X, reset=False if fitted else None)
        return self._scale(X, owned)

    def inverse_transform(self, X):
        """Map scaled features back to pixel intensities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Scaled features, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of dtype float32
            ``X * max_value``, of shape ``(n_samples, height, width)`` when the
            transformer was fitted on images, else ``(n_samples, n_features)``.
            Values clipped by ``clip=True`` are not restored.
        """
        self._validate_params()
        name = type(self).__name__
        if sparse.issparse(X):
            raise TypeError(
                f"{name} does not support sparse input: pixel data is dense. "
                "Convert it with X.toarray() first."
            )
        X = check_array(
            X,
            dtype="numeric",
            ensure_all_finite=True,
            input_name="X",
            estimator=self,
        )
        n_features = getattr(self, "n_features_in_", None)
        if n_features is not None and X.shape[1] != n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but {name} is expecting {n_features} "
                "features as input."
            )
        Xt = np.array(X, dtype=np.float32, order="C", copy=True)
        np.multiply(Xt, np.float32(self.max_value), out=Xt)
        image_shape = getattr(self, "image_shape_", None)
        if image_shape is not None:
            Xt = Xt.reshape(Xt.shape[0], *image_shape)
        return Xt

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input features.

            - If `input_features` is None: `feature_names_in_` if fit saw feature
              names, ``pixel_{row}_{col}`` if it saw images, else
              ``["x0", "x1", ..., "x(n_features_in_ - 1)"]``.
            - If `input_features` is an array-like, it must have
              `n_features_in_` entries (and match `feature_names_in_` if defined);
              it is returned unchanged.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Output feature names, one per input feature.
        """
        check_is_fitted(self, "n_features_in_")
        if input_features is None and self.image_shape_ is not None:
            height, width = self.image_shape_
            return np.asarray(
                [f"pixel_{r}_{c}" for r in range(height) for c in range(width)],
                dtype=object,
            )
        return _check_feature_names_in(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


class DigitNormalizer(TransformerMixin, BaseEstimator):
    """Put digit images of any size, colour and polarity into MNIST's framing.

    MNIST's digits were made so: the ink's bounding box scaled, keeping its aspect, so that
    its longer side is 20 pixels, with antialiasing, and placed in a 28x28 field with the
    ink's centre of mass on the field's centre, white ink on black.  A network trained on
    MNIST expects exactly that; this transformer does the same to anyone's digits (a scan, a
    photo, a drawing canvas, another data set), so that
    ``make_pipeline(DigitNormalizer(), PixelScaler(), FCNClassifier())`` reads them.

    Each image is turned grey (colour by luminance), its paper found (the median of its
    border pixels) and its ink (what differs from the paper, dark or light: see `ink`)
    stretched to full contrast; pixels below a threshold (`threshold`) and specks much
    smaller than the digit's strokes are cleared, keeping a one-pixel antialiased rim around
    the strokes; the ink is cropped, optionally deskewed (`deskew`), scaled to fit the 20x20
    box (Lanczos filter) and centred by its centre of mass in 28x28.  The transformer is
    stateless: :meth:`fit` learns nothing.

    Parameters
    ----------
    ink : {"auto", "dark", "light"}, default="auto"
        The digits' polarity.  ``"dark"``: dark ink on light paper (most scans and
        drawings); ``"light"``: light ink on dark (MNIST's own).  ``"auto"`` decides per
        image: the ink is dark when the border's median grey is nearer the brightest pixel
        than the darkest.  Force it where digits fill their images to the border.
    threshold : "otsu" or float in (0, 1), default="otsu"
        The ink cut, on the ink strength scaled to [0, 1] (paper 0, strongest ink 1):
        weaker pixels are background and become 0 (except a one-pixel rim around the
        strokes).  ``"otsu"`` chooses it per image by Otsu's method (the cut that best
        separates two grey-level populations), which suits clean and noisy backgrounds
        alike; a fixed fraction (e.g. 0.3 to keep faint strokes, 0.6 against a strong
        texture) applies the same cut to every image.
    deskew : bool, default=False
        Shear each digit so that its ink shows no slant (its second-order moments' ratio
        ``mu11 / mu02`` becomes 0), the deskewing that improves MNIST classifiers.  Only
        useful when the classifier was trained on deskewed digits as well.
    image_shape : tuple of int (height, width) or None, default=None
        How to read 2-D input ``(n_samples, n_pixels)`` as images: ``n_pixels`` must equal
        ``height * width``.  None reads square images (784 pixels: 28x28; 64: 8x8).
    dtype : {"uint8", "float32"}, default="uint8"
        The output's dtype: ``uint8`` grey levels 0-255 like MNIST's files, or the same
        levels unrounded as ``float32``.  Either way :class:`PixelScaler` comes next.
    errors : {"raise", "zero"}, default="raise"
        What a bad image does (an unreadable or non-image file, a blank image, one smaller
        than 4x4 pixels, NaN pixels, a non-numeric dtype).  ``"raise"``: a ``ValueError``
        (``TypeError`` for a dtype) naming the image's index and file.  ``"zero"``: every
        other image is still framed; the bad one's row is all zero, and one
        ``UserWarning`` lists each bad image and why.  A good image always has ink, so
        ``~Xt.any(axis=1)`` is the mask of the bad ones.

    Attributes
    ----------
    n_features_in_ : int
        Pixels per sample of flat 2-D array input seen by :meth:`fit`; absent for images
        or lists of images (which need not share a size).

    See Also
    --------
    PixelScaler : Scales the framed pixels to [0, 1] for the networks.

    Notes
    -----
    :meth:`transform` takes

    - a 3-D array ``(n_samples, height, width)`` of grey images, or a 4-D array
      ``(n_samples, height, width, channels)`` of colour ones (RGB, RGBA; grey + alpha);
    - a 2-D array ``(n_samples, n_pixels)`` of flat images (see `image_shape`), e.g.
      MNIST's or :func:`sklearn.datasets.load_digits`'s rows;
    - a list (or 1-D array) whose items are 2-D or 3-D arrays of any size, or paths of
      image files (PNG, JPEG, anything Pillow reads), freely mixed.  A single image is a
      list of one.

    Pixels may have any integer, boolean or floating-point dtype and any range; only
    their order matters (integer images are read on their dtype's scale for transparency).
    The output is always ``(n_samples, 784)``, named ``pixel_{row}_{col}`` as
    :func:`skmnist.fetch_mnist`'s columns.  Images already in MNIST's framing come back
    nearly unchanged.

    Examples
    --------
    A dark "1" drawn on a white 40x60 canvas comes out as MNIST draws it:

    >>> import numpy as np
    >>> from skmnist import DigitNormalizer
    >>> canvas = np.full((60, 40), 255, dtype=np.uint8)
    >>> canvas[10:50, 18:22] = 0
    >>> Xt = DigitNormalizer().transform([canvas])
    >>> Xt.shape, Xt.dtype
    ((1, 784), dtype('uint8'))
    >>> digit = Xt[0].reshape(28, 28)
    >>> rows, cols = np.nonzero(digit)
    >>> int(rows.max() - rows.min() + 1)  # the longer side: 20 pixels
    20
    >>> int(digit.max())  # white ink on black
    255
    >>> DigitNormalizer().get_feature_names_out()[:2]
    array(['pixel_0_0', 'pixel_0_1'], dtype=object)

    In front of a network trained on MNIST (here a linear model on the sample):

    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmnist import PixelScaler, load_mnist_sample
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> model = make_pipeline(DigitNormalizer(), PixelScaler(),
    ...                       LogisticRegression(max_iter=200))
    >>> model.fit(X[:500], y[:500]).predict([canvas]).tolist()
    [1]
    """

    _parameter_constraints: dict = {
        "ink": [StrOptions({"auto", "dark", "light"})],
        "threshold": [StrOptions({"otsu"}), Interval(Real, 0, 1, closed="neither")],
        "deskew": ["boolean"],
        "image_shape": ["array-like", None],
        "dtype": [StrOptions({"uint8", "float32"})],
        "errors": [StrOptions({"raise", "zero"})],
    }

    def __init__(
        self, *, ink="auto", threshold="otsu", deskew=False, image_shape=None, dtype="uint8",
        errors="raise",
    ):
        self.ink = ink
        self.threshold = threshold
        self.deskew = deskew
        self.image_shape = image_shape
        self.dtype = dtype
        self.errors = errors

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the input's layout; nothing is learned.

        Parameters
        ----------
        X : array-like or list of arrays or file paths
            The images (see Notes in the class docstring).
        y : None
            Ignored.

        Returns
        -------
        self : DigitNormalizer
            The transformer.
        """
        images = self._images(X)
        if isinstance(images, np.ndarray) and images.ndim == 2:
            self.n_features_in_ = images.shape[1]
        return self

    def transform(self, X):
        """Frame each image as MNIST frames its digits: 784 pixels per row, ink white.

        Parameters
        ----------
        X : array-like or list of arrays or file paths
            The images (see Notes in the class docstring).

        Returns
        -------
        Xt : ndarray of shape (n_samples, 784)
            The framed digits, grey levels 0 (paper) to 255 (strongest ink), of `dtype`.
        """
        framed = self._frame(X, statistics=False)
        if framed.errors:
            warnings.warn(
                f"{len(framed.errors)} of {len(framed.data)} images could not be framed and "
                "are all zero: " + "; ".join(framed.errors.values()),
                UserWarning,
                stacklevel=2,
            )
        return framed.data

    def frame(self, X):
        """Frame each image and say what framing found: pixels, statistics, errors, notes.

        What :meth:`transform` does, without raising or warning for bad images (whatever
        `errors` says), and with what framing discards: the image-level statistics that
        :class:`skmnist.pipeline.DigitPipeline` reads to tell a digit from other pictures.

        Parameters
        ----------
        X : array-like or list of arrays or file paths
            The images (see Notes in the class docstring).

        Returns
        -------
        result : Bunch
            - ``data``: ndarray of shape (n_samples, 784), as :meth:`transform` returns
              (all zero for an image that could not be framed);
            - ``statistics``: ndarray of shape (n_samples, n_statistics), float64, the
              facts of each image that framing discards (NaN for a failed image);
            - ``errors``: dict of index to message, the images that could not be framed;
            - ``notes``: dict of index to a list of messages, what reading a file did
              (EXIF orientation applied, the first frame of several read).
        """
        return self._frame(X, statistics=True)

    def _frame(self, X, statistics):
        self._validate_params()
        from sklearn.utils import Bunch

        from ._framing import STATISTICS, frame_images

        images = self._images(X)
        if isinstance(images, np.ndarray) and images.ndim == 2:
            images = images.reshape(len(images), *self._flat_shape(images.shape[1]))
        stats = np.full((len(images), len(STATISTICS)), np.nan) if statistics else None
        notes = {}
        framed, failures = frame_images(
            images, ink=self.ink, threshold=self.threshold, deskew_digit=self.deskew,
            errors=self.errors if not statistics else "zero", statistics=stats, notes=notes,
        )
        Xt = framed.reshape(len(framed), -1) * 255.0
        Xt = np.rint(Xt).astype(np.uint8) if self.dtype == "uint8" else Xt.astype(np.float32)
        return Bunch(data=Xt, statistics=stats, errors=failures, notes=notes)

    def _images(self, X):
        """The input as an array of images or flat rows, or a list of images and paths."""
        if isinstance(X, (str, os.PathLike)):
            raise TypeError(
                "X must be a collection of images; for one image file pass a list: [path]."
            )
        if sparse.issparse(X):
            raise TypeError("DigitNormalizer takes dense images, not a sparse matrix.")
        if isinstance(X, (list, tuple)) or (
            isinstance(X, np.ndarray) and X.ndim == 1 and X.dtype.kind in "OUS"
        ):
            if len(X) == 0:
                raise ValueError("X holds no images.")
            return list(X)
        array = np.asarray(X)
        if array.ndim not in (2, 3, 4):
            raise ValueError(
                "X must be a 2-D array of flat images (n_samples, n_pixels), a 3-D or 4-D "
                "stack of images (n_samples, height, width[, channels]) or a list of images "
                f"or file paths; got an array of shape {array.shape}."
            )
        if len(array) == 0:
            raise ValueError("X holds no images.")
        return array

    def _flat_shape(self, n_pixels):
        if self.image_shape is not None:
            shape = tuple(self.image_shape)
            if len(shape) != 2 or int(np.prod(shape)) != n_pixels:
                raise ValueError(
                    f"image_shape={shape!r} does not hold the {n_pixels} pixels of each row."
                )
            return shape
        side = int(round(np.sqrt(n_pixels)))
        if side * side != n_pixels:
            raise ValueError(
                f"Rows of {n_pixels} pixels are not square images; pass image_shape="
                "(height, width), or the images themselves as a 3-D array or a list."
            )
        return side, side

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored: the output is always MNIST's 28x28 pixels.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``pixel_{row}_{col}`` for the 784 output columns, as in
            :func:`skmnist.fetch_mnist`.
        """
        return np.asarray(
            [f"pixel_{r}_{c}" for r in range(28) for c in range(28)], dtype=object
        )

    def __sklearn_is_fitted__(self):
        return True  # stateless: transform needs no fit

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags
