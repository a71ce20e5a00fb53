"""Prediction speed and cold starts: the NumPy inference path beside MLPClassifier, Keras and
ONNX Runtime.

On the full-MNIST test images, in one run: ``predict_proba`` of FCNClassifier and of
MDNClassifier (the user's own float32 / float64 arrays, uint8 pixels through ``PixelScaler``,
and ``PixelScaler`` output), against ``MLPClassifier.predict_proba`` of the same layer sizes, the
TensorFlow prediction runner of skmnist 0.1, Keras ``model.predict``, the compute bound (the
first layer's matrix product alone) and, where ``onnx`` and ``onnxruntime`` are installed, the
networks exported by ``skmnist.export_onnx`` run by ONNX Runtime (``skmnist.OnnxPredictor``,
default session options, on the ``PixelScaler`` output); then the first prediction of a saved
model in a fresh interpreter (``joblib.load`` + ``predict`` of one image: wall time and peak
memory).
Prints every figure and saves them to ``benchmarks/results/inference.json``.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_inference.py [--quick]
        [--repeats N] [--only fcn_pixelscaler,mdn_pixelscaler,...]

Prediction cost does not depend on how long a network trained, so the networks train one
epoch (``MLPClassifier`` one iteration).  The predictions are timed in a fresh interpreter
that loads the fitted models (as a scoring service does): in the process that trained them,
TensorFlow's XLA-compiled training leaves NumPy code measurably slower for every contender
(10,000 rows of FCNClassifier 20% slower, the MDN's head twice as slow).  Every figure is
the median of ``--repeats`` rounds (50 times as many at 1 row) in which the NumPy
contenders take turns in a random order, so that all of them meet the same load on a shared
machine (the minima are saved too; the TensorFlow and ONNX Runtime contenders, whose threads
spin after each call, are timed apart).  Each network
predicts the same four inputs, so each takes as many turns per round: between two of a
network's turns the others push its weights (1.3 MB) out of the caches, and a network with
fewer turns than the others would be timed colder than they are.
``--quick`` uses the embedded sample and fewer repeats (a smoke test of the script);
``--only`` times the named variants alone (no cold starts; saved under its own name,
``inference_only_<variants>.json``, never over a whole run's file).
``mdn_head_only`` is the mixture head's share: class masses from the network's outputs.
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
from _common import machine, report, result_name, save  # noqa: E402


def median_ms(fn, repeats):
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def interleaved_ms(fns, repeats, seed=0):
    """Median and minimum time (ms) of every function, timed in turns: one call of each per
    round, in a new random order every round.

    On a machine shared with other work, the load changes from one second to the next;
    taking turns exposes every contender to the same load, where timing one after the
    other would compare them under different loads.  The minimum is what a quiet machine
    would give.
    """
    for fn in fns.values():
        fn()  # warm up
    times = {name: [] for name in fns}
    names = list(fns)
    rng = np.random.default_rng(seed)
    for _ in range(repeats):
        for name in rng.permutation(names):
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
    return {name: (1e3 * float(np.median(t)), 1e3 * float(np.min(t)))
            for name, t in times.items()}


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


def prediction(models, X_test, repeats, only=None):
    """Median ``predict_proba`` times (ms) at 1 and 10,000 rows, every variant in one run.

    The variants are timed in turns (see :func:`interleaved_ms`), except Keras
    ``model.predict`` (ten times slower than the rest; timed on its own, fewer repeats).
    ``only``: names of the variants to time (default: all).
    """
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
    n_classes = len(mdn.classes_)
    mdn_head = mdn.make_head()
    variants = {
        "fcn_float32": lambda X: fcn.predict_proba(X["float32"]),
        "fcn_float64": lambda X: fcn.predict_proba(X["float64"]),
        "fcn_uint8_pipeline": lambda X: models["fcn"].predict_proba(X["uint8"]),
        "fcn_pixelscaler": lambda X: fcn.predict_proba(X["pixelscaler"]),
        "mdn_float32": lambda X: mdn.predict_proba(X["float32"]),
        "mdn_float64": lambda X: mdn.predict_proba(X["float64"]),
        "mdn_uint8_pipeline": lambda X: models["mdn"].predict_proba(X["uint8"]),
        "mdn_pixelscaler": lambda X: mdn.predict_proba(X["pixelscaler"]),
        # the mixture head alone: class masses from the network's outputs
        "mdn_head_only": lambda X: mdn_head.log_proba_numpy(X["mdn_outputs"], n_classes),
        "mlp_float32": lambda X: mlp.predict_proba(X["float32"]),
        "mlp_float64": lambda X: mlp.predict_proba(X["float64"]),
        "mlp_uint8_pipeline": lambda X: models["mlp"].predict_proba(X["uint8"]),
        "mlp_pixelscaler": lambda X: mlp.predict_proba(X["pixelscaler"]),
        "first_layer_product": lambda X: X["pixelscaler"] @ weights,
    }
    # TensorFlow's threads spin for a while after each call, competing with NumPy's BLAS
    # threads for the cores: the TensorFlow contenders are timed on their own
    apart = {
        "tensorflow_runner_0.1": lambda X: np.exp(
            runner.run(X["pixelscaler"], ("log_proba",))["log_proba"]),
        "keras_model_predict": lambda X: keras_model.predict(X["pixelscaler"], verbose=0),
    }
    # ONNX Runtime, where installed: the networks exported to ONNX (in a temporary folder,
    # loaded back as a service would).  Its intra-op threads spin for a while after each call
    # (ONNX Runtime's default), like TensorFlow's: timed apart too.
    for name, est in _onnx_predictors(fcn, mdn).items():
        apart[name] = lambda X, est=est: est.predict_proba(X["pixelscaler"])
    if only is not None:
        variants = {k: v for k, v in variants.items() if k in only}
        apart = {k: v for k, v in apart.items() if k in only}
    out, minima = {}, {}
    for rows in (1, len(images)):
        batch = {k: v[:rows] for k, v in inputs.items()}
        batch["uint8"] = images[:rows]
        batch["mdn_outputs"] = mdn._predict(batch["pixelscaler"], ("head",))["head"]
        reps = repeats if rows > 1 else 50 * repeats
        times = interleaved_ms(
            {name: (lambda fn=fn, batch=batch: fn(batch)) for name, fn in variants.items()}, reps
        )
        for name, fn in apart.items():
            n = max(3, reps // 20) if name == "keras_model_predict" else reps
            times[name] = interleaved_ms({name: lambda fn=fn, batch=batch: fn(batch)}, n)[name]
        out.update({f"{name}_{rows}_ms": t[0] for name, t in times.items()})
        minima.update({f"{name}_{rows}_ms": t[1] for name, t in times.items()})
    return out, minima


def _onnx_predictors(fcn, mdn):
    """``{"fcn_onnx": OnnxPredictor, "mdn_onnx": ...}``; empty without onnx / onnxruntime."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return {}
    from skmnist import OnnxPredictor, export_onnx

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, est in (("fcn_onnx", fcn), ("mdn_onnx", mdn)):
            out[name] = OnnxPredictor(export_onnx(est, os.path.join(tmp, f"{name}.onnx")))
    return out


def prediction_in_fresh_process(models, X_test, repeats, only=None):
    """:func:`prediction` run by a new interpreter on the fitted models, loaded from joblib."""
    import joblib

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "models.joblib")
        joblib.dump((models, X_test[:10000], repeats, only), path)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--timing-from", path],
                       check=True)
        with open(path + ".json") as f:
            return json.load(f)


def _tensorflow_runner(est):
    """skmnist 0.1's prediction path (compiled TensorFlow functions), for comparison."""
    from skmnist._prediction import PredictionRunner

    return PredictionRunner(est.model_, est.make_head(), est.n_features_in_,
                            len(est.classes_))


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


KINDS = ("float32", "float64", "uint8_pipeline", "pixelscaler")
NAMES = (*(f"{model}_{kind}" for model in ("fcn", "mdn") for kind in KINDS), "mdn_head_only",
         *(f"mlp_{kind}" for kind in KINDS), "tensorflow_runner_0.1", "keras_model_predict",
         "first_layer_product", "fcn_onnx", "mdn_onnx")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="embedded sample, few repeats")
    parser.add_argument("--repeats", type=int, default=None,
                        help="rounds of the 10,000-row timings (default 31; 1 row: 50x)")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated variants to time (of {', '.join(NAMES)}); "
                             "skips the cold starts and does not save")
    parser.add_argument("--timing-from", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.timing_from:  # the fresh process of prediction_in_fresh_process
        import joblib

        models, X_test, repeats, only = joblib.load(args.timing_from)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            timings = prediction(models, X_test, repeats, only)
        with open(args.timing_from + ".json", "w") as f:
            json.dump(timings, f)
        return timings
    repeats = args.repeats or (3 if args.quick else 31)
    only = None if args.only is None else set(args.only.split(","))
    if only is not None and only - set(NAMES):
        parser.error(f"unknown variants {sorted(only - set(NAMES))}")

    X, y, X_test, y_test = load(args.quick)
    models = fit_models(X, y)
    results = {"machine": machine(), "quick": args.quick, "test_rows": min(len(X_test), 10000),
               "repeats": repeats, "timing": "median of interleaved rounds (see --help), "
                                             "in a fresh process that loads the models"}
    try:  # the ONNX contenders' libraries, where installed
        import onnx
        import onnxruntime

        results["machine"].update(onnx=onnx.__version__, onnxruntime=onnxruntime.__version__)
    except ImportError:
        pass
    pred, minima = prediction_in_fresh_process(models, X_test, repeats, only)
    results["predict_proba_ms"], results["predict_proba_min_ms"] = pred, minima
    rows = results["test_rows"]
    for name in NAMES:
        if f"{name}_1_ms" in pred:
            report(f"{name}: 1 row / {rows:,} rows (ms, median; min)",
                   f"{pred[f'{name}_1_ms']:.3f} / {pred[f'{name}_{rows}_ms']:.1f};  "
                   f"{minima[f'{name}_1_ms']:.3f} / {minima[f'{name}_{rows}_ms']:.1f}")
    # the same input handed to both (MLPClassifier keeps float64 input in float64)
    pairs = {f"fcn_{kind}_vs_mlp_{n}": (f"mlp_{kind}_{n}_ms", f"fcn_{kind}_{n}_ms")
             for kind in KINDS for n in (1, rows)}
    pairs.update({f"mdn_over_fcn_{kind}_{n}": (f"mdn_{kind}_{n}_ms", f"fcn_{kind}_{n}_ms")
                  for kind in KINDS for n in (1, rows)})
    # ONNX Runtime against the NumPy path and MLPClassifier, on the same PixelScaler output
    # (> 1: ONNX Runtime is faster)
    for net in ("fcn", "mdn"):
        pairs.update({f"{net}_onnx_vs_numpy_{n}": (f"{net}_pixelscaler_{n}_ms",
                                                   f"{net}_onnx_{n}_ms") for n in (1, rows)})
        pairs.update({f"{net}_onnx_vs_mlp_{n}": (f"mlp_pixelscaler_{n}_ms", f"{net}_onnx_{n}_ms")
                      for n in (1, rows)})
    ratios = {key: pred[a] / pred[b] for key, (a, b) in pairs.items() if a in pred and b in pred}
    results["ratios"] = ratios
    results["ratios_of_minima"] = {key: minima[a] / minima[b] for key, (a, b) in pairs.items()
                                   if a in pred and b in pred}
    for key, value in ratios.items():
        if "_onnx_vs_" in key:
            target = "(other's time / ONNX Runtime's)"
        elif key.startswith("mdn"):
            target = "(target <= 1.5)"
        else:
            target = "(MLP time / ours, target >= 1)"
        report(f"{key} {target}, median; min",
               f"{value:.2f};  {results['ratios_of_minima'][key]:.2f}")
    if only is not None:
        save(result_name("inference_quick" if args.quick else "inference", sorted(only), NAMES),
             results)
        return results

    results["cold_start"] = cold = cold_start(models, X_test, repeats=2 if args.quick else 5)
    for name, c in cold.items():
        report(f"{name}: fresh load + first predict (s, target <= 2) / peak MB (<= 300)",
               f"{c['wall_s']:.2f} / {c['peak_rss_mb']:.0f}  (TensorFlow imported: "
               f"{c['tensorflow_imported']})")
    save("inference_quick" if args.quick else "inference", results)
    return results


if __name__ == "__main__":
    main()
