"""Saving and loading fitted models safely, with ``skops.io``.

A pickle (and so a ``joblib`` file) runs code named in the file when it is loaded: load one
only if you trust its source.  A ``skops`` file holds the same fitted model as data: loading
it rebuilds only types on an explicit list of trusted ones and refuses anything else, so a
file from someone else cannot run code.  :func:`trusted_types` lists skmnist's own types (the
estimators, the transformers and the pieces of a fitted network); :func:`dump` and
:func:`load` wrap :func:`skops.io.dump` and :func:`skops.io.load` with that list.  The Keras
model inside a fitted estimator is stored as a ``.keras`` archive and rebuilt with Keras's
``safe_mode`` (no deserialized Python functions) when ``model_`` is first used; prediction
does not need it, and loading imports no TensorFlow.

``skops`` is an optional dependency: ``pip install skmnist[skops]``.

Every fitted estimator carries an integrity record (SHA-256 digests of its NumPy network, its
Keras archive, its novelty statistics and its classes, and the skmnist and scikit-learn
versions that saved it), checked whenever it is loaded, whatever the container: a damaged or
altered file is refused with :class:`ModelFileError`, and a file from other versions loads
with a warning (:class:`InconsistentVersionWarning` for skmnist,
:class:`sklearn.exceptions.InconsistentVersionWarning` for scikit-learn).
:func:`load_model` loads a file in either format and turns every failure into one
:class:`ModelFileError` naming the file.
"""

import os
import zipfile

from ._integrity import InconsistentVersionWarning, ModelFileError
from ._networks import NETWORKS

__all__ = [
    "InconsistentVersionWarning",
    "ModelFileError",
    "dump",
    "load",
    "load_model",
    "trusted_types",
]

# How a file starts: a skops file is a zip archive; a pickle (protocol 2 and later) starts
# with its PROTO opcode; joblib's compressed files with their compressor's magic.
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_MAGICS = (b"\x80", b"\x78", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x04\x22\x4d\x18")


def _head(file):
    """The first bytes of ``file`` (a path or a seekable binary file, left where it was)."""
    if hasattr(file, "read"):
        position = file.tell()
        try:
            return file.read(8)
        finally:
            file.seek(position)
    with open(file, "rb") as f:
        return f.read(8)


def _skops_io():
    try:
        import skops.io
    except ImportError:
        raise ImportError(
            "Saving and loading skops files needs the skops package: "
            "pip install skmnist[skops] (or pip install skops)."
        ) from None
    return skops.io


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def trusted_types():
    """Return the names of skmnist's own types that a saved model may hold.

    Returns
    -------
    names : list of str
        Fully qualified type names, as :func:`skops.io.load`'s ``trusted`` expects: the
        estimators, the transformers, the layers of the NumPy copy of a fitted network and
        its novelty statistics.

    Examples
    --------
    >>> from skmnist.persistence import trusted_types
    >>> "skmnist.fcn.FCNClassifier" in trusted_types()
    True
    """
    from . import _inference, _novelty
    from .pipeline import DigitPipeline
    from .preprocessing import DigitNormalizer, PixelScaler

    networks = [network.estimator_class() for network in NETWORKS.values()]
    types = [*networks, DigitNormalizer, PixelScaler, DigitPipeline,
             _novelty.NoveltyModel,
             _novelty.EntropyNovelty, *_inference.PERSISTED_TYPES]
    return sorted(_type_name(t) for t in types)


def dump(model, file):
    """Save a fitted (or unfitted) model, or a pipeline holding one, as a skops file.

    Parameters
    ----------
    model : object
        An skmnist estimator, a scikit-learn pipeline or any object skops can save.
    file : str, path-like or file-like
        Where to write (``.skops`` by convention).

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmnist import FCNClassifier, PixelScaler, load_mnist_sample
    >>> from skmnist.persistence import dump, load
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> model = make_pipeline(PixelScaler(), FCNClassifier((16,), epochs=1, random_state=0))
    >>> model = model.fit(X[:300], y[:300])
    >>> path = os.path.join(tempfile.mkdtemp(), "digits.skops")
    >>> dump(model, path)
    >>> (load(path).predict(X[:5]) == model.predict(X[:5])).all()
    np.True_
    """
    _skops_io().dump(model, file)


def load(file, trusted=None):
    """Load a skops file, trusting skmnist's own types and those in ``trusted`` only.

    Parameters
    ----------
    file : str, path-like or file-like
        A file written by :func:`dump` (or :func:`skops.io.dump`).
    trusted : list of str, default=None
        Further type names to trust, e.g. a network of your own
        (``"mypackage.MyClassifier"``). Trust a type only if the file comes from a source you
        trust; :func:`skops.io.get_untrusted_types` lists what a file holds.

    Returns
    -------
    model : object
        The saved model.

    Raises
    ------
    ModelFileError
        A ``ValueError``: when the file is a joblib or pickle file (load it with
        :func:`load_model`), is not a complete skops file (truncated, altered or not a skops
        file at all), holds an estimator whose integrity record does not match it, or was
        saved by a newer skmnist.
    ValueError
        When the file holds types that are not trusted.

    Warns
    -----
    InconsistentVersionWarning
        When the file was saved by another skmnist version
        (:class:`sklearn.exceptions.InconsistentVersionWarning`: by another scikit-learn).
    """
    return _load_skops(file, trusted, f"{file!r}")


def _load_skops(file, trusted, name):
    """:func:`load`'s work; its errors call the file ``name``."""
    sio = _skops_io()
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        head = _head(file)
    except OSError as exc:
        raise ModelFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    if not head.startswith(_ZIP_MAGIC) and head.startswith(_PICKLE_MAGICS):
        raise ModelFileError(
            f"{name} is not a skops file: this is a joblib/pickle file; load it with "
            "joblib.load or skmnist.persistence.load_model (only if you trust its source: "
            "loading a pickle runs code)."
        )
    try:
        return sio.load(file, trusted=[*trusted_types(), *(trusted or [])])
    except UntrustedTypesFoundException as exc:
        raise ValueError(
            f"{name} holds types that are not trusted: {str(exc).rstrip('.')}. Load it with "
            "trusted=[...] naming them only if you trust the file's source."
        ) from None
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ModelFileError(
            f"{name} is not a complete skops model file (truncated or altered?): {exc}"
        ) from None


def load_model(path, *, trusted=None):
    """Load a saved model of either format, with one clear error for every failure.

    A skops file (a zip archive, as :func:`dump` writes) is loaded with :func:`load`,
    trusting skmnist's own types and those in ``trusted``; anything else is loaded as a
    joblib or pickle file (as ``joblib.dump`` and ``skmnist run`` write), which runs code
    named in the file: load those only from sources you trust.

    Parameters
    ----------
    path : str or path-like
        The file.
    trusted : list of str, default=None
        Further type names to trust in a skops file (see :func:`load`).

    Returns
    -------
    model : object
        The saved model.

    Raises
    ------
    ModelFileError
        A ``ValueError`` naming ``path`` and what is wrong: no such file, a truncated,
        damaged or altered file (an skmnist estimator checks its integrity record), a file
        that is not a model, untrusted types in a skops file, or a file from a newer skmnist.
    ImportError
        When a skops file is given and skops is not installed.

    Warns
    -----
    InconsistentVersionWarning
        When the file was saved by another skmnist version, or without an integrity record
        (skmnist 0.1); scikit-learn's :class:`~sklearn.exceptions.InconsistentVersionWarning`
        when by another scikit-learn.

    Examples
    --------
    >>> import os, tempfile, joblib
    >>> from skmnist import FCNClassifier, load_mnist_sample
    >>> from skmnist.persistence import ModelFileError, load_model
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> model = FCNClassifier((16,), epochs=1, random_state=0).fit(X[:300] / 255, y[:300])
    >>> path = os.path.join(tempfile.mkdtemp(), "digits.joblib")
    >>> _ = joblib.dump(model, path)
    >>> (load_model(path).predict(X[:5] / 255) == model.predict(X[:5] / 255)).all()
    np.True_
    >>> with open(path, "r+b") as f:
    ...     _ = f.truncate(os.path.getsize(path) // 2)
    >>> try:
    ...     load_model(path)
    ... except ModelFileError as exc:
    ...     print("refused:", str(exc).startswith(f"cannot load a model from {path!r}"))
    refused: True
    """
    path = os.fspath(path)
    try:
        head = _head(path)
    except OSError as exc:
        raise ModelFileError(
            f"cannot load a model from {path!r}: {exc.strerror or exc}."
        ) from None
    is_skops = head.startswith(_ZIP_MAGIC)
    if is_skops:
        _skops_io()  # a missing skops is an ImportError saying how to install it
    try:
        if is_skops:  # the error below names the file: here it is "the file"
            return _load_skops(path, trusted, "the file")
        import joblib

        return joblib.load(path)
    except Exception as exc:  # pickle and joblib raise many kinds: each means "not loadable"
        reason = str(exc).strip() or "the file ends early or is damaged"
        if not isinstance(exc, ValueError):
            reason = f"not a complete model file ({type(exc).__name__}: {reason})"
        raise ModelFileError(f"cannot load a model from {path!r}: {reason}") from None
