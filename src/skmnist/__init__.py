"""skmnist: Keras networks for handwritten digits as scikit-learn estimators.

TensorFlow is imported only when a network is first used, so ``import skmnist``, the datasets
and :class:`PixelScaler` stay fast and quiet.
"""

from importlib import import_module

__version__ = "0.1.0"

__all__ = [
    "BaseKerasClassifier",
    "DigitNormalizer",
    "DigitPipeline",
    "FCNClassifier",
    "Head",
    "MDNClassifier",
    "OnnxPredictor",
    "PixelScaler",
    "export_onnx",
    "fetch_mnist",
    "load_mnist_sample",
    "load_pretrained",
    "make_digit_pipeline",
    "__version__",
]

# public name -> module that defines it (imported on first access, PEP 562)
_LAZY = {
    "BaseKerasClassifier": "skmnist._base",
    "DigitNormalizer": "skmnist.preprocessing",
    "DigitPipeline": "skmnist.pipeline",
    "FCNClassifier": "skmnist.fcn",
    "Head": "skmnist.heads",
    "MDNClassifier": "skmnist.mdn",
    "OnnxPredictor": "skmnist._onnx",
    "PixelScaler": "skmnist.preprocessing",
    "export_onnx": "skmnist._onnx",
    "fetch_mnist": "skmnist.datasets",
    "load_mnist_sample": "skmnist.datasets",
    "load_pretrained": "skmnist.pretrained",
    "make_digit_pipeline": "skmnist.pipeline",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skmnist' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
