"""Aligned array allocation (NumPy only).

NumPy aligns array data to 16 bytes; vectorized kernels (and TensorFlow's zero-copy hand-off,
see ``skmnist._prediction``) want whole cache lines.  Arrays that skmnist allocates for the
networks to read (:class:`skmnist.PixelScaler`'s output) start at a ``CACHE_LINE`` boundary.
"""

import numpy as np

CACHE_LINE = 64


def aligned_empty(shape, dtype=np.float32, alignment=CACHE_LINE):
    """An uninitialized C-ordered array whose data start at an ``alignment``-byte boundary."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(nbytes + alignment, dtype=np.uint8)
    start = -buffer.ctypes.data % alignment
    return buffer[start : start + nbytes].view(dtype).reshape(shape)


def is_aligned(X, alignment=CACHE_LINE):
    """Whether ``X``'s data start at an ``alignment``-byte boundary."""
    return X.ctypes.data % alignment == 0
