"""Serving a fitted model over HTTP: a drawing page and a JSON API (``skmnist serve``).

Needs the ``serve`` extra (``pip install "skmnist[serve]"``: Starlette, uvicorn,
python-multipart, Pillow).  Imports no TensorFlow: a saved skmnist network predicts from its
NumPy copy.  See the user guide's serving page.
"""

from ._model import ServedModel, load_model
from .app import create_app

__all__ = ["ServedModel", "create_app", "load_model"]
