"""Prediction without TensorFlow: the NumPy forward pass against the Keras model.

The Keras model (``model_``) is the source of truth; every prediction method runs on the
NumPy copy of the fitted network.  These tests compare the two through the public hooks
(``model_`` and the head's ``log_proba``), load saved estimators in fresh interpreters that must
not import TensorFlow, and load files written by skmnist 0.1.
"""

import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
from _compare import loaded_values
from numpy.testing import assert_allclose, assert_array_equal

import skmnist
from skmnist import FCNClassifier, MDNClassifier

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEGACY = os.path.join(REPO, "tests", "data")
LOG_TINY = np.log(np.finfo(np.float32).tiny)
ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "selu", "gelu", "silu", "linear"]


def keras_log_proba(est, X):
    """Class log-probabilities computed by the Keras model and the head's TensorFlow code."""
    outputs = est.model_(X, training=False)
    log_proba = np.asarray(est.make_head().log_proba(outputs, len(est.classes_)))
    return np.maximum(log_proba, LOG_TINY)


@pytest.fixture(scope="module")
def small_data(data):
    X, y, X_test, _ = data
    return X[:300], y[:300], X_test[:64]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("Estimator", [FCNClassifier, MDNClassifier])
def test_numpy_path_agrees_with_keras_for_every_activation(Estimator, activation, small_data,
                                                           fitted_by_activation):
    X, y, X_test = small_data
    # Estimator((24, 12), activation=activation, epochs=1, random_state=0) fitted on X, y
    est = fitted_by_activation(Estimator, activation)
    log_proba = est.predict_log_proba(X_test)
    assert log_proba.dtype == np.float32
    assert_allclose(log_proba, keras_log_proba(est, X_test), rtol=2e-5, atol=2e-5)
    assert_allclose(est.predict_proba(X_test).sum(axis=1), 1, rtol=1e-5)


@pytest.mark.parametrize("Estimator", [FCNClassifier, MDNClassifier])
def test_numpy_path_agrees_with_keras_for_convolutions_and_dropout(Estimator, mnist):
    X, y, X_test, _ = mnist
    X, X_test = X[:200] / np.float32(255), X_test[:40] / np.float32(255)
    est = Estimator(
        (16,), conv_filters=(4, 6), kernel_size=3, pool_size=3, dropout=0.3, epochs=1,
        random_state=0,
    ).fit(X, y[:200])  # 28 -> 10 -> 4 pixels: "same" pooling pads unevenly
    assert_allclose(est.predict_log_proba(X_test), keras_log_proba(est, X_test),
                    rtol=2e-5, atol=2e-5)


def test_numpy_path_agrees_on_strips_of_odd_width(small_data):
    X, y, X_test = small_data
    est = FCNClassifier((8,), conv_filters=(3,), kernel_size=4, image_shape=None,
                        epochs=1, random_state=0).fit(X[:, :61], y)
    assert_allclose(est.predict_log_proba(X_test[:, :61]), keras_log_proba(est, X_test[:, :61]),
                    rtol=2e-5, atol=2e-5)


def test_mixture_probabilities_agree_in_the_far_tails():
    """Mixtures far from some bins: masses of 1e-30 .. 1e-300 and below the float32 floor."""
    mdn = MDNClassifier(n_components=3, sigma_floor=1e-2)
    rng = np.random.RandomState(0)
    n = 400
    logits = rng.normal(0, 5, (n, 3))
    means = rng.uniform(-30, 40, (n, 3))
    raw = rng.uniform(-8, 3, (n, 3))  # scales from sigma_floor to ~3
    outputs = np.hstack([logits, means, raw]).astype(np.float32)
    numpy_lp = np.maximum(mdn.make_head().log_proba_numpy(outputs, 10), LOG_TINY)
    tf_lp = np.maximum(np.asarray(mdn.make_head().log_proba(outputs, 10)), LOG_TINY)
    assert np.isfinite(numpy_lp).all()
    assert (numpy_lp < -50).mean() > 0.2  # the far tails really are exercised
    assert_allclose(np.exp(numpy_lp).sum(axis=1), 1, rtol=1e-6)
    # float32 TensorFlow numerics are accurate to ~1e-4 relative in the tails
    assert_allclose(numpy_lp, tf_lp, rtol=1e-3, atol=1e-4)


def test_mixture_class_masses_against_a_float64_reference():
    from scipy.stats import norm

    mdn = MDNClassifier(n_components=2, sigma_floor=1e-3)
    grid = np.array([(mu, sd) for mu in (0.3, 4.4, 8.9) for sd in (0.45, 0.8, 1.5, 6.0)])
    n = len(grid)
    raw = np.log(np.expm1(grid[:, 1] - 1e-3))  # softplus(raw) + floor = sd
    raw2 = np.log(np.expm1(0.7 * grid[:, 1] - 1e-3))
    outputs = np.column_stack([np.zeros(n), np.full(n, -3.0),  # weights 0.95 / 0.05
                               grid[:, 0], grid[:, 0] + 0.2, raw, raw2]).astype(np.float32)
    log_proba = mdn.make_head().log_proba_numpy(outputs, 10)
    o = outputs.astype(np.float64)
    w = np.exp(o[:, :2]) / np.exp(o[:, :2]).sum(axis=1, keepdims=True)
    mu, sd = o[:, 2:4], np.logaddexp(0, o[:, 4:]) + 1e-3
    edges = np.r_[-np.inf, np.arange(1, 10) - 0.5, np.inf]
    reference = np.zeros((n, 10))
    for c in range(10):
        # the survival function where the bin lies right of the mean keeps full precision
        lo = norm.sf((edges[c] - mu) / sd) - norm.sf((edges[c + 1] - mu) / sd)
        hi = norm.cdf((edges[c + 1] - mu) / sd) - norm.cdf((edges[c] - mu) / sd)
        reference[:, c] = np.sum(w * np.where(edges[c] > mu, lo, hi), axis=1)
    keep = reference > np.finfo(np.float32).tiny
    assert (reference[keep] < 1e-20).any()  # far tails included
    # relative accuracy of the masses: ~1e-6 near the components, 3e-5 in the far tails
    assert_allclose(np.exp(log_proba[keep] - np.log(reference[keep])), 1, rtol=3e-5)


@pytest.mark.parametrize("Estimator", [FCNClassifier, MDNClassifier])
def test_prediction_is_independent_of_the_batch(Estimator, small_data, fitted_by_activation):
    X, y, X_test = small_data
    est = fitted_by_activation(Estimator)  # Estimator((24, 12), epochs=1, random_state=0)
    batch = est.predict_proba(np.tile(X_test, (40, 1)))[: len(X_test)]
    alone = np.concatenate([est.predict_proba(X_test[i : i + 1]) for i in range(len(X_test))])
    assert_array_equal(alone, batch)
    pairs = np.concatenate([est.predict_proba(X_test[i : i + 2]) for i in range(0, 64, 2)])
    assert_array_equal(pairs, batch)


def test_pickled_estimator_predicts_the_same_and_rebuilds_model_on_demand(
        small_data, fitted_by_activation):
    X, y, X_test = small_data
    mdn = fitted_by_activation(MDNClassifier)  # fitted on X, y for one epoch; only read here
    loaded = pickle.loads(pickle.dumps(mdn))
    assert_array_equal(loaded.predict_proba(X_test), mdn.predict_proba(X_test))
    p, q = loaded.mixture_params(X_test), mdn.mixture_params(X_test)
    for key in ("weights", "means", "scales"):
        assert_array_equal(p[key], q[key])
    # model_ is the Keras model, rebuilt from the archive on first access, with the same weights
    for a, b in zip(loaded.model_.get_weights(), mdn.model_.get_weights()):
        assert_array_equal(a, b)
    # and training continues from it
    loaded.set_params(warm_start=True, epochs=1).fit(X, y)
    assert loaded.n_iter_ == 2
    assert not np.array_equal(loaded.predict_proba(X_test), mdn.predict_proba(X_test))


def test_prediction_follows_further_training(small_data):
    X, y, X_test = small_data
    clf = FCNClassifier((16,), epochs=1, random_state=0).fit(X, y)
    before = clf.predict_proba(X_test)
    clf.partial_fit(X, y)
    after = clf.predict_proba(X_test)
    assert not np.array_equal(before, after)
    assert_allclose(np.log(after), keras_log_proba(clf, X_test), rtol=2e-5, atol=2e-5)


def run_fresh(code, cwd):
    """Run ``code`` in a fresh interpreter; return its stdout (fail with its stderr)."""
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(skmnist.__file__))}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_saved_models_load_and_predict_without_tensorflow(mnist, tmp_path):
    import inspect

    from sklearn.pipeline import make_pipeline

    from skmnist import PixelScaler, persistence

    X, y, X_test, _ = mnist
    fcn = make_pipeline(PixelScaler(), FCNClassifier((16,), epochs=1, random_state=0))
    mdn = make_pipeline(PixelScaler(), MDNClassifier((16,), conv_filters=(4,), epochs=1,
                                                     random_state=0))
    expected = {}
    for name, model in [("fcn", fcn), ("mdn", mdn)]:
        model.fit(X[:300], y[:300])
        joblib.dump(model, tmp_path / f"{name}.joblib")
        persistence.dump(model, tmp_path / f"{name}.skops")
        expected[name] = loaded_values(model, X_test[:20])
    np.save(tmp_path / "X.npy", X_test[:20])
    out = run_fresh(
        inspect.getsource(loaded_values) + textwrap.dedent("""
        import sys
        import joblib
        import numpy as np
        X = np.load("X.npy")
        from skmnist import persistence
        for name in ("fcn", "mdn"):
            np.savez(name + "_joblib.npz", **loaded_values(joblib.load(name + ".joblib"), X))
            np.savez(name + "_skops.npz", **loaded_values(persistence.load(name + ".skops"), X))
        print("tensorflow" in sys.modules)
        # the Keras models are rebuilt on demand (the MDN's loss and metric are found)
        for name in ("fcn", "mdn"):
            assert joblib.load(name + ".joblib")[-1].model_.count_params() > 0
        """),
        cwd=tmp_path,
    )
    assert out.strip() == "False"
    for name, values in expected.items():
        assert "uncertainty_novelty" in values and (name == "fcn" or "mixture_means" in values)
        for container in ("joblib", "skops"):
            got = np.load(tmp_path / f"{name}_{container}.npz")
            assert sorted(got.files) == sorted(values), (name, container)
            for key, value in values.items():
                if key == "sample":  # labels drawn from the probabilities: the same labels
                    assert_array_equal(got[key], value, err_msg=f"{name} {container} {key}")
                else:  # within float32 rounding (bit-for-bit holds per BLAS configuration)
                    assert_allclose(got[key], value, rtol=1e-5, atol=1e-6,
                                    err_msg=f"{name} {container} {key}")


@pytest.mark.parametrize("name", ["fcn", "mdn"])
def test_files_written_by_skmnist_0_1_still_load(name):
    """Pickles of 0.1 hold only the Keras archive: they load (through TensorFlow, once)."""
    expected = np.load(os.path.join(LEGACY, "legacy_0.1.0_expected.npz"))
    with pytest.warns(UserWarning, match="without an integrity record"):
        est = joblib.load(os.path.join(LEGACY, f"legacy_0.1.0_{name}.joblib"))
    # the 0.1 predictions came from TensorFlow; the NumPy path agrees within float32 rounding
    assert_allclose(est.predict_proba(expected["X"]), expected[f"{name}_proba"],
                    rtol=1e-5, atol=1e-6)
    # saved again, it is a current file
    again = pickle.loads(pickle.dumps(est))
    assert_array_equal(again.predict_proba(expected["X"]), est.predict_proba(expected["X"]))


# ------------------------------------------------------------------ the MDN head's fast paths
def _dense_class_log_proba(weights, means, scales, n_classes):
    """The class masses written out: (n, K, C) layout, every tail evaluated, one case per bin.

    Below the mean a bin's mass is ``q_hi - q_lo``, above it ``q_lo - q_hi``, and the bin
    holding the mean gets ``1 - (q_lo + q_hi)``; the outer bins are one-sided.
    """
    from skmnist._mixture_numpy import _normal_tail

    f32 = np.float32
    weights, means, scales = (np.asarray(a, dtype=f32) for a in (weights, means, scales))
    z = (np.arange(1, n_classes, dtype=f32) - f32(0.5)) - means[..., None]
    z *= (f32(1) / scales)[..., None]
    q = _normal_tail(z)
    below = np.signbit(z)  # the edge lies below the mean (-0.0 counts as below)
    zero = np.zeros_like(q[..., :1])
    q_lo, q_hi = np.concatenate([zero, q], axis=-1), np.concatenate([q, zero], axis=-1)
    b_lo = np.concatenate([np.ones_like(below[..., :1]), below], axis=-1)
    b_hi = np.concatenate([below, np.zeros_like(below[..., :1])], axis=-1)
    mass = np.select(
        [b_lo & b_hi, ~b_lo & ~b_hi],
        [q_hi - q_lo, q_lo - q_hi],
        f32(1) - (q_lo + q_hi),
    )
    proba = np.einsum("nk,nkc->nc", weights, mass)
    with np.errstate(divide="ignore"):
        return np.log(proba / proba.sum(axis=1, keepdims=True))


def _adversarial_mixtures(n=1500, k=6, seed=0):
    """Narrow and wide components, means on and beside the bin edges, far and huge means."""
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(k, 0.3), size=n)
    means = np.select(
        [rng.random((n, k)) < 0.3, rng.random((n, k)) < 0.5],
        [rng.integers(-1, 11, (n, k)) + 0.5,  # exactly on an edge: z == 0
         rng.normal(4.5, 1e4, (n, k))],  # far beyond the labels
        rng.uniform(-3, 12, (n, k)),
    )
    means[:5, :2] = np.nextafter(np.float32(3.5), np.float32([4, 3]))  # one ulp off an edge
    scales = np.exp(rng.uniform(np.log(1e-6), np.log(1e6), (n, k)))  # sigma tiny to huge
    scales[:, 0] = rng.choice([1e-2, 1.5e-2, 0.5], n)  # trained-like narrow components
    return tuple(a.astype(np.float32) for a in (weights, means, scales))


def test_normal_tail_is_exactly_zero_beyond_the_sparse_threshold():
    """Every float32 |z| in [_FAR, 2 * _FAR] (and the infinities) has a tail of exactly 0."""
    from skmnist._mixture_numpy import _FAR, _normal_tail

    lo, hi = np.float32(_FAR).view(np.int32), np.float32(2 * _FAR).view(np.int32)
    z = np.arange(lo, hi + 1, dtype=np.int32).view(np.float32)
    z = np.concatenate([z, -z, np.float32([np.inf, -np.inf, 3e38, -3e38])])
    with np.errstate(over="ignore"):  # z**2 of 3e38
        assert not _normal_tail(z).any()
    # and just inside, tails are not all zero: the threshold is not vacuous
    assert _normal_tail(np.float32([13.0])).item() > 0


def test_sparse_normal_tail_equals_the_dense_one_bit_for_bit():
    from skmnist._mixture_numpy import _FAR, _normal_tail, _sparse_normal_tail

    rng = np.random.default_rng(1)
    z = np.concatenate([
        rng.normal(0, 3, 20000), rng.normal(0, 1e3, 20000), np.linspace(-20, 20, 40001),
        [0.0, -0.0, 1e-45, -1e-45, _FAR, -_FAR, np.nextafter(_FAR, 0), np.inf, -np.inf,
         np.nan],
    ]).astype(np.float32)
    for shape in [(-1,), (9, 11, -1)]:
        zz = z[: z.size // 99 * 99].reshape(shape)
        assert np.array_equal(_sparse_normal_tail(zz), _normal_tail(zz), equal_nan=True)


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_class_log_proba_is_the_same_bits_in_every_path(n_classes, monkeypatch):
    """Blocked, edge-major, sparse-tail masses == the straightforward dense formula, exactly,
    for the whole batch, row by row, in odd slices, and with the sparse path forced off."""
    from skmnist import _mixture_numpy
    from skmnist._mixture_numpy import class_log_proba

    weights, means, scales = _adversarial_mixtures()
    reference = _dense_class_log_proba(weights, means, scales, n_classes)
    assert np.isneginf(reference).any() and (np.exp(reference) > 0.999).any()  # far tails

    def same(a, b):
        return np.array_equal(a, b, equal_nan=True)

    whole = class_log_proba(weights, means, scales, n_classes)
    assert len(weights) > 2 * _mixture_numpy._ROWS_PER_STEP  # several steps
    assert same(whole, reference)
    for i in range(0, len(weights), 37):  # one row at a time (dense tails, einsum)
        assert same(class_log_proba(weights[i : i + 1], means[i : i + 1], scales[i : i + 1],
                                    n_classes), reference[i : i + 1])
    for start, stop in [(3, 19), (100, 117), (7, 530), (0, 1025)]:  # around the thresholds
        rows = slice(start, stop)
        assert same(class_log_proba(weights[rows], means[rows], scales[rows], n_classes),
                    reference[rows])
    monkeypatch.setattr(_mixture_numpy, "_SPARSE_FROM", np.inf)
    assert same(class_log_proba(weights, means, scales, n_classes), reference)


def test_mdn_head_is_the_same_bits_on_trained_like_outputs():
    """Head outputs of a trained network's kind (narrow components near the labels)."""
    from skmnist._mixture_numpy import class_log_proba, mixture_from_outputs

    rng = np.random.default_rng(2)
    n, k = 2000, 10
    label = rng.integers(0, 10, (n, 1))
    outputs = np.hstack([
        rng.normal(0, 4, (n, k)),  # logits
        label + rng.normal(0, 0.05, (n, k)) * rng.choice([1, 30], (n, k)),  # means
        rng.uniform(-8, 1, (n, k)),  # raw scales: sigma from the floor to ~1.3
    ]).astype(np.float32)
    p = mixture_from_outputs(outputs, k, 1e-2, np.float32)
    assert np.array_equal(class_log_proba(p.weights, p.means, p.scales, 10),
                          _dense_class_log_proba(p.weights, p.means, p.scales, 10))


def test_fit_steps_read_a_convolutional_network_through_tensorflow_in_bounded_chunks(
        small_data, monkeypatch):
    from skmnist import _prediction
    from skmnist._predictor import FEATURES, LOG_PROBA

    X, y, X_test = small_data
    dense = FCNClassifier((8,), epochs=1, random_state=0).fit(X, y)
    assert dense._fit_time_predictor() is dense._predictor  # NumPy: as fast, nothing traced
    conv = FCNClassifier((8,), conv_filters=(4,), epochs=1, random_state=0).fit(X, y)
    assert conv._predictor.backend == "numpy"
    runner = conv._fit_time_predictor()
    assert runner.backend == "tensorflow"
    # the widest activation is the convolution's 28 x 28 x 4 map: a chunk's maps stay
    # within the byte budget, in whole blocks of rows
    assert runner.chunk_rows % _prediction.ROW_BLOCK == 0
    assert runner.chunk_rows * 28 * 28 * 4 * 4 <= _prediction._CHUNK_BYTES
    rows = np.tile(X_test, (3, 1))[:150]  # not a whole number of blocks
    whole = runner.run(rows, (FEATURES, LOG_PROBA))
    # TensorFlow and NumPy agree to float32 rounding on what the steps read
    numpy = conv._predictor.run(rows, (FEATURES, LOG_PROBA))
    assert_allclose(whole[FEATURES], numpy[FEATURES], rtol=1e-5, atol=1e-5)
    assert_allclose(whole[LOG_PROBA], numpy[LOG_PROBA], rtol=1e-5, atol=1e-5)
    # in chunks of 32 rows (five calls and a padded tail), every row's result is the same
    monkeypatch.setattr(_prediction, "_CHUNK_BYTES", 32 * 28 * 28 * 4 * 4)
    chunked = _prediction.PredictionRunner(
        conv.model_, conv.make_head(), conv.n_features_in_, len(conv.classes_),
        conv._feature_layer,
    )
    assert chunked.chunk_rows == 32
    parts = chunked.run(rows, (FEATURES, LOG_PROBA))
    assert_array_equal(parts[FEATURES], whole[FEATURES])
    assert_array_equal(parts[LOG_PROBA], whole[LOG_PROBA])
