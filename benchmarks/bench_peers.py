"""skmnist beside its peers: one table, one run, the same network trained every way.

The classic MNIST network (784-400-20-10, ReLU, softmax; Adam at learning rate 1e-3, batch
200, the same number of epochs) trained by six contenders:

``FCNClassifier``
    skmnist, ``learning_rate_schedule="constant"`` (its default cosine decay would give it an
    advantage the others lack); its other defaults as shipped (no dropout, no L2,
    ``steps_per_execution=32``, XLA on from 10,000 training samples): they are how it trains.
``MDNClassifier``
    skmnist, the same trunk under a mixture density head (10 components), constant rate.
``Keras model.fit``
    the same network (``make_fcn_model``'s layers and initializers, written in plain Keras:
    ``build_network`` below), compiled and fitted directly (``model.fit``,
    ``model.predict``), Keras's defaults otherwise (on a CPU: no XLA, one step per call).
``keras SKLearnClassifier``
    ``keras.wrappers.SKLearnClassifier`` around a function that builds and compiles it
    (one-hot targets, categorical cross-entropy, as that wrapper requires).
``scikeras KerasClassifier``
    ``scikeras.wrappers.KerasClassifier(model=build_scikeras_model, ...)``.
``MLPClassifier``
    ``sklearn.neural_network.MLPClassifier((400, 20))``, ``solver="adam"``, batch 200,
    ``max_iter`` = the epochs, early stopping off (it stops on no improvement only after
    ``n_iter_no_change`` epochs, set above the epochs); measured twice, with the BLAS threads
    it gets by default and with one (``CONTENDER_ENV``).

Every input is float32 pixels in [0, 1] (``PixelScaler``'s output).  Measured per
contender, each fit in its own fresh interpreter (so that its peak memory is its own):

* warm fit time per epoch: Keras callbacks time every epoch; the median of epochs 2..N
  (epoch 1 includes tracing / compilation).  ``MLPClassifier`` has no callbacks and no
  tracing: ``(fit(N epochs) - fit(1 epoch)) / (N - 1)``.  The whole ``fit`` call's wall time
  is recorded too;
* ``predict_proba`` latency at 1 and 10,000 rows (median of repeats; the library's own call:
  ``predict_proba``, ``model.predict`` for raw Keras, ``decision_function`` for
  ``SKLearnClassifier``, which has no ``predict_proba`` and whose ``decision_function`` is
  the network's softmax output);
* peak resident memory of the fitting process (``VmHWM``: data, framework and fit);
* accuracy on the test set;
* a fresh interpreter loading the saved model (``joblib`` for the estimators, ``.keras`` for
  raw Keras) and predicting one image: wall time including interpreter start and imports,
  and that process's peak memory;
* scikit-learn's ``check_estimator(est, on_fail=None)`` on a small network (8 hidden
  units, learning rate 1e-2, batch 16, 6 epochs, the MDN 20 as in skmnist's tests: the
  checks fit many times on tiny data), run in the fitting process after the measures above:
  the failing checks by name (``MLPClassifier`` also as scikit-learn's own tests set it).

Peak memory is read from ``/proc/self/status`` (``VmHWM``), not ``getrusage``'s
``ru_maxrss``: Linux carries ``ru_maxrss`` over from the parent through fork and exec, so a
child would report its parent's peak if that were larger (both are recorded).

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_peers.py [--epochs 5]
    python benchmarks/bench_peers.py --quick

Full mode: full MNIST (60,000 / 10,000), read from the data home, never downloaded.
``--quick`` (for CI, offline): the embedded sample (5,000 / 1,000; the 10,000-row latency
runs on the test images repeated), 2 epochs, few repeats, and ``check_estimator``
restricted to a subset of its checks (named in the output).  Prints the table as markdown
and saves ``benchmarks/results/peers.json`` (``peers_quick.json`` with ``--quick``;
``--only fcn,mlp`` reruns some contenders into ``peers_only_fcn_mlp.json``, never over the
whole table).
The scaling of a search over Dask workers is measured by ``bench_dask_search.py``.
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

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from _common import epoch_timer, machine, report, result_name, save  # noqa: E402

CONTENDERS = {
    "fcn": "FCNClassifier",
    "mdn": "MDNClassifier",
    "keras": "Keras model.fit",
    "keras_sklearn": "keras SKLearnClassifier",
    "scikeras": "scikeras KerasClassifier",
    "mlp": "MLPClassifier",
    "mlp_1thread": "MLPClassifier, 1 BLAS thread",
}
# Environment of a contender's processes beyond the inherited one.  OpenBLAS's threads wait
# for work by spinning: on a machine whose cores other processes also use, MLPClassifier's
# small per-batch matrix products with 2 threads can run several times slower than with 1,
# so it is measured both ways (the variant is the same estimator; its checks are not rerun).
CONTENDER_ENV = {"mlp_1thread": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}}
KERAS_BASED = ("fcn", "mdn", "keras", "keras_sklearn", "scikeras")

# Quick mode runs these checks only (every contender, the same ones): the API contract
# (parameters, cloning, fitted state, input validation, pickling); full mode runs them all.
QUICK_CHECKS = (
    "check_estimator_tags_renamed",
    "check_mixin_order",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimators_unfitted",
    "check_dont_overwrite_parameters",
    "check_estimators_dtypes",
    "check_fit2d_1sample",
    "check_classifiers_one_label",
    "check_estimators_nan_inf",
    "check_n_features_in_after_fitting",
    "check_estimators_pickle",
    "check_estimator_sparse_tag",
)


# ------------------------------------------------------------------------------ contenders
def build_network(n_features, n_classes, hidden_layer_sizes=(400, 20), seed=0):
    """The peers' network, in plain Keras: ``make_fcn_model``'s layers and initializers.

    Built with ``import keras`` (not through skmnist, whose import of TensorFlow also loads
    TensorFlow Probability and sizes the thread pools), as a user of the peers would.
    """
    import keras

    x = inputs = keras.Input(shape=(n_features,), dtype="float32")
    for units in hidden_layer_sizes:
        x = keras.layers.Dense(units, activation="relu",
                               kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax",
                                 kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
    return keras.Model(inputs, outputs)


def build_keras_sklearn_model(X, y, hidden_layer_sizes=(400, 20), learning_rate=1e-3, seed=0):
    """The network compiled for ``keras.wrappers.SKLearnClassifier`` (one-hot ``y``).

    Module level, so that a pickled ``SKLearnClassifier`` refers to it by name: loading
    one needs this module importable, as it would need the user's own.
    """
    import keras

    model = build_network(X.shape[1], y.shape[1], hidden_layer_sizes, seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="categorical_crossentropy")
    return model


def build_scikeras_model(meta, hidden_layer_sizes=(400, 20), seed=0):
    """The network for scikeras (which compiles it from its own parameters)."""
    return build_network(meta["n_features_in_"], meta["n_classes_"], hidden_layer_sizes, seed)


def make_contender(name, epochs, callbacks=(), small=False):
    """The contender ``name``: the benchmark network, or with ``small`` the checks' one."""
    hidden = (8,) if small else (400, 20)
    rate = 1e-2 if small else 1e-3
    batch = 16 if small else 200
    seed = 0
    callbacks = list(callbacks) or None
    if name == "fcn":
        from skmnist import FCNClassifier

        return FCNClassifier(hidden, learning_rate=rate, learning_rate_schedule="constant",
                             batch_size=batch, epochs=epochs, callbacks=callbacks,
                             random_state=seed)
    if name == "mdn":
        from skmnist import MDNClassifier

        # the checks' MDN is the test suite's (3 components, a floor on the spread)
        extra = {"n_components": 3, "sigma_floor": 0.5} if small else {}
        return MDNClassifier(hidden, learning_rate=rate, learning_rate_schedule="constant",
                             batch_size=batch, epochs=epochs, callbacks=callbacks,
                             random_state=seed, **extra)
    if name == "keras":
        import keras

        keras.utils.set_random_seed(seed)
        model = build_network(784, 10, hidden, seed)
        model.compile(optimizer=keras.optimizers.Adam(rate),
                      loss="sparse_categorical_crossentropy")
        return model
    if name == "keras_sklearn":
        import keras

        keras.utils.set_random_seed(seed)
        fit_kwargs = {"epochs": epochs, "batch_size": batch, "verbose": 0}
        if callbacks:
            fit_kwargs["callbacks"] = callbacks
        return keras.wrappers.SKLearnClassifier(
            model=build_keras_sklearn_model,
            model_kwargs={"hidden_layer_sizes": hidden, "learning_rate": rate, "seed": seed},
            fit_kwargs=fit_kwargs,
        )
    if name == "scikeras":
        from scikeras.wrappers import KerasClassifier

        return KerasClassifier(
            model=build_scikeras_model, model__hidden_layer_sizes=hidden, model__seed=seed,
            loss="sparse_categorical_crossentropy", optimizer="adam",
            optimizer__learning_rate=rate, batch_size=batch, epochs=epochs,
            callbacks=callbacks, verbose=0, random_state=seed,
        )
    if name in ("mlp", "mlp_1thread"):
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(hidden, solver="adam", learning_rate_init=rate, batch_size=batch,
                             max_iter=epochs, early_stopping=False,
                             n_iter_no_change=epochs + 1, random_state=seed)
    raise ValueError(f"unknown contender {name!r}")


def proba_function(name, est):
    """The library's own call returning class probabilities."""
    if name == "keras":
        return lambda X: est.predict(X, verbose=0)
    if name == "keras_sklearn":
        return est.decision_function  # it has no predict_proba; this is the softmax
    return est.predict_proba


# ------------------------------------------------------------------------------ measuring
def load_data(quick, data_home=None):
    """Training and test pixels as float32 in [0, 1] (``PixelScaler``), labels as int."""
    from skmnist import PixelScaler, fetch_mnist, load_mnist_sample

    if quick:
        train, test = load_mnist_sample("train"), load_mnist_sample("test")
    else:
        train = fetch_mnist("train", data_home=data_home, download_if_missing=False)
        test = fetch_mnist("test", data_home=data_home, download_if_missing=False)
    scaler = PixelScaler().fit(train.data)
    return (scaler.transform(train.data), np.asarray(train.target, dtype=np.int64),
            scaler.transform(test.data), np.asarray(test.target, dtype=np.int64))


def peak_memory_mb():
    """This process's peak resident memory: ``VmHWM``, and ``ru_maxrss`` for reference."""
    import resource

    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    return hwm / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_ms(fn, X, repeats, budget_s):
    """Median wall time (ms) of ``fn(X)`` after one warm-up call: ``repeats`` calls, or
    fewer (at least 3) once ``budget_s`` seconds are spent."""
    fn(X)
    times, stop = [], time.perf_counter() + budget_s
    while len(times) < repeats and (len(times) < 3 or time.perf_counter() < stop):
        start = time.perf_counter()
        fn(X)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times)), len(times)


def _quiet_keras(name):
    """Import Keras (through skmnist for its own estimators, which sizes TensorFlow's thread
    pools at import; plainly for the peers) and send its progress bars to logging instead of
    stdout, which carries the child's results (``SKLearnClassifier.predict`` has no
    ``verbose``: its bars are part of its cost, not of the output)."""
    if name in ("fcn", "mdn"):
        from skmnist._tf import keras
    else:
        import keras

    keras.config.disable_interactive_logging()
    return keras


def child_fit(name, epochs, quick, data_home, workdir):
    """Fit one contender in this (fresh) process; measure it; save it for the cold start."""
    if name in KERAS_BASED:
        keras = _quiet_keras(name)
    X, y, X_test, y_test = load_data(quick, data_home)
    rss_loaded, _ = peak_memory_mb()
    out = {"n_train": len(X), "n_test": len(X_test), "epochs": epochs}
    if name in ("mlp", "mlp_1thread"):
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            make_contender(name, 1).fit(X, y)
            one_epoch = time.perf_counter() - start
            est = make_contender(name, epochs)
            start = time.perf_counter()
            est.fit(X, y)
            fit_s = time.perf_counter() - start
        out["epochs_run"] = int(est.n_iter_)
        out["one_epoch_fit_s"] = round(one_epoch, 3)
        out["warm_epoch_s"] = (fit_s - one_epoch) / max(1, est.n_iter_ - 1)
        out["timing"] = "(fit(N epochs) - fit(1 epoch)) / (N - 1)"
    else:
        timer = epoch_timer(keras)
        est = make_contender(name, epochs, callbacks=[timer])
        start = time.perf_counter()
        if name == "keras":
            est.fit(X, y, batch_size=200, epochs=epochs, verbose=0, callbacks=[timer])
        else:
            est.fit(X, y)
        fit_s = time.perf_counter() - start
        out["epochs_run"] = len(timer.seconds)
        out["epochs_s"] = timer.seconds
        out["first_epoch_s"] = timer.seconds[0]
        out["warm_epoch_s"] = float(np.median(timer.seconds[1:]))
        out["timing"] = "median of epochs 2..N, Keras callback"
        if name in ("fcn", "mdn"):
            est.set_params(callbacks=None)  # the timer is no part of the saved model
        elif name == "keras_sklearn":
            est.fit_kwargs.pop("callbacks")
        elif name == "scikeras":
            # scikeras keeps the instantiated callbacks beside the parameter
            est.set_params(callbacks=None)
            est._fit_callbacks = est._predict_callbacks = []
    out["fit_s"] = fit_s
    out["peak_rss_mb"], out["ru_maxrss_mb"] = peak_memory_mb()
    out["rss_before_fit_mb"] = rss_loaded

    proba = proba_function(name, est)
    P = proba(X_test)
    out["test_accuracy"] = float(np.mean(np.argmax(P, axis=1) == y_test))
    rows = np.resize(X_test, (10000, X_test.shape[1]))  # the sample's 1,000 images repeated
    out["predict_1_ms"], out["predict_1_repeats"] = median_ms(
        proba, rows[:1], 30 if quick else 200, 3 if quick else 15)
    out["predict_10000_ms"], out["predict_10000_repeats"] = median_ms(
        proba, rows, 3 if quick else 9, 3 if quick else 30)

    if name == "keras":
        path = os.path.join(workdir, f"{name}.keras")
        est.save(path)
    else:
        import joblib

        path = os.path.join(workdir, f"{name}.joblib")
        joblib.dump(est, path)
    out["saved"], out["file_mb"] = path, os.path.getsize(path) / 2**20
    return out


COLD_START = textwrap.dedent(
    """
    import time
    start = time.perf_counter()
    import json, resource, sys
    import numpy as np
    kind, path, x_path, here = sys.argv[1:]
    if kind == "keras":
        import keras
        model = keras.saving.load_model(path)
        label = model.predict(np.load(x_path), verbose=0).argmax(axis=1)
    else:
        sys.path.insert(0, here)  # where build_keras_sklearn_model lives, as a user's module
        import joblib
        label = joblib.load(path).predict(np.load(x_path))
    seconds = time.perf_counter() - start
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    print(json.dumps({
        "load_and_predict_s": seconds,
        "peak_rss_mb": hwm / 1024,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tensorflow_imported": "tensorflow" in sys.modules,
        "label": int(label[0]),
    }))
    """
)


def cold_start(name, path, x_path, repeats):
    """A fresh interpreter loads the saved model and predicts one image (median of runs)."""
    env = {**os.environ, **CONTENDER_ENV.get(name, {})}
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", COLD_START, "keras" if name == "keras" else "joblib",
             path, x_path, HERE],
            capture_output=True, text=True, check=True, env=env,
        )
        run = json.loads(done.stdout.strip().splitlines()[-1])
        run["wall_s"] = time.perf_counter() - start
        runs.append(run)
    return {
        "wall_s": float(np.median([r["wall_s"] for r in runs])),
        "load_and_predict_s": float(np.median([r["load_and_predict_s"] for r in runs])),
        "peak_rss_mb": float(np.median([r["peak_rss_mb"] for r in runs])),
        "ru_maxrss_mb": float(np.median([r["ru_maxrss_mb"] for r in runs])),
        "tensorflow_imported": runs[0]["tensorflow_imported"],
        "runs": len(runs),
    }


def _first_line(exception):
    lines = str(exception).strip().splitlines()
    return f"{type(exception).__name__}: {lines[0][:200] if lines else ''}"


def run_checks(est, quick):
    """``check_estimator(est, on_fail=None)`` (quick: only ``QUICK_CHECKS``), summarized."""
    from sklearn.utils.estimator_checks import (
        _check_name,
        check_estimator,
        estimator_checks_generator,
    )

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if quick:  # check_estimator's loop, over the subset
            results = []
            for estimator, check in estimator_checks_generator(est, mark=None):
                check_name = _check_name(check)
                if check_name not in QUICK_CHECKS:
                    continue
                try:
                    check(estimator)
                    status, error = "passed", None
                except Exception as exc:  # noqa: BLE001 - a failing check, recorded
                    status, error = "failed", exc
                results.append({"check_name": check_name, "status": status,
                                "exception": error})
        else:
            results = check_estimator(est, on_fail=None, on_skip=None)
    failed = [r for r in results if r["status"] == "failed"]
    return {
        "estimator": repr(est),
        "subset": list(QUICK_CHECKS) if quick else "all",
        "n_checks": len(results),
        "n_failed": len(failed),
        # a check can run more than once (e.g. on read-only memory-mapped data too)
        "failed_checks": sorted({r["check_name"] for r in failed}),
        "failed": [[r["check_name"], _first_line(r["exception"])] for r in failed],
        "skipped": {r["check_name"]: _first_line(r["exception"])
                    for r in results if r["status"] == "skipped"},
        "seconds": round(time.perf_counter() - start, 1),
    }


def child_checks(name, quick):
    """``check_estimator`` on the contender's small network; the failing checks by name."""
    if name in KERAS_BASED:
        _quiet_keras(name)
    out = run_checks(make_contender(name, epochs=20 if name == "mdn" else 6, small=True),
                     quick)
    if name == "mlp" and not quick:
        # also as scikit-learn's own test suite configures it (defaults, max_iter=100)
        from sklearn.neural_network import MLPClassifier

        out["at_sklearn_test_settings"] = run_checks(MLPClassifier(max_iter=100), quick)
    return out


# ------------------------------------------------------------------------------ the run
def run_child(args, name, workdir, checks):
    """``child_fit`` (and ``child_checks`` with ``checks``) in a fresh interpreter."""
    extra = ("fit", name, workdir, *(["checks"] if checks else []))
    code = f"import sys; sys.path.insert(0, {HERE!r}); import bench_peers; bench_peers.main()"
    cmd = [sys.executable, "-c", code, "--child", *extra]
    if args.quick:
        cmd.append("--quick")
    if args.data_home:
        cmd += ["--data-home", args.data_home]
    env = {**os.environ, **CONTENDER_ENV.get(name, {})}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(extra)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def markdown_table(results):
    """The side-by-side table, in markdown (for docs/user_guide/performance.md)."""
    n = results["predict_rows"]
    head = (f"| {results['epochs']} epochs, batch 200 | warm epoch (s) | whole fit (s) "
            f"| predict_proba, 1 row (ms) | predict_proba, {n:,} rows (ms) "
            "| fit: peak memory, MB (before the fit) | test accuracy "
            "| fresh process: load + 1st prediction (s) "
            "| fresh process: peak memory (MB) | check_estimator: failed / run |")
    lines = [head, "|" + "---|" * 10]
    for r in results["contenders"].values():
        label = r["label"]
        f, c, k = r["fit"], r["cold_start"], r["check_estimator"]
        failures = ("n/a" if k is None else k["same_as"] if "same_as" in k
                    else f"{k['n_failed']} of {k['n_checks']}")
        lines.append(
            f"| {label} | {f['warm_epoch_s']:.2f} | {f['fit_s']:.1f} "
            f"| {f['predict_1_ms']:.2f} | {f['predict_10000_ms']:.0f} "
            f"| {f['peak_rss_mb']:.0f} ({f['rss_before_fit_mb']:.0f}) "
            f"| {100 * f['test_accuracy']:.2f}% "
            f"| {c['wall_s']:.1f} | {c['peak_rss_mb']:.0f} | {failures} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="embedded sample, 2 epochs, few repeats, a subset of the checks")
    parser.add_argument("--epochs", type=int, default=None, help="default: 5 (quick: 2)")
    parser.add_argument("--data-home", default=None,
                        help="MNIST files (default: SKMNIST_DATA or ~/skmnist_data)")
    parser.add_argument("--only", default=",".join(CONTENDERS),
                        help="comma-separated contenders (default: all): " + ",".join(CONTENDERS))
    parser.add_argument("--skip-checks", action="store_true", help="no check_estimator")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 5)
    if epochs < 2:
        parser.error("--epochs must be at least 2 (epoch 1 includes tracing)")

    if args.child:
        _, name, *rest = args.child
        out = child_fit(name, epochs, args.quick, args.data_home, rest[0])
        if "checks" in rest:
            # after every measure of the fit, in the same process: one TensorFlow start-up
            out["check_estimator"] = child_checks(name, args.quick)
        print(json.dumps(out, default=float))
        return

    names = args.only.split(",")
    unknown = set(names) - set(CONTENDERS)
    if unknown:
        parser.error(f"unknown contenders {sorted(unknown)}")
    started = time.perf_counter()
    results = {
        "machine": machine(),
        "quick": args.quick,
        "epochs": epochs,
        "predict_rows": 10000,
        "note": ("One run on a shared machine (other processes compete for the cores): "
                 "compare the contenders within this file only."),
        "contenders": {},
    }
    print(f"{epochs} epochs each, {'embedded sample' if args.quick else 'full MNIST'}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        X_test = load_data(args.quick, args.data_home)[2]
        x_path = os.path.join(tmp, "one_image.npy")
        np.save(x_path, X_test[:1])
        for name in names:
            label = CONTENDERS[name]
            run_checks_too = name not in ("keras", "mlp_1thread") and not args.skip_checks
            load_before = os.getloadavg()[0]
            fit = run_child(args, name, tmp, run_checks_too)
            # the machine's 1-minute load average around the fit: how busy the cores were
            fit["load_average_before_after"] = [load_before, os.getloadavg()[0]]
            checks = fit.pop("check_estimator", None)
            cold = cold_start(name, fit.pop("saved"), x_path, repeats=1 if args.quick else 3)
            report(f"{label}: warm epoch (s) / whole fit (s)",
                   f"{fit['warm_epoch_s']:.2f} / {fit['fit_s']:.1f}")
            report(f"{label}: predict_proba 1 / 10,000 rows (ms)",
                   f"{fit['predict_1_ms']:.2f} / {fit['predict_10000_ms']:.0f}")
            report(f"{label}: fit peak MB / test accuracy",
                   f"{fit['peak_rss_mb']:.0f} / {fit['test_accuracy']:.4f}")
            report(f"{label}: fresh load + predict (s) / peak MB",
                   f"{cold['wall_s']:.2f} / {cold['peak_rss_mb']:.0f}")
            if name == "mlp_1thread" and not args.skip_checks:
                checks = {"same_as": "as MLPClassifier"}
            if run_checks_too:
                report(f"{label}: check_estimator failures ({checks['seconds']:.0f} s)",
                       f"{checks['n_failed']} of {checks['n_checks']}: "
                       f"{', '.join(checks['failed_checks']) or '-'}")
            results["contenders"][name] = {"label": label, "fit": fit, "cold_start": cold,
                                           "check_estimator": checks}
    results["check_estimator_scope"] = (
        "not run" if args.skip_checks else
        f"quick subset: {', '.join(QUICK_CHECKS)}" if args.quick else
        "all checks (check_estimator(est, on_fail=None))")
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["markdown"] = table = markdown_table(results)
    print("\n" + table)
    print(f"\ncheck_estimator: {results['check_estimator_scope']}")
    print(f"Total {results['seconds']:.0f} s")
    # a partial rerun never replaces the whole table
    save(result_name("peers_quick" if args.quick else "peers", names, CONTENDERS), results)


if __name__ == "__main__":
    # Run as the module ``bench_peers`` (not ``__main__``), so that pickles refer to its
    # functions by a name a fresh interpreter can import.
    import bench_peers

    bench_peers.main()
