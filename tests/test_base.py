"""The shared machinery of skmnist's networks: training data, prediction runner, life cycle."""

import numpy as np
import pytest
from _internals import aligned_empty, as_tensor, is_aligned, keras, training_rows
from _internals import training_data as _training_data
from numpy.testing import assert_array_equal

from skmnist import FCNClassifier, MDNClassifier


def _data(n=120, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.rand(n, n_features).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 1).astype(np.int32) + (X[:, 2] > 0.7)
    return X, y.astype(np.int32)


def test_training_rows_are_a_canonical_order():
    X, y = _data()
    rows, w = training_rows(X, y, None)
    assert w is None and sorted(rows) == list(range(len(X)))
    perm = np.random.RandomState(1).permutation(len(X))
    rows_p, _ = training_rows(X[perm], y[perm], None)
    # the same samples come out in the same order, whatever order they came in
    assert_array_equal(X[perm][rows_p], X[rows])


# (Integer weights are repeated rows, zero weights drop a row, all-zero weights are refused:
# tested through fit in test_fcn.py, test_integer_sample_weight_equals_repetition and
# test_bad_sample_weight.)
UNIFORM = dict(hidden_layer_sizes=(8,), epochs=2, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def unweighted():
    """``FCNClassifier(**UNIFORM)`` fitted without weights on ``_data(60)``: its probabilities."""
    X, y = _data(60)
    return FCNClassifier(**UNIFORM).fit(X, y).predict_proba(X)


@pytest.mark.parametrize("weight", [0.5, 10.0])
def test_uniform_weights_that_are_not_small_counts_train_like_no_weights(weight, unweighted):
    # Fractional weights, and integer ones too large to repeat rows for, scale each sample's
    # loss, rescaled to mean 1: a uniform weight of any size trains the unweighted network.
    X, y = _data(60)
    weighted = FCNClassifier(**UNIFORM).fit(X, y, sample_weight=np.full(len(X), weight))
    np.testing.assert_allclose(weighted.predict_proba(X), unweighted, rtol=1e-5, atol=1e-6)


@pytest.fixture
def numpy_batches(monkeypatch):
    """Force the large-data path: batches gathered from NumPy by a generator."""
    monkeypatch.setattr(_training_data, "_IN_GRAPH_BYTES", 0)


@pytest.mark.parametrize(
    "path",
    # The in-graph path is the one every small fit takes: test_fcn.py tests the same
    # properties on it (test_same_random_state_gives_identical_model,
    # test_fit_is_invariant_to_row_order, test_integer_sample_weight_equals_repetition).
    [pytest.param("in_graph", marks=pytest.mark.slow), "numpy"],
)
def test_both_batching_paths_are_seeded_and_order_free(path, request):
    if path == "numpy":
        request.getfixturevalue("numpy_batches")
    X, y = _data()
    params = dict(hidden_layer_sizes=(8,), epochs=3, batch_size=16, random_state=0)
    p1 = FCNClassifier(**params).fit(X, y).predict_proba(X)
    p2 = FCNClassifier(**params).fit(X, y).predict_proba(X)
    assert_array_equal(p1, p2)
    perm = np.random.RandomState(3).permutation(len(X))
    p3 = FCNClassifier(**params).fit(X[perm], y[perm]).predict_proba(X)
    assert_array_equal(p1, p3)
    sw = np.random.RandomState(4).randint(0, 3, len(X)).astype(np.float32)
    pw = FCNClassifier(**params).fit(X, y, sample_weight=sw).predict_proba(X)
    pr = FCNClassifier(**params).fit(np.repeat(X, sw.astype(int), 0),
                                     np.repeat(y, sw.astype(int))).predict_proba(X)
    assert_array_equal(pw, pr)
    assert not np.array_equal(pw, p1)


def test_numpy_path_trains_like_the_in_graph_path(monkeypatch):
    X, y = _data(400)
    params = dict(hidden_layer_sizes=(16,), epochs=15, batch_size=32, learning_rate=0.01,
                  learning_rate_schedule="constant",
                  random_state=0, early_stopping=True, n_iter_no_change=20)
    in_graph = FCNClassifier(**params).fit(X, y)
    monkeypatch.setattr(_training_data, "_IN_GRAPH_BYTES", 0)
    numpy = FCNClassifier(**params).fit(X, y)
    assert numpy.score(X, y) > 0.8
    assert abs(numpy.score(X, y) - in_graph.score(X, y)) < 0.05
    assert len(numpy.history_["val_loss"]) == numpy.n_iter_ == 15


@pytest.mark.parametrize(
    "params, n, expected",
    [({}, 100, False), ({}, 10_000, True), ({"dropout": 0.1}, 10_000, False),
     ({"conv_filters": (2,), "image_shape": None}, 10_000, False),
     ({"jit_compile": False}, 10_000, False),
     # (an explicit True is passed through; its XLA compilation costs 5-10 s: slow)
     pytest.param({"jit_compile": True}, 100, True, marks=pytest.mark.slow)],
)
def test_jit_compile_auto(params, n, expected):
    X, y = _data(n, n_features=3)
    clf = FCNClassifier(hidden_layer_sizes=(4,), epochs=1, batch_size=500, random_state=0,
                        **params).fit(X, y)
    assert bool(clf.model_.jit_compile) is expected


def test_predict_does_not_change_state():
    X, y = _data()
    clf = MDNClassifier(hidden_layer_sizes=(8,), n_components=3, epochs=1,
                        random_state=0).fit(X, y)
    before = dict(vars(clf))
    for n in [1, 2, 63, 64, 65, 130]:
        clf.predict_proba(X[:n])
        clf.sample(X[:n], 2, random_state=0)
        clf.sample_values(X[:n], 2, random_state=0)
    assert vars(clf) == before


def test_warm_start_keeps_the_optimizer_until_its_parameters_change():
    X, y = _data()
    clf = FCNClassifier(hidden_layer_sizes=(8,), epochs=2, warm_start=True, random_state=0)
    clf.fit(X, y)
    optimizer = clf.model_.optimizer
    clf.fit(X, y)
    assert clf.model_.optimizer is optimizer and clf.n_iter_ == 4  # state carried on
    clf.set_params(learning_rate=0.05).fit(X, y)
    assert float(clf.model_.optimizer.learning_rate.numpy()) == pytest.approx(0.05)
    clf.set_params(optimizer="sgd").fit(X, y)
    assert type(clf.model_.optimizer).__name__ == "SGD" and clf.n_iter_ == 8


class _RecordLearningRate(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []

    def on_epoch_begin(self, epoch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate.numpy()))


@pytest.mark.parametrize("schedule", ["cosine", "constant"])
def test_learning_rate_schedule(schedule):
    X, y = _data()
    record = _RecordLearningRate()
    clf = FCNClassifier(hidden_layer_sizes=(8,), epochs=4, learning_rate=0.02,
                        learning_rate_schedule=schedule, callbacks=[record], random_state=0)
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    if schedule == "cosine":
        expected = [0.02 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)]
    else:
        expected = [0.02] * 4
    np.testing.assert_allclose(record.rates, expected, rtol=1e-6)
    # Set back after training: a warm start or partial_fit starts from the full rate.
    assert float(clf.model_.optimizer.learning_rate.numpy()) == pytest.approx(0.02)
    # The two schedules train differently (a refit of the same seeded network, the other
    # schedule, against this fit: the callback only records).
    other = "constant" if schedule == "cosine" else "cosine"
    p_other = clf.set_params(learning_rate_schedule=other, callbacks=None).fit(X, y)
    assert not np.array_equal(p_other.predict_proba(X), proba)


def test_cosine_schedule_restarts_on_warm_start_and_keeps_the_optimizer():
    X, y = _data()
    record = _RecordLearningRate()
    clf = FCNClassifier(hidden_layer_sizes=(8,), epochs=2, learning_rate=0.01, warm_start=True,
                        callbacks=[record], random_state=0).fit(X, y)
    optimizer = clf.model_.optimizer
    clf.fit(X, y)
    clf.partial_fit(X, y)
    assert clf.model_.optimizer is optimizer  # restored rate: no needless recompilation
    np.testing.assert_allclose(record.rates, [0.01, 0.005, 0.01, 0.005, 0.01], rtol=1e-6)


@pytest.mark.parametrize("path", ["in_graph", "numpy"])
def test_batches_cover_every_row_once_per_epoch_reshuffled(path, request):
    if path == "numpy":
        request.getfixturevalue("numpy_batches")
    X, y = _data(50)
    X = X.astype(np.float32)
    rows, _ = training_rows(X, y, None)
    dataset = _training_data.batches(X, y, None, rows, 16, seed=0)
    assert dataset.options().autotune.enabled is False  # see batches: epoch-start stalls
    epochs = []
    for _ in range(2):
        batches = [b[0].numpy() for b in dataset]
        assert [len(b) for b in batches] == [16, 16, 16, 2]
        epochs.append(np.concatenate(batches))
        assert_array_equal(np.sort(epochs[-1][:, 0]), np.sort(X[:, 0]))
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled every epoch


def _offset_copy(X, offset_bytes):
    """A copy of float32 ``X`` starting ``offset_bytes`` past a TENSOR_ALIGNMENT boundary."""
    buffer = aligned_empty((X.size + 64,), np.float32)
    out = buffer[offset_bytes // 4 : offset_bytes // 4 + X.size].reshape(X.shape)
    out[...] = X
    return out


@pytest.mark.parametrize("offset", [0, 4, 16, 32, 48])
def test_as_tensor_shares_aligned_memory_and_copies_the_rest(offset):
    # TensorFlow aborts the process on an unaligned DLPack buffer: only aligned, writeable,
    # C-ordered float32 arrays may be shared; every other array must be copied.
    X = _offset_copy(np.random.RandomState(0).rand(8, 5).astype(np.float32), offset)
    assert is_aligned(X) is (offset == 0)
    tensor = as_tensor(X)
    assert_array_equal(tensor.numpy(), X)
    X[0, 0] = -1.0  # shared memory shows the write, a copy does not
    assert bool(tensor.numpy()[0, 0] == -1.0) is (offset == 0)
    for other in [X.astype(np.float64), np.asfortranarray(X), X[:, ::2]]:
        assert_array_equal(as_tensor(np.ascontiguousarray(other, np.float32)).numpy(),
                           np.ascontiguousarray(other, np.float32))
    read_only = _offset_copy(X, 0)
    read_only.flags.writeable = False
    assert_array_equal(as_tensor(read_only).numpy(), X)


def test_predictions_do_not_depend_on_input_alignment():
    X, y = _data(200, n_features=20)
    clf = FCNClassifier(hidden_layer_sizes=(8,), epochs=2, random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    for offset in [0, 4, 16, 32]:
        assert_array_equal(clf.predict_proba(_offset_copy(X, offset)), expected)


def test_aligned_empty():
    for shape, dtype in [((3, 5), np.float32), ((7,), np.float64), ((0, 4), np.float32)]:
        a = aligned_empty(shape, dtype)
        assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous
        assert a.size == 0 or is_aligned(a)


def test_large_data_batches_are_the_same_whether_pixels_are_shared_or_copied(numpy_batches):
    # Large training sets are batched from an index generator, TensorFlow gathering from
    # the pixels' own memory when it can be shared (aligned, writeable, C-ordered float32),
    # and from a generator of copied rows otherwise: both give the same shuffled batches,
    # epoch after epoch, so a fit does not depend on how the caller's array sits in memory.
    rng = np.random.RandomState(0)
    shared = aligned_empty((300, 12), np.float32, 64)
    shared[:] = rng.rand(300, 12)
    copied = np.empty((300, 13), np.float32)[:, 1:]  # not C-ordered: cannot be shared
    copied[:] = shared
    y = (np.arange(300) % 3).astype(np.int32)
    rows = np.arange(300)
    assert _training_data._shared_tensors((shared, y)) is not None
    assert _training_data._shared_tensors((copied, y)) is None

    def epochs(X):
        dataset = _training_data.batches(X, y, None, rows, 32, 5)
        return [[(xb.numpy(), yb.numpy()) for xb, yb in dataset] for _ in range(2)]

    a, b = epochs(shared), epochs(copied)
    assert [len(epoch) for epoch in a] == [len(epoch) for epoch in b] == [10, 10]
    for epoch_a, epoch_b in zip(a, b):
        for (xa, ya), (xb, yb) in zip(epoch_a, epoch_b):
            assert_array_equal(xa, xb)
            assert_array_equal(ya, yb)
    assert not np.array_equal(a[0][0][0], a[1][0][0])  # reshuffled every epoch
    assert sorted(np.concatenate([yb for _, yb in a[0]])) == sorted(y)  # every row once
