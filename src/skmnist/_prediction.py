"""The prediction runner: compiled functions of a fitted model, run in padded row blocks.

``keras.Model.predict`` builds a ``tf.data`` pipeline on every call, which dominates the time
of small predictions.  :class:`PredictionRunner` traces one ``tf.function`` per output with a
``[None, n_features]`` signature (every batch size, no retracing), hands aligned input to
TensorFlow without a copy, and runs every row inside a block of ``ROW_BLOCK`` rows so that a
sample's result does not depend on the batch it is in.
"""

import numpy as np

from ._memory import is_aligned
from ._tf import tf

# Rows per call of a compiled function: bounds the activations held at once (65,536 x 400
# float32 is 100 MB) while keeping per-call overhead negligible.
_PREDICT_CHUNK = 65536
# 16 rows of any width fill whole 16-lane float32 vector registers, so no element takes a
# scalar tail path (see PredictionRunner.run).
ROW_BLOCK = 16
# TensorFlow's CPU tensors must start at a multiple of this many bytes (Eigen's alignment);
# DLPack hands over only buffers that do.
TENSOR_ALIGNMENT = 64


def as_tensor(X):
    """``X`` (float32, C-ordered) as a TensorFlow tensor, sharing its memory when possible.

    ``tf.constant`` copies: 31 MB for 10,000 MNIST images, about an eighth of
    ``predict_proba``'s time.  DLPack hands the buffer over instead, but TensorFlow aborts the
    process on a buffer that is not aligned to ``TENSOR_ALIGNMENT`` bytes, so only arrays that
    are (e.g. :class:`skmnist.PixelScaler`'s outputs) and writeable (DLPack cannot mark
    read-only memory) take that path; everything else is copied.
    """
    if (
        X.dtype == np.float32
        and X.flags.c_contiguous
        and X.flags.writeable
        and X.size > 0
        and is_aligned(X, TENSOR_ALIGNMENT)
    ):
        return tf.experimental.dlpack.from_dlpack(X.__dlpack__())
    return tf.constant(X)


class PredictionRunner:
    """Compiled ``outputs`` (raw head) and ``log_proba`` functions of one fitted model.

    Made once per fitted model (at the end of fit and on unpickling), so prediction never
    changes the estimator's ``__dict__``.

    Parameters
    ----------
    model : keras.Model
        The fitted network.
    n_features : int
        Width of its input.
    log_proba : callable
        ``log_proba(outputs) -> tensor``: class log-probabilities from the head's outputs.
    """

    def __init__(self, model, n_features, log_proba):
        signature = [tf.TensorSpec([None, n_features], tf.float32)]

        def outputs(x):
            return model(x, training=False)

        def class_log_proba(x):
            return log_proba(model(x, training=False))

        self.functions = {
            name: tf.function(fn, input_signature=signature)
            for name, fn in [("outputs", outputs), ("log_proba", class_log_proba)]
        }

    def tracing_count(self, name):
        """How often the function ``name`` was traced (1 after any number of calls)."""
        return self.functions[name].experimental_get_tracing_count()

    def run(self, name, X):
        """Run the compiled function ``name`` over validated float32 ``X``, in padded chunks.

        TensorFlow's vectorized kernels treat the last elements of a buffer (the part that
        does not fill a SIMD register) and single-row matrix products on other code paths,
        whose float32 rounding differs by about 1e-7.  Running every row inside a block whose
        row count is a multiple of ``ROW_BLOCK`` makes each sample's result independent of
        which other samples share its batch (the same probabilities alone, in a batch, or
        reordered).  Only the short remainder is copied for padding.
        """
        fn = self.functions[name]
        n = len(X)
        whole = n - n % ROW_BLOCK
        parts = []
        for start in range(0, whole, _PREDICT_CHUNK):
            stop = min(start + _PREDICT_CHUNK, whole)
            parts.append(fn(as_tensor(X[start:stop])).numpy())
        if n % ROW_BLOCK or n == 0:
            tail = np.zeros((ROW_BLOCK, X.shape[1]), dtype=np.float32)
            tail[: n % ROW_BLOCK] = X[whole:]
            parts.append(fn(tf.constant(tail)).numpy()[: n % ROW_BLOCK])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
