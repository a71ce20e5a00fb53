"""The warnings skmnist issues of its own (errors are scikit-learn's ValueError/TypeError)."""

__all__ = ["PixelScaleWarning"]


class PixelScaleWarning(UserWarning):
    """Pixels on another scale than the step expects: raw 0-255 values given to a network
    fitted on [0, 1], or values already in [0, 1] given to :class:`~skmnist.PixelScaler`.

    Either way the predictions are quietly wrong (the shipped-model page of the user guide
    says how wrong), so skmnist says so and names the fix.
    """
