"""Pixel preprocessing: images or flat pixels -> float32 features in [0, 1]."""

from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._memory import aligned_empty

__all__ = ["PixelScaler"]


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
