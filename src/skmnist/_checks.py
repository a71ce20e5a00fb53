"""Checks of scalar arguments shared by every module (no TensorFlow import here).

Python's ``bool`` is an ``Integral``: ``True`` would pass as the integer 1 and ``False`` as 0,
so every integer argument is checked here, in one place, with bools refused.
"""

from numbers import Integral


def is_int(value, min_value=None):
    """Whether ``value`` is an integer (not a bool), at least ``min_value`` when given."""
    return (
        isinstance(value, Integral)
        and not isinstance(value, bool)
        and (min_value is None or value >= min_value)
    )


def check_int(value, name, min_value=1):
    """``value`` as an ``int``, or a ValueError naming ``name`` and the bound."""
    if not is_int(value, min_value):
        raise ValueError(f"{name} must be an int >= {min_value}, got {value!r}.")
    return int(value)
