"""Hyperparameter searches on a real Dask cluster (2 worker processes) match one process."""

import joblib
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from skmnist import FCNClassifier, MDNClassifier

distributed = pytest.importorskip("distributed")  # the `dask` extra (in the `test` extra too)

pytestmark = pytest.mark.slow  # two worker processes that each import TensorFlow


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client


def _worker_threads():
    from skmnist._tf import tf

    return (tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads())


def test_workers_size_tensorflow_to_their_one_thread(client):
    # Dask's nanny sets OMP_NUM_THREADS=1 in its workers; skmnist sizes TensorFlow from it.
    assert set(client.run(_worker_threads).values()) == {(1, 1)}


@pytest.mark.parametrize(
    "make_search",
    [
        lambda: GridSearchCV(
            FCNClassifier((16,), epochs=2, random_state=0),
            {"hidden_layer_sizes": [(8,), (16,)], "l2": [0.0, 0.01]}, cv=2,
        ),
        lambda: RandomizedSearchCV(
            MDNClassifier((16,), epochs=2, random_state=0),
            {"n_components": [2, 3, 5], "learning_rate": [1e-3, 3e-3]}, n_iter=3, cv=2,
            random_state=0,
        ),
    ],
    ids=["grid-fcn", "randomized-mdn"],
)
def test_search_on_dask_matches_one_process(client, data, make_search):
    X, y, X_test, _ = data
    local = make_search().set_params(n_jobs=1).fit(X, y)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        remote = clone(make_search()).set_params(n_jobs=-1).fit(X, y)
    assert len(tasks.data) >= len(local.cv_results_["params"])  # the fits ran on the cluster
    workers = {task["worker"] for task in tasks.data}
    assert len(workers) == 2, workers
    assert remote.best_params_ == local.best_params_
    for key in local.cv_results_:
        if key.startswith(("split", "mean_test", "rank_")):
            assert_array_equal(remote.cv_results_[key], local.cv_results_[key], err_msg=key)
    assert_array_equal(remote.predict_proba(X_test), local.predict_proba(X_test))


def test_cli_sends_the_study_fits_to_a_scheduler(client, tmp_path, capsys):
    import json

    from skmnist.cli import main

    argv = ["run", "--steps", "regularization", "--epochs", "1", "--random-state", "0"]
    address = client.scheduler_info()["address"]
    with distributed.get_task_stream(client) as tasks:
        assert main([*argv, "--scheduler", address, "--output", str(tmp_path / "dask")]) == 0
    printed = capsys.readouterr().out
    assert f"on the Dask scheduler at {address}" in printed
    assert printed.count("(on a Dask worker)") == 3  # the FCN and the two runs it varies
    assert len(tasks.data) >= 3
    assert main([*argv, "--output", str(tmp_path / "local")]) == 0
    on_dask, local = (
        json.loads((tmp_path / name / "metrics.json").read_text())["steps"]["regularization"]
        for name in ("dask", "local")
    )
    for run in local["runs"]:
        for key in ("train_accuracy", "validation_accuracy", "test_accuracy", "test_loss"):
            assert on_dask["runs"][run][key] == local["runs"][run][key], (run, key)


def test_a_fit_interrupted_on_a_worker_stops_the_study(client, monkeypatch):
    """The study raises KeyboardInterrupt in its own process, at once, and the cluster
    stays usable (the worker's task returned normally)."""
    import time

    from sklearn.pipeline import make_pipeline

    import skmnist.study as study
    from skmnist import PixelScaler, load_mnist_sample
    from skmnist._tf import keras

    class Interrupt(keras.callbacks.Callback):  # local: pickled by value for the worker
        def on_train_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

    def pipeline(ctx, name):
        return make_pipeline(PixelScaler(), FCNClassifier((4,), epochs=3,
                                                           callbacks=[Interrupt()]))

    monkeypatch.setattr(study._Context, "pipeline", pipeline)
    train, test = load_mnist_sample("train"), load_mnist_sample("test")
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        study.run_study(train, test, steps=["evaluation"], min_accuracy=0,
                        scheduler=client.scheduler.address)
    assert time.perf_counter() - start < 120
    assert client.submit(sum, [1, 2]).result(timeout=60) == 3


def test_cli_says_when_the_scheduler_cannot_be_reached(tmp_path, capsys, monkeypatch):
    from skmnist import study
    from skmnist.cli import main

    monkeypatch.setattr(study, "_SCHEDULER_TIMEOUT", 2)
    rc = main(["run", "--steps", "network", "--epochs", "1", "--scheduler",
               "tcp://127.0.0.1:9", "--output", str(tmp_path / "r")])
    assert rc == 1
    assert "Cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
