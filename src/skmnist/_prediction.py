"""The TensorFlow predictor: compiled functions of a fitted model, run in padded row blocks.

:class:`PredictionRunner` implements :class:`skmnist._predictor.Predictor` (see that module
for the interface); it serves heads without a NumPy counterpart and layers the NumPy network
does not know.


``keras.Model.predict`` builds a ``tf.data`` pipeline on every call, which dominates the time
of small predictions.  :class:`PredictionRunner` traces one ``tf.function`` per output with a
``[None, n_features]`` signature (every batch size, no retracing), hands aligned input to
TensorFlow without a copy, and runs every row inside a block of ``ROW_BLOCK`` rows so that a
sample's result does not depend on the batch it is in.
"""

import functools

import numpy as np

from ._memory import is_aligned
from ._predictor import FEATURES, HEAD, LOG_PROBA, PROBA, Predictor, check_finite
from ._tf import tf

# Rows per call of a compiled function: at most this many, and no more than keep the widest
# layer's activations within _CHUNK_BYTES (65,536 x 400 float32 is 100 MB; a convolution's
# 28 x 28 x 32 maps are 100 KB a row, 2.5 GB for 25,000 rows at once), while keeping
# per-call overhead negligible.
_PREDICT_CHUNK = 65536
_CHUNK_BYTES = 100 * 2**20
# 16 rows of any width fill whole 16-lane float32 vector registers, so no element takes a
# scalar tail path (see PredictionRunner.run).
ROW_BLOCK = 16
# TensorFlow's CPU tensors must start at a multiple of this many bytes (Eigen's alignment);
# DLPack hands over only buffers that do.
TENSOR_ALIGNMENT = 64


def can_share(X):
    """Whether TensorFlow can take ``X``'s memory without a copy (see :func:`as_tensor`)."""
    return (
        X.dtype == np.float32
        and X.flags.c_contiguous
        and X.flags.writeable
        and X.size > 0
        and is_aligned(X, TENSOR_ALIGNMENT)
    )


def as_tensor(X):
    """``X`` (float32, C-ordered) as a TensorFlow tensor, sharing its memory when possible.

    ``tf.constant`` copies: 31 MB for 10,000 MNIST images, about an eighth of
    ``predict_proba``'s time.  DLPack hands the buffer over instead, but TensorFlow aborts the
    process on a buffer that is not aligned to ``TENSOR_ALIGNMENT`` bytes, so only arrays that
    are (e.g. :class:`skmnist.PixelScaler`'s outputs) and writeable (DLPack cannot mark
    read-only memory) take that path; everything else is copied.
    """
    if can_share(X):
        return tf.experimental.dlpack.from_dlpack(X.__dlpack__())
    return tf.constant(X)


class PredictionRunner(Predictor):
    """The TensorFlow :class:`~skmnist._predictor.Predictor`: compiled functions of a fitted
    Keras model (any head, any layer).

    One ``tf.function`` per set of requested outputs, traced once with a
    ``[None, n_features]`` signature (every batch size, no retracing).  Made once per fitted
    model (at the end of fit and on unpickling), so prediction never changes the
    estimator's ``__dict__``.

    Parameters
    ----------
    model : keras.Model
        The fitted network.
    head : skmnist.Head
        Its head (``log_proba`` turns the outputs into class log-probabilities).
    n_features, n_classes : int
    feature_layer : str or None
        The layer whose output is ``"features"`` (None: no ``"features"`` output).
    """

    backend = "tensorflow"

    def __init__(self, model, head, n_features, n_classes, feature_layer=None):
        self.model, self.head = model, head
        self.n_features, self.n_classes = int(n_features), int(n_classes)
        self.feature_layer = feature_layer
        names = {HEAD, LOG_PROBA, PROBA}
        if feature_layer is not None and any(
            layer.name == feature_layer for layer in model.layers
        ):
            names.add(FEATURES)
        self.outputs = frozenset(names)
        self.functions = {}

    @functools.cached_property
    def chunk_rows(self):
        """Rows per call of a compiled function (a multiple of ``ROW_BLOCK``)."""
        widest = 1
        for layer in self.model.layers:
            try:
                shape = layer.output.shape[1:]
            except (AttributeError, ValueError):  # a layer called several times
                continue
            widest = max(widest, int(np.prod([d or 1 for d in shape])))
        rows = min(_PREDICT_CHUNK, _CHUNK_BYTES // (4 * widest))
        return max(ROW_BLOCK, rows - rows % ROW_BLOCK)

    def _function(self, names):
        """The compiled function computing ``names`` (``"proba"`` is derived in NumPy)."""
        if names not in self.functions:
            model, head, n_classes = self.model, self.head, self.n_classes
            if FEATURES in names:
                from ._tf import keras

                network = keras.Model(
                    model.inputs,
                    [model.outputs[0], model.get_layer(self.feature_layer).output],
                )
            else:
                network = None

            def compute(x):
                if network is not None:
                    outputs, features = network(x, training=False)
                else:
                    outputs, features = model(x, training=False), None
                result = {}
                if HEAD in names:
                    result[HEAD] = outputs
                if LOG_PROBA in names:
                    result[LOG_PROBA] = head.log_proba(outputs, n_classes)
                if FEATURES in names:
                    result[FEATURES] = features
                return result

            signature = [tf.TensorSpec([None, self.n_features], tf.float32)]
            self.functions[names] = tf.function(compute, input_signature=signature)
        return self.functions[names]

    def tracing_count(self, names=(LOG_PROBA,)):
        """How often the function of ``names`` was traced (1 after any number of calls)."""
        return self._function(tuple(sorted(names))).experimental_get_tracing_count()

    def run(self, X, outputs=(PROBA,)):
        """Run the compiled function over validated float32 ``X``, in padded chunks.

        TensorFlow's vectorized kernels treat the last elements of a buffer (the part that
        does not fill a SIMD register) and single-row matrix products on other code paths,
        whose float32 rounding differs by about 1e-7.  Running every row inside a block whose
        row count is a multiple of ``ROW_BLOCK`` makes each sample's result independent of
        which other samples share its batch (the same probabilities alone, in a batch, or
        reordered).  Only the short remainder is copied for padding.
        """
        self._check_names(outputs)
        names = {LOG_PROBA if name == PROBA else name for name in outputs} | {HEAD}
        fn = self._function(tuple(sorted(names)))
        n = len(X)
        whole = n - n % ROW_BLOCK
        parts, chunk = [], self.chunk_rows
        for start in range(0, whole, chunk):
            stop = min(start + chunk, whole)
            parts.append(fn(as_tensor(X[start:stop])))
        if n % ROW_BLOCK or n == 0:
            tail = np.zeros((ROW_BLOCK, X.shape[1]), dtype=np.float32)
            tail[: n % ROW_BLOCK] = X[whole:]
            parts.append({k: v[: n % ROW_BLOCK] for k, v in fn(tf.constant(tail)).items()})
        result = {
            name: np.concatenate([part[name].numpy() for part in parts])
            if len(parts) > 1 else parts[0][name].numpy()
            for name in names
        }
        check_finite(result[HEAD])
        if FEATURES in result:
            result[FEATURES] = result[FEATURES].reshape(n, -1)
        return self.finish(result, outputs)
