"""Memory alignment shared by the transformer and the networks (no TensorFlow import here).

TensorFlow's CPU tensors must start at a multiple of ``TENSOR_ALIGNMENT`` bytes (Eigen's
alignment).  An array that does can be handed to TensorFlow without a copy; arrays that
skmnist allocates for the networks to read (:class:`skmnist.PixelScaler`'s output) are
therefore allocated aligned.
"""

import numpy as np

TENSOR_ALIGNMENT = 64


def aligned_empty(shape, dtype=np.float32):
    """An uninitialized C-ordered array whose data start at a ``TENSOR_ALIGNMENT`` boundary."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(nbytes + TENSOR_ALIGNMENT, dtype=np.uint8)
    start = -buffer.ctypes.data % TENSOR_ALIGNMENT
    return buffer[start : start + nbytes].view(dtype).reshape(shape)


def is_aligned(X):
    """Whether ``X``'s data start at a ``TENSOR_ALIGNMENT`` boundary."""
    return X.ctypes.data % TENSOR_ALIGNMENT == 0
