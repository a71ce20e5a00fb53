"""The one Keras-backed classifier base shared by every network in skmnist.

Everything a scikit-learn classifier needs lives here once: parameter validation, input
validation, label encoding, seeding, building and compiling the Keras model, the fit loop
(callbacks, early stopping, history, divergence detection), the compiled prediction path and
pickling.  A subclass states only what differs, by overriding a few small, named steps
(the skorch way):

``_build_head(x, n_classes, seed)``
    The layers after the shared dense trunk.
``_make_loss(n_classes)`` and ``_make_metrics(n_classes)``
    The training objective and the metrics recorded in ``history_``.
``_head_log_proba(outputs, n_classes)``
    TensorFlow code turning head outputs into class log-probabilities.
"""

import io
import math
from abc import ABCMeta, abstractmethod
import os
import random
import tempfile
import warnings
import zipfile
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state, compute_sample_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._alignment import is_aligned
from ._tf import keras, tf

__all__ = ["BaseKerasClassifier", "make_dense_trunk"]

# Rows per call of the compiled prediction function: bounds the activations held at once
# (65,536 x 400 float32 is 100 MB) while keeping per-call overhead negligible.
_PREDICT_CHUNK = 65536
# Batches the input pipeline prepares ahead of training.
_PREFETCH_BATCHES = 4
# Batches gathered per call of the large-data generator (6,400 MNIST rows, 20 MB, at batch 200).
_GENERATOR_BATCHES = 32
# jit_compile="auto" compiles the training step with XLA from this many training samples on.
_JIT_MIN_SAMPLES = 10_000
_LOG_TINY = np.float32(np.log(np.finfo(np.float32).tiny))
# Prediction runs in blocks of this many rows (see BaseKerasClassifier._run): 16 rows of any
# width fill whole 16-lane float32 vector registers, so no element takes a scalar tail path.
_ROW_BLOCK = 16

_ACTIVATIONS = {"relu", "tanh", "sigmoid", "elu", "selu", "gelu", "silu", "linear"}
_OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "nadam": keras.optimizers.Nadam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
}


def make_dense_trunk(inputs, hidden_layer_sizes, activation="relu", l2=0.0, dropout=0.0, seed=None):
    """Stack the hidden Dense layers shared by every skmnist network.

    Parameters
    ----------
    inputs : keras tensor
        The model's input tensor.
    hidden_layer_sizes : sequence of int
        Units per hidden layer; ``(400, 20)`` is the classic 784-400-20-10 network.
    activation : str, default="relu"
        Activation of the hidden layers.
    l2 : float, default=0.0
        L2 penalty on the hidden layers' kernels (``keras.regularizers.L2``).
    dropout : float, default=0.0
        Dropout rate after each hidden layer (0 adds no Dropout layer).
    seed : int or None, default=None
        Seed of the kernel initializers and dropout masks.

    Returns
    -------
    keras tensor
        The output of the last hidden layer.
    """
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    x = inputs
    for i, units in enumerate(hidden_layer_sizes):
        x = keras.layers.Dense(
            int(units),
            activation=activation,
            kernel_initializer=keras.initializers.GlorotUniform(seed=_offset(seed, i)),
            kernel_regularizer=regularizer,
            name=f"hidden_{i}",
        )(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, seed=_offset(seed, 100 + i), name=f"dropout_{i}")(x)
    return x


def _offset(seed, i):
    return None if seed is None else int(seed) + i


@contextmanager
def _seeded(seed):
    """Seed Keras/TensorFlow for one fit, leaving Python's and NumPy's global RNGs as found.

    ``keras.utils.set_random_seed`` also reseeds ``random`` and ``numpy.random``; a
    scikit-learn estimator must not change the caller's global random state as a side effect.
    """
    if seed is None:
        yield
        return
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        keras.utils.set_random_seed(int(seed))
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


class _StopOnNonFinite(keras.callbacks.Callback):
    """Stop training at the first batch whose loss is NaN or infinite and remember where."""

    def __init__(self):
        super().__init__()
        self.diverged_at = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            # With steps_per_execution > 1 Keras reports the last step of the execution,
            # which may lie past the epoch's end: clamp it to the epoch's last batch.
            steps = self.params.get("steps") if self.params else None
            self.diverged_at = (self._epoch, batch if not steps else min(batch, steps - 1))
            self.model.stop_training = True

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch


class _CosineDecay(keras.callbacks.Callback):
    """Cosine decay of the learning rate over the epochs of one fit call, set per epoch.

    Epoch ``e`` of ``n`` trains at ``base * (1 + cos(pi * e / n)) / 2``: the full rate first,
    a small one last.  The rate is set back to ``base`` when training ends, so a later
    ``fit`` with ``warm_start`` (or ``partial_fit``, one epoch: the full rate) starts from it.
    """

    def __init__(self, base, epochs):
        super().__init__()
        self.base, self.epochs = float(base), int(epochs)

    def on_epoch_begin(self, epoch, logs=None):
        factor = 0.5 * (1.0 + math.cos(math.pi * epoch / self.epochs))
        self.model.optimizer.learning_rate.assign(self.base * factor)

    def on_train_end(self, logs=None):
        self.model.optimizer.learning_rate.assign(self.base)


class BaseKerasClassifier(ClassifierMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class for Keras networks behind the scikit-learn classifier API.

    Not meant to be used directly: use :class:`skmnist.FCNClassifier` or
    :class:`skmnist.MDNClassifier`.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
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
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "steps_per_execution": [Interval(Integral, 1, None, closed="left")],
        "jit_compile": ["boolean", StrOptions({"auto"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(400, 20),
        *,
        activation="relu",
        l2=0.0,
        dropout=0.0,
        optimizer="adam",
        learning_rate=1e-3,
        learning_rate_schedule="cosine",
        batch_size=200,
        epochs=20,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        class_weight=None,
        warm_start=False,
        random_state=None,
        verbose=0,
        callbacks=None,
        steps_per_execution=32,
        jit_compile="auto",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.l2 = l2
        self.dropout = dropout
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.batch_size = batch_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.steps_per_execution = steps_per_execution
        self.jit_compile = jit_compile

    # ------------------------------------------------------------------ steps to override
    @abstractmethod
    def _build_head(self, x, n_classes, seed):
        """Return the head's output tensor given the trunk's output ``x``."""

    @abstractmethod
    def _make_loss(self, n_classes):
        """Return the Keras loss that training minimizes."""

    def _make_metrics(self, n_classes):
        """Return the Keras metrics recorded per epoch in ``history_``."""
        return []

    @abstractmethod
    def _head_log_proba(self, outputs, n_classes):
        """Return class log-probabilities (TensorFlow) from the head's outputs."""

    # ------------------------------------------------------------------ model life cycle
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must be a positive int or a sequence of positive ints, "
                f"got {self.hidden_layer_sizes!r}."
            )
        return sizes

    def _build_model(self, n_features, n_classes, seed):
        """Build the uncompiled Keras model: input -> dense trunk -> head."""
        inputs = keras.Input(shape=(n_features,), dtype="float32", name="pixels")
        x = make_dense_trunk(
            inputs, self._hidden_sizes(), self.activation, self.l2, self.dropout, seed
        )
        outputs = self._build_head(x, n_classes, _offset(seed, 1000))
        return keras.Model(inputs, outputs, name=type(self).__name__)

    def _make_optimizer(self):
        return _OPTIMIZERS[self.optimizer](learning_rate=self.learning_rate)

    def _compile_model(self, model, n_classes, n_samples):
        jit = self.jit_compile
        if jit == "auto":
            # XLA fuses the many small element-wise ops of a step (a large share of a step
            # for a mixture head), but compiling costs a few seconds once per model: worth it
            # only when an epoch has many steps.  Not with dropout: XLA's CPU random-number
            # generation for the masks made epochs ~10x slower than without XLA.
            jit = n_samples >= _JIT_MIN_SAMPLES and self.dropout == 0
        model.compile(
            optimizer=self._make_optimizer(),
            loss=self._make_loss(n_classes),
            metrics=self._make_metrics(n_classes),
            steps_per_execution=self.steps_per_execution,
            jit_compile=bool(jit),
        )

    def _refresh_optimizer(self, n_classes, n_samples):
        """Recompile a reused network when ``optimizer`` or ``learning_rate`` changed since.

        Training continues with the optimizer's state (e.g. Adam's moments) otherwise; the
        architecture (layers, ``l2``, ``dropout``) stays that of the network's first fit.
        """
        current = self.model_.optimizer
        if type(current) is not _OPTIMIZERS[self.optimizer] or not np.isclose(
            float(current.learning_rate.numpy()), self.learning_rate, rtol=1e-6
        ):
            self._compile_model(self.model_, n_classes, n_samples)

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
        reuse = self.warm_start and hasattr(self, "model_")
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
        first = not hasattr(self, "model_")
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
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
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

        with _seeded(seed):
            if reset:
                model = self._build_model(X.shape[1], n_classes, seed)
                self._compile_model(model, n_classes, len(X))
                self.model_ = model
                self.history_ = {}
                self.n_iter_ = 0
            else:
                self._refresh_optimizer(n_classes, len(X))
            fit_args = self._fit_data(X, y_enc, sample_weight, seed)
            stopper = _StopOnNonFinite()
            callbacks = [
                stopper,
                *self._schedule_callbacks(epochs),
                *self._early_stopping_callbacks(),
                *(self.callbacks or []),
            ]
            with warnings.catch_warnings():
                # Keras warns when a given epoch count is shorter than steps_per_execution
                # allows; the estimator picks it on purpose.
                warnings.filterwarnings("ignore", module="keras")
                try:
                    history = self.model_.fit(
                        **fit_args,
                        epochs=epochs,
                        callbacks=callbacks,
                        verbose=min(int(self.verbose), 2),
                    )
                finally:
                    # The user's callbacks would otherwise keep a reference to model_, and
                    # pickling the estimator would store the network a second time.
                    for callback in self.callbacks or []:
                        callback.set_model(None)

        if stopper.diverged_at is not None:
            epoch, batch = stopper.diverged_at
            # Leave the estimator unfitted rather than holding NaN weights.
            for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
                delattr(self, name)
            self.__dict__.pop("_predict_functions", None)
            raise ValueError(
                f"Training diverged: the loss became NaN or infinite at epoch {epoch + 1}, "
                f"batch {batch + 1}. Try a smaller learning_rate (now {self.learning_rate}), "
                "a larger l2, or scaling the inputs (skmnist.PixelScaler)."
            )
        for key, values in history.history.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)
        self.n_iter_ += len(history.epoch)
        self.loss_ = self.history_["loss"][-1] if self.history_.get("loss") else np.nan
        self._make_predict_functions()
        return self

    def _fit_data(self, X, y, sample_weight, seed):
        """Return ``model.fit``'s data arguments: shuffled batches (and a validation set)."""
        rows, sample_weight = _training_rows(X, y, sample_weight)
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
        data = _batches(X, y, sample_weight, rows, batch_size, seed)
        return {"x": data, "validation_data": validation}

    def _schedule_callbacks(self, epochs):
        if self.learning_rate_schedule == "constant":
            return []
        return [_CosineDecay(self.learning_rate, epochs)]

    def _early_stopping_callbacks(self):
        if not self.early_stopping:
            return []
        return [
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=self.n_iter_no_change,
                restore_best_weights=True,
            )
        ]

    # ------------------------------------------------------------------ prediction
    def _make_predict_functions(self):
        """Compile the prediction functions of the fitted model (once per fitted model).

        ``keras.Model.predict`` builds a ``tf.data`` pipeline on every call, which dominates
        the time of small predictions.  A ``tf.function`` with a ``[None, n_features]``
        signature is traced once and serves every batch size without retracing.  They are
        made at the end of fit and on unpickling, so prediction never changes ``__dict__``.
        """
        model, n_classes = self.model_, len(self.classes_)
        signature = [tf.TensorSpec([None, self.n_features_in_], tf.float32)]

        def outputs(x):
            return model(x, training=False)

        def log_proba(x):
            return self._head_log_proba(model(x, training=False), n_classes)

        self._predict_functions = {
            name: tf.function(fn, input_signature=signature)
            for name, fn in [("outputs", outputs), ("log_proba", log_proba)]
        }

    def _validate_predict_input(self, X):
        check_is_fitted(self, "model_")
        return validate_data(self, X, reset=False, dtype=np.float32)

    def _run(self, name, X):
        """Run the compiled function ``name`` over validated ``X``, in padded chunks.

        TensorFlow's vectorized kernels treat the last elements of a buffer (the part that
        does not fill a SIMD register) and single-row matrix products on other code paths,
        whose float32 rounding differs by about 1e-7.  Running every row inside a block whose
        row count is a multiple of ``_ROW_BLOCK`` makes each sample's result independent of
        which other samples share its batch (the same probabilities alone, in a batch, or
        reordered).  Only the short remainder is copied for padding.
        """
        fn = self._predict_functions[name]
        n = len(X)
        parts = []
        for start in range(0, n - n % _ROW_BLOCK, _PREDICT_CHUNK):
            stop = min(start + _PREDICT_CHUNK, n - n % _ROW_BLOCK)
            parts.append(fn(_as_tensor(X[start:stop])).numpy())
        if n % _ROW_BLOCK or n == 0:
            tail = np.zeros((_ROW_BLOCK, X.shape[1]), dtype=np.float32)
            tail[: n % _ROW_BLOCK] = X[n - n % _ROW_BLOCK :]
            parts.append(fn(tf.constant(tail)).numpy()[: n % _ROW_BLOCK])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

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
        log_proba = self._run("log_proba", self._validate_predict_input(X))
        # Probabilities below float32's smallest normal number are reported as that number,
        # so predict_proba (their exp) never underflows to 0 where the log is finite.
        return np.maximum(log_proba, _LOG_TINY)

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
        return np.exp(self.predict_log_proba(X))

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

    def sample(self, X, n_samples=1, random_state=None):
        """Draw labels from each sample's predictive distribution.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        n_samples : int, default=1
            Draws per input.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; the same seed gives the same draws.

        Returns
        -------
        draws : ndarray of shape (n_inputs, n_samples)
            Labels drawn from ``predict_proba(X)``, taken from ``classes_``.
        """
        n_samples = _check_n_samples(n_samples)
        proba = self.predict_proba(X).astype(np.float64)
        rng = check_random_state(random_state)
        cdf = np.cumsum(proba, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random_sample((len(proba), n_samples))
        return self.classes_[inverse_cdf_draw(cdf, u)]

    # ------------------------------------------------------------------ persistence
    def __getstate__(self):
        # BaseEstimator.__getstate__ may hand back the live __dict__: copy before editing.
        state = dict(super().__getstate__())
        state.pop("_predict_functions", None)
        if "model_" in state:
            state["model_"] = _model_to_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        if "model_" in state:
            state = dict(state)
            state["model_"] = _model_from_bytes(state["model_"])
        super().__setstate__(state)
        if "model_" in state:
            self._make_predict_functions()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags


# Integer sample weights are expanded into repeated rows unless that would grow the
# training set beyond this factor; larger or fractional weights scale the loss instead.
_MAX_REPEAT_FACTOR = 4


def _training_rows(X, y, sample_weight):
    """Return the training rows, as indices into ``X`` in a canonical order, and loss weights.

    Sample weights are frequency weights.  Integer weights (the common case: counts, 0 to
    drop a sample) become repeated row indices, so fitting with ``sample_weight=k`` is exactly
    fitting on ``k`` copies; other weights scale each sample's loss, rescaled to mean 1 so
    the effective learning rate does not depend on their overall scale.

    The indices are sorted by a fixed random projection of (features, label).  Mini-batch
    training depends on row order; sorting makes ``fit`` depend only on the *multiset* of
    training samples (and ``random_state``), never on how the caller happened to order them.
    Only indices move: the pixels are never copied for this.
    """
    rows = np.arange(len(X))
    if sample_weight is not None:
        total = float(sample_weight.sum(dtype=np.float64))
        if total <= 0:
            raise ValueError("Sample weights must contain at least one non-zero number.")
        integral = np.all(sample_weight == np.round(sample_weight))
        if integral and total <= _MAX_REPEAT_FACTOR * len(sample_weight):
            rows, sample_weight = np.repeat(rows, sample_weight.astype(np.int64)), None
        else:
            sample_weight = sample_weight * np.float32(len(sample_weight) / total)
    projection = np.random.RandomState(0).standard_normal((X.shape[1], 2)).astype(np.float32)
    keys = (X @ projection)[rows]
    return rows[np.lexsort((y[rows], keys[:, 1], keys[:, 0]))], sample_weight


# Training sets up to this size are copied into TensorFlow for batching; larger ones are
# batched from the NumPy arrays (see _batches).
_IN_GRAPH_BYTES = 32 * 2**20


def _batches(X, y, sample_weight, rows, batch_size, seed):
    """A ``tf.data`` pipeline of mini-batches of ``rows``, reshuffled every epoch.

    Small training sets are copied into TensorFlow once and batches gathered there (Keras's
    own array adapter does the same): the fastest path, with no Python per batch.  For large
    ones that copy costs memory: converting MNIST's 188 MB of float32 pixels held 370 MB at
    its peak.  They are gathered from the NumPy arrays by a generator instead,
    ``_GENERATOR_BATCHES`` batches at a time, in a background thread that ``prefetch`` keeps
    ahead of training.  Either way the shuffling is seeded by ``seed``, so a seeded fit is
    reproducible.

    ``tf.data``'s autotuning is off and the prefetch buffer fixed: with it on, the start of
    every second or third epoch stalled for about 0.5 s with both cores idle (a third of
    an MNIST epoch here); the two stages need no tuning.
    """
    arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
    n_batches = -(-len(rows) // batch_size)
    if X.nbytes <= _IN_GRAPH_BYTES:
        tensors = [tf.convert_to_tensor(a) for a in arrays]
        dataset = (
            tf.data.Dataset.from_tensor_slices(rows.astype(np.int64))
            .shuffle(len(rows), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size)
            .map(lambda i: tuple(tf.gather(t, i) for t in tensors))
        )
    else:
        rng = np.random.RandomState(seed)

        chunk = batch_size * _GENERATOR_BATCHES

        def generate():
            order = rows[rng.permutation(len(rows))]
            for start in range(0, len(order), chunk):
                index = order[start : start + chunk]
                yield tuple(a[index] for a in arrays)

        signature = tuple(
            tf.TensorSpec((None, *a.shape[1:]), tf.as_dtype(a.dtype)) for a in arrays
        )
        # The generator gathers many batches per call (a call per batch cost ~0.15 s of a
        # 0.85 s MNIST epoch in Python and GIL hand-offs); rebatch cuts them up in C++.
        dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
        dataset = dataset.rebatch(batch_size)
        # The generator's length is unknown to tf.data; Keras needs it for its step loop.
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(n_batches))
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(_PREFETCH_BATCHES).with_options(options)


def _as_tensor(X):
    """``X`` (float32, C-ordered) as a TensorFlow tensor, sharing its memory when possible.

    ``tf.constant`` copies: 31 MB for 10,000 MNIST images, about an eighth of
    ``predict_proba``'s time.  DLPack hands the buffer over instead, but TensorFlow aborts the
    process on a buffer that is not aligned to ``TENSOR_ALIGNMENT`` bytes, so only arrays that
    are (e.g. :class:`skmnist.PixelScaler`'s outputs) and writeable (DLPack cannot mark
    read-only memory) take that path; everything else is copied.
    """
    if (
        X.dtype == np.float32
        and X.flags.c_contiguous
        and X.flags.writeable
        and X.size > 0
        and is_aligned(X)
    ):
        return tf.experimental.dlpack.from_dlpack(X.__dlpack__())
    return tf.constant(X)


def inverse_cdf_draw(cumulative, u):
    """Draw category indices by inverting per-row cumulative probabilities.

    ``cumulative`` is (n, K) with rows ending at 1, ``u`` is (n, n_samples) uniform draws; the
    result is, per draw, the first category whose cumulative probability exceeds it.  One
    comparison per category keeps memory at O(n * n_samples), never (n, n_samples, K).
    """
    index = np.zeros(u.shape, dtype=np.intp)
    for j in range(cumulative.shape[1] - 1):
        index += u >= cumulative[:, j : j + 1]
    return index


def _check_n_samples(n_samples):
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
    return int(n_samples)


def _model_to_bytes(model):
    """Serialize a Keras model (architecture, weights, optimizer state) to ``.keras`` bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        with warnings.catch_warnings():
            # Keras's variable saving trips NumPy 2's __array__(copy=...) deprecation notice.
            warnings.simplefilter("ignore", DeprecationWarning)
            model.save(path)
        with open(path, "rb") as f:
            return f.read()


def _model_from_bytes(data):
    if not isinstance(data, bytes) or not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValueError("The pickled estimator does not hold a valid Keras model archive.")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="keras")
            return keras.saving.load_model(path, compile=True)
