"""The scikit-learn life cycle of a Keras-backed classifier, shared by every skmnist network.

:class:`BaseKerasClassifier` holds what a scikit-learn classifier needs, once: the parameters
(declared once, in ``skmnist._parameters``), their validation, input validation, label
encoding, the fit loop (warm starts, early stopping, history, divergence), the prediction
methods, tags and pickling.  It has no branch on a particular head or feature: the machinery
it drives lives in modules of its own: the trunk (``_trunk``), the training data pipeline
(``_training_data``), the callbacks (``_callbacks``), seeding (``_seeding``), the fitted
network and its saved state (``_fitted``: ``model_``, the NumPy copy, the predictor,
pickling), the serialized model (``_keras_archive``), and three contracts:

* **the head** (:class:`skmnist.Head`, module :mod:`skmnist.heads`): everything after the
  trunk.  A network is a subclass naming its head class (``head_class``); the head's
  constructor arguments become estimator parameters.  The whole contract:

  ============================================  ==========================================
  head member                                   what
  ============================================  ==========================================
  ``build(x, n_classes, seed)`` (required)      the layers after the trunk
  ``loss(n_classes)`` (required)                the Keras training loss
  ``log_proba(outputs, n_classes)`` (required)  class log-probabilities, backend ops
  ``metrics(n_classes)``                        Keras metrics recorded in ``history_``
  ``log_proba_numpy(outputs, n_classes)``       NumPy counterpart: TensorFlow-free prediction
  ``proba_numpy(outputs, n_classes)``           what ``predict_proba`` returns (floored)
  ``uncertainty(outputs, n_classes)``           extra ``predict_uncertainty`` figures
  ``keras_objects()``                           Keras classes a saved model names
  ``get_config()`` / ``from_config(config)``    the head's arguments (Keras serialization)
  ============================================  ==========================================

  The estimator's own optional hook is ``build_trunk(inputs, seed)``: the layers before
  the head; the tensor it returns is the trunk's *feature layer*, which novelty reads.
* **the predictor** (:mod:`skmnist._predictor`): the fitted network behind one interface,
  ``run(X, outputs) -> {name: array}`` with outputs ``"head"``, ``"log_proba"``,
  ``"proba"``, ``"features"``; NumPy (``_inference``) or TensorFlow (``_prediction``).
* **fit steps** (:mod:`skmnist._fit_steps`): features as plug-ins (outlier exposure,
  novelty, conformal calibration), each selected by its own parameters, called in a loop
  at fixed points of the fit and of ``predict_uncertainty`` (``_fit_steps``).

Parameters of a head (e.g. the MDN's ``n_components``) are its constructor's arguments, or
declared in the subclass's ``_head_parameters`` dict (name -> default), validated by
``_parameter_constraints``; the ``__init__`` that stores them all verbatim is generated from
the declarations.
"""

import contextlib
import functools
import inspect
import warnings
from abc import ABCMeta
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch, check_random_state, compute_sample_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._augmentation import augmenter
from ._checks import is_int
from ._conformal import Conformal, ConformalMixin
from ._fit_steps import FitInfo
from ._fitted import _FITTED_PRIVATE, FittedNetwork
from ._inference import INACTIVE_LAYERS
from ._novelty import Novelty, entropy
from ._outlier_exposure import OutlierExposure
from ._parameters import SHARED_PARAMETERS
from ._predictor import HEAD, LOG_PROBA, PROBA
from ._sampling import check_n_draws, inverse_cdf_draw
from ._seeding import HEAD_SEED_OFFSET, seed_offset, seeded
from .exceptions import PixelScaleWarning
from .heads import LOG_PROBA_FLOOR, Head, floored_exp, register_keras

# TensorFlow is imported by the methods that build, train or (for heads without a NumPy
# counterpart) run the Keras model, never at import: a saved estimator loads and predicts
# without it (see ``skmnist._inference``).

__all__ = ["BaseKerasClassifier"]

# Values from which fitting data look like raw pixel values rather than scaled features: MNIST's
# 0-255, or the 0-16 of scikit-learn's 8x8 digits.
_RAW_PIXEL_MAX = 16.0


def _looks_like_raw_pixels(X):
    """Non-negative whole numbers reaching at least 16: pixel values, not scaled features."""
    top = float(X.max())
    if top < _RAW_PIXEL_MAX or float(X.min()) < 0:
        return False
    rows = X[:: max(1, len(X) // 200)]  # a few hundred rows tell
    return bool(np.all(rows == np.rint(rows)))


# jit_compile="auto" compiles the training step with XLA from this many training samples on.
_JIT_MIN_SAMPLES = 10_000
# A fit of fewer training steps than this, in all its epochs, runs one step per call into
# the training function, whatever steps_per_execution says: Keras traces its multi-step loop's
# training step twice, ~0.1 s more per fit (16% of a 12-step fit's time), which Python's
# per-call overhead saved over so few steps does not repay (measured on 2 cores: even at
# ~80 steps, slower from ~200; the results are bit-identical either way).
_MULTI_STEP_MIN_STEPS = 64
_ACTIVATIONS = {"relu", "tanh", "sigmoid", "elu", "selu", "gelu", "silu", "linear"}
# optimizer parameter -> class name in keras.optimizers
_OPTIMIZERS = {
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "rmsprop": "RMSprop",
    "sgd": "SGD",
}

def _finite_sum(X):
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(X.sum()))


def _producer(model, tensor):
    """The name of the layer of ``model`` whose output ``tensor`` is, looking through layers
    that compute nothing at inference (dropout: the NumPy network leaves them out); None
    when the tensor is the model's input."""
    producers = {}
    for layer in model.layers:
        try:
            producers[id(layer.output)] = layer
        except (AttributeError, ValueError):  # a layer called several times
            continue
    layer = producers.get(id(tensor))
    while layer is not None and type(layer).__name__ in INACTIVE_LAYERS:
        if type(layer).__name__ == "InputLayer":
            return None
        layer = producers.get(id(layer.input))
    return None if layer is None else layer.name


@functools.cache
def _mirrored_strategy():
    """One MirroredStrategy per process: several would share collective-op keys, and the
    all-reduce of one model's gradients would meet another's."""
    from ._tf import tf

    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([d.name for d in devices])


def _optimizer_class(name):
    from ._tf import keras

    return getattr(keras.optimizers, _OPTIMIZERS[name])


def _generated_init(cls):
    """An ``__init__`` storing ``cls``'s declared parameters verbatim, with a real signature.

    Signature: ``hidden_layer_sizes`` (positional or keyword), then the head's own
    parameters, then the shared ones, keyword-only.  scikit-learn reads parameter names from
    the signature (``get_params``, ``clone``), so a subclass that only declares
    ``_head_parameters`` is a complete estimator.
    """
    own = {}
    for klass in reversed(cls.__mro__):
        own.update(klass.__dict__.get("_head_parameters", {}))
    P = inspect.Parameter
    parameters = [
        P("self", P.POSITIONAL_OR_KEYWORD),
        P("hidden_layer_sizes", P.POSITIONAL_OR_KEYWORD,
          default=SHARED_PARAMETERS["hidden_layer_sizes"]),
    ]
    for name, default in [*own.items(), *list(SHARED_PARAMETERS.items())[1:]]:
        parameters.append(P(name, P.KEYWORD_ONLY, default=default))
    signature = inspect.Signature(parameters)

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__module__ = cls.__module__
    __init__.__doc__ = f"Store the parameters verbatim (see :class:`{cls.__name__}`)."
    return __init__


class BaseKerasClassifier(ConformalMixin, FittedNetwork, ClassifierMixin, BaseEstimator,
                          metaclass=ABCMeta):
    """Base class of Keras networks behind the scikit-learn classifier API.

    Subclass it to make a new network by naming its head: set ``head_class`` to a
    :class:`skmnist.Head` subclass (whose constructor's arguments become the estimator's own
    parameters, validated by ``_parameter_constraints``), and optionally override
    :meth:`build_trunk`.  Everything else (the shared parameters of
    :class:`skmnist.FCNClassifier`, fit, partial_fit, predict, predict_proba, sample, score,
    predict_uncertainty with novelty, outlier exposure, conformal prediction sets
    (``calibrate``, ``predict_set``), NumPy prediction, pickling, scikit-learn's checks) is
    inherited.  :class:`skmnist.FCNClassifier` and :class:`skmnist.MDNClassifier` are the two
    examples.

    Parameters
    ----------
    hidden_layer_sizes, conv_filters, kernel_size, pool_size, image_shape, activation, l2, \
dropout, optimizer, learning_rate, learning_rate_schedule, batch_size, epochs, \
early_stopping, validation_fraction, n_iter_no_change, class_weight, augmentation, \
outlier_exposure, warm_start, random_state, verbose, callbacks, steps_per_execution, \
jit_compile, strategy
        As in :class:`skmnist.FCNClassifier`.

    Examples
    --------
    A softmax head whose logits are divided by a temperature, as a new estimator:

    >>> import keras
    >>> import numpy as np
    >>> from skmnist import BaseKerasClassifier, Head, PixelScaler, load_mnist_sample
    >>> class TemperatureHead(Head):
    ...     def __init__(self, temperature=2.0):
    ...         self.temperature = temperature
    ...     def build(self, x, n_classes, seed):
    ...         logits = keras.layers.Dense(n_classes, name="logits")(x)
    ...         return keras.layers.Rescaling(1.0 / self.temperature)(logits)
    ...     def loss(self, n_classes):
    ...         return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    ...     def log_proba(self, outputs, n_classes):
    ...         return keras.ops.log_softmax(outputs, axis=-1)
    >>> class TemperatureClassifier(BaseKerasClassifier):
    ...     head_class = TemperatureHead
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> clf = TemperatureClassifier((32,), temperature=1.5, epochs=2, random_state=0)
    >>> clf.fit(PixelScaler().fit_transform(X[:500]), y[:500]).classes_.tolist()
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> clf.get_params()["temperature"]
    1.5
    """

    head_class = None
    """The network's head, a :class:`skmnist.Head` subclass (see :meth:`make_head`)."""

    #: The features plugged into every fit, called in this order (see ``_fit_steps``).
    _fit_steps = (OutlierExposure, Novelty, Conformal)

    _head_parameters: dict = {}

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "conv_filters": ["array-like", None],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "pool_size": [Interval(Integral, 1, None, closed="left")],
        "image_shape": ["array-like", None],
        "activation": [StrOptions(_ACTIVATIONS)],
        "l2": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"constant", "cosine"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "augmentation": [StrOptions({"standard"}), dict, None],
        **OutlierExposure.parameter_constraints,  # each fit step validates its own
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "steps_per_execution": [Interval(Integral, 1, None, closed="left")],
        "jit_compile": ["boolean", StrOptions({"auto"})],
        "strategy": [StrOptions({"mirrored", "multi_worker"}), callable, None],
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        head = cls.__dict__.get("head_class")
        if head is not None and "_head_parameters" not in cls.__dict__:
            # the head's constructor arguments are the estimator's own parameters
            cls._head_parameters = head.parameters()
        if head is not None and "_parameter_constraints" not in cls.__dict__:
            cls._parameter_constraints = {
                **cls._parameter_constraints, **head.parameter_constraints
            }
        if "__init__" not in cls.__dict__:  # a subclass may still write its own
            cls.__init__ = _generated_init(cls)

    # ------------------------------------------------------------------ head and trunk
    def make_head(self):
        """Return the network's head: ``head_class`` made from the estimator's parameters.

        Called when a network is built, compiled or loaded, after the parameters are
        validated; override it only for a head that cannot be made that way.

        Returns
        -------
        skmnist.Head
        """
        cls = self.head_class
        if cls is None or not (isinstance(cls, type) and issubclass(cls, Head)):
            raise TypeError(
                f"{type(self).__name__} must name its head: set head_class to a "
                f"skmnist.Head subclass (got {cls!r})."
            )
        return cls(**{name: getattr(self, name) for name in cls.parameters()})

    def build_trunk(self, inputs, seed):
        """Return the trunk's output: convolution blocks (if any), then the Dense layers.

        Parameters
        ----------
        inputs : keras tensor
            The flat input features, shape ``(None, n_features)``.
        seed : int or None
            Seed of the layers' initializers and dropout masks.

        Returns
        -------
        keras tensor
            The trunk's output: the head builds on it, and it is the network's feature
            layer, which novelty reads (``predict_uncertainty``).
        """
        from ._trunk import make_conv_trunk, make_dense_trunk

        x = inputs
        filters = self._conv_filters()
        if filters:
            x = make_conv_trunk(
                x, self._image_shape(inputs.shape[-1]), filters, self.kernel_size,
                self.pool_size, self.activation, self.l2, seed,
            )
        return make_dense_trunk(
            x, self._hidden_sizes(), self.activation, self.l2, self.dropout, seed
        )

    # ------------------------------------------------------------------ model life cycle
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(is_int(s, 1) for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must be a positive int or a sequence of positive ints, "
                f"got {self.hidden_layer_sizes!r}."
            )
        return sizes

    def _conv_filters(self):
        filters = [] if self.conv_filters is None else list(self.conv_filters)
        if not all(is_int(f, 1) for f in filters):
            raise ValueError(
                "conv_filters must be None or a sequence of positive ints, "
                f"got {self.conv_filters!r}."
            )
        return filters

    def _image_shape(self, n_features):
        """The image each row of ``n_features`` is reshaped to for the convolutions.

        ``image_shape=None`` reads a row as a one-pixel-high strip ``(1, n_features)``.
        """
        if self.image_shape is None:
            return (1, n_features)
        shape = tuple(self.image_shape)
        if not (
            len(shape) in (2, 3)
            and all(is_int(s, 1) for s in shape)
        ):
            raise ValueError(
                "image_shape must be None, (height, width) or (height, width, channels) of "
                f"positive ints, got {self.image_shape!r}."
            )
        if int(np.prod(shape)) != n_features:
            raise ValueError(
                f"X has {n_features} features, which cannot be reshaped to image_shape="
                f"{shape} ({int(np.prod(shape))} pixels) for the convolutions; pass the "
                "image_shape of your images, or conv_filters=() for a dense network."
            )
        return shape

    def _build_model(self, n_features, n_classes, seed):
        """Build the uncompiled Keras model: input -> trunk -> head; record the trunk's
        feature layer (``_feature_layer``)."""
        from ._tf import keras

        head = register_keras(self.make_head())
        inputs = keras.Input(shape=(n_features,), dtype="float32", name="pixels")
        x = self.build_trunk(inputs, seed)
        outputs = head.build(x, n_classes, seed_offset(seed, HEAD_SEED_OFFSET))
        model = keras.Model(inputs, outputs, name=type(self).__name__)
        self._feature_layer = _producer(model, x)
        return model

    def _strategy_scope(self):
        """The scope of the ``strategy`` parameter's ``tf.distribute`` strategy (or none)."""
        if self.strategy is None:
            return contextlib.nullcontext()
        from ._tf import tf

        if callable(self.strategy):
            strategy = self.strategy()
            if not isinstance(strategy, tf.distribute.Strategy):
                raise TypeError(
                    "strategy must return a tf.distribute.Strategy, got "
                    f"{type(strategy).__name__}."
                )
        elif self.strategy == "multi_worker":
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        else:  # "mirrored": this machine's GPUs, else its logical CPU devices
            strategy = _mirrored_strategy()
        return strategy.scope()

    def _make_optimizer(self):
        return _optimizer_class(self.optimizer)(learning_rate=self.learning_rate)

    def _compile_model(self, model, n_classes, n_samples):
        jit = self.jit_compile
        if jit == "auto":
            # XLA fuses the many small element-wise ops of a step (a large share of a step
            # for a mixture head), but compiling costs a few seconds once per model: worth it
            # only when an epoch has many steps.  Not with dropout: XLA's CPU random-number
            # generation for the masks made epochs ~10x slower than without XLA.  Not with
            # convolutions: TensorFlow's own (oneDNN) convolutions were faster on CPU (full
            # MNIST, conv_filters=(32, 64): 31 s per epoch with XLA, 24 s without).
            jit = (
                n_samples >= _JIT_MIN_SAMPLES and self.dropout == 0 and not self._conv_filters()
            )
        head = register_keras(self.make_head())
        loss = head.loss(n_classes)
        for step in self._steps():
            loss = step.wrap_loss(loss, head, n_classes)
        model.compile(
            optimizer=self._make_optimizer(),
            loss=loss,
            metrics=head.metrics(n_classes),
            steps_per_execution=self._steps_per_call(n_samples),
            jit_compile=bool(jit),
        )

    def _steps_per_call(self, n_samples):
        """Training steps per call into the compiled training function."""
        if self.strategy is not None:
            # Keras 3's multi-step training loop fails under a tf.distribute strategy ("You
            # must feed a value for placeholder tensor"): one step per call there.
            return 1
        if -(-n_samples // self.batch_size) * self.epochs < _MULTI_STEP_MIN_STEPS:
            return 1
        return self.steps_per_execution

    def _steps(self):
        """The fit steps (features) of this estimator, made from its parameters."""
        return [step(self) for step in self._fit_steps]

    def _refresh_optimizer(self, n_classes, n_samples):
        """Recompile a reused network when ``optimizer``, ``learning_rate`` or a step's
        loss (e.g. ``outlier_exposure``) changed since.

        Training continues with the optimizer's state (e.g. Adam's moments) otherwise; the
        architecture (layers, ``l2``, ``dropout``) stays that of the network's first fit.
        """
        model = self._keras_model()
        optimizer_changed = type(model.optimizer) is not _optimizer_class(
            self.optimizer
        ) or not np.isclose(float(model.optimizer.learning_rate.numpy()), self.learning_rate,
                            rtol=1e-6)
        loss_changed = not all(step.loss_is_current(model.loss) for step in self._steps())
        if optimizer_changed or loss_changed:
            self._compile_model(model, n_classes, n_samples)

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to images ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, e.g. flat 28x28 images scaled by :class:`skmnist.PixelScaler`.
        y : array-like of shape (n_samples,)
            Class labels (any labels scikit-learn accepts: ints, strings, ...).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights of the loss; multiplied by ``class_weight`` when both are given.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        reuse = self.warm_start and self.__sklearn_is_fitted__()
        return self._fit(X, y, sample_weight, epochs=self.epochs, reset=not reuse)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for a single epoch over ``X``, building the network on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All classes that can appear; required on the first call (as in
            :meth:`sklearn.neural_network.MLPClassifier.partial_fit`).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        first = not self.__sklearn_is_fitted__()
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if not first and classes is not None:
            classes = np.asarray(classes)
            if not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on the first call to "
                    f"partial_fit, which was {self.classes_!r}."
                )
        return self._fit(X, y, sample_weight, epochs=1, reset=first, classes=classes)

    def _validate_training_data(self, X, y, sample_weight, reset, classes):
        X, y = validate_data(self, X, y, reset=reset, dtype=np.float32, y_numeric=False)
        if _looks_like_raw_pixels(X):
            warnings.warn(
                f"X looks like raw pixel values (whole numbers from 0 to {float(X.max()):g}): "
                f"{type(self).__name__} trains poorly on unscaled pixels. Scale them to [0, 1] "
                "first: make_pipeline(skmnist.PixelScaler(), "
                f"{type(self).__name__}()).",
                PixelScaleWarning,
                stacklevel=4,
            )
        if reset:
            self._fit_max = float(X.max())
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            if self._conv_filters():
                self._image_shape(X.shape[1])  # a clear error before any model is built
            encoder = LabelEncoder().fit(y if classes is None else np.asarray(classes))
            self.classes_ = encoder.classes_
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} not seen in classes_ "
                f"{self.classes_.tolist()}."
            )
        y_encoded = np.searchsorted(self.classes_, y).astype(np.int32)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float32, ensure_non_negative=True
            )
        if self.class_weight is not None:
            cw = compute_sample_weight(self.class_weight, y).astype(np.float32)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        return X, y_encoded, sample_weight

    def _fit(self, X, y, sample_weight, *, epochs, reset, classes=None):
        from ._callbacks import LastEpochState, StopOnNonFinite
        from ._tracing import released_training_graphs

        X, y_enc, sample_weight = self._validate_training_data(X, y, sample_weight, reset, classes)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {self.classes_[0]!r}."
            )

        seed = None
        if self.random_state is not None:
            seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

        with seeded(seed):
            if reset:
                # Variables made inside a strategy's scope are mirrored on its devices; the
                # model keeps its strategy for every later fit (Keras records it).
                with self._strategy_scope():
                    model = self._build_model(X.shape[1], n_classes, seed)
                    self._compile_model(model, n_classes, len(X))
                self.model_ = model
                self.history_ = {}
                self.n_iter_ = 0
            else:
                self._refresh_optimizer(n_classes, len(X))
            fit_args = self._fit_data(X, y_enc, sample_weight, seed)
            stopper, last_epoch = StopOnNonFinite(), LastEpochState()
            schedule = self._schedule_callbacks(epochs)
            callbacks = [
                stopper,
                last_epoch,
                *schedule,
                *self._early_stopping_callbacks(),
                *(self.callbacks or []),
            ]
            interrupted = False
            with warnings.catch_warnings(), released_training_graphs(self._keras_model()):
                # Keras warns when a given epoch count is shorter than steps_per_execution
                # allows; the estimator picks it on purpose.
                warnings.filterwarnings("ignore", module="keras")
                try:
                    history = self._keras_model().fit(
                        **fit_args,
                        epochs=epochs,
                        callbacks=callbacks,
                        verbose=min(int(self.verbose), 2),
                    )
                    logs, completed = history.history, len(history.epoch)
                except KeyboardInterrupt:
                    # As MLPClassifier does: stop, warn and return a usable estimator (here
                    # the one of the last completed epoch, not of a half-trained one).
                    interrupted = True
                    last_epoch.restore()
                    for callback in schedule:  # Keras skips on_train_end when fit raises
                        callback.on_train_end()
                    logs, completed = last_epoch.logs, last_epoch.completed
                finally:
                    # The user's callbacks would otherwise keep a reference to model_, and
                    # pickling the estimator would store the network a second time.
                    for callback in self.callbacks or []:
                        callback.set_model(None)
        if interrupted:
            warnings.warn(
                f"Training interrupted by user (KeyboardInterrupt) after {completed} of "
                f"{epochs} epochs: the estimator keeps the weights "
                "of the last completed epoch.",
                UserWarning,
                stacklevel=4,
            )

        if stopper.diverged_at is not None:
            epoch, batch = stopper.diverged_at
            # Leave the estimator unfitted rather than holding NaN weights.
            self._forget_fit()
            raise ValueError(
                f"Training diverged: the loss became NaN or infinite at epoch {epoch + 1}, "
                f"batch {batch + 1}. Try a smaller learning_rate (now {self.learning_rate}), "
                "a larger l2, or scaling the inputs (skmnist.PixelScaler)."
            )
        for key, values in logs.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)
        self.n_iter_ += completed
        self.loss_ = self.history_["loss"][-1] if self.history_.get("loss") else np.nan
        # Whether this call was cut short: a caller that must not go on with a half-trained
        # network (the study, a script) reads it, as the warning is easy to miss.
        self.interrupted_ = interrupted
        self._make_predictor()
        info = FitInfo(X=X, y=y_enc, sample_weight=sample_weight, seed=seed, fresh=reset,
                       validation=fit_args["validation_data"], interrupted=interrupted,
                       steps=self._steps(), predictor=self._fit_time_predictor())
        for step in info.steps:  # the features: novelty, calibration, ...
            step.after_fit(info)
        return self

    def _forget_fit(self):
        """Remove every fitted attribute (and the network's copies): back to unfitted."""
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, name)
        for name in (*_FITTED_PRIVATE, *(n for step in self._steps() for n in step.state)):
            self.__dict__.pop(name, None)

    def _fit_data(self, X, y, sample_weight, seed):
        """Return ``model.fit``'s data arguments: shuffled batches (and a validation set)."""
        from ._training_data import batches, training_rows

        for step in self._steps():  # e.g. outlier exposure's rows; after_fit sees _fit's X
            X, y, sample_weight = step.training_data(X, y, sample_weight, seed)
        rows, sample_weight = training_rows(X, y, sample_weight)
        validation = None
        if self.early_stopping:
            # Hold out a stratified share of the rows (stratified only where every class
            # has two rows to split).
            stratify = y[rows] if np.bincount(y[rows]).min() >= 2 else None
            try:
                rows, val_rows = train_test_split(
                    rows, test_size=self.validation_fraction, random_state=seed,
                    stratify=stratify,
                )
            except ValueError as exc:
                raise ValueError(
                    f"Cannot hold out validation_fraction={self.validation_fraction} of "
                    f"{len(rows)} samples for early stopping: {exc}"
                ) from None
            validation = (X[val_rows], y[val_rows])
            if sample_weight is not None:
                validation += (sample_weight[val_rows],)
        batch_size = min(self.batch_size, len(rows))
        augment = augmenter(self.augmentation, lambda: self._image_shape(X.shape[1]))
        data = batches(X, y, sample_weight, rows, batch_size, seed, augment)
        return {"x": data, "validation_data": validation}

    def _schedule_callbacks(self, epochs):
        if self.learning_rate_schedule == "constant":
            return []
        from ._callbacks import CosineDecay

        return [CosineDecay(self.learning_rate, epochs)]

    def _early_stopping_callbacks(self):
        if not self.early_stopping:
            return []
        from ._tf import keras

        return [
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=self.n_iter_no_change,
                restore_best_weights=True,
            )
        ]

    def predict_uncertainty(self, X):
        """Return per-input uncertainty figures: ambiguity between classes and novelty.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        uncertainty : Bunch
            Arrays of shape (n_samples,):

            - ``entropy``: entropy (nats) of ``predict_proba``: high when the network hesitates
              between classes (ranks likely errors among ordinary inputs);
            - ``max_proba``: probability of the predicted class;
            - ``novelty``: how unlike the training data the input is, in [0, 1]: the share of
              held-out training samples that are less unusual, read from the trunk's
              feature layer (the last hidden layer), or, for a network trained with
              ``outlier_exposure``, from the entropy of its probabilities (so
              ``novelty > 0.99`` flags about 1% of ordinary inputs, and inputs that are not
              digits at all score near 1). Fitted with every fit and partial_fit. Absent,
              with a warning saying why, when the model has no novelty statistics (e.g.
              saved by skmnist 0.1: refit it).

            The head adds its own figures (:class:`~skmnist.MDNClassifier`: its mixture's
            moments).
        """
        X = self._validate_predict_input(X)
        steps = self._steps()
        names = {HEAD, LOG_PROBA}.union(*(step.uncertainty_outputs() for step in steps))
        outputs = self._predict(X, tuple(sorted(names)))
        proba = floored_exp(outputs[LOG_PROBA], np.float64)
        result = Bunch(entropy=entropy(proba), max_proba=proba.max(axis=1))
        for step in steps:
            result.update(step.uncertainty(outputs))
        result.update(self.make_head().uncertainty(outputs[HEAD], len(self.classes_)))
        return result

    def _validate_predict_input(self, X):
        X = self._validated_predict_rows(X)
        fit_max = self.__dict__.get("_fit_max")
        if fit_max is not None and fit_max <= 1.5 and float(X.max()) > 2 * _RAW_PIXEL_MAX:
            warnings.warn(
                f"X reaches {float(X.max()):g}, but {type(self).__name__} was fitted on values "
                f"up to {fit_max:g}: X looks like raw 0-255 pixels. Scale them as for fitting, "
                "e.g. with skmnist.PixelScaler() (or predict with the whole fitted pipeline).",
                PixelScaleWarning,
                stacklevel=3,
            )
        return X

    def _validated_predict_rows(self, X):
        check_is_fitted(self)
        if (
            type(X) is np.ndarray
            and X.dtype == np.float32
            and X.ndim == 2
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and X.flags.c_contiguous
            and "feature_names_in_" not in self.__dict__
            # one pass, no boolean array (scikit-learn's own first test); an overflowing
            # sum or a NaN sends X to validate_data, which names the problem
            and _finite_sum(X)
        ):
            # What validate_data would return unchanged (the very array), without its
            # ~60 microseconds of bookkeeping: a tenth of a one-image prediction.  Anything
            # else (other dtypes, lists, frames, NaN, wrong widths) takes validate_data, with
            # its conversions and messages.
            return X
        return validate_data(self, X, reset=False, dtype=np.float32)

    def predict_log_proba(self, X):
        """Return the log of the class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities of the classes, in the order of ``classes_``.
        """
        log_proba = self._predict(self._validate_predict_input(X), (LOG_PROBA,))[LOG_PROBA]
        # Probabilities below float32's smallest normal number are reported as that number,
        # so predict_proba (their exp) never underflows to 0 where the log is finite.
        return np.maximum(log_proba, LOG_PROBA_FLOOR)

    def predict_proba(self, X):
        """Return the class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of the classes, in the order of ``classes_``; rows sum to 1.
        """
        return self._predict(self._validate_predict_input(X), (PROBA,))[PROBA]

    def predict(self, X):
        """Return the most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels, taken from ``classes_``.
        """
        log_proba = self.predict_log_proba(X)
        return self.classes_[np.argmax(log_proba, axis=1)]

    def sample(self, X, n_draws=1, random_state=None):
        """Draw class labels from each input's predictive distribution.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        n_draws : int, default=1
            Labels drawn per input.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; the same seed gives the same draws.

        Returns
        -------
        labels : ndarray of shape (n_samples, n_draws)
            Labels drawn from ``predict_proba(X)``, taken from ``classes_``.
        """
        n_draws = check_n_draws(n_draws)
        proba = self.predict_proba(X).astype(np.float64)
        rng = check_random_state(random_state)
        cdf = np.cumsum(proba, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random_sample((len(proba), n_draws))
        return self.classes_[inverse_cdf_draw(cdf, u)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags


BaseKerasClassifier.__init__ = _generated_init(BaseKerasClassifier)
