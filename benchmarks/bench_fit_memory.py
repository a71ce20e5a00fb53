"""Memory of long runs: many fits in one process, many predictions, the epochs of one fit.

Three measurements, each in a fresh Python process so that none inherits another's memory:

``fits``
    50 fits of a tiny network (784-16-10, 1 epoch, 1,000 images of the embedded sample) in
    one process, as one worker of a long search runs them; resident memory (RSS) after each
    fit (estimator dropped, garbage collected).  Variants: as shipped (each fit releases its
    training graph, ``skmnist._tracing``); without that release (what TensorFlow keeps); and
    without it but with ``keras.backend.clear_session()`` after every fit (Keras's advice).
``predictions``
    1,000 ``predict_proba`` calls on one fitted estimator with batch sizes drawn from 1 to
    1,000; RSS every 100 calls.
``epochs``
    One fit of the default network (784-400-20-10) on full MNIST (60,000 images); RSS at the
    end of every epoch (needs the official files in the data home, ``SKMNIST_DATA``).

Run: ``python benchmarks/bench_fit_memory.py [--fits 50] [--epochs 10] [--skip-full]``.
Results: ``benchmarks/results/fit_memory.json``.  RSS is read with psutil.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, report, save  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _rss_mb():
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _second_half_growth(values):
    """MB gained from the middle of ``values`` to its end (after any warm-up)."""
    return round(float(values[-1] - values[len(values) // 2]), 1)


def _slope(values):
    """MB per step of a least-squares line through ``values`` (after the first tenth)."""
    values = np.asarray(values, dtype=float)
    start = max(1, len(values) // 10)
    x = np.arange(len(values))[start:]
    return float(np.polyfit(x, values[start:], 1)[0]) if len(x) > 1 else float("nan")


# ------------------------------------------------------------------------ child measurements
def child_fits(n_fits, variant):
    import contextlib
    import gc
    import time

    from skmnist import FCNClassifier, PixelScaler, _base, load_mnist_sample
    from skmnist._tf import keras

    if variant != "released":
        _base.released_training_graphs = lambda model: contextlib.nullcontext()
    X, y = load_mnist_sample(return_X_y=True)
    X, y = PixelScaler().fit_transform(X[:1000]), y[:1000]
    rss, start = [], time.perf_counter()
    for i in range(n_fits):
        clf = FCNClassifier((16,), epochs=1, random_state=i).fit(X, y)
        clf.predict_proba(X[:10])
        del clf
        if variant == "clear_session":
            keras.backend.clear_session()
        gc.collect()
        rss.append(round(_rss_mb(), 1))
    return {"rss_mb": rss, "seconds": round(time.perf_counter() - start, 1)}


def child_predictions(n_calls):
    import gc

    from skmnist import FCNClassifier, PixelScaler, load_mnist_sample

    X, y = load_mnist_sample(return_X_y=True)
    X, y = PixelScaler().fit_transform(X), y
    clf = FCNClassifier((64,), epochs=1, random_state=0).fit(X[:1000], y[:1000])
    clf.predict_proba(X[:10])
    gc.collect()
    rng = np.random.RandomState(0)
    rss = [round(_rss_mb(), 1)]
    for i in range(n_calls):
        clf.predict_proba(X[: rng.randint(1, 1001)])
        if (i + 1) % 100 == 0:
            gc.collect()
            rss.append(round(_rss_mb(), 1))
    return {"rss_mb_every_100": rss}


def child_epochs(n_epochs):
    from _common import load_full_mnist

    from skmnist import FCNClassifier
    from skmnist._tf import keras

    class RSSPerEpoch(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.rss = []

        def on_epoch_end(self, epoch, logs=None):
            self.rss.append(round(_rss_mb(), 1))

    X, y, X_test, y_test = load_full_mnist()
    before = round(_rss_mb(), 1)
    probe = RSSPerEpoch()
    clf = FCNClassifier(epochs=n_epochs, random_state=0, callbacks=[probe]).fit(X, y)
    return {"rss_before_fit_mb": before, "rss_mb_per_epoch": probe.rss,
            "test_accuracy": float(clf.score(X_test, y_test))}


def _in_child(*args):
    """Run this script's ``child_<name>(...)`` in a fresh process; return its JSON result."""
    result = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", *map(str, args)],
        capture_output=True, text=True, cwd=HERE,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=50)
    parser.add_argument("--predictions", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--skip-full", action="store_true", help="leave out full MNIST")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, *rest = args.child
        function = globals()[f"child_{name}"]
        print(json.dumps(function(int(rest[0]), *rest[1:])))
        return

    results = {"machine": machine(), "fits": {}, "note": (
        "2 shared cores, other jobs running: times are noisy; memory is not.")}
    for variant in ("released", "unreleased", "clear_session"):
        run = _in_child("fits", args.fits, variant)
        rss = run["rss_mb"]
        run.update(first_mb=rss[0], last_mb=rss[-1], growth_mb_per_fit=round(_slope(rss), 3),
                   growth_mb_second_half=_second_half_growth(rss))
        results["fits"][variant] = run
        report(f"{args.fits} fits, {variant}: RSS first -> last, MB per fit",
               f"{rss[0]:.0f} -> {rss[-1]:.0f} MB, {run['growth_mb_per_fit']:+.3f}")

    run = _in_child("predictions", args.predictions)
    rss = run["rss_mb_every_100"]
    run["growth_mb_per_100_calls"] = round(_slope(rss), 3)
    run["growth_mb_second_half"] = _second_half_growth(rss)
    results["predictions"] = run
    report(f"{args.predictions} predictions (1-1000 rows): RSS first -> last",
           f"{rss[0]:.0f} -> {rss[-1]:.0f} MB, {run['growth_mb_second_half']:+.1f} MB in "
           "the second half")

    if not args.skip_full:
        run = _in_child("epochs", args.epochs)
        rss = run["rss_mb_per_epoch"]
        run["growth_mb_per_epoch_after_first"] = round(_slope(rss), 3)
        run["growth_mb_second_half"] = _second_half_growth(rss)
        results["epochs"] = run
        report(f"full MNIST, {args.epochs} epochs: RSS after epoch 1 -> {args.epochs}",
               f"{rss[0]:.0f} -> {rss[-1]:.0f} MB, {run['growth_mb_per_epoch_after_first']:+.3f}"
               " MB per epoch")
    save("fit_memory", results)


if __name__ == "__main__":
    main()
