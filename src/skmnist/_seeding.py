"""Seeds of one fit: layer seeds derived from one ``random_state``, and a seeded scope.

Every seeded part of a network (each layer's initializer, each dropout mask, the head) takes
``seed + offset`` with an offset of its own, so no two parts draw the same random stream.
"""

import random
from contextlib import contextmanager

import numpy as np

# Offsets from a fit's seed: hidden layer i uses HIDDEN + i, its dropout DROPOUT + i, the
# convolution block i CONV + i, the head HEAD (then + j for its own layers).
HIDDEN_SEED_OFFSET = 0
DROPOUT_SEED_OFFSET = 100
CONV_SEED_OFFSET = 200
HEAD_SEED_OFFSET = 1000
# the novelty statistics' subsample and calibration split (skmnist._novelty)
NOVELTY_SEED_OFFSET = 2000
# The outlier-exposure pool's draws (skmnist._outlier_exposure).
OUTLIER_SEED_OFFSET = 3000


def seed_offset(seed, offset):
    """``seed + offset``, or None when ``seed`` is None (unseeded)."""
    return None if seed is None else int(seed) + offset


@contextmanager
def seeded(seed):
    """Seed Keras/TensorFlow for one fit, leaving Python's and NumPy's global RNGs as found.

    ``keras.utils.set_random_seed`` also reseeds ``random`` and ``numpy.random``; a
    scikit-learn estimator must not change the caller's global random state as a side effect.
    """
    if seed is None:
        yield
        return
    from ._tf import keras  # training only: prediction never imports TensorFlow

    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        keras.utils.set_random_seed(int(seed))
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
