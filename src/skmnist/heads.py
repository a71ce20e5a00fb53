"""Heads: everything a network defines after the shared trunk, as one public contract.

A head is an object (a :class:`Head` subclass) that says, for one network, what differs
from every other: its layers, its loss, how its outputs become class log-probabilities (in
TensorFlow for training and in NumPy for prediction), what further uncertainty figures its
outputs give, and which Keras classes a saved model of it names.  An estimator names its head
class (``head_class``) and the base class (:class:`skmnist.BaseKerasClassifier`) does the
rest; features such as outlier exposure and novelty use the head through this contract only.

============================================  ====================================================
member                                        what it does
============================================  ====================================================
``build(x, n_classes, seed)`` (required)      the Keras layers after the trunk: ``x`` is the
                                              trunk's output tensor, ``seed`` an int (or None)
                                              for the initializers; returns the output tensor
``loss(n_classes)`` (required)                the Keras loss training minimizes; called with
                                              labels ``0 .. n_classes - 1`` (int32) and the
                                              head's outputs
``log_proba(outputs, n_classes)`` (required)  class log-probabilities (``(n, n_classes)``) from
                                              the outputs, with ``keras.ops`` (or TensorFlow)
                                              on tensors: run by training-time wrappers
                                              (outlier exposure) and by the TensorFlow
                                              predictor
``metrics(n_classes)``                        Keras metrics recorded per epoch in ``history_``
                                              (default: none)
``log_proba_numpy(outputs, n_classes)``       the NumPy counterpart of ``log_proba``; with it a
                                              fitted network predicts without TensorFlow
                                              (default: none, prediction runs in TensorFlow)
``proba_numpy(outputs, n_classes)``           what ``predict_proba`` returns, floored at
                                              :data:`PROBA_FLOOR` (default: the floored ``exp``
                                              of ``log_proba_numpy``)
``uncertainty(outputs, n_classes)``           further per-row figures of ``predict_uncertainty``
                                              from the raw outputs, NumPy, a dict of arrays of
                                              shape ``(n,)`` (default: none)
``onnx(graph, outputs, n_classes)``           the head's transform as ONNX nodes, for
                                              :func:`skmnist.export_onnx`: ``graph`` builds
                                              nodes (``op``, ``const``, ``ints``; see
                                              ``skmnist._onnx``), ``outputs`` names the raw
                                              outputs; returns the names of the floored
                                              probabilities and their log (default: none,
                                              the network cannot be exported)
``keras_objects()``                           the Keras classes (losses, metrics, layers,
                                              initializers) a saved model of this head names,
                                              ``{name: class}``, registered before it is loaded
                                              (default: none)
``get_config()`` / ``from_config(config)``    the head's constructor arguments, so that Keras
                                              can save a wrapper holding the head (default:
                                              the attributes named like ``__init__``'s
                                              arguments)
``parameter_constraints``                     class attribute: validation of the constructor's
                                              arguments (scikit-learn's vocabulary), added to
                                              the estimator's
============================================  ====================================================

The head's constructor arguments (with their defaults) are the estimator's own parameters,
between ``hidden_layer_sizes`` and the shared ones; the estimator makes the head from them
(``make_head``) whenever it builds, compiles or loads a network.

A head is registered with Keras (``keras.saving.register_keras_serializable``, package
``keras_package``, by default the head's module) the first time a network of it is built or
loaded, by :func:`register_keras`; this module itself never imports TensorFlow, so that a
fitted network predicts with NumPy alone.
"""

import inspect

import numpy as np

__all__ = ["Head", "MixtureHead", "PROBA_FLOOR", "SoftmaxHead", "register_keras"]

#: The smallest probability ``predict_proba`` reports (float32's smallest normal number), so
#: that its values never underflow to 0 where the log-probability is finite.
PROBA_FLOOR = np.finfo(np.float32).tiny
#: Its log, where ``predict_log_proba`` floors the log-probabilities.
LOG_PROBA_FLOOR = np.float32(np.log(PROBA_FLOOR))


def floored_exp(log_proba, dtype=np.float32):
    """Probabilities (in ``dtype``) from float32 log-probabilities floored at
    :data:`LOG_PROBA_FLOOR`: what ``predict_proba`` returns."""
    return np.exp(np.maximum(log_proba, LOG_PROBA_FLOOR).astype(dtype, copy=False))


class Head:
    """Base class of a network's head (the whole contract: :doc:`/user_guide/extending`).

    Subclasses override :meth:`build`, :meth:`loss` and :meth:`log_proba`, and whatever of
    the optional members they need.  The constructor's arguments are the head's parameters;
    an estimator whose ``head_class`` is the head gets them as its own (same names, same
    defaults) and passes them at every build.

    Examples
    --------
    >>> from skmnist import Head
    >>> class LogitsHead(Head):
    ...     def build(self, x, n_classes, seed):
    ...         import keras
    ...         return keras.layers.Dense(n_classes)(x)
    ...     def loss(self, n_classes):
    ...         import keras
    ...         return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    ...     def log_proba(self, outputs, n_classes):
    ...         import keras
    ...         return keras.ops.log_softmax(outputs, axis=-1)
    >>> LogitsHead().get_config()
    {}
    """

    keras_package = None
    """The package a head is registered under with Keras (None: the head's module)."""

    parameter_constraints = {}
    """Validation of the head's parameters, in scikit-learn's vocabulary (``{name: [Real,
    "boolean", Interval(...), ...]}``): added to the constraints of an estimator whose
    ``head_class`` is this head, checked at ``fit``."""

    # ---------------------------------------------------------------- required
    def build(self, x, n_classes, seed):
        """Return the head's output tensor given the trunk's output ``x`` (Keras layers).

        Parameters
        ----------
        x : keras tensor
            The trunk's output.
        n_classes : int
            Number of classes.
        seed : int or None
            Seed of the head's initializers (None when unseeded); a head with several
            seeded layers gives them ``seed + j``, keeping None as None.

        Returns
        -------
        keras tensor
        """
        raise NotImplementedError(f"{type(self).__name__} must define build().")

    def loss(self, n_classes):
        """Return the Keras loss training minimizes (labels ``0 .. n_classes - 1``).

        Parameters
        ----------
        n_classes : int
            Number of classes.

        Returns
        -------
        keras.losses.Loss
            Called with the encoded labels (int32, shape ``(batch,)``) and the outputs.
        """
        raise NotImplementedError(f"{type(self).__name__} must define loss().")

    def log_proba(self, outputs, n_classes):
        """Return class log-probabilities, a tensor ``(n, n_classes)``, from the outputs.

        Backend code (``keras.ops`` or TensorFlow), traced into the training step of
        wrappers such as outlier exposure and into the TensorFlow predictor.

        Parameters
        ----------
        outputs : tensor of shape (n_samples, ...)
            The network's raw outputs.
        n_classes : int
            Number of classes.

        Returns
        -------
        tensor of shape (n_samples, n_classes)
            Class log-probabilities, in ``classes_`` order.
        """
        raise NotImplementedError(f"{type(self).__name__} must define log_proba().")

    # ---------------------------------------------------------------- optional
    def metrics(self, n_classes):
        """Return the Keras metrics recorded per epoch in ``history_`` (none by default).

        Name the accuracy metric ``"accuracy"``, as the built-in heads do.

        Parameters
        ----------
        n_classes : int
            Number of classes.

        Returns
        -------
        list of keras.metrics.Metric
            The metrics.
        """
        return []

    def log_proba_numpy(self, outputs, n_classes):
        """Return class log-probabilities from float32 NumPy outputs, with NumPy.

        Optional: without it (or with layers the NumPy network does not know) prediction
        runs in TensorFlow.

        Parameters
        ----------
        outputs : ndarray of shape (n_samples, ...), float32
            The network's raw outputs.
        n_classes : int
            Number of classes.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Class log-probabilities, in ``classes_`` order.
        """
        raise NotImplementedError

    def proba_numpy(self, outputs, n_classes):
        """Return what ``predict_proba`` returns: float32 probabilities floored.

        The floor is :data:`PROBA_FLOOR`; by default the floored ``exp`` of
        :meth:`log_proba_numpy`.

        Parameters
        ----------
        outputs : ndarray of shape (n_samples, ...), float32
            The network's raw outputs.
        n_classes : int
            Number of classes.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), float32
            Class probabilities, in ``classes_`` order.
        """
        log_proba = np.asarray(self.log_proba_numpy(outputs, n_classes), dtype=np.float32)
        return floored_exp(log_proba)

    def uncertainty(self, outputs, n_classes):
        """Return further uncertainty figures from the raw outputs (none by default).

        Parameters
        ----------
        outputs : ndarray of shape (n_samples, ...), float32
            The network's raw outputs.
        n_classes : int
            Number of classes.

        Returns
        -------
        dict of str to ndarray of shape (n_samples,)
            Figures added to ``predict_uncertainty``.
        """
        return {}

    def onnx(self, graph, outputs, n_classes):
        """Add the head's transform to an ONNX graph (for :func:`skmnist.export_onnx`).

        The default has none: a network with this head is not exported.

        Parameters
        ----------
        graph : object
            Adds nodes: ``graph.op(op_type, *inputs, hint=None, **attributes)``,
            ``graph.const(value, hint)`` (float32) and ``graph.ints(values, hint)`` (int64),
            each returning the new tensor's name.
        outputs : str
            The name of the raw outputs, float32 ``(N, ...)``.
        n_classes : int
            Number of classes.

        Returns
        -------
        tuple of str
            ``(probabilities, log_probabilities)``: the names of two ``(N, n_classes)``
            tensors, floored as :meth:`proba_numpy` floors them.
        """
        raise NotImplementedError(f"{type(self).__name__} has no ONNX counterpart.")

    def keras_objects(self):
        """Return the Keras classes a saved model of this head names (none by default).

        They are imported, hence registered, before the model is loaded.

        Returns
        -------
        dict of str to type
            ``{name: class}``.
        """
        return {}

    @property
    def has_numpy(self):
        """Whether the head has a NumPy counterpart (overrides :meth:`log_proba_numpy`)."""
        return type(self).log_proba_numpy is not Head.log_proba_numpy

    @property
    def has_onnx(self):
        """Whether the head writes its transform as ONNX nodes (overrides :meth:`onnx`)."""
        return type(self).onnx is not Head.onnx

    # ---------------------------------------------------------------- serialization
    @classmethod
    def parameters(cls):
        """The head's parameters and their defaults, from its ``__init__``'s signature."""
        if cls.__init__ is object.__init__:
            return {}
        return {
            name: p.default
            for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }

    def get_config(self):
        """Return the constructor's arguments (by default the attributes of their names).

        Returns
        -------
        dict
            ``{argument: value}``, what :meth:`from_config` takes.
        """
        return {name: getattr(self, name) for name in self.parameters()}

    @classmethod
    def from_config(cls, config):
        """Make the head from :meth:`get_config`'s dict."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def register_keras(head):
    """Register ``head``'s class and its :meth:`Head.keras_objects` with Keras (idempotent).

    Called by the estimators before a network of the head is built or loaded; a head
    author need not call it.  Imports Keras.
    """
    from ._tf import keras

    cls = type(head)
    if ">" not in keras.saving.get_registered_name(cls):
        package = cls.keras_package or cls.__module__
        # a class defined again under the same name (a notebook cell run twice) replaces
        # the earlier one, as the name now means it
        keras.saving.get_custom_objects().pop(f"{package}>{cls.__name__}", None)
        keras.saving.register_keras_serializable(package=package)(cls)
    head.keras_objects()
    return head


class SoftmaxHead(Head):
    """Logits ``Dense(n_classes)`` on the trunk, cross-entropy, ``log_softmax``
    (:class:`skmnist.FCNClassifier`'s head)."""

    keras_package = "skmnist"

    def build(self, x, n_classes, seed, output="logits"):
        from ._tf import keras

        return keras.layers.Dense(
            n_classes,
            activation="softmax" if output == "softmax" else None,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
            name="logits" if output == "logits" else "proba",
        )(x)

    def loss(self, n_classes):
        from ._tf import keras

        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def metrics(self, n_classes):
        from ._tf import keras

        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def log_proba(self, outputs, n_classes):
        from ._tf import tf

        return tf.nn.log_softmax(outputs, axis=-1)

    def log_proba_numpy(self, outputs, n_classes):
        shifted = outputs - outputs.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def onnx(self, graph, outputs, n_classes):
        from ._onnx import softmax_onnx

        return softmax_onnx(graph, outputs)


class MixtureHead(Head):
    """A 1-D Gaussian mixture over the class index, read as class-bin masses
    (:class:`skmnist.MDNClassifier`'s head; see its docstring for the parameters)."""

    keras_package = "skmnist"

    def __init__(self, n_components=10, sigma_floor=1e-2, objective="discretized"):
        self.n_components = n_components
        self.sigma_floor = sigma_floor
        self.objective = objective

    def build(self, x, n_classes, seed):
        from ._mixture import build_mixture_head

        # The zero kernel of the means and the narrow initial scale (each component starts
        # as its own class bin) serve the discretized likelihood; the density objective,
        # which has no bins and regresses the label with the means, keeps the random kernel
        # and the scale it trains from (it failed to train from the narrow one).
        return build_mixture_head(
            x, self.n_components, n_classes, self.sigma_floor, seed, objective=self.objective
        )

    def loss(self, n_classes):
        from ._mixture import DiscretizedMixtureNLL, MixtureDensityNLL

        if self.objective == "density":
            return MixtureDensityNLL(self.n_components, self.sigma_floor)
        return DiscretizedMixtureNLL(self.n_components, n_classes, self.sigma_floor)

    def metrics(self, n_classes):
        from ._mixture import MixtureAccuracy

        return [MixtureAccuracy(self.n_components, n_classes, self.sigma_floor)]

    def log_proba(self, outputs, n_classes):
        from ._mixture import class_log_proba, split_head

        params = split_head(outputs, self.n_components, self.sigma_floor)
        return class_log_proba(*params, n_classes)

    def log_proba_numpy(self, outputs, n_classes):
        from ._mixture_numpy import class_log_proba_from_outputs

        return class_log_proba_from_outputs(outputs, self.n_components, self.sigma_floor,
                                            n_classes)

    def proba_numpy(self, outputs, n_classes):
        # the bin masses themselves, floored, without a log and exp between
        from ._mixture_numpy import class_proba_from_outputs

        proba = class_proba_from_outputs(outputs, self.n_components, self.sigma_floor,
                                         n_classes)
        return np.maximum(proba, PROBA_FLOOR, out=proba)

    def onnx(self, graph, outputs, n_classes):
        from ._onnx import mixture_onnx

        return mixture_onnx(graph, outputs, n_classes, self.n_components, self.sigma_floor)

    def uncertainty(self, outputs, n_classes):
        from ._mixture_numpy import mixture_from_outputs, mixture_moments

        p = mixture_from_outputs(outputs, self.n_components, self.sigma_floor)
        return mixture_moments(p.weights, p.means, p.scales)

    def keras_objects(self):
        from . import _mixture

        names = ("DiscretizedMixtureNLL", "MixtureAccuracy", "MixtureDensityNLL",
                 "MixtureHeadKernel")
        return {name: getattr(_mixture, name) for name in names}
