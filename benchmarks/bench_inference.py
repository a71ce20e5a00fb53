"""Prediction speed and cold starts: the NumPy inference path beside MLPClassifier and Keras.

On the full-MNIST test images, in one run: ``predict_proba`` of FCNClassifier (the user's own
float32 / float64 arrays, uint8 pixels through ``PixelScaler``, and ``PixelScaler`` output)
and of MDNClassifier, against ``MLPClassifier.predict_proba`` of the same layer sizes, the
TensorFlow prediction runner of skmnist 0.1, Keras ``model.predict`` and the compute bound
(the first layer's matrix product alone); then the first prediction of a saved model in a
fresh interpreter (``joblib.load`` + ``predict`` of one image: wall time and peak memory).
Prints every figure and saves them to ``benchmarks/results/inference.json``.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_inference.py [--quick]

Prediction cost does not depend on how long a network trained, so the networks train one
epoch (``MLPClassifier`` one iteration).  ``--quick`` uses the embedded sample and fewer
repeats (a smoke test of the script).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, report, save  # noqa: E402


def median_ms(fn, repeats):
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def load(quick):
    from skmnist import fetch_mnist, load_mnist_sample

    if quick:
        train, test = load_mnist_sample("train"), load_mnist_sample("test")
    else:
        train, test = fetch_mnist("train"), fetch_mnist("test")
    return train.data, train.target, test.data, test.target


def fit_models(X, y):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline

    from skmnist import FCNClassifier, MDNClassifier, PixelScaler

    models = {
        "fcn": make_pipeline(PixelScaler(), FCNClassifier(epochs=1, random_state=0)),
        "mdn": make_pipeline(PixelScaler(), MDNClassifier(epochs=1, random_state=0)),
        "mlp": make_pipeline(PixelScaler(), MLPClassifier((400, 20), max_iter=1,
                                                          random_state=0)),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for model in models.values():
            model.fit(X, y)
    return models


def prediction(models, X_test, repeats):
    """Median ``predict_proba`` times (ms) at 1 and 10,000 rows, every variant in one run."""
    scaler = models["fcn"][0]
    fcn, mdn, mlp = models["fcn"][-1], models["mdn"][-1], models["mlp"][-1]
    images = X_test[:10000]
    inputs = {
        "float32": np.ascontiguousarray(images, dtype=np.float32) / np.float32(255),
        "float64": images / 255.0,
        "pixelscaler": scaler.transform(images),
    }
    runner = _tensorflow_runner(fcn)
    weights = fcn.model_.get_layer("hidden_0").get_weights()[0]
    keras_model = fcn.model_
    variants = {
        "fcn_float32": lambda X: fcn.predict_proba(X["float32"]),
        "fcn_float64": lambda X: fcn.predict_proba(X["float64"]),
        "fcn_uint8_pipeline": lambda X: models["fcn"].predict_proba(X["uint8"]),
        "fcn_pixelscaler": lambda X: fcn.predict_proba(X["pixelscaler"]),
        "mdn_pixelscaler": lambda X: mdn.predict_proba(X["pixelscaler"]),
        "mlp_float32": lambda X: mlp.predict_proba(X["float32"]),
        "mlp_float64": lambda X: mlp.predict_proba(X["float64"]),
        "mlp_uint8_pipeline": lambda X: models["mlp"].predict_proba(X["uint8"]),
        "mlp_pixelscaler": lambda X: mlp.predict_proba(X["pixelscaler"]),
        "tensorflow_runner_0.1": lambda X: np.exp(runner.run("log_proba", X["pixelscaler"])),
        "keras_model_predict": lambda X: keras_model.predict(X["pixelscaler"], verbose=0),
        "first_layer_product": lambda X: X["pixelscaler"] @ weights,
    }
    out = {}
    for rows in (1, len(images)):
        batch = {k: v[:rows] for k, v in inputs.items()}
        batch["uint8"] = images[:rows]
        for name, fn in variants.items():
            reps = repeats if rows > 1 else 50 * repeats
            if name == "keras_model_predict":
                reps = max(3, reps // 20)
            out[f"{name}_{rows}_ms"] = median_ms(lambda fn=fn, batch=batch: fn(batch), reps)
    return out


def _tensorflow_runner(est):
    """skmnist 0.1's prediction path (compiled TensorFlow functions), for comparison."""
    from skmnist._prediction import PredictionRunner

    n_classes = len(est.classes_)
    return PredictionRunner(est.model_, est.n_features_in_,
                            lambda outputs: est.head_log_proba(outputs, n_classes))


COLD_START = textwrap.dedent(
    """
    import time
    start = time.perf_counter()
    import json, sys
    import joblib
    import numpy as np
    model = joblib.load(sys.argv[1])
    X = np.load(sys.argv[2])
    model.predict(X[:1])
    seconds = time.perf_counter() - start
    # VmHWM: this process's peak resident memory (ru_maxrss would include the parent's, as
    # Linux keeps it across the fork + exec that started this interpreter)
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    print(json.dumps({
        "load_and_predict_s": seconds,
        "peak_rss_mb": hwm / 1024,
        "tensorflow_imported": "tensorflow" in sys.modules,
    }))
    """
)


def cold_start(models, X_test, repeats):
    """Fresh interpreter: joblib.load + predict of one image (wall time incl. start-up)."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        import joblib

        x_path = os.path.join(tmp, "X.npy")
        np.save(x_path, X_test[:1])
        for name, model in models.items():
            path = os.path.join(tmp, f"{name}.joblib")
            joblib.dump(model, path)
            runs = []
            for _ in range(repeats):
                start = time.perf_counter()
                done = subprocess.run([sys.executable, "-c", COLD_START, path, x_path],
                                      capture_output=True, text=True, check=True)
                run = json.loads(done.stdout)
                run["wall_s"] = time.perf_counter() - start
                runs.append(run)
            out[name] = {
                "wall_s": float(np.median([r["wall_s"] for r in runs])),
                "peak_rss_mb": float(np.median([r["peak_rss_mb"] for r in runs])),
                "tensorflow_imported": runs[0]["tensorflow_imported"],
                "file_mb": os.path.getsize(path) / 2**20,
            }
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="embedded sample, few repeats")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 15

    X, y, X_test, y_test = load(args.quick)
    models = fit_models(X, y)
    results = {"machine": machine(), "quick": args.quick, "test_rows": min(len(X_test), 10000)}
    results["predict_proba_ms"] = pred = prediction(models, X_test, repeats)
    rows = results["test_rows"]
    for name in ("fcn_float32", "fcn_float64", "fcn_uint8_pipeline", "fcn_pixelscaler",
                 "mdn_pixelscaler", "mlp_float32", "mlp_float64", "mlp_uint8_pipeline",
                 "mlp_pixelscaler", "tensorflow_runner_0.1", "keras_model_predict",
                 "first_layer_product"):
        report(f"{name}: 1 row / {rows:,} rows (ms)",
               f"{pred[f'{name}_1_ms']:.3f} / {pred[f'{name}_{rows}_ms']:.1f}")
    # the same input handed to both (MLPClassifier keeps float64 input in float64)
    ratios = {
        f"fcn_{kind}_vs_mlp_{n}": pred[f"mlp_{kind}_{n}_ms"] / pred[f"fcn_{kind}_{n}_ms"]
        for kind in ("float32", "float64", "uint8_pipeline", "pixelscaler") for n in (1, rows)
    }
    ratios.update({
        f"mdn_over_fcn_{n}": pred[f"mdn_pixelscaler_{n}_ms"] / pred[f"fcn_pixelscaler_{n}_ms"]
        for n in (1, rows)
    })
    results["ratios"] = ratios
    for key, value in ratios.items():
        target = "(target <= 1.5)" if key.startswith("mdn") else "(MLP time / ours, target >= 1)"
        report(f"{key} {target}", f"{value:.2f}")

    results["cold_start"] = cold = cold_start(models, X_test, repeats=2 if args.quick else 5)
    for name, c in cold.items():
        report(f"{name}: fresh load + first predict (s, target <= 2) / peak MB (<= 300)",
               f"{c['wall_s']:.2f} / {c['peak_rss_mb']:.0f}  (TensorFlow imported: "
               f"{c['tensorflow_imported']})")
    save("inference_quick" if args.quick else "inference", results)


if __name__ == "__main__":
    main()
