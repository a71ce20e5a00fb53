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
"""

import zipfile

__all__ = ["dump", "load", "trusted_types"]


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
    from .fcn import FCNClassifier
    from .mdn import MDNClassifier
    from .pipeline import DigitPipeline
    from .preprocessing import DigitNormalizer, PixelScaler

    types = [FCNClassifier, MDNClassifier, DigitNormalizer, PixelScaler, DigitPipeline,
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
    ValueError
        When the file is not a complete skops file (truncated, altered or not a skops file
        at all), holds types that are not trusted, or was saved by a newer skmnist.
    """
    sio = _skops_io()
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return sio.load(file, trusted=[*trusted_types(), *(trusted or [])])
    except UntrustedTypesFoundException as exc:
        raise ValueError(
            f"The file holds types that are not trusted: {str(exc).rstrip('.')}. Load it with "
            "trusted=[...] naming them only if you trust the file's source."
        ) from None
    except (zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ValueError(
            f"{file!r} is not a complete skops model file (truncated or altered?): {exc}"
        ) from None
