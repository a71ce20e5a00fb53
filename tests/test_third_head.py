"""A third head written outside the package with public names only gets every feature.

``TemperatureHead`` (a softmax over logits divided by a temperature) uses nothing of skmnist
but ``skmnist.Head`` and ``skmnist.BaseKerasClassifier`` (and Keras, imported where the
network is built, so that its module imports without TensorFlow).  It must get: outlier
exposure, novelty, NumPy prediction without TensorFlow, ONNX export, skops and joblib
persistence, and
scikit-learn's whole estimator contract.  ``docs/user_guide/extending.md`` shows the same
head.
"""

import pickle
from numbers import Real
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils.estimator_checks import check_estimator

from skmnist import BaseKerasClassifier, Head, PixelScaler, load_mnist_sample
from skmnist.persistence import dump, load


class TemperatureHead(Head):
    """Logits divided by ``temperature``, then a softmax."""

    parameter_constraints = {"temperature": [Real]}

    def __init__(self, temperature=1.0):
        self.temperature = temperature

    def build(self, x, n_classes, seed):
        import keras

        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature!r}.")
        init = keras.initializers.GlorotUniform(seed=seed)
        logits = keras.layers.Dense(n_classes, kernel_initializer=init, name="logits")(x)
        return keras.layers.Rescaling(1.0 / self.temperature, name="tempered")(logits)

    def loss(self, n_classes):
        import keras

        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def metrics(self, n_classes):
        import keras

        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def log_proba(self, outputs, n_classes):
        import keras

        return keras.ops.log_softmax(outputs, axis=-1)

    def log_proba_numpy(self, outputs, n_classes):
        shifted = outputs - outputs.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def onnx(self, graph, outputs, n_classes):
        # for skmnist.export_onnx: the same log-softmax as ONNX nodes, floored where
        # predict_log_proba floors (the log of float32's smallest normal number)
        floor = np.log(np.finfo(np.float32).tiny)
        log_proba = graph.op("LogSoftmax", outputs, axis=1)
        log_proba = graph.op("Max", log_proba, graph.const(floor, "log_floor"))
        return graph.op("Exp", log_proba), log_proba


class TemperatureClassifier(BaseKerasClassifier):
    """The estimator: its ``temperature`` parameter comes from the head's signature."""

    head_class = TemperatureHead


TRUSTED = [f"{__name__}.TemperatureClassifier"]


@pytest.fixture(scope="module")
def digits():
    X, y = load_mnist_sample(return_X_y=True)
    X = PixelScaler().fit_transform(X)
    return X[:1000], y[:1000], X[-300:], y[-300:]


@pytest.fixture(scope="module")
def fitted(digits):
    X, y, _, _ = digits
    return TemperatureClassifier((32,), temperature=2.0, epochs=4, random_state=0).fit(X, y)


def test_parameters_come_from_the_head():
    clf = TemperatureClassifier()
    assert clf.get_params()["temperature"] == 1.0
    assert "temperature" in TemperatureClassifier._parameter_constraints
    assert clf.make_head().get_config() == {"temperature": 1.0}


def test_predicts_with_numpy_and_reports_novelty(fitted, digits):
    _, _, X_test, y_test = digits
    assert fitted.score(X_test, y_test) > 0.5  # 4 epochs on 1,000 images
    assert fitted._predictor.backend == "numpy"
    u = fitted.predict_uncertainty(X_test)
    assert {"entropy", "max_proba", "novelty"} <= set(u)
    noise = np.random.default_rng(0).random((50, X_test.shape[1]), dtype=np.float32)
    assert np.median(fitted.predict_uncertainty(noise)["novelty"]) > np.median(u["novelty"])


def test_outlier_exposure(digits):
    X, y, X_test, _ = digits
    clf = TemperatureClassifier((32,), epochs=4, outlier_exposure=0.5, random_state=0)
    clf.fit(X, y)
    assert type(clf.model_.loss).__name__ == "OutlierExposureLoss"
    u = clf.predict_uncertainty(X_test)
    assert np.all((0 <= u["novelty"]) & (u["novelty"] <= 1))
    # the Keras archive (with the loss naming the head) travels in the pickle and reloads
    restored = pickle.loads(pickle.dumps(clf))
    assert type(restored.model_.loss.head) is TemperatureHead
    assert restored.model_.loss.head.temperature == 1.0
    assert_array_equal(restored.predict_proba(X_test), clf.predict_proba(X_test))
    restored.set_params(warm_start=True, epochs=1).fit(X, y)  # training resumes


def test_joblib_and_skops(fitted, digits, tmp_path):
    _, _, X_test, _ = digits
    expected = fitted.predict_proba(X_test)
    joblib.dump(fitted, tmp_path / "model.joblib")
    assert_array_equal(joblib.load(tmp_path / "model.joblib").predict_proba(X_test), expected)
    dump(fitted, tmp_path / "model.skops")
    loaded = load(tmp_path / "model.skops", trusted=TRUSTED)
    assert_array_equal(loaded.predict_proba(X_test), expected)
    assert_array_equal(loaded.predict_uncertainty(X_test)["novelty"],
                       fitted.predict_uncertainty(X_test)["novelty"])


def test_loads_and_predicts_without_tensorflow(fitted, digits, tmp_path, run_python):
    _, _, X_test, _ = digits
    joblib.dump(fitted, tmp_path / "model.joblib")
    np.save(tmp_path / "X.npy", X_test)
    result = run_python(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        import joblib, numpy as np
        model = joblib.load(sys.argv[2])
        X = np.load(sys.argv[3])
        np.save(sys.argv[4], model.predict_proba(X))
        np.save(sys.argv[5], model.predict_uncertainty(X)["novelty"])
        assert "tensorflow" not in sys.modules and "keras" not in sys.modules
        """,
        Path(__file__).parent, tmp_path / "model.joblib", tmp_path / "X.npy",
        tmp_path / "proba.npy", tmp_path / "novelty.npy",
    )
    assert result.returncode == 0, result.stderr
    assert_array_equal(np.load(tmp_path / "proba.npy"), fitted.predict_proba(X_test))
    assert_array_equal(np.load(tmp_path / "novelty.npy"),
                       fitted.predict_uncertainty(X_test)["novelty"])


def test_exports_to_onnx(fitted, digits, tmp_path):
    pytest.importorskip("onnxruntime", reason="the test extra installs onnxruntime")
    from skmnist import OnnxPredictor, export_onnx

    _, _, X_test, _ = digits
    export_onnx(fitted, tmp_path / "tempered.onnx")
    onnx_model = OnnxPredictor(tmp_path / "tempered.onnx")
    assert onnx_model.metadata["head"] == "TemperatureHead"
    assert_allclose(onnx_model.predict_proba(X_test), fitted.predict_proba(X_test),
                    rtol=0, atol=1e-6)
    assert_array_equal(onnx_model.predict(X_test), fitted.predict(X_test))


def test_a_head_without_an_onnx_part_is_refused_by_name(digits, tmp_path):
    from skmnist import export_onnx

    class NoOnnxHead(TemperatureHead):
        onnx = Head.onnx  # as a head that never wrote one

    class NoOnnxClassifier(BaseKerasClassifier):
        head_class = NoOnnxHead

    X, y, _, _ = digits
    clf = NoOnnxClassifier((8,), epochs=1, random_state=0).fit(X[:200], y[:200])
    with pytest.raises(TypeError, match="NoOnnxHead has no ONNX counterpart"):
        export_onnx(clf, tmp_path / "none.onnx")
    assert not (tmp_path / "none.onnx").exists()


def test_probabilities_are_the_tempered_softmax(fitted, digits):
    import keras

    _, _, X_test, _ = digits
    logits = keras.Model(fitted.model_.inputs[0], fitted.model_.get_layer("logits").output)
    z = logits(X_test, training=False).numpy().astype(np.float64) / 2.0
    expected = np.exp(z - z.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    assert_allclose(fitted.predict_proba(X_test), expected, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_passes_check_estimator():
    clf = TemperatureClassifier((8,), temperature=2.0, epochs=6, batch_size=16,
                                learning_rate=1e-2, random_state=0)
    results = list(check_estimator(clf, on_fail=None))
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, [(r["check_name"], r["exception"]) for r in failed]
    assert sum(r["status"] == "passed" for r in results) > 40

