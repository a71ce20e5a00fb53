"""The convolutional trunk on full MNIST beside the dense one: accuracy, epoch time, memory.

Reads the official files from the data home (``SKMNIST_DATA``); prints every figure and
saves them to ``benchmarks/results/conv.json``.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_conv.py [--quick]

Each configuration is fitted in a fresh process of its own (a ``PixelScaler`` +
classifier pipeline on the raw uint8 images, as a user runs it), so its peak resident
memory (``VmHWM``) is its own. Targets: a convolutional FCN >= 99.3% and a convolutional
MDN >= 99.2% test accuracy in at most 15 epochs.
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, report, result_name, save  # noqa: E402

CONV_FILTERS = (32, 64)
EPOCHS = 15

CONFIGS = {
    "fcn_dense": ("FCNClassifier", {}),
    "fcn_conv": ("FCNClassifier", {"conv_filters": CONV_FILTERS}),
    "fcn_conv_dropout": ("FCNClassifier", {"conv_filters": CONV_FILTERS, "dropout": 0.25}),
    "mdn_dense": ("MDNClassifier", {}),
    "mdn_conv": ("MDNClassifier", {"conv_filters": CONV_FILTERS}),
    "mdn_conv_dropout": ("MDNClassifier", {"conv_filters": CONV_FILTERS, "dropout": 0.25}),
}

_CHILD = """
import json, sys, time
sys.path.insert(0, {bench_dir!r})
from _common import epoch_summary, epoch_timer
from sklearn.pipeline import make_pipeline
import skmnist
from skmnist import PixelScaler, fetch_mnist

n_train = {n_train}
X, y = fetch_mnist("train", return_X_y=True)
X_test, y_test = fetch_mnist("test", return_X_y=True)
if n_train:
    X, y = X[:n_train], y[:n_train]
timer = epoch_timer()
clf = getattr(skmnist, {cls!r})(epochs={epochs}, random_state=0, callbacks=[timer], **{params!r})
pipe = make_pipeline(PixelScaler(), clf)
start = time.perf_counter()
pipe.fit(X, y)
fit_s = time.perf_counter() - start
accuracy = float(pipe.score(X_test, y_test))
start = time.perf_counter()
pipe.predict_proba(X_test)
predict_s = time.perf_counter() - start
# VmHWM, not getrusage's ru_maxrss (which a child inherits from its parent through exec).
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({{
    "estimator": {cls!r}, "params": {params!r}, "epochs": {epochs},
    "n_parameters": int(clf.model_.count_params()),
    "jit_compile": bool(clf.model_.jit_compile),
    "test_accuracy": accuracy, "fit_s": round(fit_s, 1),
    "predict_10000_s": round(predict_s, 3), "peak_rss_mb": round(peak / 1024),
    **epoch_summary(timer.seconds),
}}))
"""


def run_config(name, epochs, n_train):
    cls, params = CONFIGS[name]
    code = _CHILD.format(
        bench_dir=os.path.dirname(os.path.abspath(__file__)), cls=cls, params=params,
        epochs=epochs, n_train=n_train,
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{name} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    report(f"{name}: test accuracy ({epochs} epochs)", f"{result['test_accuracy']:.4f}")
    report(f"{name}: first / warm epoch (s)",
           f"{result['first_epoch_s']:.2f} / {result['warm_epoch_median_s']}")
    report(f"{name}: peak RSS (MB) / parameters",
           f"{result['peak_rss_mb']} / {result['n_parameters']:,}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="2 epochs on 10,000 training images (a smoke run)")
    parser.add_argument("--only", nargs="*", choices=sorted(CONFIGS),
                        help="run only these configurations (saved under their own name, "
                        "conv_only_...json; conv.json is one run of every configuration)")
    args = parser.parse_args(argv)
    epochs, n_train = (2, 10_000) if args.quick else (EPOCHS, 0)
    chosen = args.only or list(CONFIGS)
    name = result_name("conv_quick" if args.quick else "conv", chosen, CONFIGS)
    results = {"machine": machine(), "epochs": epochs, "conv_filters": list(CONV_FILTERS)}
    for config in chosen:
        results[config] = run_config(config, epochs, n_train)
    if not args.quick:
        for config, target in (("fcn_conv", 0.993), ("fcn_conv_dropout", 0.993),
                               ("mdn_conv", 0.992), ("mdn_conv_dropout", 0.992)):
            if config in results:
                met = results[config]["test_accuracy"] >= target
                report(f"{config}: target {target:.1%} met", met)
                results[config]["target"], results[config]["target_met"] = target, met
    save(name, results)


if __name__ == "__main__":
    main()
