"""A network written outside the package by stating only its head, and the conv trunk.

The documented extension point: a :class:`skmnist.Head` (``build`` / ``loss`` / ``log_proba``,
optionally ``metrics`` and ``log_proba_numpy``) named by a subclass of
:class:`skmnist.BaseKerasClassifier` (``head_class``), whose constructor's arguments become
the estimator's parameters, validated by ``_parameter_constraints``.  Everything else,
scikit-learn's whole estimator contract included, is inherited.  (``test_third_head.py``
checks every feature of such a head written with public names only.)
"""

import inspect
import pickle
from numbers import Real

import numpy as np
import pytest
from _internals import OUTPUTS, SHARED_PARAMETERS, Predictor, keras, tf
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import Interval
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmnist import BaseKerasClassifier, FCNClassifier, Head, MDNClassifier


class TemperatureHead(Head):
    """A third head: a softmax over logits divided by a fixed temperature (no NumPy side)."""

    def __init__(self, temperature=1.0):
        self.temperature = temperature

    def build(self, x, n_classes, seed):
        logits = keras.layers.Dense(
            n_classes, kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
            name="logits",
        )(x)
        return keras.layers.Rescaling(1.0 / self.temperature, name="tempered")(logits)

    def loss(self, n_classes):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def metrics(self, n_classes):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def log_proba(self, outputs, n_classes):
        return tf.nn.log_softmax(outputs, axis=-1)


class TemperatureSoftmaxClassifier(BaseKerasClassifier):
    """The third head as an estimator: ``temperature`` comes from the head's signature."""

    head_class = TemperatureHead
    _parameter_constraints = {
        **BaseKerasClassifier._parameter_constraints,
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }


def _tiny(**params):
    defaults = dict(hidden_layer_sizes=(8,), epochs=6, batch_size=16, learning_rate=1e-2,
                    random_state=0)
    return TemperatureSoftmaxClassifier(**{**defaults, **params})


@pytest.mark.slow
@parametrize_with_checks([_tiny(temperature=2.0)])
def test_third_head_passes_every_sklearn_check(estimator, check):
    check(estimator)


def test_third_head_signature_is_declared_once():
    params = inspect.signature(TemperatureSoftmaxClassifier).parameters
    assert list(params)[:2] == ["hidden_layer_sizes", "temperature"]
    assert list(params)[2:] == list(SHARED_PARAMETERS)[1:]
    for name, default in SHARED_PARAMETERS.items():
        assert params[name].default == default
    assert is_classifier(TemperatureSoftmaxClassifier())
    # positional use is limited to hidden_layer_sizes, as in scikit-learn
    with pytest.raises(TypeError):
        TemperatureSoftmaxClassifier((8,), 2.0)


def test_the_two_networks_share_one_declaration():
    fcn = inspect.signature(FCNClassifier).parameters
    mdn = inspect.signature(MDNClassifier).parameters
    assert list(fcn) == list(SHARED_PARAMETERS)
    assert list(mdn) == ["hidden_layer_sizes", "n_components", "sigma_floor", "objective",
                         *list(SHARED_PARAMETERS)[1:]]


def test_third_head_probabilities_are_the_tempered_softmax(data):
    X, y, X_test, y_test = data
    clf = _tiny(temperature=3.0).fit(X, y)
    assert clf.score(X_test, y_test) > 0.5
    # An independent reading of the fitted network: the Dense logits, divided by T, softmax.
    logits = keras.Model(clf.model_.inputs[0], clf.model_.get_layer("logits").output)
    z = logits(X_test, training=False).numpy().astype(np.float64) / 3.0
    expected = np.exp(z - z.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    assert_allclose(clf.predict_proba(X_test), expected, rtol=1e-4, atol=1e-6)
    assert clf.history_["accuracy"][-1] > clf.history_["accuracy"][0]


def test_third_head_in_grid_search_and_pickle(data):
    X, y, X_test, _ = data
    search = GridSearchCV(_tiny(epochs=2), {"temperature": [0.5, 2.0]}, cv=2).fit(X, y)
    assert search.best_params_["temperature"] in (0.5, 2.0)
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    assert_array_equal(restored.predict_proba(X_test), search.predict_proba(X_test))
    assert clone(restored).get_params()["temperature"] == restored.temperature


# ------------------------------------------------------------------------------------------
# the convolutional trunk
# ------------------------------------------------------------------------------------------
def _conv(cls=FCNClassifier, **params):
    defaults = dict(conv_filters=(4, 8), hidden_layer_sizes=(16,), epochs=3, batch_size=50,
                    learning_rate=3e-3, random_state=0)
    return cls(**{**defaults, **params})


@pytest.fixture(scope="module")
def conv_fcn(data):
    """``_conv()`` fitted on the 500 training images (only read by the tests)."""
    X, y, _, _ = data
    return _conv().fit(X, y)


@pytest.mark.parametrize("cls", [FCNClassifier, MDNClassifier])
def test_conv_trunk_builds_convolutions_before_the_dense_layers(cls, data, conv_fcn):
    X, y, X_test, y_test = data
    clf = conv_fcn if cls is FCNClassifier else _conv(cls).fit(X, y)
    names = [layer.name for layer in clf.model_.layers]
    assert names[:7] == ["pixels", "image", "conv_0", "pool_0", "conv_1", "pool_1", "features"]
    assert "hidden_0" in names
    assert clf.model_.get_layer("features").output.shape[-1] == 7 * 7 * 8  # 28 -> 14 -> 7
    assert clf.score(X_test, y_test) > 0.3  # learns something in 3 epochs on 500 images


def test_conv_trunk_pickles_and_predicts_the_same(data, conv_fcn):
    X_test = data[2]
    clf = conv_fcn
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X_test), clf.predict_proba(X_test))


def test_conv_trunk_reads_image_shape(data):
    X, y = data[0][:100], data[1][:100]  # only the shapes matter here
    # 28 x 28 images read as 14 x 56: a legal reshape, so it trains (on odd images)
    odd = _conv(image_shape=(14, 56), epochs=1).fit(X, y)
    assert odd.model_.get_layer("features").output.shape[-1] == 4 * 14 * 8  # 14x56 -> 4x14
    # channels last
    rgb = np.repeat(X.reshape(-1, 28, 28, 1), 3, axis=3).reshape(len(X), -1)
    colour = _conv(image_shape=(28, 28, 3), epochs=1).fit(rgb, y)
    assert colour.model_.get_layer("conv_0").input.shape[1:] == (28, 28, 3)
    assert np.all(np.isfinite(colour.predict_proba(rgb[:5])))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(image_shape=(27, 27)), "cannot be reshaped to image_shape"),
        (dict(image_shape=(28, 0)), "image_shape must be"),
        (dict(image_shape=(784,)), "image_shape must be"),
        (dict(conv_filters=(4, -1)), "conv_filters must be"),
        (dict(conv_filters=(4, 2.5)), "conv_filters must be"),
    ],
)
def test_conv_trunk_bad_configuration_is_a_clear_error(data, params, message):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=message):
        _conv(**params).fit(X, y)


def test_dense_default_is_unchanged(data):
    X, y, _, _ = data
    dense = FCNClassifier(hidden_layer_sizes=(16,), epochs=1, random_state=0).fit(X, y)
    assert [layer.name for layer in dense.model_.layers][:2] == ["pixels", "hidden_0"]
    none = FCNClassifier(hidden_layer_sizes=(16,), conv_filters=None, epochs=1,
                         random_state=0).fit(X, y)
    assert_array_equal(none.predict_proba(X), dense.predict_proba(X))


def test_pooling_never_empties_an_image(data):
    X, y, _, _ = data
    # five 2 x 2 poolings of 28 pixels: 14, 7, 4, 2, 1 ("same" padding rounds up)
    clf = _conv(conv_filters=(2, 2, 2, 2, 2), epochs=1).fit(X, y)
    assert clf.model_.get_layer("features").output.shape[-1] == 1 * 1 * 2


@pytest.mark.slow
@parametrize_with_checks([
    # scikit-learn's checks use small tabular data of many widths: image_shape=None reads
    # each row as a 1 x n_features strip.
    FCNClassifier(conv_filters=(4,), image_shape=None, hidden_layer_sizes=(8,), epochs=6,
                  batch_size=16, learning_rate=1e-2, random_state=0),
    MDNClassifier(conv_filters=(4,), image_shape=None, hidden_layer_sizes=(8,),
                  n_components=3, epochs=6, batch_size=16, learning_rate=1e-2,
                  random_state=0),
])
def test_conv_configuration_passes_every_sklearn_check(estimator, check):
    check(estimator)


def test_head_without_numpy_counterpart_predicts_through_tensorflow(data, caplog):
    """No ``log_proba_numpy``: the compiled TensorFlow functions serve prediction."""
    import logging
    import warnings

    X, y, X_test, _ = data
    clf = _tiny(temperature=2.0, epochs=1).fit(X, y)
    logits = clf.model_(X_test, training=False).numpy()
    assert_allclose(clf.predict_proba(X_test), tf.nn.softmax(logits).numpy(), atol=1e-6)
    X_big = np.tile(X_test, (5, 1))
    batch = clf.predict_proba(X_big)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        for n in (1, 2, 3, 17, 64, 65, 1000):
            # same rows, same probabilities, whatever the batch size; no retracing
            assert_array_equal(clf.predict_proba(X_big[:n]), batch[:n])
    assert not [w for w in caught if "retrac" in str(w.message)]
    assert "retrac" not in caplog.text


class NumpyTemperatureHead(TemperatureHead):
    """The third head with a NumPy counterpart: prediction then runs without TensorFlow."""

    def log_proba_numpy(self, outputs, n_classes):
        shifted = outputs - outputs.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class NumpyTemperatureClassifier(TemperatureSoftmaxClassifier):
    head_class = NumpyTemperatureHead


def test_third_head_with_a_numpy_counterpart_agrees_with_tensorflow(data):
    X, y, X_test, _ = data
    params = dict(hidden_layer_sizes=(8,), epochs=1, random_state=0, temperature=3.0)
    numpy_head = NumpyTemperatureClassifier(**params).fit(X, y)
    tf_head = TemperatureSoftmaxClassifier(**params).fit(X, y)
    for a, b in zip(numpy_head.model_.get_weights(), tf_head.model_.get_weights()):
        assert_array_equal(a, b)  # the same network, predicted two ways
    assert_allclose(numpy_head.predict_log_proba(X_test), tf_head.predict_log_proba(X_test),
                    rtol=1e-5, atol=1e-5)
    # novelty works on either predictor, from the trunk's declared feature layer
    assert numpy_head._predictor.backend == "numpy"
    assert tf_head._predictor.backend == "tensorflow"
    u_np, u_tf = numpy_head.predict_uncertainty(X_test), tf_head.predict_uncertainty(X_test)
    assert np.mean(np.abs(u_np["novelty"] - u_tf["novelty"])) < 0.01


class CountingPredictor(Predictor):
    """A third backend, as ``skmnist._onnx`` would be: it only implements ``run``."""

    backend = "counting"

    def __init__(self, inner):
        self.inner, self.calls = inner, []
        self.n_features, self.n_classes = inner.n_features, inner.n_classes
        self.outputs = inner.outputs

    def run(self, X, outputs=("proba",)):
        self.calls.append(tuple(outputs))
        return self.inner.run(X, outputs)


def test_any_predictor_serves_every_prediction_method(data):
    X, y, X_test, _ = data
    mdn = MDNClassifier((8,), n_components=3, epochs=1, random_state=0).fit(X, y)
    proba, u = mdn.predict_proba(X_test), mdn.predict_uncertainty(X_test)
    means = mdn.mixture_params(X_test).means
    counting = CountingPredictor(mdn._predictor)
    mdn._use_predictor(counting)
    assert_array_equal(mdn.predict_proba(X_test), proba)
    assert_array_equal(mdn.predict(X_test), mdn.classes_[proba.argmax(1)])
    u_again = mdn.predict_uncertainty(X_test)
    assert set(u_again) == set(u) and "novelty" in u and "total_variance" in u
    for name in u:
        assert_array_equal(u_again[name], u[name])
    assert_array_equal(mdn.mixture_params(X_test).means, means)
    assert len(counting.calls) == 4
    assert all(set(call) <= set(OUTPUTS) for call in counting.calls)
    with pytest.raises(ValueError, match="features"):
        mdn._use_predictor(CountingPredictor(FCNClassifier((4,), epochs=1).fit(
            X[:, :100], y)._predictor))
