"""The fitted network as NumPy: its forward pass without TensorFlow.

Prediction needs a handful of matrix products, activations and (for the convolutional trunk)
convolutions and max-pooling; importing TensorFlow and rebuilding the Keras model costs
seconds and hundreds of megabytes that a scoring script, a web service or a serverless
function pays on every cold start.  :meth:`NumpyNetwork.from_keras` copies the layers of a
fitted Keras model into plain NumPy arrays (at the end of ``fit``, and they pickle with the
estimator); :meth:`NumpyNetwork.forward` runs them.  The Keras model stays the source of
truth: it is what training updates, and the copy is taken again after every ``fit``.

:class:`NumpyPredictor` serves a NumPy network and a head with a NumPy counterpart behind the
:class:`~skmnist._predictor.Predictor` interface (see :mod:`skmnist._predictor`).

Only what the estimators build is supported (``Dense`` with every activation they accept,
``Dropout`` (inactive at inference), ``Reshape``, ``Conv2D``, ``MaxPooling2D``, ``Flatten``,
``Rescaling``), wired as a chain; anything else raises :class:`UnsupportedModel` and the
estimator keeps predicting through TensorFlow.

Batch independence
------------------
A sample's result must not depend on which other samples share its batch.  BLAS libraries
pick their kernel by the shape of a product: OpenBLAS, for one, sends a product of ``m``
rows to a matrix-vector kernel when ``m == 1`` and to "small matrix" or "direct" kernels
below a size threshold, and those kernels sum in another order (results differ in the last
bit).  :func:`min_rows` finds, once per process and layer shape, the smallest row count from
which the library's products agree bit for bit with a large product; shorter inputs are
padded to it (with zero rows) before the product.
"""

import functools

import numpy as np
from scipy import special

from ._predictor import FEATURES, HEAD, LOG_PROBA, PROBA, Predictor, check_finite

__all__ = ["NumpyNetwork", "NumpyPredictor", "UnsupportedModel", "min_rows"]

#: Keras layers that compute nothing at inference (the NumPy network leaves them out).
INACTIVE_LAYERS = frozenset({
    "InputLayer", "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "SpatialDropout2D", "Identity", "ActivityRegularization",
})


class UnsupportedModel(Exception):
    """The Keras model holds a layer (or a wiring) the NumPy forward pass does not implement."""


# ------------------------------------------------------------------ activations
def _selu(x):
    # keras.activations.selu's constants
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


# Each may overwrite its argument (the layers pass a fresh array): an in-place ReLU saves an
# allocation of the layer's whole output.
_ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0, out=x),
    "tanh": np.tanh,
    "sigmoid": special.expit,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": _selu,
    # keras.activations.gelu's default is the exact form (approximate=False)
    "gelu": lambda x: 0.5 * x * (1 + special.erf(x * np.float32(np.sqrt(0.5)))),
    "silu": lambda x: x * special.expit(x),
    "softmax": special.softmax,
}


def _activation(layer):
    name = layer.get_config().get("activation", "linear")
    if isinstance(name, dict):  # a serialized activation object
        name = name.get("config", {}).get("name", name.get("class_name"))
    if name not in _ACTIVATIONS:
        raise UnsupportedModel(f"activation {name!r} of layer {layer.name!r}")
    return name


# ------------------------------------------------------------------ batch-independent products
# The reference product has at least this many multiply-adds: above the size thresholds of
# the common BLAS libraries' special kernels (OpenBLAS: 1e6 for small-matrix kernels, 7.3e6
# for its "direct" sgemm on one core).
_REFERENCE_SIZE = 1e7
# Row counts probed, below the reference's
_PROBE_ROWS = (*range(1, 17), 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536,
               2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768)


@functools.cache
def min_rows(k, n):
    """Smallest row count from which ``(m, k) @ (k, n)`` float32 products agree bit for bit.

    Probes the BLAS library NumPy uses: the first rows of a reference product (large enough
    for the library's general kernel) against products of ``m`` rows, for growing ``m``.
    The answer is the smallest probed ``m`` from which every larger probe agrees; products
    of fewer rows are padded to it.  Cached per process (the library, not the model,
    decides it); costs a few milliseconds per layer shape.
    """
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((k, n)).astype(np.float32)
    n_ref = int(_REFERENCE_SIZE // (k * n)) + 1
    probe = rng.standard_normal((n_ref, k)).astype(np.float32)
    reference = probe @ weights
    answer = n_ref
    for m in reversed([m for m in _PROBE_ROWS if m < n_ref]):
        if not np.array_equal(probe[:m] @ weights, reference[:m]):
            break
        answer = m
    return answer


def _matmul(x, weights):
    """``x @ weights``, padding short inputs so every row takes the same BLAS kernel."""
    m = len(x)
    need = min_rows(*weights.shape)
    if m >= need:
        return x @ weights
    padded = np.zeros((need, x.shape[1]), dtype=x.dtype)
    padded[:m] = x
    return (padded @ weights)[:m]


# ------------------------------------------------------------------ layers
# Rows of a dense network's forward pass at once (4,096 x 400 float32 activations: 6.6 MB).
_ROWS_PER_STEP = 4096

class _Dense:
    def __init__(self, kernel, bias, activation):
        self.kernel, self.bias, self.activation = kernel, bias, activation

    def __call__(self, x):
        y = _matmul(x, self.kernel)
        if self.bias is not None:
            y += self.bias
        return _ACTIVATIONS[self.activation](y).astype(np.float32, copy=False)


class _Reshape:
    def __init__(self, shape):
        self.shape = tuple(shape)

    def __call__(self, x):
        return x.reshape((len(x), *self.shape))


class _Flatten:
    def __call__(self, x):
        return x.reshape(len(x), -1)


class _Rescaling:
    def __init__(self, scale, offset):
        self.scale, self.offset = np.float32(scale), np.float32(offset)

    def __call__(self, x):
        return x * self.scale + self.offset


def _same_padding(size, window, stride):
    """Keras/TensorFlow "same" padding of one side: (before, after)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


class _Conv2D:
    """``Conv2D`` (stride 1, channels last) as one product of image patches and the kernel."""

    # Images per product: bounds the patch matrix (e.g. 256 x 14 x 14 x 288 float32 = 58 MB),
    # and the network's row blocks (see NumpyNetwork.forward).
    rows_per_step = 256

    def __init__(self, kernel, bias, activation, padding):
        self.kernel_shape = kernel.shape  # (kh, kw, c_in, c_out)
        self.kernel = np.ascontiguousarray(kernel.reshape(-1, kernel.shape[-1]))
        self.bias, self.activation, self.padding = bias, activation, padding

    def __call__(self, x):
        kh, kw, _, c_out = self.kernel_shape
        if self.padding == "same":
            (t, b), (left, r) = _same_padding(x.shape[1], kh, 1), _same_padding(x.shape[2], kw, 1)
            x = np.pad(x, ((0, 0), (t, b), (left, r), (0, 0)))
        h, w = x.shape[1] - kh + 1, x.shape[2] - kw + 1
        out = np.empty((len(x), h, w, c_out), dtype=np.float32)
        activation = _ACTIVATIONS[self.activation]
        for start in range(0, len(x), self.rows_per_step):
            part = x[start : start + self.rows_per_step]
            # (n, h, w, c, kh, kw) windows -> (n * h * w, kh * kw * c) patches, kernel order
            windows = np.lib.stride_tricks.sliding_window_view(part, (kh, kw), axis=(1, 2))
            patches = windows.transpose(0, 1, 2, 4, 5, 3)
            y = _matmul(patches.reshape(-1, self.kernel.shape[0]), self.kernel)
            if self.bias is not None:
                y += self.bias
            out[start : start + len(part)] = activation(y).reshape(len(part), h, w, c_out)
        return out


class _MaxPool2D:
    """``MaxPooling2D`` whose strides equal its window (the Keras default)."""

    def __init__(self, pool, padding):
        self.pool, self.padding = tuple(pool), padding

    def __call__(self, x):
        (ph, pw), (h, w) = self.pool, x.shape[1:3]
        if self.padding == "same":
            (t, b), (left, r) = _same_padding(h, ph, ph), _same_padding(w, pw, pw)
            if t or b or left or r:
                x = np.pad(x, ((0, 0), (t, b), (left, r), (0, 0)), constant_values=-np.inf)
        else:
            x = x[:, : h - h % ph, : w - w % pw]
        # the maximum of the window's ph * pw strided views (a reduction over the axes of a
        # (n, h / ph, ph, w / pw, pw, c) view is several times slower)
        out = x[:, 0::ph, 0::pw].copy()
        for i in range(ph):
            for j in range(pw):
                if i or j:
                    np.maximum(out, x[:, i::ph, j::pw], out=out)
        return out


def _weights(layer):
    values = [np.asarray(v, dtype=np.float32) for v in layer.get_weights()]
    kernel = values[0]
    bias = values[1] if len(values) > 1 else None
    return kernel, bias


def _convert(layer):
    """The NumPy counterpart of one Keras layer (None for layers inactive at inference)."""
    kind = type(layer).__name__
    config = layer.get_config()
    if kind in INACTIVE_LAYERS:
        return None
    if kind == "Dense":
        return _Dense(*_weights(layer), _activation(layer))
    if kind == "Activation":
        return _ActivationOnly(_activation(layer))
    if kind == "Reshape":
        return _Reshape(config["target_shape"])
    if kind == "Flatten":
        return _Flatten()
    if kind == "Rescaling":
        scale, offset = config["scale"], config["offset"]
        if not (np.isscalar(scale) and np.isscalar(offset)):
            raise UnsupportedModel(f"per-channel Rescaling {layer.name!r}")
        return _Rescaling(scale, offset)
    if kind == "Conv2D":
        if (
            tuple(config["strides"]) != (1, 1)
            or tuple(config["dilation_rate"]) != (1, 1)
            or config.get("groups", 1) != 1
            or config["data_format"] != "channels_last"
        ):
            raise UnsupportedModel(f"Conv2D {layer.name!r} with strides, dilation or groups")
        return _Conv2D(*_weights(layer), _activation(layer), config["padding"])
    if kind == "MaxPooling2D":
        pool = tuple(config["pool_size"])
        if tuple(config["strides"]) != pool or config["data_format"] != "channels_last":
            raise UnsupportedModel(f"MaxPooling2D {layer.name!r} with strides != pool_size")
        return _MaxPool2D(pool, config["padding"])
    raise UnsupportedModel(f"layer {layer.name!r} of type {kind}")


class _ActivationOnly:
    def __init__(self, activation):
        self.activation = activation

    def __call__(self, x):
        return _ACTIVATIONS[self.activation](x.copy()).astype(np.float32, copy=False)


class NumpyNetwork:
    """The layers of a fitted Keras model as NumPy operations (picklable, TensorFlow-free).

    Parameters
    ----------
    layers : list of (str, callable)
        Layer names and their NumPy forward functions, in order.
    """

    def __init__(self, layers):
        self.layers = list(layers)

    @classmethod
    def from_keras(cls, model):
        """Copy ``model``'s layers and weights (UnsupportedModel if it cannot be done).

        Parameters
        ----------
        model : keras.Model
            A functional model whose layers form a chain, one input and one output.

        Returns
        -------
        NumpyNetwork
        """
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise UnsupportedModel("a model with several inputs or outputs")
        layers, previous = [], None
        for layer in model.layers:
            if previous is not None and layer.input is not previous.output:
                raise UnsupportedModel(f"layer {layer.name!r} is not fed by the one before it")
            previous = layer
            converted = _convert(layer)
            if converted is not None:
                layers.append((layer.name, converted))
        if previous is None or previous.output is not model.outputs[0]:
            raise UnsupportedModel("the last layer is not the model's output")
        return cls(layers)

    @property
    def layer_names(self):
        """Names of the layers that compute something at inference, in order."""
        return [name for name, _ in self.layers]

    def forward(self, X, keep=()):
        """Run the layers over float32 rows ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), float32
            Validated input rows.
        keep : collection of str, default=()
            Names of layers whose outputs to return as well.

        Returns
        -------
        outputs : ndarray of shape (n_samples, ...), float32
            The last layer's output.
        kept : dict of str to ndarray
            The outputs of the layers named in ``keep`` (empty when none is named).
        """
        missing = set(keep) - set(self.layer_names)
        if missing:
            raise ValueError(f"No layer named {sorted(missing)} in {self.layer_names}.")
        step = self.rows_per_step
        if len(X) <= step:
            return self._forward(X, keep)
        # Row blocks through every layer: a convolution's activations of all rows at once
        # are gigabytes (25,000 images: 2.5 GB after the first Conv2D), block by block they
        # stay in the caches.  A row's result does not depend on its block (see min_rows).
        parts = [self._forward(X[start : start + step], keep)
                 for start in range(0, len(X), step)]
        x = np.concatenate([out for out, _ in parts])
        kept = {name: np.concatenate([k[name] for _, k in parts]) for name in keep}
        return x, kept

    @property
    def rows_per_step(self):
        """Rows the forward pass takes through all layers at once (the smallest of its
        layers' ``rows_per_step``; a layer without one bounds nothing)."""
        return min((getattr(layer, "rows_per_step", _ROWS_PER_STEP) for _, layer in self.layers),
                   default=_ROWS_PER_STEP)

    def _forward(self, X, keep):
        x, kept = X, {}
        for name, layer in self.layers:
            x = layer(x)
            if name in keep:
                kept[name] = x
        return x, kept


class NumpyPredictor(Predictor):
    """A :class:`NumpyNetwork` and its head's NumPy counterpart, as a
    :class:`~skmnist._predictor.Predictor`.

    Parameters
    ----------
    network : NumpyNetwork
    head : skmnist.Head
        A head with ``log_proba_numpy``.
    n_features, n_classes : int
    feature_layer : str or None
        The layer whose output is ``"features"`` (None: no ``"features"`` output).
    """

    backend = "numpy"

    def __init__(self, network, head, n_features, n_classes, feature_layer=None):
        self.network, self.head = network, head
        self.n_features, self.n_classes = int(n_features), int(n_classes)
        self.feature_layer = feature_layer
        names = {HEAD, LOG_PROBA, PROBA}
        if feature_layer is not None and feature_layer in network.layer_names:
            names.add(FEATURES)
        self.outputs = frozenset(names)

    def run(self, X, outputs=(PROBA,)):
        self._check_names(outputs)
        keep = (self.feature_layer,) if FEATURES in outputs else ()
        with np.errstate(over="ignore", invalid="ignore"):
            head, kept = self.network.forward(X, keep=keep)
        check_finite(head)
        result = {HEAD: head}
        if keep:
            features = kept[self.feature_layer]
            result[FEATURES] = features.reshape(len(features), -1)
        if LOG_PROBA in outputs:
            result[LOG_PROBA] = np.asarray(
                self.head.log_proba_numpy(head, self.n_classes), dtype=np.float32
            )
        if PROBA in outputs:
            result[PROBA] = self.head.proba_numpy(head, self.n_classes)
        return {name: result[name] for name in outputs}


def weights_of(converted, layer):
    """The Keras weights of ``layer`` from its NumPy copy ``converted`` (inverse of _convert)."""
    if isinstance(converted, _Conv2D):
        kernel = converted.kernel.reshape(converted.kernel_shape)
    elif isinstance(converted, _Dense):
        kernel = converted.kernel
    else:
        raise UnsupportedModel(f"layer {layer.name!r} has weights its copy does not hold")
    weights = [kernel] if converted.bias is None else [kernel, converted.bias]
    return [np.asarray(w, dtype=np.float32) for w in weights]


#: Every type a NumPy copy of a network is made of (trusted by skmnist.persistence.load).
PERSISTED_TYPES = (NumpyNetwork, _Dense, _ActivationOnly, _Reshape, _Flatten, _Rescaling,
                   _Conv2D, _MaxPool2D)
