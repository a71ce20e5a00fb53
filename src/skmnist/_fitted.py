"""The fitted network of an estimator: its Keras model, NumPy copy, predictor and saved state.

:class:`FittedNetwork` is a mixin of :class:`skmnist.BaseKerasClassifier`: what a fitted
estimator holds beside scikit-learn's attributes, and how it travels:

* ``model_``: the Keras model (the source of truth of the weights), kept as a Keras archive
  after loading until it is used;
* ``_network``: the NumPy copy of the network (``_inference.NumpyNetwork``), taken at the end
  of every fit, saved with the estimator, so that a loaded model predicts without
  TensorFlow;
* ``_feature_layer``: the name of the trunk's feature layer (what the trunk's builder
  returned), the ``"features"`` output of the predictor;
* ``_predictor``: the one :class:`~skmnist._predictor.Predictor` that every prediction
  method asks (NumPy where possible, else TensorFlow; another backend may be installed with
  ``_use_predictor``); never saved, made again on loading;
* ``__getstate__`` / ``__setstate__``: the saved state's layout, its integrity record
  (``_integrity``) and the compatibility with older files.
"""

import inspect

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _integrity
from ._inference import NumpyNetwork, NumpyPredictor, UnsupportedModel
from ._integrity import ModelFileError
from ._predictor import LOG_PROBA
from .heads import register_keras

__all__ = ["FittedNetwork"]

# Private state of a fitted estimator: the live Keras model or its archive (after
# unpickling, until model_ is used), the NumPy copy of the network, the name of the trunk's
# feature layer, the predictor (made again on loading, never saved).
# Version of what __getstate__ writes for a fitted estimator: 1 = the Keras archive
# ("_model_archive") beside the NumPy network ("_network").  skmnist 0.1 wrote none (the
# archive under "model_").  A file with a newer layout is refused with a clear message.
_STATE_LAYOUT = 1

# (and each fit step's own ``state``)
_FITTED_PRIVATE = ("_model", "_model_archive", "_network", "_network_stale", "_predictor",
                   "_feature_layer", "_fit_max")


def _legacy_feature_layer(network, novelty):
    """The feature layer of a network saved before the trunk recorded it: the layer its
    novelty statistics read, else its last ``hidden_*`` layer, else its ``features`` layer
    (what the trunk named them)."""
    layers = getattr(novelty, "layers", ())
    if len(layers) == 1:
        return layers[0]
    names = [] if network is None else network.layer_names
    hidden = [n for n in names if n.startswith("hidden_")]
    if hidden:
        return hidden[-1]
    return "features" if "features" in names else None


def _package_version():
    from . import __version__

    return __version__


class FittedNetwork:
    """The fitted network's state and its predictor (a mixin; see the module docstring)."""

    # ------------------------------------------------------------------ the fitted network
    @property
    def model_(self):
        """The fitted Keras model (the source of truth of the weights; training updates it).

        After unpickling, the model is rebuilt from its saved archive on first access (which
        imports TensorFlow); prediction does not need it.  Prediction runs on a NumPy copy
        of the network, taken at the end of every fit; after the model is handed out here
        (where its weights may be changed by hand), the next prediction takes the copy anew.
        """
        model = self._keras_model()
        self.__dict__["_network_stale"] = True
        return model

    def _keras_model(self):
        """The Keras model, rebuilt from its archive if need be (AttributeError if unfitted)."""
        model = self.__dict__.get("_model")
        if model is None:
            data = self.__dict__.get("_model_archive")
            if data is None and self.__dict__.get("_network") is not None:
                return self._keras_model_from_network()
            if data is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute 'model_'")
            from ._keras_archive import model_from_bytes

            register_keras(self.make_head())
            for step in self._steps():
                step.register_keras_objects()
            with self._strategy_scope():  # training continues on the strategy's devices
                model = model_from_bytes(data)
            self.__dict__["_model"] = model
            del self.__dict__["_model_archive"]
        return model

    def _keras_model_from_network(self):
        """Build the Keras model and give it the NumPy copy's weights (a network shipped
        without its Keras archive, as skmnist.load_pretrained's, can still be trained)."""
        from ._inference import weights_of

        n_classes = len(self.classes_)
        with self._strategy_scope():
            model = self._build_model(self.n_features_in_, n_classes, None)
            self._compile_model(model, n_classes, 1)
        layers = dict(self._network.layers)
        for layer in model.layers:
            if layer.weights:
                if layer.name not in layers:
                    raise ValueError(
                        f"The network's NumPy copy has no layer {layer.name!r} to rebuild the "
                        "Keras model from."
                    )
                layer.set_weights(weights_of(layers[layer.name], layer))
        self.__dict__["_model"] = model
        return model

    @model_.setter
    def model_(self, model):
        self.__dict__["_model"] = model
        self.__dict__.pop("_model_archive", None)

    @model_.deleter
    def model_(self):
        if "_model" not in self.__dict__ and "_model_archive" not in self.__dict__:
            raise AttributeError("model_")
        self.__dict__.pop("_model", None)
        self.__dict__.pop("_model_archive", None)

    def __sklearn_is_fitted__(self):
        # A network shipped as its NumPy copy alone (skmnist.load_pretrained) is fitted too:
        # it predicts, and its Keras model is rebuilt from the copy when training resumes.
        d = self.__dict__
        return "_model" in d or "_model_archive" in d or d.get("_network") is not None

    # ------------------------------------------------------------------ the predictor
    def _make_predictor(self, refresh=True):
        """Make the fitted network's predictor: NumPy where the head has a NumPy counterpart
        and the layers are ones the copy knows, else TensorFlow (see ``_predictor``).

        Done once per fitted model (at the end of fit and on loading), so prediction never
        changes the estimator's ``__dict__``.  ``refresh`` takes the NumPy copy of the Keras
        model anew (after training); a loaded model keeps the copy it was saved with.
        """
        self.__dict__.pop("_network_stale", None)
        self.__dict__.pop("_predictor", None)
        head, n_classes = self.make_head(), len(self.classes_)
        if "_feature_layer" not in self.__dict__:  # saved before the trunk recorded it
            self._feature_layer = _legacy_feature_layer(
                self.__dict__.get("_network"), self.__dict__.get("_novelty")
            )
        if refresh:
            self._network = None
        if head.has_numpy:
            if refresh:
                try:
                    self._network = NumpyNetwork.from_keras(self._keras_model())
                except UnsupportedModel:
                    pass
            if self._network is not None:
                self._predictor = NumpyPredictor(
                    self._network, head, self.n_features_in_, n_classes, self._feature_layer
                )
                return
        from ._prediction import PredictionRunner

        self._predictor = PredictionRunner(
            self._keras_model(), register_keras(head), self.n_features_in_, n_classes,
            self._feature_layer,
        )

    def _fit_time_predictor(self):
        """The predictor for the fit steps' passes over training rows (``FitInfo.predictor``).

        The estimator's own predictor (NumPy where it can) serves prediction without
        TensorFlow.  During a fit TensorFlow is loaded and the Keras model at hand, and its
        compiled convolutions are several times faster than NumPy's (25,000 MNIST images
        through ``conv_filters=(32, 64)``: ~3 s against ~25 s on 2 cores, while the NumPy
        pass was most of such a fit's fixed cost), so a network with convolutions is read
        through TensorFlow here.  Dense networks keep the estimator's predictor: NumPy is
        as fast for them and traces nothing.  The two agree to float32 rounding (features
        within ~1e-5), far below anything the steps estimate from them.
        """
        predictor = self._predictor
        if predictor.backend != "numpy" or not any(
            type(layer).__name__.startswith("Conv") for layer in self._keras_model().layers
        ):
            return predictor
        from ._prediction import PredictionRunner

        return PredictionRunner(
            self._keras_model(), register_keras(self.make_head()), self.n_features_in_,
            len(self.classes_), self._feature_layer,
        )

    def _use_predictor(self, predictor):
        """Serve prediction with ``predictor`` (another backend, see ``_predictor``)."""
        check_is_fitted(self)
        if predictor.n_features != self.n_features_in_ or predictor.n_classes != len(
            self.classes_
        ):
            raise ValueError(
                f"The predictor maps {predictor.n_features} features to "
                f"{predictor.n_classes} classes; {type(self).__name__} has "
                f"{self.n_features_in_} and {len(self.classes_)}."
            )
        self.__dict__.pop("_network_stale", None)
        self._predictor = predictor
        return self

    def _predict(self, X, outputs):
        """The predictor's named ``outputs`` (see ``_predictor``) for validated rows X."""
        if self.__dict__.get("_network_stale"):
            self._make_predictor()  # model_ was handed out: its weights may have changed
        elif "_predictor" not in self.__dict__:
            self._make_predictor(refresh=self.__dict__.get("_network") is None)
        return self._predictor.run(X, outputs)

    # ------------------------------------------------------------------ persistence
    def __getstate__(self):
        # BaseEstimator.__getstate__ may hand back the live __dict__: copy before editing.
        state = dict(super().__getstate__())
        state.pop("_predictor", None)
        state.pop("_network_stale", None)
        model = state.pop("_model", None)
        if model is not None:
            from ._keras_archive import model_to_bytes

            state["_model_archive"] = model_to_bytes(model)
        if self.__sklearn_is_fitted__():
            state["_skmnist_layout"] = _STATE_LAYOUT
            # digests of what it predicts with, checked by __setstate__ (see _integrity)
            state[_integrity.RECORD] = _integrity.make_record(state)
        return state

    def __setstate__(self, state):
        state = dict(state)
        layout = state.pop("_skmnist_layout", None)
        record = state.pop(_integrity.RECORD, None)
        if layout is not None and layout > _STATE_LAYOUT:
            raise ModelFileError(
                f"This {type(self).__name__} was saved by a newer skmnist (state layout "
                f"{layout}; this skmnist {_package_version()} reads up to {_STATE_LAYOUT}). "
                "Upgrade skmnist to load it."
            )
        if "classes_" in state:  # fitted: refuse a damaged one before anything uses it
            _integrity.check_record(record, state, type(self).__name__)
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            if parameter.default is not inspect.Parameter.empty:
                # a parameter added since the file was written: its default is how it behaved
                state.setdefault(name, parameter.default)
        if isinstance(state.get("model_"), bytes):
            # Written by skmnist 0.1 (the archive under "model_", no NumPy copy): rebuilding
            # the NumPy copy needs the Keras model, so this load imports TensorFlow once.
            state["_model_archive"] = state.pop("model_")
            state.pop("_network", None)
        super().__setstate__(state)
        if self.__sklearn_is_fitted__():
            checked = self.__dict__.get("_network") is not None
            self._make_predictor(refresh=not checked)
            if checked:
                self._check_network()

    def _check_network(self):
        """A loaded NumPy network must map n_features_in_ inputs to class log-probabilities.

        A damaged or altered file fails here, at load, with a clear message, rather than at
        the first prediction or with a silently different model.
        """
        try:
            X = np.zeros((1, self.n_features_in_), np.float32)
            log_proba = self._predict(X, (LOG_PROBA,))[LOG_PROBA]
            ok = log_proba.shape == (1, len(self.classes_)) and not np.isnan(log_proba).any()
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            ok, reason = False, f": {exc}"
        else:
            reason = f": it gives {log_proba.shape[-1]} classes" if not ok else ""
        if not ok:
            raise ModelFileError(
                f"The saved {type(self).__name__} is damaged or inconsistent: its network "
                f"does not map {self.n_features_in_} features to {len(self.classes_)} "
                f"class probabilities{reason}."
            )
