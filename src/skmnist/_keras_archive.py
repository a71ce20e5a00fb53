"""The Keras model inside a pickled estimator: ``.keras`` archive bytes, in memory."""

import io
import os
import tempfile
import warnings
import zipfile

from ._tf import keras


def model_to_bytes(model):
    """Serialize a Keras model (architecture, weights, optimizer state) to ``.keras`` bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        with warnings.catch_warnings():
            # Keras's variable saving trips NumPy 2's __array__(copy=...) deprecation notice.
            warnings.simplefilter("ignore", DeprecationWarning)
            model.save(path)
        with open(path, "rb") as f:
            return f.read()


def model_from_bytes(data):
    """The Keras model of :func:`model_to_bytes`'s archive (ValueError for anything else)."""
    if not isinstance(data, bytes) or not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValueError("The pickled estimator does not hold a valid Keras model archive.")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="keras")
            # safe_mode: an archive that would run arbitrary code (a Lambda layer's
            # pickled function) is refused rather than loaded
            return keras.saving.load_model(path, compile=True, safe_mode=True)
