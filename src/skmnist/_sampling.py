"""Draws from per-row categorical distributions (class labels, mixture components)."""


import numpy as np

from ._checks import check_int


def check_n_draws(n_draws):
    """``n_draws`` as an int, or a ValueError naming it."""
    return check_int(n_draws, "n_draws", 1)


def inverse_cdf_draw(cumulative, u):
    """Draw category indices by inverting per-row cumulative probabilities.

    ``cumulative`` is (n, K) with rows ending at 1, ``u`` is (n, n_draws) uniform draws; the
    result is, per draw, the first category whose cumulative probability exceeds it.  One
    comparison per category keeps memory at O(n * n_draws), never (n, n_draws, K).
    """
    index = np.zeros(u.shape, dtype=np.intp)
    for j in range(cumulative.shape[1] - 1):
        index += u >= cumulative[:, j : j + 1]
    return index
