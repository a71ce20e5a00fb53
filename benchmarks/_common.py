"""Shared pieces of the benchmark scripts: data, timing callback, machine facts, JSON output."""

import json
import os
import platform
import time

import numpy as np

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


def epoch_timer():
    """A Keras callback recording the wall time of every epoch in ``.seconds``."""
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
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=2, default=float)
    os.replace(tmp, path)
    print(f"\nSaved {path}")
    return path


def report(title, value):
    print(f"{title:<58} {value}", flush=True)
