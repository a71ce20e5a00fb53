"""The integrity record a saved estimator carries: digests of what it predicts with, versions.

``BaseKerasClassifier.__getstate__`` adds :func:`make_record`'s record to the state of a fitted
estimator and ``__setstate__`` checks it with :func:`check_record`, so every container (pickle,
joblib, skops) gets the same check: a file whose network, Keras archive, novelty statistics or
classes were damaged or altered is refused at load, never loaded to predict differently from
what was saved.  The record also names the skmnist and scikit-learn versions that wrote it; a
file from other versions loads with a warning.
"""

import hashlib
import warnings

import numpy as np

# The parts of a fitted state that decide what the estimator predicts, and how the error names
# each when its digest does not match.
_PARTS = {
    "_network": "its NumPy network's weights",
    "_model_archive": "its Keras model archive",
    "_novelty": "its novelty statistics",
    "classes_": "its classes",
}

# The key of the record in the state.
RECORD = "_skmnist_integrity"


class ModelFileError(ValueError):
    """A saved model that cannot be loaded as it was saved: damaged, altered or not a model.

    A ``ValueError``, so code that catches scikit-learn's loading errors catches it too. The
    message names the file (when the loader knows it) and what is wrong with it.
    """


class InconsistentVersionWarning(UserWarning):
    """A saved skmnist estimator was written by another skmnist version (or by one that wrote
    no version and no integrity record).

    Its cousin for scikit-learn versions is :class:`sklearn.exceptions.InconsistentVersionWarning`,
    which skmnist's estimators raise too when a file was written under another scikit-learn.

    Attributes
    ----------
    estimator_name : str
        The class of the loaded estimator.
    current_version : str
        This skmnist's version.
    original_version : str or None
        The version that wrote the file (None when the file does not say).
    """

    def __init__(self, message, *, estimator_name, current_version, original_version):
        super().__init__(message)
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version


# Both are public in skmnist.persistence, where users look for them.
ModelFileError.__module__ = InconsistentVersionWarning.__module__ = "skmnist.persistence"


def _feed(digest, value):
    """Feed ``value`` to ``digest`` in a form that is the same after pickle and skops.

    Arrays by dtype, shape and bytes; plain values by type and repr; sequences, mappings and
    objects (by their ``__dict__``) element by element, so nothing depends on a container's
    own encoding or on memory addresses.
    """
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        digest.update(f"array {array.dtype.str} {array.shape};".encode())
        if array.dtype == object:  # e.g. mixed labels: their values, not their pointers
            for item in array.ravel().tolist():
                _feed(digest, item)
        else:
            digest.update(np.ascontiguousarray(array).tobytes())
    elif isinstance(value, (bytes, bytearray)):
        digest.update(b"bytes %d;" % len(value))
        digest.update(value)
    elif value is None or isinstance(value, (bool, int, float, complex, str)):
        digest.update(f"{type(value).__name__} {value!r};".encode())
    elif isinstance(value, (list, tuple)):  # skops may give a tuple back as a list
        digest.update(f"sequence {len(value)};".encode())
        for item in value:
            _feed(digest, item)
    elif isinstance(value, dict):
        digest.update(f"mapping {len(value)};".encode())
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
    elif hasattr(value, "__dict__"):
        digest.update(f"object {type(value).__qualname__};".encode())
        _feed(digest, vars(value))
    else:
        digest.update(f"other {type(value).__qualname__};".encode())


def _digest(value):
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


def _versions():
    import sklearn

    from . import __version__

    return __version__, sklearn.__version__


def make_record(state):
    """The integrity record of a fitted estimator's state (as ``__getstate__`` returns it)."""
    skmnist_version, sklearn_version = _versions()
    return {
        "skmnist": skmnist_version,
        "sklearn": sklearn_version,
        "sha256": {key: _digest(state.get(key)) for key in _PARTS},
    }


def check_record(record, state, estimator_name):
    """Check a loaded state against its record: ModelFileError if damaged, warn on versions.

    ``record`` is None for a fitted estimator saved without one (skmnist 0.1, or a development
    version before the record existed): it loads, with a warning that it cannot be checked.
    """
    skmnist_version, sklearn_version = _versions()
    if record is None:
        warnings.warn(
            InconsistentVersionWarning(
                f"This {estimator_name} was saved without an integrity record (by skmnist 0.1 "
                "or an early development version): damage to its file cannot be detected. "
                "Save it again with this skmnist to add one.",
                estimator_name=estimator_name, current_version=skmnist_version,
                original_version=None,
            ),
            stacklevel=3,
        )
        return
    digests = record.get("sha256") if isinstance(record, dict) else None
    if not isinstance(digests, dict) or set(digests) != set(_PARTS):
        raise ModelFileError(
            f"The saved {estimator_name} is damaged: its integrity record is unreadable."
        )
    wrong = [name for key, name in _PARTS.items() if digests[key] != _digest(state.get(key))]
    if wrong:
        which = (
            f"the SHA-256 digest of {wrong[0]} does not match the one"
            if len(wrong) == 1
            else f"the SHA-256 digests of {' and '.join(wrong)} do not match those"
        )
        raise ModelFileError(
            f"The saved {estimator_name} is damaged or was altered: {which} recorded when it "
            "was saved."
        )
    original = record.get("skmnist")
    if original != skmnist_version:
        warnings.warn(
            InconsistentVersionWarning(
                f"This {estimator_name} was saved by skmnist {original} and is loaded by "
                f"skmnist {skmnist_version}: it may predict differently or fail. Save it again "
                "with this version, or retrain it.",
                estimator_name=estimator_name, current_version=skmnist_version,
                original_version=original,
            ),
            stacklevel=3,
        )
    if record.get("sklearn") != sklearn_version:
        from sklearn.exceptions import InconsistentVersionWarning as SklearnVersionWarning

        warnings.warn(
            SklearnVersionWarning(
                estimator_name=estimator_name,
                current_sklearn_version=sklearn_version,
                original_sklearn_version=record.get("sklearn"),
            ),
            stacklevel=3,
        )
