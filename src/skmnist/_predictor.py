"""A fitted network behind one interface: the :class:`Predictor`.

An estimator holds exactly one predictor (``_predictor``), made at the end of every ``fit``
and on loading, and every prediction method (``predict_proba``, ``predict``, ``sample``,
``predict_uncertainty``, novelty, the MDN's mixture) asks it for *named outputs*.  There are
two implementations here, a third may live elsewhere:

* :class:`skmnist._inference.NumpyPredictor`: the network copied into NumPy arrays
  (:class:`~skmnist._inference.NumpyNetwork`), for a head with a NumPy counterpart
  (``Head.log_proba_numpy``) and layers the copy knows; TensorFlow is never imported;
* :class:`skmnist._prediction.PredictionRunner`: compiled ``tf.function``\\ s of the Keras
  model (any head, any layer);
* e.g. an ONNX Runtime session (``skmnist._onnx``).

The interface
-------------
Attributes:

``backend`` : str
    ``"numpy"``, ``"tensorflow"``, ``"onnxruntime"``, ...
``n_features`` : int
    Width of the input rows.
``n_classes`` : int
    Number of classes (the columns of ``log_proba`` and ``proba``).
``outputs`` : frozenset of str
    The output names :meth:`Predictor.run` can compute (a subset of :data:`OUTPUTS`;
    ``"features"`` only when the trunk declared its feature layer).

Method:

``run(X, outputs=("proba",)) -> dict[str, ndarray]``
    ``X``: validated rows, a float32 C-contiguous ndarray of shape ``(n, n_features)``
    (``n`` may be 0).  ``outputs``: a tuple of names from :data:`OUTPUTS`.  Returns one
    array per requested name, all computed in one pass over the network:

    ==============  ==========================  ==============================================
    name            shape, dtype                value
    ==============  ==========================  ==============================================
    ``"head"``      ``(n, *head_shape)``,       the network's raw outputs (what the head's
                    float32                     ``build`` returns), read by the head's
                                                ``uncertainty`` and the MDN's mixture
    ``"log_proba"`` ``(n, n_classes)``,         class log-probabilities, ``classes_`` order,
                    float32                     not floored (the head's ``log_proba``)
    ``"proba"``     ``(n, n_classes)``,         class probabilities floored at
                    float32                     ``skmnist.heads.PROBA_FLOOR``: exactly what
                                                ``predict_proba`` returns
    ``"features"``  ``(n, n_units)``, float32   the trunk's output, the layer the trunk
                                                declared as its features (read by novelty)
    ==============  ==========================  ==============================================

    A row's results do not depend on the other rows of ``X`` (batch independence).
    Raises ``ValueError`` (:func:`check_finite`'s message) when the raw outputs are not
    finite, and ``KeyError`` for a name not in ``outputs``.

Making and installing one
-------------------------
The estimator makes its predictor in ``_make_predictor`` (NumPy if it can, else TensorFlow),
from what it holds: the Keras model (``_keras_model()``), the NumPy network (``_network``),
the head (``make_head()``, a :class:`skmnist.Head`), ``n_features_in_``, ``classes_`` and
the name of the trunk's feature layer (``_feature_layer``, a Keras layer name, or None),
which a backend exposes as its ``"features"`` output.  Another backend is installed with
``estimator._use_predictor(predictor)`` (checked against ``n_features_in_`` and
``classes_``); it serves until the next fit, or until ``model_`` is handed out (whose
weights may then change), when the estimator makes its own again.

A predictor is not pickled with the estimator (what is saved is the Keras archive and the
NumPy network); it is made again on loading.
"""

import numpy as np

from .heads import floored_exp

__all__ = ["FEATURES", "HEAD", "LOG_PROBA", "OUTPUTS", "PROBA", "Predictor", "check_finite"]

HEAD, LOG_PROBA, PROBA, FEATURES = "head", "log_proba", "proba", "features"
#: Every output name a predictor may offer.
OUTPUTS = (HEAD, LOG_PROBA, PROBA, FEATURES)


def check_finite(outputs):
    """Raise ValueError naming the rows whose raw head outputs are not finite."""
    flat = outputs.reshape(len(outputs), -1)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(flat).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ValueError(
            f"The network's outputs are not finite for {len(bad)} row(s) of X (first: "
            f"row {bad[0]}): their values are far outside what the network was trained "
            "on (scale the pixels, e.g. with skmnist.PixelScaler)."
        )


class Predictor:
    """Base class of the predictors (the interface is in the module docstring).

    Subclasses set ``backend``, ``n_features``, ``n_classes``, ``outputs`` and implement
    :meth:`run`; :meth:`finish` derives ``"proba"`` from ``"log_proba"`` for those that do
    not compute it themselves.
    """

    backend = ""
    n_features = 0
    n_classes = 0
    outputs = frozenset()

    def run(self, X, outputs=(PROBA,)):
        raise NotImplementedError

    def _check_names(self, outputs):
        unknown = [name for name in outputs if name not in self.outputs]
        if unknown:
            raise KeyError(
                f"the {self.backend} predictor has no output {unknown[0]!r} (it has "
                f"{sorted(self.outputs)})"
            )

    @staticmethod
    def finish(result, outputs):
        """Add ``"proba"`` (the floored exp of ``"log_proba"``) if asked; keep the asked names.

        Parameters
        ----------
        result : dict of str to ndarray
            The outputs computed.
        outputs : tuple of str
            The names asked for.

        Returns
        -------
        dict of str to ndarray
            The asked outputs only.
        """
        if PROBA in outputs and PROBA not in result:
            result[PROBA] = floored_exp(result[LOG_PROBA])
        return {name: result[name] for name in outputs}
