"""Serving a fitted model over HTTP: a drawing page and a JSON API (``skmnist serve``).

Needs the ``serve`` extra (``pip install "skmnist[serve]"``: Starlette, uvicorn,
python-multipart, Pillow).  Imports no TensorFlow: a saved skmnist network predicts from its
NumPy copy.  See the user guide's serving page.  The names are resolved on first access
(PEP 562), so the modules that do not need Starlette (payload decoding, the served model)
import without it.
"""

from importlib import import_module

__all__ = ["ServedModel", "create_app", "load_model"]

_LAZY = {
    "ServedModel": "skmnist.serve._model",
    "load_model": "skmnist.serve._model",
    "create_app": "skmnist.serve.app",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skmnist.serve' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
