"""ONNX export: skmnist.export_onnx writes a model that ONNX Runtime runs, and
skmnist.OnnxPredictor runs it; its probabilities equal predict_proba's within 1e-6.

``onnx`` and ``onnxruntime`` are in the ``test`` extra: these tests run in CI, never skip.
"""

import json
import os
import pickle

import numpy as np
import onnx
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmnist
from skmnist import (
    DigitNormalizer,
    FCNClassifier,
    MDNClassifier,
    OnnxPredictor,
    PixelScaler,
    export_onnx,
)
from skmnist.pipeline import make_digit_pipeline

TINY = dict(hidden_layer_sizes=(8,), epochs=2, batch_size=64, random_state=0)
CONV = dict(TINY, conv_filters=(2, 3))
CASES = {
    "fcn_dense": (FCNClassifier, TINY),
    "fcn_conv": (FCNClassifier, CONV),
    "mdn_dense": (MDNClassifier, dict(TINY, n_components=3)),
    "mdn_conv": (MDNClassifier, dict(CONV, n_components=3)),
    # "same" padding that is uneven (kernel 4: 1 before, 2 after; pool 3 over 28: 1 and 1)
    "fcn_conv_uneven_padding": (FCNClassifier, dict(CONV, kernel_size=4, pool_size=3)),
}


def agreement(predictor, estimator, X):
    """max |p_onnx - predict_proba| (and the same check of the rest of the outputs)."""
    proba, expected = predictor.predict_proba(X), estimator.predict_proba(X)
    assert proba.dtype == np.float32 and proba.shape == expected.shape
    log_proba, expected_log = predictor.predict_log_proba(X), estimator.predict_log_proba(X)
    # the log of every probability that is not tiny (the mixture's masses are CDF
    # differences in ONNX: absolutely, not relatively, accurate)
    big = expected > 1e-3
    np.testing.assert_allclose(log_proba[big], expected_log[big], rtol=0, atol=1e-4)
    assert np.all(log_proba <= 0) and np.all(np.isfinite(log_proba))
    # the same class, except where two classes' probabilities tie to float32 rounding
    differ = predictor.predict(X) != estimator.predict(X)
    top2 = np.sort(expected[differ], axis=1)[:, -2:]
    assert np.all(top2[:, 1] - top2[:, 0] < 1e-5)
    return float(np.abs(proba - expected).max())


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _, _ = data
    return {name: cls(**params).fit(X, y) for name, (cls, params) in CASES.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_probabilities_equal_predict_proba(fitted, data, case, tmp_path):
    estimator = fitted[case]
    path = export_onnx(estimator, tmp_path / "model.onnx")
    assert path == os.fspath(tmp_path / "model.onnx") and os.path.getsize(path) > 0
    assert os.listdir(tmp_path) == ["model.onnx"]  # no temporary file left
    predictor = OnnxPredictor(path)
    assert agreement(predictor, estimator, data[2]) < 1e-6
    # one row, as a server predicts
    assert agreement(predictor, estimator, data[2][:1]) < 1e-6
    head = "MixtureHead" if isinstance(estimator, MDNClassifier) else "SoftmaxHead"
    assert predictor.metadata["head"] == head


def test_the_graph_has_no_converter_ops(fitted):
    # built from the network's own layers: standard ONNX ops, channels-first convolutions
    model = onnx.load_model_from_string(_bytes(fitted["mdn_conv"]))
    ops = {node.op_type for node in model.graph.node}
    assert {"Conv", "MaxPool", "Erf", "MatMul", "Softmax"} <= ops
    assert [i.name for i in model.graph.input] == ["X"]
    assert [o.name for o in model.graph.output] == [
        "probabilities", "log_probabilities", "head_outputs", "features"]
    assert model.opset_import[0].version == 17


def _bytes(model, **kwargs):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = export_onnx(model, os.path.join(tmp, "m.onnx"), **kwargs)
        with open(path, "rb") as f:
            return f.read()


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "elu", "selu", "gelu", "silu",
                                        "linear"])
def test_every_activation(data, activation, fitted_by_activation):
    X_test = data[2]
    # a (24, 12) network with that activation (read only; test_inference.py reads it too)
    est = fitted_by_activation(FCNClassifier, activation)
    assert est.activation == activation
    assert agreement(OnnxPredictor(_bytes(est)), est, X_test) < 1e-6


def test_pipeline_with_pixel_scaler(mnist, tmp_path):
    X, y, X_test, _ = mnist
    # string classes, a DigitPipeline, a clipping scaler with another white level
    labels = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                       "nine"])
    pipe = make_digit_pipeline(PixelScaler(max_value=200.0, clip=True),
                               FCNClassifier(**TINY)).fit(X[:400], labels[y[:400]])
    predictor = OnnxPredictor(export_onnx(pipe, tmp_path / "pipe.onnx"))
    assert json.loads(predictor.metadata["steps"]) == ["PixelScaler", "FCNClassifier"]
    assert predictor.classes_.tolist() == pipe.classes_.tolist()
    # raw uint8 pixels in, as the pipeline takes them (OnnxPredictor makes them float32)
    assert agreement(predictor, pipe, X_test[:100]) < 1e-6
    # images (n, 28, 28) are flattened as PixelScaler flattens them
    images = X_test[:3].reshape(3, 28, 28)
    np.testing.assert_array_equal(predictor.predict(images), pipe.predict(X_test[:3]))


def test_metadata_round_trip(fitted, tmp_path):
    estimator = fitted["mdn_dense"]
    path = export_onnx(estimator, tmp_path / "m.onnx")
    props = {p.key: p.value for p in onnx.load(path).metadata_props}
    assert json.loads(props["classes"]) == estimator.classes_.tolist()
    assert props["skmnist_version"] == skmnist.__version__
    assert props["estimator"] == "MDNClassifier" and props["head"] == "MixtureHead"
    assert props["n_features_in"] == "784"
    assert json.loads(props["outputs"]) == [
        "probabilities", "log_probabilities", "head_outputs", "features"]
    predictor = OnnxPredictor(path)
    assert predictor.metadata == props
    np.testing.assert_array_equal(predictor.classes_, estimator.classes_)
    assert predictor.n_features_in_ == 784


def test_predictor_inputs_and_pickling(fitted, data):
    estimator, X = fitted["fcn_dense"], data[2][:20]
    data_bytes = _bytes(estimator)
    from_bytes = OnnxPredictor(data_bytes)
    from_proto = OnnxPredictor(onnx.load_model_from_string(data_bytes))
    np.testing.assert_array_equal(from_bytes.predict_proba(X), from_proto.predict_proba(X))
    restored = pickle.loads(pickle.dumps(from_bytes))
    np.testing.assert_array_equal(restored.predict_proba(X), from_bytes.predict_proba(X))
    # float64 and lists are converted; a wrong width is refused
    np.testing.assert_array_equal(from_bytes.predict_proba(X.astype(np.float64)),
                                  from_bytes.predict_proba(X))
    with pytest.raises(ValueError, match="784 features"):
        from_bytes.predict_proba(X[:, :100])


def test_opset(fitted, data):
    estimator = fitted["mdn_conv"]
    old = OnnxPredictor(_bytes(estimator, opset=13))
    assert agreement(old, estimator, data[2][:50]) < 1e-6
    with pytest.raises(ValueError, match="opset must be between 13"):
        export_onnx(estimator, "never.onnx", opset=9)
    with pytest.raises(TypeError, match="opset must be an int"):
        export_onnx(estimator, "never.onnx", opset="17")
    assert not os.path.exists("never.onnx")


# ------------------------------------------------------------------ errors
def test_unfitted_is_refused(tmp_path):
    with pytest.raises(NotFittedError):
        export_onnx(FCNClassifier(), tmp_path / "m.onnx")
    with pytest.raises(NotFittedError):
        export_onnx(make_pipeline(PixelScaler(), MDNClassifier()), tmp_path / "m.onnx")
    assert os.listdir(tmp_path) == []


def test_unsupported_steps_are_named(fitted, tmp_path):
    est = fitted["fcn_dense"]
    normalized = make_digit_pipeline(DigitNormalizer(), PixelScaler(), est)
    with pytest.raises(TypeError, match=r"'digitnormalizer' \(DigitNormalizer\).*model\[1:\]"):
        export_onnx(normalized, tmp_path / "m.onnx")
    # what the message says to do works
    export_onnx(normalized[1:], tmp_path / "m.onnx")
    os.remove(tmp_path / "m.onnx")
    with pytest.raises(TypeError, match=r"'standardscaler' \(StandardScaler\)"):
        export_onnx(make_pipeline(StandardScaler(), est), tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="Cannot export a LogisticRegression"):
        export_onnx(LogisticRegression(), tmp_path / "m.onnx")
    with pytest.raises(TypeError, match=r"final step 'logisticregression'"):
        export_onnx(make_pipeline(PixelScaler(), LogisticRegression()), tmp_path / "m.onnx")
    assert os.listdir(tmp_path) == []


def test_bad_paths_leave_no_file(fitted, tmp_path, monkeypatch):
    est = fitted["fcn_dense"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        export_onnx(est, tmp_path / "missing" / "m.onnx")
    with pytest.raises(IsADirectoryError):
        export_onnx(est, tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        export_onnx(est, blocker / "m.onnx")
    assert sorted(os.listdir(tmp_path)) == ["file"]
    # a write that fails at the end (here: the rename into place) leaves no partial file,
    # and an existing file as it was
    target = tmp_path / "m.onnx"
    target.write_bytes(b"previous")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        export_onnx(est, target)
    assert sorted(os.listdir(tmp_path)) == ["file", "m.onnx"]
    assert target.read_bytes() == b"previous"


# ------------------------------------------------------------------ full MNIST
@pytest.mark.full_mnist
def test_full_mnist_agreement(mnist_data_home, tmp_path):
    """The four networks, fitted on full MNIST for a few epochs: p_onnx = predict_proba to
    float32 rounding on every one of the 10,000 test images.

    Not within 1e-6 absolutely: trained networks have logits of 20 to 30, whose float32 sums
    are accurate to about 1e-5, and two float32 implementations of the same network (NumPy's
    BLAS, ONNX Runtime's MLAS) sum in different orders.  Measured at 2.3e-6 at most, where
    predict_proba itself is 1.8e-6 from a float64 forward pass of the same weights (and ONNX
    Runtime 1.3e-6): the gap is the float32 rounding of both, not the export.  Hence
    rtol=1e-5 (probabilities near 0.5 differ by up to 4e-6 relatively) with atol=1e-6.
    """
    from skmnist import fetch_mnist

    train, test = fetch_mnist("train"), fetch_mnist("test")
    scaler = PixelScaler()
    X, X_test = scaler.fit_transform(train.data), scaler.transform(test.data)
    cases = {
        "fcn_dense": FCNClassifier(epochs=2, random_state=0),
        "fcn_conv": FCNClassifier(conv_filters=(32, 64), epochs=1, random_state=0),
        "mdn_dense": MDNClassifier(epochs=2, random_state=0),
        "mdn_conv": MDNClassifier(conv_filters=(32, 64), epochs=1, random_state=0),
    }
    worst = {}
    for name, estimator in cases.items():
        estimator.fit(X, train.target)
        predictor = OnnxPredictor(export_onnx(estimator, tmp_path / f"{name}.onnx"))
        worst[name] = agreement(predictor, estimator, X_test)
        np.testing.assert_allclose(predictor.predict_proba(X_test),
                                   estimator.predict_proba(X_test), rtol=1e-5, atol=1e-6)
        assert estimator.score(X_test, test.target) > 0.9
    print("max |p_onnx - predict_proba| on full MNIST test:", worst)
    assert max(worst.values()) < 5e-6, worst


@pytest.mark.parametrize("network", ["fcn", "mdn"])
def test_an_exported_estimator_serves_it_through_the_predictor_interface(network, tmp_path):
    """Installed as the estimator's predictor, ONNX Runtime gives what the NumPy path gives:
    probabilities, uncertainty (novelty from the feature layer, the MDN's mixture moments
    from the raw outputs), draws and prediction sets."""
    import copy

    from skmnist import FCNClassifier as _FCN
    from skmnist import MDNClassifier, OnnxPredictor, PixelScaler, export_onnx, load_mnist_sample

    X, y = load_mnist_sample(return_X_y=True)
    X = PixelScaler().fit_transform(X)[:600]
    y = y[:600]
    cls = {"fcn": _FCN, "mdn": MDNClassifier}[network]
    clf = cls((16,), epochs=2, random_state=0).fit(X[:500], y[:500])
    clf.calibrate(X[500:], y[500:])
    export_onnx(clf, tmp_path / "clf.onnx")
    predictor = OnnxPredictor(tmp_path / "clf.onnx")
    assert predictor.backend == "onnxruntime"
    assert {"proba", "log_proba", "head", "features"} <= predictor.outputs
    served = copy.deepcopy(clf)._use_predictor(predictor)
    assert served._predictor is predictor
    X_new = X[500:]
    np.testing.assert_allclose(served.predict_proba(X_new), clf.predict_proba(X_new),
                               rtol=0, atol=1e-6)
    expected, got = clf.predict_uncertainty(X_new), served.predict_uncertainty(X_new)
    assert set(got) == set(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-4, atol=1e-4, err_msg=key)
    np.testing.assert_array_equal(served.predict_set(X_new, alpha=0.2),
                                  clf.predict_set(X_new, alpha=0.2))
    draws = served.sample(X_new[:20], n_draws=3, random_state=0)
    assert draws.shape == (20, 3)
    # the figures read the estimator through the same interface
    import matplotlib

    matplotlib.use("Agg")
    from skmnist.plotting import MixtureSamplesDisplay, ReliabilityDisplay

    display = ReliabilityDisplay.from_estimator(served, X_new, y[500:])
    np.testing.assert_allclose(display.confidence,
                               ReliabilityDisplay.from_estimator(clf, X_new, y[500:]).confidence,
                               atol=1e-6)
    if network == "mdn":
        MixtureSamplesDisplay.from_estimator(served, X_new[:4], random_state=0)
    with pytest.raises(KeyError, match="no output 'nope'"):
        predictor.run(X_new, ("nope",))
