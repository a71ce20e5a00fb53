"""FCNClassifier on full MNIST: accuracy, training speed, prediction speed, peak memory.

Reads the official files from the data home (``SKMNIST_DATA``); prints every figure and
saves them to ``benchmarks/results/fcn.json``.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_fcn.py [--quick]

``--quick`` runs every part with few epochs and a tiny grid (a smoke test of the script).
``--parts prediction,memory`` runs only those parts (of accuracy, prediction, training,
memory) and saves them under their own name (``fcn_only_prediction_memory.json``):
``fcn.json`` is always one run of every part.
"""

import argparse
import os
import subprocess
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    epoch_summary,
    epoch_timer,
    grid_search,
    load_full_mnist,
    machine,
    report,
    result_name,
    save,
)


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def prediction_speed(clf, X_test):
    """predict_proba against keras.Model.predict on the same network, side by side."""
    model = clf.model_
    one, many = X_test[:1], X_test[:10000]
    clf.predict_proba(one), model.predict(one, verbose=0)  # warm both paths up
    clf.predict_proba(many), model.predict(many, verbose=0)
    out = {
        "keras_predict_1_ms": 1e3 * median_seconds(lambda: model.predict(one, verbose=0), 30),
        "predict_proba_1_ms": 1e3 * median_seconds(lambda: clf.predict_proba(one), 300),
        "keras_predict_10000_ms": 1e3 * median_seconds(lambda: model.predict(many, verbose=0), 7),
        "predict_proba_10000_ms": 1e3 * median_seconds(lambda: clf.predict_proba(many), 7),
    }
    # The compute floor: the first layer's matrix product alone (10,000 x 784 x 400, 6.3 GFLOP,
    # nearly all of the network's work) in NumPy's float32 BLAS.  keras_predict / floor bounds
    # any float32 speed-up over model.predict on this machine.
    kernel = model.get_layer("hidden_0").kernel.numpy()
    out["first_layer_matmul_10000_ms"] = 1e3 * median_seconds(lambda: many @ kernel, 15)
    out["speedup_10000_bound"] = out["keras_predict_10000_ms"] / out["first_layer_matmul_10000_ms"]
    out["speedup_1"] = out["keras_predict_1_ms"] / out["predict_proba_1_ms"]
    out["speedup_10000"] = out["keras_predict_10000_ms"] / out["predict_proba_10000_ms"]
    # the NumPy predictor traces nothing; the TensorFlow one traces once per output set
    predictor = clf._predictor
    out["traced_once"] = predictor.backend == "numpy" or predictor.tracing_count() == 1
    return out


def training_speed(X, y, epochs):
    """Per-epoch time of FCNClassifier, plain keras model.fit and MLPClassifier.

    Batch 200, Adam.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from skmnist import FCNClassifier
    from skmnist._tf import keras
    from skmnist.fcn import make_fcn_model

    timer = epoch_timer()
    FCNClassifier(epochs=epochs, random_state=0, callbacks=[timer]).fit(X, y)
    fcn = epoch_summary(timer.seconds)

    keras.utils.set_random_seed(0)
    model = make_fcn_model(X.shape[1], 10, output="softmax")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = epoch_timer()
    model.fit(X, y, batch_size=200, epochs=epochs, verbose=0, callbacks=[timer])
    plain = epoch_summary(timer.seconds)

    mlp = MLPClassifier((400, 20), batch_size=200, solver="adam", max_iter=epochs,
                        n_iter_no_change=epochs + 1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        mlp.fit(X, y)
    mlp_epoch = (time.perf_counter() - start) / mlp.n_iter_

    return {
        "epochs": epochs,
        "fcnclassifier": fcn,
        "keras_model_fit": plain,
        "mlpclassifier_epoch_s": round(mlp_epoch, 3),
        "fcn_vs_mlp_speedup": mlp_epoch / fcn["warm_epoch_median_s"],
        "fcn_vs_keras_speedup": plain["warm_epoch_median_s"] / fcn["warm_epoch_median_s"],
        "fcn_vs_keras_speedup_first_epoch_included": sum(plain["epochs_s"]) / sum(fcn["epochs_s"]),
    }


_RSS_SCRIPT = """
from sklearn.pipeline import make_pipeline
from skmnist import FCNClassifier, PixelScaler, fetch_mnist
X, y = fetch_mnist("train", return_X_y=True)
make_pipeline(PixelScaler(), FCNClassifier(epochs={epochs}, random_state=0)).fit(X, y)
# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the parent through
# fork and exec, so a child of a large benchmark process would report the parent's peak.
print(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")))
"""


def peak_rss_mb(epochs):
    """Peak resident memory of a fresh process that loads full MNIST and fits the pipeline."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT.format(epochs=epochs)],
        capture_output=True, text=True, check=True,
    )
    return int(out.stdout.split()[-1]) / 1024


def accuracy(X, y, X_test, y_test, quick):
    from skmnist import FCNClassifier

    out = {}
    epochs = 2 if quick else None  # None: the estimator's own default
    kw = {} if epochs is None else {"epochs": epochs}
    start = time.perf_counter()
    default = FCNClassifier(random_state=0, **kw).fit(X, y)
    out["default"] = {"test_accuracy": default.score(X_test, y_test), "params": kw,
                      "fit_s": round(time.perf_counter() - start, 1)}
    report("default FCNClassifier test accuracy", f"{out['default']['test_accuracy']:.4f}")

    original = dict(optimizer="sgd", learning_rate=0.01, learning_rate_schedule="constant",
                    batch_size=200,
                    epochs=2 if quick else 25, l2=0.0)
    clf = FCNClassifier(random_state=0, **original).fit(X, y)
    out["original_configuration"] = {"test_accuracy": clf.score(X_test, y_test),
                                     "params": original}
    report("original configuration (SGD 0.01, 25 epochs) accuracy",
           f"{out['original_configuration']['test_accuracy']:.4f}")

    # Regularized, trained longer, and over two widths.  With the classic (400, 20) network
    # alone, the grid l2 {0, 1e-5} x dropout {0.1, 0.2} (50 epochs, cosine schedule) scored
    # 97.98-98.00% in 3-fold CV, indistinguishable, and its refit reached 98.47% on the test
    # set: the 20-unit layer is the limit.  The width is one of the grid's dimensions.
    grid = {"l2": [0.0, 1e-4], "dropout": [0.0]} if quick else {
        "hidden_layer_sizes": [(400, 20), (800, 100)], "dropout": [0.1, 0.2]}
    search_epochs = 2 if quick else 40
    out["grid_search"] = grid_search(
        FCNClassifier(epochs=search_epochs, l2=0.0 if quick else 1e-5, random_state=0),
        grid, X, y, X_test, y_test)
    return out, default


PARTS = ("accuracy", "prediction", "training", "memory")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few epochs, tiny grid")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="comma-separated parts to run: " + ", ".join(PARTS))
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {PARTS}")

    name = result_name("fcn_quick" if args.quick else "fcn", parts, PARTS)
    results = {"machine": machine(), "quick": args.quick}
    X, y, X_test, y_test = load_full_mnist()

    if "accuracy" in parts:
        results["accuracy"], default = accuracy(X, y, X_test, y_test, args.quick)
    elif "prediction" in parts:
        from skmnist import FCNClassifier

        default = FCNClassifier(epochs=1, random_state=0).fit(X, y)  # speed only

    if "prediction" in parts:
        results["prediction"] = pred = prediction_speed(default, X_test)
        report("keras model.predict, 1 sample (ms)", f"{pred['keras_predict_1_ms']:.2f}")
        report("FCNClassifier.predict_proba, 1 sample (ms)", f"{pred['predict_proba_1_ms']:.3f}")
        report("speed-up, 1 sample (target >= 50x)", f"{pred['speedup_1']:.0f}x")
        report("keras model.predict, 10,000 samples (ms)",
               f"{pred['keras_predict_10000_ms']:.1f}")
        report("FCNClassifier.predict_proba, 10,000 samples (ms)",
               f"{pred['predict_proba_10000_ms']:.1f}")
        report("speed-up, 10,000 samples (target >= 5x)", f"{pred['speedup_10000']:.1f}x")
        report("first layer's matrix product alone, 10,000 samples (ms)",
               f"{pred['first_layer_matmul_10000_ms']:.1f}")
        report("speed-up of that product alone over model.predict (the bound)",
               f"{pred['speedup_10000_bound']:.1f}x")

    if "training" in parts:
        results["training"] = tr = training_speed(X, y, epochs=3 if args.quick else 8)
        report("FCNClassifier epochs (s)", tr["fcnclassifier"]["epochs_s"])
        report("keras model.fit epochs (s)", tr["keras_model_fit"]["epochs_s"])
        report("MLPClassifier epoch (s)", tr["mlpclassifier_epoch_s"])
        report("FCN vs MLPClassifier, warm epoch (target >= 1.3x)",
               f"{tr['fcn_vs_mlp_speedup']:.2f}x")
        report("FCN vs keras model.fit, warm epoch (target >= 1.0x)",
               f"{tr['fcn_vs_keras_speedup']:.2f}x")
        report("FCN vs keras model.fit, all epochs incl. first",
               f"{tr['fcn_vs_keras_speedup_first_epoch_included']:.2f}x")

    if "memory" in parts:
        results["peak_rss_mb"] = peak_rss_mb(epochs=2 if args.quick else 20)
        report("peak RSS of a full-MNIST pipeline fit (MB, target <= 1536)",
               f"{results['peak_rss_mb']:.0f}")
    save(name, results)


if __name__ == "__main__":
    main()
