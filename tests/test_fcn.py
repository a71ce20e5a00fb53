"""Tests for skmnist.FCNClassifier (and the shared Keras classifier base it runs on).

Small networks, few epochs and subsets of the embedded MNIST sample keep every test fast and
offline; every fit is seeded.  The slow groups are the scikit-learn estimator checks (one test
per check), the meta-estimator tests (GridSearchCV runs worker processes) and the tests that
start a fresh Python process (persistence, quiet import).
"""

import os
import pickle
import random
import tempfile
import traceback
import warnings

import joblib
import numpy as np
import pytest
from _internals import keras, tf, training_rows
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.base import clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score
from sklearn.model_selection import (
    GridSearchCV,
    cross_val_predict,
    cross_val_score,
    train_test_split,
)
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.utils import compute_sample_weight
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmnist import FCNClassifier, PixelScaler
from skmnist.fcn import make_fcn_model

DIGIT_NAMES = np.array(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
)


def small(**params):
    """A tiny, seeded FCNClassifier (fits 500 MNIST images in well under a second)."""
    defaults = dict(
        hidden_layer_sizes=(16,), epochs=3, batch_size=50, learning_rate=1e-2, random_state=0
    )
    defaults.update(params)
    return FCNClassifier(**defaults)


def _assert_no_tf_frames(excinfo):
    """The error was raised by validation, not deep inside TensorFlow/Keras."""
    frames = [f.filename for f in traceback.extract_tb(excinfo.tb)]
    markers = [f"{os.sep}{pkg}{os.sep}" for pkg in ("tensorflow", "keras")]
    deep = [f for f in frames if any(m in f for m in markers)]
    assert not deep, f"error raised inside TensorFlow/Keras: {deep}"


# ------------------------------------------------------------------------------------------
# data and shared fitted models (module scope: fitted once, never modified by a test)
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(data):
    X, y, _, _ = data
    return small().fit(X, y)


@pytest.fixture(scope="module")
def fitted_names(data):
    """``small(epochs=5)`` fitted on the digits' English names."""
    X, y, _, _ = data
    return small(epochs=5).fit(X, DIGIT_NAMES[y])


@pytest.fixture(scope="module")
def fitted_pipeline(mnist):
    X, y, _, _ = mnist
    return make_pipeline(
        PixelScaler(),
        FCNClassifier(hidden_layer_sizes=(32,), epochs=5, batch_size=100, random_state=0),
    ).fit(X, y)


# ------------------------------------------------------------------------------------------
# 1. scikit-learn compatibility
# ------------------------------------------------------------------------------------------
# The costliest checks (each fits a network many times), and those that an everyday test
# duplicates, run with the slow tests: what they check, the everyday run covers with one fit
# or two in a dedicated test (named here), and test_sklearn_compatible_default runs every
# check (CI).
SLOW_CHECKS = {
    "check_classifiers_classes",  # test_string_labels*, test_binary_labels_and_object_dtype
    # check_classifiers_train itself stays; its read-only memory-mapped variants:
    "check_classifiers_train(readonly_memmap=True)",
    "check_classifiers_train(readonly_memmap=True,X_dtype=float32)",
    "check_classifier_data_not_an_array",  # test_input_dtypes (lists)
    "check_estimators_dtypes",  # test_input_dtypes, test_fit_on_uint8_pixels
    "check_f_contiguous_array_estimator",
    "check_supervised_y_2d",
    "check_class_weight_classifiers",  # test_class_weight, test_class_weight_balanced
    "check_sample_weight_equivalence_on_dense_data",  # test_integer_sample_weight_equals_...
    "check_fit_idempotent",  # test_warm_start (a seeded refit repeats the first fit exactly)
    # test_prediction_is_independent_of_batch (row by row, permuted, tiled):
    "check_methods_subset_invariance",
    "check_methods_sample_order_invariance",
    "check_estimators_nan_inf",  # test_bad_training_data, test_bad_prediction_data (nan, inf)
    # test_bad_prediction_data[n-features-*] (every method), test_n_features_in_and_int_...
    # and check_estimators_partial_fit_n_features:
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",  # test_pipeline_accepts_images_like_flat_pixels
    # check_estimators_pickle and check_readonly_memmap_input, each in the everyday run:
    "check_estimators_pickle(readonly_memmap=True)",
}


def _check_params(checks):
    """``(values, marks, check id)`` of each case of a ``parametrize_with_checks``."""
    ids = checks.kwargs["ids"]
    for param in checks.args[1]:
        values = getattr(param, "values", param)
        yield values, list(getattr(param, "marks", ())), ids(values[1]), ids


def _with_slow_checks(checks, slow):
    """``parametrize_with_checks``'s parametrization, the checks named in ``slow`` marked
    slow (the same test ids)."""
    marked = [
        pytest.param(
            *values,
            marks=marks + [pytest.mark.slow] * (name in slow),
            id="-".join(map(ids, values)),
        )
        for values, marks, name, ids in _check_params(checks)
    ]
    return pytest.mark.parametrize(checks.args[0], marked)


@_with_slow_checks(
    parametrize_with_checks(
        [
            FCNClassifier(
                hidden_layer_sizes=(8,), epochs=6, batch_size=16, learning_rate=1e-2,
                random_state=0,
            ),
        ]
    ),
    SLOW_CHECKS,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_slow_checks_exist():
    # A renamed check must not silently move back into the everyday run.
    names = {name for _, _, name, _ in _check_params(parametrize_with_checks([small()]))}
    assert SLOW_CHECKS <= names, SLOW_CHECKS - names


@pytest.mark.slow
@parametrize_with_checks([FCNClassifier()])
def test_sklearn_compatible_default(estimator, check):
    check(estimator)


def test_is_classifier():
    assert is_classifier(FCNClassifier())
    assert is_classifier(make_pipeline(PixelScaler(), FCNClassifier()))
    # (That scikit-learn then stratifies the folds is its own behaviour; what it means for
    # the fits is tested in test_cv_is_stratified_because_it_is_a_classifier.)


def test_get_set_params_clone_repr(fitted):
    clf = FCNClassifier(hidden_layer_sizes=(8,), l2=1e-3, random_state=3)
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == (8,)
    assert params["l2"] == 1e-3
    assert params["random_state"] == 3
    assert {"epochs", "batch_size", "learning_rate", "early_stopping", "warm_start"} <= set(params)

    assert clf.set_params(epochs=7, dropout=0.1) is clf
    assert (clf.epochs, clf.dropout) == (7, 0.1)
    with pytest.raises(ValueError, match="Invalid parameter"):
        clf.set_params(not_a_parameter=1)

    twin = clone(fitted)
    assert twin is not fitted
    assert twin.get_params() == fitted.get_params()
    assert not hasattr(twin, "model_") and not hasattr(twin, "classes_")

    assert repr(FCNClassifier()) == "FCNClassifier()"
    assert repr(FCNClassifier(hidden_layer_sizes=(8,), l2=0.01)) == (
        "FCNClassifier(hidden_layer_sizes=(8,), l2=0.01)"
    )


def test_init_stores_parameters_verbatim():
    sizes = [8, 4]
    cbs = [keras.callbacks.TerminateOnNaN()]
    clf = FCNClassifier(hidden_layer_sizes=sizes, callbacks=cbs)
    assert clf.hidden_layer_sizes is sizes
    assert clf.callbacks is cbs


# ------------------------------------------------------------------------------------------
# 2. behaviour on the embedded MNIST sample
# ------------------------------------------------------------------------------------------
def test_pipeline_learns_mnist_sample(fitted_pipeline, mnist):
    _, _, X_test, y_test = mnist
    # A 784-32-10 network after 5 epochs on 5,000 images reaches about 0.9 (chance is 0.1).
    assert fitted_pipeline.score(X_test, y_test) > 0.8
    clf = fitted_pipeline[-1]
    assert clf.n_features_in_ == 784
    assert_array_equal(clf.classes_, np.arange(10))
    assert isinstance(clf.model_, keras.Model)
    assert clf.n_iter_ == 5


def test_pipeline_accepts_images_like_flat_pixels(mnist, fitted):
    X, y, X_test, _ = mnist
    images = make_pipeline(PixelScaler(), small()).fit(X[:500].reshape(-1, 28, 28), y[:500])
    # PixelScaler flattens images bit-identically, so the pipeline trains the same network
    # as `fitted` (the same classifier on the scaled flat pixels).
    test_images = X_test[:50].reshape(-1, 28, 28)
    flat = PixelScaler().transform(X_test[:50])
    assert_array_equal(images.predict_proba(test_images), fitted.predict_proba(flat))
    assert images.predict(test_images).shape == (50,)
    assert images[-1].n_features_in_ == 784


def test_string_labels_order_preserving_mapping_is_exact(data, fitted):
    X, y, X_test, _ = data
    letters = np.array(list("abcdefghij"))
    clf = small().fit(X, letters[y])
    assert_array_equal(clf.classes_, letters)
    # 'a'..'j' sort like 0..9, so the encoded problem (and the network) is the same.
    assert_array_equal(clf.predict_proba(X_test), fitted.predict_proba(X_test))
    assert_array_equal(clf.predict(X_test), letters[fitted.predict(X_test)])


def test_string_labels(data, fitted_names):
    X, y, X_test, y_test = data
    clf = fitted_names
    assert_array_equal(clf.classes_, np.sort(DIGIT_NAMES))
    pred = clf.predict(X_test)
    assert pred.shape == (len(X_test),)
    assert set(pred) <= set(DIGIT_NAMES)
    assert np.mean(pred == DIGIT_NAMES[y_test]) > 0.6  # about 0.8
    proba = clf.predict_proba(X_test)
    assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])


def test_binary_labels_and_object_dtype(data):
    X, y, _, _ = data
    yb = np.where(y % 2 == 0, "even", "odd").astype(object)
    clf = small().fit(X, yb)
    assert list(clf.classes_) == ["even", "odd"]
    assert clf.predict_proba(X[:7]).shape == (7, 2)
    assert set(clf.predict(X)) <= {"even", "odd"}


def _float64_log_proba(clf, X):
    """Reference class log-probabilities: the fitted Keras model's weights run in float64.

    Dense layers with the default ReLU, then log-softmax of the logits, in float64 and
    without TensorFlow: independent of the estimator's own (float32) prediction path.
    """
    h = np.asarray(X, dtype=np.float64)
    dense = [layer for layer in clf.model_.layers if isinstance(layer, keras.layers.Dense)]
    for i, layer in enumerate(dense):
        kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
        h = h @ kernel + bias
        if i < len(dense) - 1:
            h = np.maximum(h, 0.0)
    h -= h.max(axis=1, keepdims=True)
    return h - np.log(np.exp(h).sum(axis=1, keepdims=True))


def test_predict_log_proba_is_the_log_softmax_of_the_network(fitted, data):
    _, _, X_test, y_test = data
    reference = _float64_log_proba(fitted, X_test)
    log_proba = fitted.predict_log_proba(X_test)
    proba = fitted.predict_proba(X_test)
    assert proba.shape == log_proba.shape == (len(X_test), 10)
    # Log-probabilities below float32's smallest normal number are reported as its log.
    floor = np.log(np.finfo(np.float32).tiny)
    assert_allclose(log_proba, np.maximum(reference, floor), rtol=1e-5, atol=1e-5)
    assert_allclose(proba, np.exp(np.maximum(reference, floor)), rtol=1e-5, atol=1e-7)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-5)
    pred = fitted.predict(X_test)
    assert_array_equal(pred, fitted.classes_[reference.argmax(axis=1)])
    assert accuracy_score(y_test, pred) > 0.5  # 500 images, 3 epochs: about 0.7


def test_history_and_n_iter(fitted):
    assert set(fitted.history_) == {"loss", "accuracy"}
    assert fitted.n_iter_ == fitted.epochs == 3
    assert all(len(v) == fitted.n_iter_ for v in fitted.history_.values())
    assert fitted.loss_ == fitted.history_["loss"][-1]
    assert fitted.history_["loss"][-1] < fitted.history_["loss"][0]
    assert all(0 <= a <= 1 for a in fitted.history_["accuracy"])


class _WeightsPerEpoch(keras.callbacks.Callback):
    """Records the weights each epoch ends with (before early stopping may restore others:
    the weights after the epoch's last training step)."""

    def __init__(self):
        super().__init__()
        self.per_epoch = []

    def on_train_batch_end(self, batch, logs=None):
        self._current = self.model.get_weights()

    def on_epoch_end(self, epoch, logs=None):
        self.per_epoch.append(self._current)


def test_early_stopping_restores_the_best_weights(data):
    X, y, _, _ = data
    recorder = _WeightsPerEpoch()
    clf = small(
        early_stopping=True, epochs=60, n_iter_no_change=2, batch_size=25, callbacks=[recorder]
    ).fit(X, y)
    assert set(clf.history_) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == clf.n_iter_ for v in clf.history_.values())
    # It overfits 450 images quickly and stops long before 60 epochs, n_iter_no_change
    # epochs after the best validation loss.
    assert 2 < clf.n_iter_ < 60
    val_loss = clf.history_["val_loss"]
    best = int(np.argmin(val_loss))
    assert clf.n_iter_ - 1 - best == clf.n_iter_no_change

    # The fitted estimator holds the best epoch's weights, not the last epoch's ...
    final = clf.model_.get_weights()
    for got, want in zip(final, recorder.per_epoch[best]):
        assert_array_equal(got, want)
    assert not all(
        np.array_equal(a, b) for a, b in zip(final, recorder.per_epoch[-1])
    )
    # ... and predicts with them: its loss on the held-out validation rows is the best
    # validation loss recorded.  (The rows are the stratified validation_fraction that
    # train_test_split holds out of the canonically ordered training rows with the fit's
    # seed, drawn from random_state.)
    rows, _ = training_rows(X, y, None)
    seed = int(np.random.RandomState(clf.random_state).randint(np.iinfo(np.int32).max))
    _, val_rows = train_test_split(
        rows, test_size=clf.validation_fraction, random_state=seed, stratify=y[rows]
    )
    log_proba = clf.predict_log_proba(X[val_rows])
    loss = -np.mean(log_proba[np.arange(len(val_rows)), y[val_rows]], dtype=np.float64)
    assert loss == pytest.approx(min(val_loss), rel=1e-5)
    assert loss < val_loss[-1]


class _EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


def test_user_callbacks(data):
    X, y, X_test, _ = data
    counter = _EpochCounter()
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    callbacks = [counter, stop]
    clf = small(epochs=10, callbacks=callbacks).fit(X, y)
    # The loss never improves by 10, so the user's callback stops training after 2 epochs.
    assert counter.epochs == clf.n_iter_ == len(clf.history_["loss"]) == 2
    assert clf.callbacks is callbacks and len(callbacks) == 2  # the parameter is not modified
    loaded = pickle.loads(pickle.dumps(clf))
    assert_array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pickle_with_user_callbacks_stores_the_network_once(data, fitted):
    X, y, _, _ = data
    clf = small(callbacks=[keras.callbacks.EarlyStopping(monitor="loss", patience=5)])
    clf.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        blob = pickle.dumps(clf)
    assert len(blob) < 1.3 * len(pickle.dumps(fitted))  # the same network without callbacks


def test_early_stopping_needs_enough_samples():
    X = np.random.RandomState(0).rand(6, 3)
    with pytest.raises(ValueError, match="validation_fraction"):
        small(early_stopping=True, validation_fraction=0.01).fit(X, [0, 1, 0, 1, 0, 1])


def test_feature_names_from_dataframe(data, fitted):
    pd = pytest.importorskip("pandas")
    X, y, X_test, _ = data
    cols = [f"pixel_{i // 28}_{i % 28}" for i in range(784)]
    df = pd.DataFrame(X, columns=cols)
    clf = small(epochs=1).fit(df, y)
    assert_array_equal(clf.feature_names_in_, cols)
    assert clf.n_features_in_ == 784
    df_test = pd.DataFrame(X_test, columns=cols)
    proba = clf.predict_proba(df_test)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        assert_array_equal(clf.predict_proba(X_test), proba)

    renamed = df_test.rename(columns={"pixel_0_0": "something_else"})
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(renamed)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df_test[cols[::-1]])  # same names, another order

    plain = fitted  # fitted on an array
    assert not hasattr(plain, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        plain.predict(df_test)


def _dense_units(model):
    return [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def test_n_features_in_and_int_hidden_layer_sizes(data):
    X, y, _, _ = data
    clf = small(epochs=1, hidden_layer_sizes=12).fit(X[:, :100], y)
    assert clf.n_features_in_ == 100
    assert clf.model_.input_shape == (None, 100)
    assert _dense_units(clf.model_) == [12, 10]
    assert clf.hidden_layer_sizes == 12  # the parameter itself is left as given


def test_hidden_layer_sizes_shape_the_network(data):
    X, y, _, _ = data
    clf = small(epochs=1, hidden_layer_sizes=[12, 7]).fit(X, y)
    assert _dense_units(clf.model_) == [12, 7, 10]


# ------------------------------------------------------------------------------------------
# 3. sample
# ------------------------------------------------------------------------------------------
def test_sample_shape_values_and_seed(fitted, data):
    _, _, X_test, _ = data
    draws = fitted.sample(X_test[:5], n_draws=7, random_state=0)
    assert draws.shape == (5, 7)
    assert set(np.unique(draws)) <= set(fitted.classes_)
    assert_array_equal(draws, fitted.sample(X_test[:5], n_draws=7, random_state=0))
    rs = np.random.RandomState(1)
    a = fitted.sample(X_test[:5], n_draws=50, random_state=rs)
    b = fitted.sample(X_test[:5], n_draws=50, random_state=rs)
    assert not np.array_equal(a, b)  # a RandomState instance advances
    assert fitted.sample(X_test[:3]).shape == (3, 1)


def test_sample_frequencies_match_predict_proba(fitted, data):
    _, _, X_test, _ = data
    X = X_test[:4]
    n = 20000
    draws = fitted.sample(X, n_draws=n, random_state=0)
    proba = fitted.predict_proba(X)
    freq = np.stack([(draws == c).mean(axis=1) for c in fitted.classes_], axis=1)
    assert_allclose(freq, proba, atol=0.02)


def test_sample_string_labels(data, fitted_names):
    draws = fitted_names.sample(data[2][:3], n_draws=5, random_state=0)
    assert draws.shape == (3, 5)
    assert set(draws.ravel()) <= set(DIGIT_NAMES)


@pytest.mark.parametrize("n_draws", [0, -1, 1.5, "3", True, None])
def test_sample_invalid_n_draws(fitted, data, n_draws):
    with pytest.raises(ValueError, match="n_draws"):
        fitted.sample(data[2][:3], n_draws=n_draws)


# ------------------------------------------------------------------------------------------
# 4. determinism, global random state, row order, weights
# ------------------------------------------------------------------------------------------
def test_same_random_state_gives_identical_model(fitted, data):
    X, y, X_test, _ = data
    again = small().fit(X, y)
    assert_array_equal(again.predict_proba(X_test), fitted.predict_proba(X_test))
    other = small(random_state=1).fit(X, y)
    assert not np.array_equal(other.predict_proba(X_test), fitted.predict_proba(X_test))


@pytest.mark.parametrize("random_state", [0, np.random.RandomState(0)])
def test_fit_does_not_change_global_random_state(data, random_state):
    X, y, X_test, _ = data
    np.random.seed(1234)
    random.seed(1234)
    np_state, py_state = np.random.get_state(), random.getstate()
    clf = small(epochs=1, random_state=random_state, dropout=0.2, early_stopping=True).fit(X, y)
    clf.predict_proba(X_test)
    clf.sample(X_test[:3], random_state=0)
    after = np.random.get_state()
    assert after[0] == np_state[0]
    assert_array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]
    assert random.getstate() == py_state


def test_fit_is_invariant_to_row_order(data, fitted):
    X, y, X_test, _ = data
    perm = np.random.RandomState(42).permutation(len(X))
    shuffled = small().fit(X[perm], y[perm])
    assert_array_equal(shuffled.predict_proba(X_test), fitted.predict_proba(X_test))


def test_steps_per_execution_does_not_change_the_result(data, fitted):
    X, y, X_test, _ = data
    # 70 steps in all: several per call (steps_per_execution=32 runs 10 steps per call);
    # a fit of fewer than 64 steps, as `fitted`'s 30, runs one per call whatever it says
    multi = small(epochs=7).fit(X, y)
    single = small(epochs=7, steps_per_execution=1).fit(X, y)
    assert (multi.model_.steps_per_execution, single.model_.steps_per_execution) == (32, 1)
    assert fitted.model_.steps_per_execution == 1
    assert_array_equal(single.predict_proba(X_test), multi.predict_proba(X_test))
    assert single.history_ == multi.history_


def test_integer_sample_weight_equals_repetition(data):
    X, y, X_test, _ = data
    sw = np.random.RandomState(0).randint(0, 4, size=len(X))  # includes 0: drop the row
    weighted = small().fit(X, y, sample_weight=sw)
    repeated = small().fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    assert_array_equal(weighted.predict_proba(X_test), repeated.predict_proba(X_test))


def test_unit_sample_weight_equals_no_weight(data, fitted):
    X, y, X_test, _ = data
    clf = small().fit(X, y, sample_weight=np.ones(len(X)))
    assert_array_equal(clf.predict_proba(X_test), fitted.predict_proba(X_test))


def test_fractional_sample_weight_changes_result_and_is_scale_free(data, fitted):
    X, y, X_test, _ = data
    sw = np.random.RandomState(0).uniform(0.1, 2.0, size=len(X))
    a = small().fit(X, y, sample_weight=sw).predict_proba(X_test)
    b = small().fit(X, y, sample_weight=10 * sw).predict_proba(X_test)
    assert not np.allclose(a, fitted.predict_proba(X_test), atol=1e-3)
    # Weights are rescaled to mean 1: their overall scale does not matter.
    assert_allclose(a, b, atol=1e-5)


def test_class_weight(data, fitted):
    X, y, X_test, _ = data
    base = fitted.predict_proba(X_test)
    heavy = small(class_weight={**dict.fromkeys(range(10), 1.0), 3: 20.0}).fit(X, y)
    light = small(class_weight={**dict.fromkeys(range(10), 1.0), 3: 0.05}).fit(X, y)
    assert not np.allclose(heavy.predict_proba(X_test), base, atol=1e-3)
    # A class's weight moves probability mass towards (heavy) or away from it (light).
    # (Compared with each other: against the unweighted model the effect of a weight is
    # within the seed-to-seed spread of such short fits, 0.11-0.21 for this class.)
    heavy_mass = heavy.predict_proba(X_test)[:, 3].mean()
    light_mass = light.predict_proba(X_test)[:, 3].mean()
    assert heavy_mass > 5 * light_mass  # about 0.18 and 0.004

    # Integer class weights are frequency weights: exactly like repeating that class's rows.
    cw2 = {c: 1 for c in range(10)}
    cw2[3] = 2
    reps = np.where(y == 3, 2, 1)
    a = small(class_weight=cw2).fit(X, y).predict_proba(X_test)
    b = small().fit(np.repeat(X, reps, axis=0), np.repeat(y, reps)).predict_proba(X_test)
    assert_array_equal(a, b)


def test_class_weight_balanced(data):
    X, y, X_test, _ = data
    keep = (y >= 2) | (np.arange(len(y)) % 5 == 0)  # classes 0 and 1 become rare
    Xi, yi = X[keep], y[keep]
    plain = small().fit(Xi, yi).predict_proba(X_test)
    balanced = small(class_weight="balanced").fit(Xi, yi).predict_proba(X_test)
    assert not np.allclose(plain, balanced, atol=1e-3)
    assert balanced[:, :2].sum(axis=1).mean() > plain[:, :2].sum(axis=1).mean()
    # "balanced" is the same as passing scikit-learn's balanced sample weights.
    sw = compute_sample_weight("balanced", yi)
    by_weight = small().fit(Xi, yi, sample_weight=sw).predict_proba(X_test)
    assert_array_equal(balanced, by_weight)


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (np.zeros(500), "non-zero"),
        (-np.ones(500), "[Nn]egative"),
        (np.full(500, np.nan), "NaN"),
        (np.ones(499), "sample_weight"),
    ],
)
def test_bad_sample_weight(data, sample_weight, match):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=match) as excinfo:
        small(epochs=1).fit(X, y, sample_weight=sample_weight)
    _assert_no_tf_frames(excinfo)


# ------------------------------------------------------------------------------------------
# 5. partial_fit and warm_start
# ------------------------------------------------------------------------------------------
def test_partial_fit(data):
    X, y, X_test, _ = data
    clf = small()
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "model_")

    first = X[y < 5], y[y < 5]
    clf.partial_fit(*first, classes=np.arange(10))
    assert_array_equal(clf.classes_, np.arange(10))
    assert clf.n_iter_ == 1
    assert clf.predict_proba(X_test).shape == (len(X_test), 10)
    model = clf.model_
    p1 = clf.predict_proba(X_test)

    clf.partial_fit(X[y >= 5], y[y >= 5])
    assert clf.n_iter_ == 2
    clf.partial_fit(X, y, classes=np.arange(10)[::-1])  # same classes, any order
    assert clf.n_iter_ == 3
    assert clf.model_ is model
    assert all(len(v) == 3 for v in clf.history_.values())
    assert not np.array_equal(clf.predict_proba(X_test), p1)

    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y, classes=np.arange(11))
    with pytest.raises(ValueError, match="not seen"):
        clf.partial_fit(X, y + 10)
    assert clf.n_iter_ == 3

    # fit (warm_start=False) starts anew after partial_fit.
    clf.fit(X, y)
    assert clf.n_iter_ == clf.epochs and clf.model_ is not model
    assert all(len(v) == clf.epochs for v in clf.history_.values())

    with pytest.raises(ValueError, match="not seen"):
        small().partial_fit(X, y, classes=np.arange(5))


def test_warm_start(data):
    X, y, X_test, _ = data
    warm = small(epochs=2, warm_start=True).fit(X, y)
    model, p1 = warm.model_, warm.predict_proba(X_test)
    warm.fit(X, y)
    assert warm.model_ is model
    assert warm.n_iter_ == 4
    assert all(len(v) == 4 for v in warm.history_.values())
    assert not np.array_equal(warm.predict_proba(X_test), p1)
    assert warm.history_["loss"][-1] < warm.history_["loss"][1]

    cold = small(epochs=2).fit(X, y)
    model = cold.model_
    cold.fit(X, y)
    assert cold.model_ is not model
    assert cold.n_iter_ == 2
    # Refitting the same instance starts over and, seeded, repeats the first fit exactly.
    assert_array_equal(cold.predict_proba(X_test), p1)


# ------------------------------------------------------------------------------------------
# 6. meta-tools
# ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_grid_search_in_worker_processes(data):
    X, y, X_test, _ = data
    X, y = X[:300], y[:300]
    grid = [
        {"l2": [0.0, 1e-3]},
        {"hidden_layer_sizes": [(8,)], "learning_rate": [3e-3]},
    ]
    base = small(epochs=2)
    search = GridSearchCV(base, grid, cv=2, n_jobs=2, error_score="raise").fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 3 and np.all(np.isfinite(scores))
    assert scores.max() > 0.3
    assert search.best_estimator_.predict(X_test).shape == (len(X_test),)
    assert search.best_estimator_.hidden_layer_sizes in [(16,), (8,)]
    # Fits in the worker processes give exactly what the same fits give here.
    params = search.cv_results_["params"][2]
    here = cross_val_score(clone(base).set_params(**params), X, y, cv=2)
    assert_array_equal(
        here, [search.cv_results_[f"split{i}_test_score"][2] for i in range(2)]
    )


def test_cv_is_stratified_because_it_is_a_classifier(data):
    X, y, _, _ = data
    order = np.argsort(y, kind="stable")
    X_sorted, y_sorted = X[order][:200], np.where(y[order][:200] < 1, 0, 1)
    # Sorted labels: plain KFold would train folds on one class only and fail.
    scores = cross_val_score(small(epochs=2), X_sorted, y_sorted, cv=2, error_score="raise")
    assert scores.shape == (2,)
    assert np.all(scores > 0.7)


def test_cross_val_predict_proba(data):
    X, y, _, _ = data
    X, y = X[:300], y[:300]
    clf = small()
    proba = cross_val_predict(clf, X, y, cv=2, method="predict_proba")
    assert proba.shape == (len(X), 10)
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert accuracy_score(y, proba.argmax(axis=1)) > 0.4  # reaches about 0.7


def test_calibrated_classifier(data):
    X, y, X_test, _ = data
    cal = CalibratedClassifierCV(small(epochs=2), cv=2).fit(X, y)
    proba = cal.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert cal.score(X_test, data[3]) > 0.4  # about 0.6


def test_one_vs_rest(data):
    X, y, X_test, y_test = data
    mask, mask_test = y < 3, y_test < 3
    ovr = OneVsRestClassifier(small(epochs=3)).fit(X[mask], y[mask])
    assert len(ovr.estimators_) == 3
    assert all(isinstance(e, FCNClassifier) for e in ovr.estimators_)
    assert ovr.predict_proba(X_test[mask_test]).shape == (mask_test.sum(), 3)
    assert ovr.score(X_test[mask_test], y_test[mask_test]) > 0.8


# ------------------------------------------------------------------------------------------
# 7. persistence
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fresh_process(tmp_path_factory, fitted, fitted_pipeline, data, mnist, run_python):
    """Pickle the fitted models with joblib, then, in a fresh Python process: load them and
    compare their predictions with the saved ones, and fit and pickle a tiny model with
    verbose=0 (nothing may reach stdout/stderr)."""
    folder = tmp_path_factory.mktemp("fresh")
    X_test, raw_test = data[2], mnist[2][:100]
    joblib.dump(fitted, folder / "clf.joblib")
    joblib.dump(fitted_pipeline, folder / "pipe.joblib")
    np.save(folder / "X.npy", X_test)
    np.save(folder / "X_raw.npy", raw_test)
    np.save(folder / "clf_proba.npy", fitted.predict_proba(X_test))
    np.save(folder / "pipe_proba.npy", fitted_pipeline.predict_proba(raw_test))
    before = sorted(os.listdir(folder))
    result = run_python(
        """
        import pickle
        import sys
        from pathlib import Path

        import joblib
        import numpy as np
        from numpy.testing import assert_allclose

        # Within float32 rounding: bit-for-bit holds for one BLAS thread configuration, and
        # this interpreter's may differ from the test process's (see the performance page).
        d = Path(sys.argv[1])
        clf = joblib.load(d / "clf.joblib")
        pipe = joblib.load(d / "pipe.joblib")
        assert_allclose(clf.predict_proba(np.load(d / "X.npy")), np.load(d / "clf_proba.npy"),
                        rtol=1e-5, atol=1e-7)
        assert_allclose(
            pipe.predict_proba(np.load(d / "X_raw.npy")), np.load(d / "pipe_proba.npy"),
            rtol=1e-5, atol=1e-7,
        )
        loaded = "OK {} {}".format(type(clf.model_).__name__, clf.n_iter_)

        from skmnist.fcn import FCNClassifier

        rng = np.random.RandomState(0)
        X, y = rng.rand(60, 10).astype(np.float32), np.arange(60) % 3
        tiny = FCNClassifier(hidden_layer_sizes=(4,), epochs=2, random_state=0).fit(X, y)
        pickle.loads(pickle.dumps(tiny)).predict_proba(X)
        print(loaded)
        """,
        folder,
    )
    return result, folder, before


@pytest.mark.slow
def test_joblib_round_trip_in_fresh_process(fresh_process):
    result, folder, before = fresh_process
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "OK Functional 3\n"
    # Loading wrote nothing next to the pickles.
    assert sorted(os.listdir(folder)) == before


def test_fresh_process_is_quiet(fresh_process):
    # Importing TensorFlow (through unpickling), fitting with verbose=0, pickling and
    # predicting write nothing to stderr: no TensorFlow/absl log lines.
    result, _, _ = fresh_process
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == ""


def test_pickle_writes_no_side_files(tmp_path, monkeypatch, fitted, data):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = tmp_path / "out"
    out.mkdir()
    joblib.dump(fitted, out / "clf.joblib")
    loaded = joblib.load(out / "clf.joblib")
    assert os.listdir(out) == ["clf.joblib"]
    assert os.listdir(scratch) == []  # temporary files are cleaned up
    assert_array_equal(loaded.predict_proba(data[2]), fitted.predict_proba(data[2]))


def test_pickle_unfitted():
    clf = FCNClassifier(hidden_layer_sizes=(8, 4), l2=1e-4, class_weight="balanced")
    loaded = pickle.loads(pickle.dumps(clf))
    assert loaded.get_params() == clf.get_params()
    assert not hasattr(loaded, "model_")
    with pytest.raises(NotFittedError):
        loaded.predict(np.zeros((1, 4)))


def test_pickle_fitted_keeps_model_and_training_continues(fitted, data):
    X, y, X_test, _ = data
    blob = pickle.dumps(fitted)
    loaded = pickle.loads(blob)
    assert isinstance(loaded.model_, keras.Model)
    assert loaded.model_ is not fitted.model_
    assert_array_equal(loaded.predict_proba(X_test), fitted.predict_proba(X_test))
    assert loaded.history_ == fitted.history_
    assert_array_equal(loaded.classes_, fitted.classes_)
    assert loaded.get_params() == fitted.get_params()
    # Pickling does not change the estimator it was called on.
    assert isinstance(fitted.model_, keras.Model)
    assert_array_equal(fitted.predict_proba(X_test), loaded.predict_proba(X_test))

    loaded.set_params(warm_start=True, epochs=1).fit(X, y)
    assert loaded.n_iter_ == fitted.n_iter_ + 1
    assert len(loaded.history_["loss"]) == 4
    assert not np.array_equal(loaded.predict_proba(X_test), fitted.predict_proba(X_test))

    # Continuing after a round trip (`loaded`) equals continuing the original in memory:
    # the optimizer's state (Adam's moments and step count) travels inside the pickle.
    original = small().fit(X, y)  # the same model as `fitted`, never pickled, ours to train
    original.set_params(warm_start=True, epochs=1).fit(X, y)
    assert original.n_iter_ == loaded.n_iter_
    assert_array_equal(loaded.predict_proba(X_test), original.predict_proba(X_test))


def test_corrupt_pickle_state_raises_clearly(fitted):
    state = fitted.__getstate__()
    state["model_"] = b"not a keras archive"
    clf = FCNClassifier.__new__(FCNClassifier)
    with pytest.raises(ValueError, match="Keras model"):
        clf.__setstate__(state)


# ------------------------------------------------------------------------------------------
# 8. scikeras interop
# ------------------------------------------------------------------------------------------
def test_make_fcn_model_in_scikeras(data):
    scikeras_wrappers = pytest.importorskip("scikeras.wrappers")
    X, y, X_test, y_test = data
    clf = scikeras_wrappers.KerasClassifier(
        model=make_fcn_model,
        model__hidden_layer_sizes=(16,),
        loss="sparse_categorical_crossentropy",
        optimizer="adam",
        epochs=3,
        verbose=0,
        random_state=0,
    )
    # scikeras refuses "unsafe" casts at predict time: keep the float32 the model saw in fit.
    clf.fit(X, y)
    pred = clf.predict(X_test)
    proba = clf.predict_proba(X_test)
    assert pred.shape == (len(X_test),)
    assert proba.shape == (len(X_test), 10)
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert set(np.unique(pred)) <= set(range(10))
    assert accuracy_score(y_test, pred) > 0.4
    dense = [layer for layer in clf.model_.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [16, 10]


def test_make_fcn_model_direct():
    model = make_fcn_model(784, 10, hidden_layer_sizes=(8,), seed=0)
    x = np.random.RandomState(0).rand(4, 784).astype(np.float32)
    out = model(x).numpy()
    assert out.shape == (4, 10)
    assert_allclose(out.sum(axis=1), 1.0, atol=1e-5)
    logits = make_fcn_model(784, 10, hidden_layer_sizes=(8,), seed=0, output="logits")
    assert_allclose(tf.nn.softmax(logits(x)).numpy(), out, atol=1e-6)
    meta = make_fcn_model(meta={"n_features_in_": 5, "n_classes_": 3}, hidden_layer_sizes=(4,))
    assert meta.input_shape == (None, 5) and meta.output_shape == (None, 3)
    with pytest.raises(ValueError, match="meta"):
        make_fcn_model()
    with pytest.raises(ValueError, match="output"):
        make_fcn_model(3, 2, output="proba")


# ------------------------------------------------------------------------------------------
# 9. the compiled prediction path
# ------------------------------------------------------------------------------------------
def test_prediction_is_independent_of_batch(fitted, data):
    _, _, X_test, _ = data
    batch = fitted.predict_proba(X_test)
    one_by_one = np.concatenate([fitted.predict_proba(X_test[i : i + 1]) for i in range(70)])
    assert_array_equal(one_by_one, batch[:70])
    perm = np.random.RandomState(0).permutation(len(X_test))
    assert_array_equal(fitted.predict_proba(X_test[perm]), batch[perm])
    log_proba = fitted.predict_log_proba(X_test)
    assert_array_equal(fitted.predict_log_proba(X_test[perm]), log_proba[perm])
    tiled = np.tile(X_test, (6, 1))  # 1200 rows: whole blocks and a padded remainder
    assert_array_equal(fitted.predict_proba(tiled), np.tile(batch, (6, 1)))


@pytest.mark.parametrize("dtype", [np.float64, np.uint8, np.int64, np.float16])
def test_input_dtypes(fitted, data, dtype):
    _, _, X_test, _ = data
    X = X_test * 255 if np.dtype(dtype).kind in "ui" else X_test
    X = X.round().astype(dtype) if np.dtype(dtype).kind in "ui" else X.astype(dtype)
    expected = fitted.predict_proba(X.astype(np.float32))
    assert_array_equal(fitted.predict_proba(X), expected)
    assert_array_equal(fitted.predict_proba(X.tolist()), expected)


def test_fit_on_uint8_pixels(mnist):
    X, y, X_test, _ = mnist
    a = small(epochs=1).fit(X[:300], y[:300])
    b = small(epochs=1).fit(X[:300].astype(np.float32), y[:300])
    assert_array_equal(a.predict_proba(X_test[:20]), b.predict_proba(X_test[:20]))


def test_predict_does_not_change_the_estimator(fitted, data):
    before = dict(vars(fitted))
    fitted.predict_proba(data[2])
    fitted.predict(data[2])
    fitted.sample(data[2][:2])
    assert set(vars(fitted)) == set(before)
    assert all(vars(fitted)[k] is v for k, v in before.items())


# ------------------------------------------------------------------------------------------
# 10. bad input -> clear scikit-learn style errors
# ------------------------------------------------------------------------------------------
def _with(X, idx, value, dtype=np.float64):
    X = X.astype(dtype)
    X[idx] = value
    return X


@pytest.mark.parametrize(
    "make_X, make_y, error, match",
    [
        (lambda X: _with(X, (0, 0), np.nan), lambda y: y, ValueError, "NaN"),
        (lambda X: _with(X, (3, 5), np.inf), lambda y: y, ValueError, "infinity"),
        (lambda X: X, lambda y: _with(y, 0, np.nan), ValueError, "NaN"),
        (lambda X: _with(X, (2, 2), "a", object), lambda y: y, ValueError, "convert string"),
        (lambda X: sparse.csr_matrix(X), lambda y: y, TypeError, "[Ss]parse"),
        (lambda X: X, lambda y: np.zeros_like(y), ValueError, "class"),
        (lambda X: X, lambda y: y[:-1], ValueError, "inconsistent numbers of samples"),
        (lambda X: X[:0], lambda y: y[:0], ValueError, "0 sample"),
        (lambda X: X[:, 0], lambda y: y, ValueError, "2D array"),
        (lambda X: X.reshape(-1, 28, 28), lambda y: y, ValueError, "dim 3"),
        (lambda X: X, lambda y: np.linspace(0, 1, len(y)), ValueError, "continuous"),
        (lambda X: X, lambda y: np.c_[y, y], ValueError, "1d array"),
    ],
    ids=[
        "nan-X",
        "inf-X",
        "nan-y",
        "str-X",
        "sparse-X",
        "one-class",
        "length-mismatch",
        "empty",
        "1d-X",
        "3d-X",
        "continuous-y",
        "2d-y",
    ],
)
def test_bad_training_data(data, make_X, make_y, error, match):
    X, y, _, _ = data
    X, y = X[:100], y[:100]
    with pytest.raises(error, match=match) as excinfo:
        small(epochs=1).fit(make_X(X), make_y(y))
    _assert_no_tf_frames(excinfo)


@pytest.mark.parametrize(
    "make_X, error, match",
    [
        (lambda X: X[:, :-1], ValueError, "783 features.*expecting 784"),
        (lambda X: X[0], ValueError, "2D array"),
        (lambda X: X[:0], ValueError, "0 sample"),
        (lambda X: _with(X, (1, 1), np.nan), ValueError, "NaN"),
        (lambda X: _with(X, (1, 1), -np.inf), ValueError, "infinity"),
        (lambda X: sparse.csr_matrix(X), TypeError, "[Ss]parse"),
        (lambda X: _with(X, (2, 2), "dark", object), ValueError, "convert string"),
    ],
    ids=["n-features", "1d", "empty", "nan", "inf", "sparse", "str"],
)
@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "score", "sample"]
)
def test_bad_prediction_data(fitted, data, make_X, error, match, method):
    X = make_X(data[2][:10])
    with pytest.raises(error, match=match) as excinfo:
        if method == "score":
            fitted.score(X, data[3][:10])
        else:
            getattr(fitted, method)(X)
    _assert_no_tf_frames(excinfo)


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(l2=-1), InvalidParameterError, "'l2'"),
        (dict(hidden_layer_sizes=(0,)), ValueError, "hidden_layer_sizes"),
        (dict(hidden_layer_sizes=0), ValueError, "hidden_layer_sizes"),
        (dict(hidden_layer_sizes=(8, "a")), ValueError, "hidden_layer_sizes"),
        (dict(hidden_layer_sizes=(8.5,)), ValueError, "hidden_layer_sizes"),
        (dict(hidden_layer_sizes="ab"), ValueError, "hidden_layer_sizes"),
        (dict(optimizer="foo"), InvalidParameterError, "'optimizer'"),
        (dict(activation="swishy"), InvalidParameterError, "'activation'"),
        (dict(batch_size=0), InvalidParameterError, "'batch_size'"),
        (dict(epochs=0), InvalidParameterError, "'epochs'"),
        (dict(dropout=1.5), InvalidParameterError, "'dropout'"),
        (dict(learning_rate=0.0), InvalidParameterError, "'learning_rate'"),
        (dict(validation_fraction=1.0), InvalidParameterError, "'validation_fraction'"),
        (dict(n_iter_no_change=0), InvalidParameterError, "'n_iter_no_change'"),
        (dict(class_weight="even"), InvalidParameterError, "'class_weight'"),
        (dict(callbacks="none"), InvalidParameterError, "'callbacks'"),
        (dict(random_state="x"), InvalidParameterError, "'random_state'"),
        (dict(jit_compile="yes"), InvalidParameterError, "'jit_compile'"),
        (dict(steps_per_execution=0), InvalidParameterError, "'steps_per_execution'"),
    ],
)
def test_invalid_parameters(data, params, error, match):
    X, y, _, _ = data
    clf = small(epochs=1).set_params(**params)
    with pytest.raises(error, match=match) as excinfo:
        clf.fit(X[:50], y[:50])
    _assert_no_tf_frames(excinfo)
    assert not hasattr(clf, "model_")


def test_not_fitted(data):
    clf = small()
    for method in ("predict", "predict_proba", "predict_log_proba", "sample"):
        with pytest.raises(NotFittedError):
            getattr(clf, method)(data[2][:3])


def _diverging(**params):
    # Unscaled pixels (0-1020) and an absurd step size: the weights overflow float32.
    return small(
        hidden_layer_sizes=(16,),
        activation="linear",
        optimizer="sgd",
        learning_rate=1e12,
        epochs=2,
        **params,
    )


@pytest.mark.parametrize("previously_fitted", [False, True])
def test_diverging_fit_raises_and_leaves_estimator_unfitted(mnist, previously_fitted):
    X, y, _, _ = mnist
    X, y = X[:300].astype(np.float64) * 4, y[:300]
    clf = _diverging()
    if previously_fitted:
        clf.set_params(optimizer="adam", learning_rate=1e-3).fit(X / 1020, y)
        clf.set_params(optimizer="sgd", learning_rate=1e12)
    with pytest.raises(ValueError, match="diverged.*NaN or infinite") as excinfo:
        clf.fit(X, y)
    assert "learning_rate" in str(excinfo.value)  # the message suggests a remedy
    assert [k for k in vars(clf) if k.endswith("_")] == []
    with pytest.raises(NotFittedError):
        clf.predict(X[:3])
    # It can be fitted again once the parameters are sane.
    clf.set_params(optimizer="adam", learning_rate=1e-3).fit(X / 1020, y)
    assert clf.predict(X[:3]).shape == (3,)


def test_diverged_message_names_a_real_batch(mnist):
    X, y, _, _ = mnist
    X, y = X[:300].astype(np.float64) * 4, y[:300]
    clf = _diverging(batch_size=200)  # 2 batches per epoch
    with pytest.raises(ValueError, match="diverged") as excinfo:
        clf.fit(X, y)
    batch = int(str(excinfo.value).split("batch ")[1].split(".")[0])
    assert 1 <= batch <= 2


# ------------------------------------------------------------------------------------------
# 11. verbosity and a quiet import
# ------------------------------------------------------------------------------------------
def test_verbose_zero_is_silent(data, capfd):
    X, y, _, _ = data
    capfd.readouterr()
    small(epochs=2).fit(X, y).predict_proba(X)
    out, _ = capfd.readouterr()
    assert out == ""


def test_verbose_one_shows_progress_bar(data, capfd):
    X, y, _, _ = data
    capfd.readouterr()
    small(epochs=2, verbose=1).fit(X, y)
    out, _ = capfd.readouterr()
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "loss" in out and "accuracy" in out


def test_verbose_two_prints_one_line_per_epoch(data, capfd):
    X, y, _, _ = data
    capfd.readouterr()
    small(epochs=2, verbose=2).fit(X, y)
    out, _ = capfd.readouterr()
    assert out.count("Epoch ") == 2
    assert "━" not in out  # no progress bar


def test_import_is_quiet_and_lazy(run_python):
    result = run_python(
        """
        import sys
        import numpy as np
        import skmnist
        assert "tensorflow" not in sys.modules, "import skmnist imported TensorFlow"
        skmnist.PixelScaler().fit_transform(np.zeros((2, 4), np.uint8))
        assert "tensorflow" not in sys.modules, "PixelScaler imported TensorFlow"
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
