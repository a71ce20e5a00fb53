"""Tests for skmnist.MDNClassifier: the dense trunk with a Gaussian mixture density head.

What the shared Keras base does (sample weights, partial_fit, warm start, verbosity, ...) is
tested through FCNClassifier in test_fcn.py; the mixture numerics on plain tensors in
test_mixture.py.  Here: the estimator contract with a mixture head, its extra outputs
(mixture_params, sample, predict_uncertainty), persistence of a model that uses custom Keras
objects, and numerical robustness of the whole prediction path.

Small networks, few epochs and subsets of the embedded MNIST sample keep the tests fast and
offline; every fit is seeded.  The slow groups are the scikit-learn estimator checks (one test
per check), GridSearchCV in worker processes and the tests that start a fresh Python process.
"""

import itertools
import json
import pickle
import textwrap

import joblib
import numpy as np
import pytest
from _internals import DiscretizedMixtureNLL, MixtureAccuracy, MixtureDensityNLL, keras
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse, special, stats
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils import Bunch
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmnist import MDNClassifier, PixelScaler

UNCERTAINTY_KEYS = {
    "novelty",
    "entropy",
    "max_proba",
    "mean",
    "aleatoric_variance",
    "multimodality_variance",
    "total_variance",
}


def small(**params):
    """A tiny, seeded MDNClassifier (fits 500 MNIST images in a second or two)."""
    defaults = dict(
        hidden_layer_sizes=(16,), n_components=3, epochs=3, batch_size=50, random_state=0
    )
    defaults.update(params)
    return MDNClassifier(**defaults)


def _softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))


def _class_log_proba_from_mixture(weights, means, scales, n_classes):
    """float64 reference (scipy) of the class log-probabilities of a mixture.

    Class k's probability is the mixture's mass on its bin [k - 0.5, k + 0.5) (class 0's
    bin open to the left, the last class's to the right), as the user guide defines it.
    Each component's bin mass is taken in log space from the side of the bin away from the
    component's mean (log-CDFs left of it, log-survival functions right of it), so the
    reference stays exact far in the tails, where plain CDF differences round to 0.
    """
    edges = np.arange(n_classes + 1, dtype=np.float64) - 0.5
    edges[0], edges[-1] = -np.inf, np.inf
    z = (edges[None, None, :] - means[..., None]) / scales[..., None]
    lo, hi = z[..., :-1], z[..., 1:]
    right = lo >= 0  # the bin lies right of the component's mean
    with np.errstate(divide="ignore"):
        a = np.where(right, stats.norm.logsf(lo), stats.norm.logcdf(hi))
        b = np.where(right, stats.norm.logsf(hi), stats.norm.logcdf(lo))
        log_mass = a + np.log1p(-np.exp(b - a))
        return special.logsumexp(np.log(weights)[..., None] + log_mass, axis=1)


# predict_log_proba reports log-probabilities below float32's smallest normal number as its
# log (so predict_proba never underflows to 0).
LOG_FLOOR = np.log(np.finfo(np.float32).tiny)


# ------------------------------------------------------------------------------------------
# data and shared fitted models (module scope: fitted once, never modified by a test)
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(data):
    X, y, _, _ = data
    return small().fit(X, y)


@pytest.fixture(scope="module")
def fitted_pipeline(mnist):
    X, y, _, _ = mnist
    return make_pipeline(
        PixelScaler(),
        MDNClassifier(
            hidden_layer_sizes=(16,), n_components=3, epochs=5, batch_size=50, random_state=0
        ),
    ).fit(X, y)


# ------------------------------------------------------------------------------------------
# 1. scikit-learn compatibility
# ------------------------------------------------------------------------------------------
# The small configurations need enough training to pass the checks that score the fit
# (check_classifiers_train: training accuracy > 0.83 on 3 blobs; check_class_weight_classifiers:
# > 87% class 0 on noisy blobs with class_weight={0: 1000, ...}): 3 epochs at the default
# learning rate reach neither, and the density objective converges slower than the
# discretized one.  A fit of 150 samples costs about the same for 3 or 30 epochs (tracing
# the step dominates).  sigma_floor=0.5 keeps the log-probabilities of these easy problems
# far above float32's exp underflow (about -27 at worst against -103); see
# test_predict_log_proba_when_confident_is_exact_down_to_the_floor for what happens
# below it.
@pytest.mark.slow
@parametrize_with_checks(
    [
        MDNClassifier(
            hidden_layer_sizes=(8,),
            n_components=3,
            epochs=20,
            batch_size=16,
            learning_rate=1e-2,
            sigma_floor=0.5,
            random_state=0,
        ),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(
    [
        MDNClassifier(),
        MDNClassifier(
            hidden_layer_sizes=(8,),
            n_components=3,
            objective="density",
            epochs=30,
            batch_size=16,
            learning_rate=3e-2,
            sigma_floor=0.5,
            random_state=0,
        ),
    ]
)
def test_sklearn_compatible_default_and_density(estimator, check):
    check(estimator)


def test_get_params_include_mixture_parameters():
    clf = MDNClassifier(n_components=4, sigma_floor=0.05, objective="density")
    params = clf.get_params()
    assert (params["n_components"], params["sigma_floor"], params["objective"]) == (
        4,
        0.05,
        "density",
    )
    assert repr(MDNClassifier(n_components=4)) == "MDNClassifier(n_components=4)"
    twin = clone(clf.set_params(n_components=7))
    assert twin.n_components == 7 and twin is not clf


# ------------------------------------------------------------------------------------------
# 2. learning and the classifier contract
# ------------------------------------------------------------------------------------------
def test_pipeline_learns_mnist_sample(fitted_pipeline, mnist):
    X, y, X_test, y_test = mnist
    # A 784-16-(3 components) MDN after 5 epochs on 5,000 images reaches about 0.7 on the
    # 1,000 test images (chance is 0.1).
    assert fitted_pipeline.score(X_test, y_test) > 0.5
    clf = fitted_pipeline[-1]
    assert clf.n_features_in_ == 784
    assert_array_equal(clf.classes_, np.arange(10))
    assert isinstance(clf.model_, keras.Model)
    head = clf.model_.get_layer("mixture")
    assert head.units == 3 * clf.n_components
    assert clf.model_.output_shape == (None, 3 * clf.n_components)
    assert clf.n_iter_ == 5

    # history_: per-epoch loss and MixtureAccuracy; the loss falls.
    assert set(clf.history_) == {"loss", "accuracy"}
    assert all(len(v) == 5 for v in clf.history_.values())
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]
    assert clf.loss_ == clf.history_["loss"][-1]
    # The last epoch's running training accuracy (weights still moving, plain CDF
    # differences) is close to the accuracy of the final model on the same images
    # (about 0.72 and 0.75).
    train_score = fitted_pipeline.score(X, y)
    assert abs(clf.history_["accuracy"][-1] - train_score) < 0.1
    assert clf.history_["accuracy"][-1] > clf.history_["accuracy"][0]


def test_compiled_loss_and_metric(fitted):
    assert isinstance(fitted.model_.loss, DiscretizedMixtureNLL)
    assert fitted.model_.loss.n_components == fitted.n_components
    assert fitted.model_.loss.n_classes == 10
    density = small(objective="density")
    assert isinstance(density.make_head().loss(10), MixtureDensityNLL)
    (metric,) = fitted.make_head().metrics(10)
    assert isinstance(metric, MixtureAccuracy) and metric.name == "accuracy"


def test_mixture_accuracy_metric_matches_argmax_of_class_proba(fitted, data):
    # The metric's cheap CDF differences pick the same class as predict_proba.
    X, y, X_test, _ = data
    outputs = fitted.model_(X_test, training=False)
    predicted = fitted.predict(X_test)
    metric = MixtureAccuracy(fitted.n_components, 10, fitted.sigma_floor)
    metric.update_state(predicted, outputs)
    assert float(metric.result()) == 1.0
    metric.reset_state()
    metric.update_state((predicted + 1) % 10, outputs)
    assert float(metric.result()) == 0.0
    # and it round-trips through its config (as in a saved model): the same metric
    clone_metric = MixtureAccuracy.from_config(metric.get_config())
    clone_metric.update_state(predicted, outputs)
    assert float(clone_metric.result()) == 1.0


def test_predict_proba_predict_log_proba_predict(fitted, data):
    _, _, X_test, _ = data
    proba = fitted.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    log_proba = fitted.predict_log_proba(X_test)
    assert log_proba.shape == proba.shape and np.all(log_proba <= 0)
    # The log of each class bin's mass under the mixture that mixture_params reports,
    # computed independently in float64.
    p = fitted.mixture_params(X_test)
    reference = _class_log_proba_from_mixture(p.weights, p.means, p.scales, 10)
    assert_allclose(log_proba, np.maximum(reference, LOG_FLOOR), rtol=1e-4, atol=1e-5)
    predicted = fitted.predict(X_test)
    assert_array_equal(predicted, fitted.classes_[np.argmax(reference, axis=1)])


def test_predict_proba_does_not_depend_on_the_batch(fitted, data):
    _, _, X_test, _ = data
    proba = fitted.predict_proba(X_test)
    for rows in (slice(0, 1), slice(5, 70), slice(130, 200)):
        assert_array_equal(fitted.predict_proba(X_test[rows]), proba[rows])
    order = np.random.RandomState(0).permutation(len(X_test))
    assert_array_equal(fitted.predict_proba(X_test[order]), proba[order])
    entropy = fitted.predict_uncertainty(X_test).entropy
    assert_array_equal(fitted.predict_uncertainty(X_test[:1]).entropy, entropy[:1])


def test_mixture_params_do_not_depend_on_the_batch(fitted, data):
    _, _, X_test, _ = data
    params = fitted.mixture_params(X_test)
    for rows in (slice(0, 1), slice(0, 3), slice(5, 70), slice(130, 200), slice(7, 8)):
        part = fitted.mixture_params(X_test[rows])
        for key in ("weights", "means", "scales"):
            assert_array_equal(part[key], params[key][rows], err_msg=f"{key}[{rows}]")


def test_string_labels(data, fitted):
    X, y, X_test, _ = data
    letters = np.array(list("abcdefghij"))
    clf = small().fit(X, letters[y])
    # classes_ is sorted, and its index is the value the mixture models: 'a'..'j' sort
    # like 0..9, so the encoded problem, the network and its probabilities are the same.
    assert_array_equal(clf.classes_, letters)
    assert_array_equal(clf.predict_proba(X_test), fitted.predict_proba(X_test))
    assert_array_equal(clf.predict(X_test), letters[fitted.predict(X_test)])
    assert clf.predict(X_test).dtype == letters.dtype


def test_binary_string_labels_sorted_order(data):
    X, y, X_test, _ = data
    names = np.where(y == 1, "one", "zero")  # 'one' < 'zero': index 0 is 'one'
    clf = small(objective="density").fit(X, names)
    assert_array_equal(clf.classes_, ["one", "zero"])
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2)
    assert_array_equal(clf.predict(X_test), clf.classes_[proba.argmax(axis=1)])
    assert set(clf.predict(X_test)) <= {"one", "zero"}
    assert np.all(clf.predict_uncertainty(X_test).entropy <= np.log(2) + 1e-9)


# ------------------------------------------------------------------------------------------
# 3. the mixture: parameters, samples, uncertainty
# ------------------------------------------------------------------------------------------
def test_mixture_params(fitted, data):
    _, _, X_test, _ = data
    params = fitted.mixture_params(X_test)
    assert isinstance(params, Bunch)
    assert set(params) == {"weights", "means", "scales"}
    k = fitted.n_components
    for value in params.values():
        assert value.shape == (len(X_test), k)
        assert value.dtype == np.float64
        assert np.all(np.isfinite(value))
    assert np.all(params.weights >= 0)
    assert_allclose(params.weights.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    assert np.all(params.scales >= fitted.sigma_floor)

    # The head's documented layout: [mixing logits | means | raw scales].
    raw = np.asarray(fitted.model_(X_test, training=False), dtype=np.float64)
    logits = raw[:, :k]
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    assert_allclose(params.weights, weights, rtol=1e-5, atol=1e-7)
    assert_allclose(params.means, raw[:, k : 2 * k], rtol=1e-6, atol=1e-6)
    assert_allclose(
        params.scales, _softplus(raw[:, 2 * k :]) + fitted.sigma_floor, rtol=1e-5, atol=1e-7
    )


def test_untrained_head_puts_component_k_on_digit_k_for_every_input():
    # The head's kernel starts with zero mean columns (MixtureHeadKernel): before training,
    # every input's component k sits on class k, and only the weights and scales vary.
    # With a random kernel there too, components drifted off their digits and got shared
    # between two digits (benchmarks/bench_mdn_calibration.py).
    k = 10
    est = MDNClassifier(n_components=k)
    inputs = keras.Input((20,))
    model = keras.Model(inputs, est.make_head().build(inputs, 10, seed=0))
    x = np.random.default_rng(0).uniform(0, 5, size=(16, 20)).astype(np.float32)
    raw = np.asarray(model(x), dtype=np.float64)
    assert_allclose(raw[:, k : 2 * k], np.broadcast_to(np.arange(10.0), (16, k)), atol=1e-6)
    assert np.ptp(raw[:, :k], axis=0).min() > 0
    # the density objective (no class bins) keeps a random kernel for the means too
    density = keras.Model(
        inputs, MDNClassifier(n_components=k, objective="density").make_head().build(inputs, 10, 0)
    )
    assert np.ptp(np.asarray(density(x))[:, k : 2 * k], axis=0).min() > 0


def test_predict_proba_is_the_mixture_mass_on_each_class_bin(fitted, data):
    _, _, X_test, _ = data
    p = fitted.mixture_params(X_test)
    expected = np.exp(_class_log_proba_from_mixture(p.weights, p.means, p.scales, 10))
    assert_allclose(fitted.predict_proba(X_test), expected, rtol=0, atol=2e-5)


def test_sample_shape_dtype_and_seed(fitted, data):
    _, _, X_test, _ = data
    X = X_test[:20]
    draws = fitted.sample_values(X, n_draws=7, random_state=0)
    assert draws.shape == (20, 7)
    assert draws.dtype.kind == "f" and np.all(np.isfinite(draws))
    # real values, not labels
    assert not np.all(draws == np.round(draws))
    assert_array_equal(fitted.sample_values(X, n_draws=7, random_state=0), draws)
    assert_array_equal(
        fitted.sample_values(X, n_draws=7, random_state=np.random.RandomState(0)), draws
    )
    assert not np.array_equal(fitted.sample_values(X, n_draws=7, random_state=1), draws)
    assert fitted.sample_values(X, random_state=0).shape == (20, 1)
    assert fitted.sample_values(X, n_draws=np.int64(2), random_state=0).shape == (20, 2)


def test_sample_does_not_touch_global_random_state(fitted, data):
    _, _, X_test, _ = data
    np.random.seed(123)
    expected = np.random.random_sample(3)
    np.random.seed(123)
    fitted.sample_values(X_test[:5], n_draws=10, random_state=0)
    assert_array_equal(np.random.random_sample(3), expected)


def test_sample_moments_match_predict_uncertainty(fitted, data):
    _, _, X_test, _ = data
    X = X_test[:10]
    n = 40_000
    draws = fitted.sample_values(X, n_draws=n, random_state=0)
    u = fitted.predict_uncertainty(X)
    sd = np.sqrt(u.total_variance)
    assert np.all(np.abs(draws.mean(axis=1) - u.mean) < 5 * sd / np.sqrt(n))
    # (40,000 draws: the sample variance's relative standard error is about 1%.)
    assert_allclose(draws.var(axis=1), u.total_variance, rtol=0.04)
    # The rounded draws follow predict_proba (class k owns [k - 0.5, k + 0.5]).
    labels = np.clip(np.round(draws), 0, 9).astype(int)
    freq = np.stack([np.bincount(row, minlength=10) for row in labels]) / n
    assert_allclose(freq, fitted.predict_proba(X), atol=0.015)


def test_predict_uncertainty(fitted, data):
    _, _, X_test, _ = data
    u = fitted.predict_uncertainty(X_test)
    assert isinstance(u, Bunch)
    assert set(u) == UNCERTAINTY_KEYS
    for value in u.values():
        assert value.shape == (len(X_test),)
        assert np.all(np.isfinite(value))
    assert_allclose(u.total_variance, u.aleatoric_variance + u.multimodality_variance, rtol=1e-12)
    assert np.all(u.aleatoric_variance >= fitted.sigma_floor**2 * (1 - 1e-6))
    assert np.all(u.multimodality_variance >= 0)
    assert np.all(u.entropy >= 0) and np.all(u.entropy <= np.log(10) + 1e-9)

    proba = fitted.predict_proba(X_test).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(proba > 0, proba * np.log(proba), 0.0)
    assert_allclose(u.entropy, -plogp.sum(axis=1), rtol=1e-5, atol=1e-6)
    assert_allclose(u.max_proba, proba.max(axis=1), rtol=1e-6, atol=1e-7)

    # Moments of the mixture that mixture_params reports (its float32-born weights sum to 1
    # within ~1e-7; the moments use them renormalized).
    p = fitted.mixture_params(X_test)
    w = p.weights / p.weights.sum(axis=1, keepdims=True)
    mean = np.sum(w * p.means, axis=1)
    assert_allclose(u.mean, mean, rtol=1e-9, atol=1e-9)
    assert_allclose(u.aleatoric_variance, np.sum(w * p.scales**2, axis=1), rtol=1e-9)
    assert_allclose(
        u.multimodality_variance,
        np.sum(w * (p.means - mean[:, None]) ** 2, axis=1),
        rtol=1e-9,
        atol=1e-12,
    )


# ------------------------------------------------------------------------------------------
# 4. objectives and parameters
# ------------------------------------------------------------------------------------------
def test_density_objective_trains_and_predicts(data):
    X, y, X_test, y_test = data
    clf = small(objective="density", epochs=5).fit(X, y)
    assert isinstance(clf.model_.loss, MixtureDensityNLL)
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]
    proba = clf.predict_proba(X_test)
    assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    assert clf.score(X_test, y_test) > 0.15  # about 0.3; chance is 0.1
    assert np.all(np.isfinite(clf.sample_values(X_test[:5], 3, random_state=0)))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"objective": "likelihood"}, "objective"),
        ({"objective": None}, "objective"),
        ({"n_components": 0}, "n_components"),
        ({"n_components": -2}, "n_components"),
        ({"n_components": 2.5}, "n_components"),
        ({"sigma_floor": 0}, "sigma_floor"),
        ({"sigma_floor": -0.1}, "sigma_floor"),
        ({"sigma_floor": np.nan}, "sigma_floor"),
        ({"sigma_floor": "1e-2"}, "sigma_floor"),
    ],
)
def test_invalid_mixture_parameters(data, params, match):
    X, y, _, _ = data
    clf = small(**params)
    with pytest.raises(InvalidParameterError, match=match):
        clf.fit(X[:50], y[:50])
    assert not hasattr(clf, "model_")


# ------------------------------------------------------------------------------------------
# 5. meta-estimators
# ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_grid_search_in_worker_processes(data):
    X, y, X_test, _ = data
    X, y = X[:300], y[:300]
    base = small(epochs=5, batch_size=25)
    grid = {"n_components": [2, 3], "l2": [0.0, 1e-3]}
    search = GridSearchCV(base, grid, cv=2, n_jobs=2, error_score="raise").fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 4 and np.all(np.isfinite(scores))
    assert search.best_params_ in search.cv_results_["params"]
    assert scores.max() > 0.15  # about 0.19; chance is 0.1
    best = search.best_estimator_
    assert best.n_components == search.best_params_["n_components"]
    assert best.l2 == search.best_params_["l2"]
    assert best.predict(X_test).shape == (len(X_test),)
    assert best.mixture_params(X_test).weights.shape == (len(X_test), best.n_components)
    # The refit best estimator is the same seeded fit as a fresh one with those parameters.
    again = clone(base).set_params(**search.best_params_).fit(X, y)
    assert_array_equal(again.predict_proba(X_test), best.predict_proba(X_test))


# ------------------------------------------------------------------------------------------
# 6. persistence
# ------------------------------------------------------------------------------------------
def test_pickle_round_trip_in_process(fitted, data):
    _, _, X_test, _ = data
    loaded = pickle.loads(pickle.dumps(fitted))
    assert loaded.model_ is not fitted.model_
    assert_array_equal(loaded.predict_proba(X_test), fitted.predict_proba(X_test))
    assert_array_equal(
        loaded.sample_values(X_test, 5, random_state=0),
        fitted.sample_values(X_test, 5, random_state=0),
    )
    for key, value in fitted.mixture_params(X_test).items():
        assert_array_equal(loaded.mixture_params(X_test)[key], value)
    for key, value in fitted.predict_uncertainty(X_test).items():
        assert_array_equal(loaded.predict_uncertainty(X_test)[key], value)
    assert isinstance(loaded.model_.loss, DiscretizedMixtureNLL)


@pytest.mark.slow
def test_joblib_round_trip_in_fresh_process(
    tmp_path, fitted, fitted_pipeline, data, mnist, run_python
):
    X_test, raw_test = data[2], mnist[2][:100]
    joblib.dump(fitted, tmp_path / "clf.joblib")
    joblib.dump(fitted_pipeline, tmp_path / "pipe.joblib")
    np.save(tmp_path / "X.npy", X_test)
    np.save(tmp_path / "X_raw.npy", raw_test)
    expected = {
        "clf_proba": fitted.predict_proba(X_test),
        "clf_sample": fitted.sample_values(X_test, 5, random_state=0),
        "clf_mean": fitted.predict_uncertainty(X_test).mean,
        "pipe_proba": fitted_pipeline.predict_proba(raw_test),
        "pipe_sample": fitted_pipeline[-1].sample_values(
            fitted_pipeline[0].transform(raw_test), 5, random_state=0
        ),
    }
    result = run_python(
        """
        import sys
        from pathlib import Path

        import joblib
        import numpy as np

        d = Path(sys.argv[1])
        X, X_raw = np.load(d / "X.npy"), np.load(d / "X_raw.npy")
        clf = joblib.load(d / "clf.joblib")
        pipe = joblib.load(d / "pipe.joblib")
        np.save(d / "got_clf_proba.npy", clf.predict_proba(X))
        np.save(d / "got_clf_sample.npy", clf.sample_values(X, 5, random_state=0))
        np.save(d / "got_clf_mean.npy", clf.predict_uncertainty(X).mean)
        np.save(d / "got_pipe_proba.npy", pipe.predict_proba(X_raw))
        draws = pipe[-1].sample_values(pipe[0].transform(X_raw), 5, random_state=0)
        np.save(d / "got_pipe_sample.npy", draws)
        print(type(clf).__name__, type(clf.model_.loss).__name__, clf.n_iter_)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "MDNClassifier DiscretizedMixtureNLL 3\n"
    # within float32 rounding: bit-for-bit holds for one BLAS thread configuration, and the
    # fresh interpreter's may differ from the test process's (see the performance page)
    for name, value in expected.items():
        assert_allclose(np.load(tmp_path / f"got_{name}.npy"), value, rtol=1e-5, atol=1e-6,
                        err_msg=name)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
@pytest.mark.parametrize(
    "imports",
    ["import skmnist.mdn\nskmnist.mdn.keras_custom_objects()",
     "import skmnist._mixture\nimport skmnist.mdn"],
    ids=["mdn", "mixture-then-mdn"],
)
def test_keras_saving_in_fresh_process(tmp_path, fitted, data, imports, run_python):
    X, y = data[2][:37], data[3][:37]
    fitted.model_.save(tmp_path / "m.keras")
    outputs = fitted.model_(X, training=False)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "expected.npy", np.asarray(outputs))
    metric = MixtureAccuracy(fitted.n_components, 10, fitted.sigma_floor)
    metric.update_state(y, outputs)
    expected_loss = float(fitted.model_.loss(y, outputs))
    result = run_python(
        imports
        + "\n"
        + textwrap.dedent(
            """
            import json
            import sys
            from pathlib import Path

            import keras
            import numpy as np
            from numpy.testing import assert_array_equal

            d = Path(sys.argv[1])
            model = keras.saving.load_model(d / "m.keras")  # compile=True: loss and metric
            X, y = np.load(d / "X.npy"), np.load(d / "y.npy")
            assert_array_equal(np.asarray(model(X, training=False)), np.load(d / "expected.npy"))
            np.testing.assert_allclose(
                model.predict(X, verbose=0), np.load(d / "expected.npy"), rtol=1e-5, atol=1e-5
            )
            # the compiled loss and MixtureAccuracy come back and run on the loaded model
            scores = model.evaluate(X, y, batch_size=len(X), verbose=0, return_dict=True)
            loss = model.loss
            print(json.dumps({
                "loss_class": type(loss).__name__,
                "loss_config": [loss.n_components, loss.n_classes, loss.sigma_floor],
                "scores": scores,
            }))
            """
        ),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout)
    assert got["loss_class"] == "DiscretizedMixtureNLL"
    assert got["loss_config"] == [fitted.n_components, 10, fitted.sigma_floor]
    assert set(got["scores"]) == {"loss", "accuracy"}
    assert_allclose(got["scores"]["loss"], expected_loss, rtol=1e-5)
    assert_allclose(got["scores"]["accuracy"], float(metric.result()), rtol=1e-6)


# ------------------------------------------------------------------------------------------
# 7. numerical robustness of the prediction path
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def head_host(data):
    """A fitted 4-component MDN whose head a test overwrites (kernel and bias) at will.

    Prediction does not depend on the training objective; the density one fits fastest.
    """
    X, y, _, _ = data
    return small(n_components=4, sigma_floor=0.01, objective="density", epochs=1).fit(X, y)


def _set_head(clf, logits, means, raw_scales):
    layer = clf.model_.get_layer("mixture")
    kernel, _ = layer.get_weights()
    bias = np.concatenate([logits, means, raw_scales]).astype(np.float32)
    layer.set_weights([np.zeros_like(kernel), bias])


def _assert_finite_predictions(clf, X):
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    log_proba = clf.predict_log_proba(X)
    assert not np.any(np.isnan(log_proba)) and np.all(log_proba <= 0)
    assert np.all(np.isin(clf.predict(X), clf.classes_))
    params = clf.mixture_params(X)
    assert all(np.all(np.isfinite(v)) for v in params.values())
    assert np.all(np.isfinite(clf.sample_values(X, 5, random_state=0)))
    u = clf.predict_uncertainty(X)
    assert all(np.all(np.isfinite(v)) for v in u.values())
    assert np.all(u.entropy >= 0) and np.all(u.entropy <= np.log(len(clf.classes_)) + 1e-9)
    return proba


def test_extreme_head_outputs_give_finite_predictions(head_host, data):
    X = data[2][:70]  # 64 rows plus a padded remainder
    for logit, mean, raw in itertools.product([1e4, 0.0], [1e6, -1e6, 0.0, 4.5], [-50.0, 1e4]):
        _set_head(
            head_host,
            logits=[logit, -logit, 0.0, logit / 2],
            means=[mean, -mean, mean / 3, 5.0],
            raw_scales=[raw, raw, raw, raw],
        )
        _assert_finite_predictions(head_host, X)


@pytest.mark.parametrize(
    "logits, means, raw_scales, expected",
    [
        # all mass far right / far left of the label range: the open end bins
        ([0, 0, 0, 0], [1e6] * 4, [-50] * 4, {9: 1.0}),
        ([0, 0, 0, 0], [-1e6] * 4, [1e4] * 4, {0: 1.0}),
        # a dominant narrow component on a bin centre, others far off with tiny weight
        ([1e4, -1e4, -1e4, -1e4], [7, -1e6, 1e6, 3], [-50] * 4, {7: 1.0}),
        # ... on the edge between two bins: half each
        ([1e4, -1e4, -1e4, -1e4], [4.5, 0, 0, 0], [-50] * 4, {4: 0.5, 5: 0.5}),
        # an immense scale: half the mass below 0.5, half above 8.5
        ([0, 0, 0, 0], [4.5] * 4, [1e30] * 4, {0: 0.5, 9: 0.5}),
        # two components far apart: their weights
        ([0, -1e4, -1e4, np.log(3)], [-1e6, 0, 0, 1e6], [-50] * 4, {0: 0.25, 9: 0.75}),
    ],
)
def test_extreme_head_outputs_give_the_right_probabilities(
    head_host, data, logits, means, raw_scales, expected
):
    X = data[2][:5]
    _set_head(head_host, logits, means, raw_scales)
    proba = _assert_finite_predictions(head_host, X)
    want = np.zeros(10)
    for k, p in expected.items():
        want[k] = p
    assert_allclose(proba, np.tile(want, (len(X), 1)), rtol=0, atol=1e-6)
    u = head_host.predict_uncertainty(X)
    p = head_host.mixture_params(X)
    w = p.weights / p.weights.sum(axis=1, keepdims=True)
    assert_allclose(u.mean, np.sum(w * p.means, axis=1), rtol=1e-9)


def test_predict_log_proba_when_confident_is_exact_down_to_the_floor(head_host, data):
    # All four components on class 0 (mean 0) with sigma = 0.05: class 1's
    # bin starts 10 sigmas away (log-probability about -53, where float32 CDF differences
    # would give 0), class 2's 30 sigmas away (about -453: below the floor).
    X = data[2][:5]
    sigma = 0.05
    raw = np.log(np.expm1(sigma - head_host.sigma_floor))  # softplus(raw) + floor = sigma
    _set_head(head_host, [0, 0, 0, 0], [0, 0, 0, 0], [raw] * 4)
    log_proba = head_host.predict_log_proba(X)
    p = head_host.mixture_params(X)
    assert_allclose(p.scales, sigma, rtol=1e-6)
    reference = _class_log_proba_from_mixture(p.weights, p.means, p.scales, 10)
    assert -60 < reference[0, 1] < -50 and reference[0, 2] < LOG_FLOOR
    assert_allclose(log_proba, np.maximum(reference, LOG_FLOOR), rtol=1e-5, atol=1e-6)
    assert_array_equal(log_proba[:, 2:], LOG_FLOOR.astype(np.float32))
    # predict_proba is the masses themselves (not the exp of their log), floored alike
    proba = head_host.predict_proba(X)
    assert_allclose(proba, np.exp(log_proba.astype(np.float64)), rtol=1e-5)
    assert 1e-26 < proba[0, 1] < 1e-21
    assert_array_equal(proba[:, 2:], np.finfo(np.float32).tiny)

    # sigma = sigma_floor (0.01): every other class is at least 50 sigmas away (class 9 at
    # 850: a log-probability of about -3.6e5), so all of them are reported at the floor,
    # and predict_proba at float32's smallest normal number, never 0.
    _set_head(head_host, [0, 0, 0, 0], [0, 0, 0, 0], [-50] * 4)
    log_proba = head_host.predict_log_proba(X)
    proba = head_host.predict_proba(X)
    assert_allclose(log_proba[:, 0], 0.0, atol=1e-7)
    assert_array_equal(log_proba[:, 1:], LOG_FLOOR.astype(np.float32))
    assert_allclose(proba[:, 1:], np.finfo(np.float32).tiny, rtol=1e-5)
    assert_allclose(proba[:, 0], 1.0, rtol=1e-7)
    # What scikit-learn's check_classifiers_train asserts (there with rtol=8): the log of
    # predict_proba is predict_log_proba; here within float32 rounding.
    assert_allclose(np.log(proba), log_proba, rtol=1e-6, atol=1e-7)


def test_mixture_scales_never_below_sigma_floor(head_host, data):
    X = data[2][:5]
    _set_head(head_host, [0, 0, 0, 0], [1, 2, 3, 4], [-50] * 4)
    assert np.all(head_host.mixture_params(X).scales >= head_host.sigma_floor)


@pytest.mark.parametrize("previously_fitted", [False, True])
def test_diverging_fit_raises_and_leaves_estimator_unfitted(mnist, previously_fitted):
    X, y, _, _ = mnist
    # Unscaled pixels (0-255) and an absurd step size: the weights overflow float32.  The
    # discretized loss stays finite at learning_rate=1e12 (it saturates at ~70 nats); 1e30
    # makes the weights themselves inf/NaN.
    X, y = X[:300].astype(np.float32), y[:300]
    clf = small(optimizer="sgd", learning_rate=1e30, epochs=2)
    if previously_fitted:
        clf.set_params(optimizer="adam", learning_rate=1e-3).fit(X / 255, y)
        clf.set_params(optimizer="sgd", learning_rate=1e30)
    with pytest.raises(ValueError, match="diverged.*NaN or infinite") as excinfo:
        clf.fit(X, y)
    assert "learning_rate" in str(excinfo.value)
    assert not hasattr(clf, "model_")
    assert [k for k in vars(clf) if k.endswith("_")] == []
    for method in ("predict", "predict_proba", "mixture_params", "sample", "predict_uncertainty"):
        with pytest.raises(NotFittedError):
            getattr(clf, method)(X[:3])
    # It can be fitted again once the parameters are sane.
    clf.set_params(optimizer="adam", learning_rate=1e-3).fit(X / 255, y)
    assert np.all(np.isfinite(clf.predict_proba(X[:3] / 255)))


# ------------------------------------------------------------------------------------------
# 8. bad input
# ------------------------------------------------------------------------------------------
def _with(X, value):
    X = X.copy()
    X[3, 7] = value
    return X


@pytest.mark.parametrize(
    "make_X, make_y, error, match",
    [
        (lambda X: _with(X, np.nan), lambda y: y, ValueError, "NaN"),
        (lambda X: _with(X, np.inf), lambda y: y, ValueError, "infinity"),
        (lambda X: sparse.csr_matrix(X), lambda y: y, TypeError, "[Ss]parse"),
        (lambda X: X, lambda y: np.zeros_like(y), ValueError, "class"),
        (lambda X: X, lambda y: y[:-1], ValueError, "inconsistent numbers of samples"),
        (lambda X: X[:, :, None], lambda y: y, ValueError, "dim"),
        (lambda X: X, lambda y: y + 0.5, ValueError, "continuous"),
    ],
)
def test_bad_training_data(data, make_X, make_y, error, match):
    X, y, _, _ = data
    clf = small()
    with pytest.raises(error, match=match):
        clf.fit(make_X(X[:100]), make_y(y[:100]))
    assert not hasattr(clf, "model_")


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "mixture_params", "sample", "predict_uncertainty"]
)
@pytest.mark.parametrize(
    "make_X, error, match",
    [
        (lambda X: _with(X, np.nan), ValueError, "NaN"),
        (lambda X: _with(X, -np.inf), ValueError, "infinity"),
        (lambda X: sparse.csr_matrix(X), TypeError, "[Ss]parse"),
        (lambda X: X[:, :-1], ValueError, "783 features"),
        (lambda X: X[0], ValueError, "2D array"),
    ],
)
def test_bad_prediction_data(fitted, data, make_X, error, match, method):
    _, _, X_test, _ = data
    with pytest.raises(error, match=match):
        getattr(fitted, method)(make_X(X_test[:10]))


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "mixture_params", "sample",
               "predict_uncertainty", "score"]
)
def test_not_fitted(data, method):
    X, y, _, _ = data
    args = (X[:3], y[:3]) if method == "score" else (X[:3],)
    with pytest.raises(NotFittedError):
        getattr(small(), method)(*args)


@pytest.mark.parametrize("method", ["sample_values", "sample"])
@pytest.mark.parametrize("n_draws", [0, -1, "a", 2.0, 1.5, True, None])
def test_sample_invalid_n_draws(fitted, data, n_draws, method):
    _, _, X_test, _ = data
    with pytest.raises(ValueError, match="n_draws"):
        getattr(fitted, method)(X_test[:3], n_draws=n_draws)
