"""Features as plug-ins: the small named steps a network's fit calls in a loop.

:class:`skmnist.BaseKerasClassifier` knows no particular feature.  Each feature (outlier
exposure, novelty statistics, conformal calibration) is a :class:`FitStep` subclass, listed in
the estimator's ``_fit_steps`` and selected by its own parameters (``active``); the base class
calls every step at the same points of the life cycle, skorch's callbacks' way:

==========================================  ===============================================
hook                                        called
==========================================  ===============================================
``training_data(X, y, sample_weight,        before batching, on the validated training rows
seed)``                                     (e.g. outlier rows appended)
``wrap_loss(loss, head, n_classes)``        when the network is compiled: the head's loss,
                                            possibly wrapped (uses the head's own
                                            ``log_proba``, never its name)
``loss_is_current(loss)``                   before a warm fit: False recompiles the network
``register_keras_objects()``                before a saved Keras model is loaded
``after_fit(info)``                         after every fit and partial_fit (``FitInfo``);
                                            sets the step's fitted state
``uncertainty_outputs()``                   predictor outputs its ``uncertainty`` reads
``uncertainty(outputs)``                    figures added to ``predict_uncertainty``
==========================================  ===============================================

A step holds no state of its own: it is made from the estimator when needed, and what it
fits is stored on the estimator under the private names it lists in ``state`` (removed
when the estimator forgets a failed fit).  ``teaches_hesitation`` declares that a step's
training teaches the network to spread its probabilities on inputs unlike the training data
(outlier exposure does); the novelty step reads that declaration, not any parameter.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["FitInfo", "FitStep"]


@dataclass
class FitInfo:
    """What a fit call hands its steps' ``after_fit``.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float32
        This call's validated training rows (without rows a step added).
    y : ndarray of shape (n_samples,), int32
        Their encoded labels.
    sample_weight : ndarray or None
        Their weights (with ``class_weight``), or None.
    seed : int or None
        The fit's seed.
    fresh : bool
        Whether the network was built by this call (not a warm start or a later
        ``partial_fit``).
    validation : tuple or None
        The early-stopping hold-out ``(X_val, y_val[, sample_weight_val])``, or None.
    interrupted : bool
        Whether the call was interrupted (KeyboardInterrupt).
    steps : list of FitStep
        Every step of this fit (to read their declarations).
    predictor : skmnist._predictor.Predictor
        The predictor for passes over training rows during the fit: the fastest at hand
        (TensorFlow for convolutions), which may not be the one the estimator serves with.
    """

    X: np.ndarray
    y: np.ndarray
    sample_weight: object
    seed: object
    fresh: bool
    validation: object
    interrupted: bool
    steps: list
    predictor: object


class FitStep:
    """A feature of every network, called by the base class at fixed points (see the
    module docstring).  Every hook does nothing by default.

    Parameters
    ----------
    estimator : BaseKerasClassifier
        The estimator the step serves (it reads its parameters and stores its state there).
    """

    #: Private attributes of the estimator that the step fits.
    state = ()
    #: Validation of the step's own parameters (scikit-learn's vocabulary), part of the
    #: estimator's ``_parameter_constraints``.
    parameter_constraints = {}
    #: Whether the step's training teaches the network to hesitate on non-examples.
    teaches_hesitation = False

    def __init__(self, estimator):
        self.estimator = estimator

    @property
    def active(self):
        """Whether the estimator's parameters select this step."""
        return True

    def training_data(self, X, y, sample_weight, seed):
        return X, y, sample_weight

    def wrap_loss(self, loss, head, n_classes):
        return loss

    def loss_is_current(self, loss):
        return True

    def register_keras_objects(self):
        pass

    def after_fit(self, info):
        pass

    def uncertainty_outputs(self):
        return ()

    def uncertainty(self, outputs):
        return {}
