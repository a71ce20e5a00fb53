"""Shared pieces of the benchmark scripts: data, timing callback, machine facts, JSON output."""

import json
import os
import platform
import time

import numpy as np

from skmnist._io import atomic_file

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def load_full_mnist():
    """Full MNIST (official split) from the data home, scaled once to float32 in [0, 1]."""
    from skmnist import PixelScaler, fetch_mnist

    train, test = fetch_mnist("train"), fetch_mnist("test")
    scaler = PixelScaler()
    return (
        scaler.fit_transform(train.data), train.target,
        scaler.transform(test.data), test.target,
    )


def epoch_timer(keras=None):
    """A Keras callback recording the wall time of every epoch in ``.seconds``.

    ``keras``: the Keras module to subclass; by default skmnist's (which imports TensorFlow
    with skmnist's settings). A process that must not load skmnist's TensorFlow setup, as
    a peer library's in bench_peers.py, passes its own ``import keras``.
    """
    if keras is None:
        from skmnist._tf import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(round(time.perf_counter() - self._start, 3))

    return EpochTimer()


def epoch_summary(seconds):
    """First epoch (tracing/compilation included) and the median of the warm ones."""
    return {
        "first_epoch_s": seconds[0],
        "warm_epoch_median_s": float(np.median(seconds[1:])) if len(seconds) > 1 else None,
        "epochs_s": seconds,
    }


def grid_search(estimator, grid, X, y, X_test, y_test, cv=3):
    """Run ``GridSearchCV`` (accuracy, one process), report and summarize it for JSON."""
    from sklearn.model_selection import GridSearchCV

    start = time.perf_counter()
    search = GridSearchCV(estimator, grid, cv=cv, n_jobs=1).fit(X, y)
    summary = {
        "grid": grid,
        "cv": cv,
        "fixed_params": {
            k: v for k, v in estimator.get_params().items()
            if k in ("epochs", "l2") and k not in grid
        },
        "best_params": search.best_params_,
        "best_cv_accuracy": float(search.best_score_),
        "test_accuracy": search.score(X_test, y_test),
        "cv_results": {
            str(p): float(s)
            for p, s in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"])
        },
        "search_s": round(time.perf_counter() - start, 1),
    }
    report(f"GridSearchCV best {search.best_params_}: cv / test accuracy",
           f"{search.best_score_:.4f} / {summary['test_accuracy']:.4f}")
    return summary


def machine():
    import sklearn

    from skmnist._tf import keras, tf

    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "scikit-learn": sklearn.__version__,
    }


def save(name, results):
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{name}.json")
    with atomic_file(path, "w") as f:
        json.dump(results, f, indent=2, default=float)
    print(f"\nSaved {path}")
    return path


def report(title, value):
    print(f"{title:<58} {value}", flush=True)
