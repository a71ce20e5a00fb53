"""The model that ships inside the package: read a person's digit images at once.

:func:`load_pretrained` returns a fitted :class:`~skmnist.pipeline.DigitPipeline`
(``DigitNormalizer -> PixelScaler -> FCNClassifier`` with the convolutional trunk), trained on
the 60,000 official MNIST training images with distortions and outlier exposure by
``tools/train_pretrained.py``.  It predicts with NumPy (TensorFlow is not imported), takes
image files, arrays of any size or MNIST rows, and says when an image is not a digit.

The files (``data/pretrained.pkl`` and ``data/pretrained.json``) hold the network's NumPy
copy with float16 weights (widened to float32 when loaded), its novelty statistics and the
transformers' parameters; the JSON records the pickle's SHA-256, checked at every load, how
the model was trained and its measured accuracy.  The pickle is read by an unpickler that
builds only NumPy arrays and skmnist's own network and novelty types, never other code.
"""

import hashlib
import io
import json
import pickle
from importlib import resources

import numpy as np

__all__ = ["load_pretrained", "pretrained_info"]

_PICKLE, _INFO = "pretrained.pkl", "pretrained.json"
_FORMAT = 1

# What the shipped pickle may name: NumPy's array reconstruction and skmnist's network and
# novelty types (checked against _inference.PERSISTED_TYPES and _novelty's at load).
_NUMPY_NAMES = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
}


class _ShippedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        from . import _inference, _novelty

        allowed = {(t.__module__, t.__qualname__) for t in _inference.PERSISTED_TYPES}
        allowed |= {(t.__module__, t.__qualname__)
                    for t in (_novelty.EntropyNovelty, _novelty.NoveltyModel)}
        if (module, name) in allowed or (module, name) in _NUMPY_NAMES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"the shipped model may not name {module}.{name}")


def _data_file(name):
    return resources.files("skmnist").joinpath("data", name)


def pretrained_info():
    """Return what is known of the shipped model: training, accuracy, files.

    Returns
    -------
    info : dict
        ``version`` (of skmnist that wrote it), ``sha256`` (of ``pretrained.pkl``),
        ``training`` (data, epochs, network parameters, command), ``accuracy`` (per test
        set), ``classes``, ``n_parameters``; loaded without TensorFlow.

    Examples
    --------
    >>> from skmnist.pretrained import pretrained_info
    >>> pretrained_info()["training"]["data"]
    'MNIST official training set'
    """
    return json.loads(_data_file(_INFO).read_text(encoding="utf-8"))


def _floats(network, dtype):
    """The network's layers with every float array cast to ``dtype`` (in place)."""
    for _, layer in network.layers:
        for name, value in vars(layer).items():
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                setattr(layer, name, np.ascontiguousarray(value.astype(dtype)))
    return network


def load_pretrained():
    """Load the fitted digit reader that ships with skmnist.

    A :class:`~skmnist.pipeline.DigitPipeline`: ``DigitNormalizer -> PixelScaler ->
    FCNClassifier`` (convolution blocks of 32 and 64 filters, Dense 400 and 20), trained on
    the official MNIST training set with ``augmentation="standard"`` and
    ``outlier_exposure=0.5``.  It takes image files, arrays of any size, colour or grey, or
    MNIST's rows, and predicts with NumPy.  Its ``predict_uncertainty`` and ``read`` report
    novelty from the image itself and from the network (see the user guide's "Your own
    digits" page for its measured accuracy and novelty).

    Returns
    -------
    model : DigitPipeline
        A fitted pipeline, new at every call (changing one does not change the next).

    Raises
    ------
    ValueError
        If the shipped files are damaged (their SHA-256 does not match the record).

    Examples
    --------
    >>> from skmnist import load_mnist_sample, load_pretrained
    >>> model = load_pretrained()
    >>> X, y = load_mnist_sample("test", return_X_y=True)
    >>> float((model.predict(X[:200]) == y[:200]).mean()) >= 0.98
    True
    """
    info = pretrained_info()
    data = _data_file(_PICKLE).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != info["sha256"]:
        raise ValueError(
            f"The shipped model skmnist/data/{_PICKLE} is damaged: its SHA-256 is {digest}, "
            f"not the {info['sha256']} recorded when it was made. Reinstall skmnist."
        )
    return _build(data)


def _build(data):
    """The DigitPipeline that the shipped pickle ``data`` describes."""
    from .fcn import FCNClassifier
    from .pipeline import make_digit_pipeline
    from .preprocessing import DigitNormalizer, PixelScaler

    state = _ShippedUnpickler(io.BytesIO(data)).load()
    if state.get("format") != _FORMAT:
        raise ValueError(f"The shipped model has format {state.get('format')}; expected "
                         f"{_FORMAT}. Reinstall skmnist.")
    network = FCNClassifier(**state["params"])
    network.classes_ = np.asarray(state["classes"])
    network.n_features_in_ = int(state["n_features_in"])
    network.n_iter_ = int(state["n_iter"])
    network.history_ = {}
    network.__dict__.update(
        _network=_floats(state["network"], np.float32), _novelty=state["novelty"],
        _novelty_unavailable=None, _fit_max=state["fit_max"],
    )
    network._make_predictor(refresh=False)
    scaler = PixelScaler(**state["scaler"])
    scaler.n_features_in_, scaler.image_shape_ = 784, None
    return make_digit_pipeline(DigitNormalizer(**state["normalizer"]), scaler, network)


def export_pretrained(pipeline, folder, *, X_test, y_test, training):
    """Write a fitted ``DigitNormalizer -> PixelScaler -> network`` pipeline as the shipped
    model (``tools/train_pretrained.py`` calls it); return the info record written.

    The network's weights are stored in float16; the record holds the pickle's SHA-256 and
    the accuracy of the stored (float16) model on ``X_test``, and the float32 model's, so
    that a reader sees what the storage cost.
    """
    import copy
    from pathlib import Path

    from . import __version__
    from .pipeline import as_digit_pipeline

    normalizer, scaler, network = (step for _, step in pipeline.steps)
    params = {k: v for k, v in network.get_params().items() if k not in ("callbacks",)}
    params["verbose"] = 0
    state = {
        "format": _FORMAT,
        "version": __version__,
        "params": params,
        "classes": network.classes_,
        "n_features_in": network.n_features_in_,
        "n_iter": network.n_iter_,
        "network": _floats(copy.deepcopy(network._network), np.float16),
        "novelty": network._novelty,
        "fit_max": network.__dict__.get("_fit_max", 1.0),
        "normalizer": normalizer.get_params(),
        "scaler": scaler.get_params(),
    }
    data = pickle.dumps(state, protocol=5)
    folder = Path(folder)
    (folder / _PICKLE).write_bytes(data)
    n_parameters = int(sum(
        value.size for _, layer in state["network"].layers for value in vars(layer).values()
        if isinstance(value, np.ndarray)
    ))
    full = as_digit_pipeline(pipeline)
    stored = _build(data)
    proba32, proba16 = full.predict_proba(X_test), stored.predict_proba(X_test)
    info = {
        "version": __version__,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "classes": [int(c) for c in network.classes_],
        "n_parameters": n_parameters,
        "training": training,
        "accuracy": {
            "mnist_test": float(np.mean(stored.classes_[proba16.argmax(1)] == y_test)),
            "mnist_test_float32_weights": float(
                np.mean(full.classes_[proba32.argmax(1)] == y_test)
            ),
        },
        "float16_storage": {
            "same_prediction": float(np.mean(proba16.argmax(1) == proba32.argmax(1))),
            "max_abs_proba_difference": float(np.abs(proba16 - proba32).max()),
        },
    }
    (folder / _INFO).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info
