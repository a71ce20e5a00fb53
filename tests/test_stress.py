"""Stress and faults: concurrent prediction, many predictions, interrupted fits, failed
candidates in a search, and what a long run of fits leaves behind in TensorFlow."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from _internals import gradient_registry as _registry
from _internals import keras, tf, thread_pool_size
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV

from skmnist import FCNClassifier, MDNClassifier

SMALL = dict(hidden_layer_sizes=(16,), random_state=0)


@pytest.fixture(scope="module")
def fitted(data, fitted_on_sample):
    """``FCNClassifier(epochs=2, **SMALL)`` fitted on the data's 500 training images (the
    session's: test_plotting.py draws it), and the test images. Only read by the tests."""
    return fitted_on_sample(FCNClassifier, epochs=2, **SMALL), data[2]


# ------------------------------------------------------------------------ concurrent prediction
@pytest.mark.parametrize("Estimator", [FCNClassifier, MDNClassifier])
def test_eight_threads_predicting_at_once_get_the_single_thread_result(Estimator, data,
                                                                       fitted):
    X, y, X_test, _ = data
    # (only read here: the module's fitted FCN serves the FCN case)
    clf = fitted[0] if Estimator is FCNClassifier else Estimator(epochs=1, **SMALL).fit(X, y)
    expected = clf.predict_proba(X_test)
    start = threading.Barrier(8)

    def predict(i):
        start.wait()  # all eight call into the same estimator at the same moment
        # each thread also asks for a different slice between the full calls
        return [clf.predict_proba(X_test), clf.predict_proba(X_test[i::8]),
                clf.predict_proba(X_test)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(predict, range(8)))
    for i, (first, part, last) in enumerate(results):
        assert_array_equal(first, expected)
        assert_array_equal(last, expected)
        assert_allclose(part, expected[i::8], rtol=1e-6, atol=1e-7)


def test_a_thousand_predictions_of_varying_sizes_agree(fitted):
    # (Retracing: the default prediction path runs no TensorFlow function, see
    # test_inference.py; a head predicting through TensorFlow is checked for retracing
    # over batch sizes in test_extension.py.)
    clf, X_test = fitted
    expected = clf.predict_proba(X_test)
    rng = np.random.RandomState(0)
    for _ in range(1000):
        n = int(rng.randint(1, len(X_test) + 1))
        start = int(rng.randint(0, len(X_test) - n + 1))
        assert_allclose(clf.predict_proba(X_test[start : start + n]),
                        expected[start : start + n], rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------------ interrupted fits
class _InterruptAt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt at the second batch of ``epoch``; remember earlier weights."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.weights = epoch, None

    def on_train_begin(self, logs=None):
        self.initial = [w.copy() for w in self.model.get_weights()]

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_epoch_end(self, epoch, logs=None):
        self.weights = [w.copy() for w in self.model.get_weights()]

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == 1:
            raise KeyboardInterrupt


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_interrupted_fit_keeps_the_last_completed_epoch_and_says_so(schedule, data):
    X, y, X_test, _ = data
    interrupt = _InterruptAt(epoch=3)
    # one step per execution, so the interrupt lands in the middle of the fourth epoch
    clf = FCNClassifier(epochs=6, batch_size=50, learning_rate_schedule=schedule,
                        steps_per_execution=1, callbacks=[interrupt], **SMALL)
    with pytest.warns(UserWarning, match=r"interrupted by user .* after 3 of 6 epochs"):
        returned = clf.fit(X, y)  # the interrupt is swallowed, as MLPClassifier does
    assert returned is clf
    assert clf.interrupted_ is True  # what a caller checks to stop (the study does)
    assert clf.n_iter_ == 3
    assert all(len(values) == 3 for values in clf.history_.values())
    assert clf.loss_ == clf.history_["loss"][-1]
    # the weights are those after epoch 3, not those of the half-trained fourth epoch
    for kept, after_epoch_3 in zip(clf.model_.get_weights(), interrupt.weights):
        assert_array_equal(kept, after_epoch_3)
    # the learning rate is back at its base value, so a warm start starts from it
    assert float(clf.model_.optimizer.learning_rate.numpy()) == pytest.approx(
        clf.learning_rate)
    # usable: it predicts, and training goes on from where it stopped
    assert clf.predict(X_test).shape == (len(X_test),)
    clf.set_params(callbacks=None).partial_fit(X, y)
    assert clf.n_iter_ == 4 and len(clf.history_["loss"]) == 4
    assert clf.interrupted_ is False  # every call says whether it was interrupted


@pytest.mark.parametrize("Estimator", [FCNClassifier, MDNClassifier])
def test_a_completed_fit_says_it_was_not_interrupted(Estimator, data):
    X, y, _, _ = data
    clf = Estimator(epochs=1, batch_size=50, steps_per_execution=1, **SMALL).fit(X, y)
    assert clf.interrupted_ is False
    clf.set_params(callbacks=[_InterruptAt(0)])
    with pytest.warns(UserWarning, match="interrupted by user"):
        clf.partial_fit(X, y)
    assert clf.interrupted_ is True
    # no novelty statistics for a network cut short: they are not computed, and it says why
    with pytest.warns(UserWarning, match="novelty is unavailable: .*interrupted"):
        assert "novelty" not in clf.predict_uncertainty(X[:5])


def test_interrupt_in_the_first_epoch_keeps_the_initial_weights(data):
    X, y, _, _ = data
    interrupt = _InterruptAt(0)
    clf = FCNClassifier(epochs=3, batch_size=50, steps_per_execution=1,
                        callbacks=[interrupt], **SMALL)
    with pytest.warns(UserWarning, match="after 0 of 3 epochs"):
        clf.fit(X, y)
    assert clf.interrupted_ is True
    assert clf.n_iter_ == 0 and clf.history_ == {}
    for kept, start in zip(clf.model_.get_weights(), interrupt.initial):
        assert_array_equal(kept, start)
    assert clf.predict_proba(X[:5]).shape == (5, 10)


# ------------------------------------------------------------------------ failed candidates
def test_a_diverging_candidate_fails_and_the_search_completes(data):
    X, y, _, _ = data
    search = GridSearchCV(
        FCNClassifier(epochs=1, **SMALL), {"learning_rate": [1e-3, 1e30]}, cv=2,
        error_score=np.nan,
    )
    # scikit-learn also says that a candidate's score is NaN
    with pytest.warns(FitFailedWarning, match="Training diverged"), \
            pytest.warns(UserWarning, match="test scores are non-finite"):
        search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores[0]) and np.isnan(scores[1])
    assert search.best_params_ == {"learning_rate": 1e-3}
    assert search.best_estimator_.n_iter_ == 1


def test_error_score_raise_names_the_divergence(data):
    X, y, _, _ = data
    search = GridSearchCV(FCNClassifier(epochs=1, **SMALL), {"learning_rate": [1e30]}, cv=2,
                          error_score="raise")
    with pytest.raises(ValueError, match="Training diverged"):
        search.fit(X, y)


# ------------------------------------------------------------------------ long runs of fits
def test_fits_leave_no_training_graph_registered(data, fitted):
    # (`fitted`: an FCN fitted before, which registered anything a first fit registers once)
    X, y, _, _ = data
    registry = _registry()
    assert registry is not None, "TensorFlow's gradient registry moved: see skmnist._tracing"
    before = len(registry)
    for seed in range(2):
        FCNClassifier(epochs=1, hidden_layer_sizes=(8,), random_state=seed).fit(X, y)
        MDNClassifier(epochs=1, hidden_layer_sizes=(8,), random_state=seed).fit(X, y)
    assert len(registry) == before


def test_releasing_a_fit_leaves_other_estimators_and_user_gradients_working(data):
    X, y, X_test, _ = data
    first = FCNClassifier(epochs=1, **SMALL).fit(X, y)
    proba = first.predict_proba(X_test)

    # a user's function with a custom gradient, traced while another fit runs
    @tf.custom_gradient
    def doubled_gradient(x):
        return tf.identity(x), lambda dy: 2.0 * dy

    user_function = tf.function(lambda x: doubled_gradient(x))

    class TraceUserFunction(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            user_function(tf.constant(1.0))

    FCNClassifier(epochs=1, callbacks=[TraceUserFunction()], **SMALL).fit(X, y)

    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = user_function(x)
    assert float(tape.gradient(out, x)) == 2.0  # the user's registration was kept
    # the first estimator predicts as before and trains on (warm start and partial_fit)
    assert_array_equal(first.predict_proba(X_test), proba)
    first.partial_fit(X, y)
    first.set_params(warm_start=True).fit(X, y)
    assert first.n_iter_ == 3 and np.isfinite(first.loss_)


# ------------------------------------------------------------------------ thread pools
@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, None),
        ({"OMP_NUM_THREADS": "1"}, 1),
        ({"OMP_NUM_THREADS": "4,2"}, 4),
        ({"OMP_NUM_THREADS": "lots"}, None),
        ({"SKMNIST_NUM_THREADS": "3", "OMP_NUM_THREADS": "1"}, 3),
        ({"SKMNIST_NUM_THREADS": "0", "OMP_NUM_THREADS": "1"}, None),
    ],
)
def test_thread_pool_size(environ, expected):
    assert thread_pool_size(environ) == expected


def test_a_bad_thread_count_is_a_clear_error():
    with pytest.raises(ValueError, match="SKMNIST_NUM_THREADS='two'"):
        thread_pool_size({"SKMNIST_NUM_THREADS": "two"})


@pytest.mark.slow
def test_thread_pools_are_sized_before_tensorflow_starts(run_python):
    code = """
        import os
        os.environ["SKMNIST_NUM_THREADS"] = "1"
        from skmnist import FCNClassifier, load_mnist_sample
        from skmnist._tf import tf
        X, y = load_mnist_sample(return_X_y=True)
        FCNClassifier((8,), epochs=1, random_state=0).fit(X[:200] / 255.0, y[:200])
        print(tf.config.threading.get_intra_op_parallelism_threads(),
              tf.config.threading.get_inter_op_parallelism_threads())
    """
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "1"]
