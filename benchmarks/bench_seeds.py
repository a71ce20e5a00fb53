"""Seed spread of the default FCNClassifier and MDNClassifier on full MNIST.

A single seeded fit says little when two figures differ by a tenth of a point: this fits both
defaults for several ``random_state`` values, side by side, and reports test accuracy and warm
epoch time (and the MDN / FCN ratio) per seed, with their mean, minimum and maximum.
Saves ``benchmarks/results/seeds.json``.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_seeds.py [--seeds 3] [--quick]
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import epoch_summary, epoch_timer, load_full_mnist, machine, report, save  # noqa: E402


def fit_once(estimator, X, y, X_test, y_test):
    timer = epoch_timer()
    estimator.set_params(callbacks=[timer]).fit(X, y)
    return {"accuracy": estimator.score(X_test, y_test), **epoch_summary(timer.seconds)}


def spread(values):
    return {"mean": float(np.mean(values)), "min": float(np.min(values)),
            "max": float(np.max(values))}


def main(argv=None):
    from skmnist import FCNClassifier, MDNClassifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="random_state 0 .. seeds-1")
    parser.add_argument("--quick", action="store_true", help="2 epochs per fit")
    args = parser.parse_args(argv)
    kw = {"epochs": 2} if args.quick else {}

    X, y, X_test, y_test = load_full_mnist()
    results = {"machine": machine(), "quick": args.quick, "runs": []}
    for seed in range(args.seeds):
        fcn = fit_once(FCNClassifier(random_state=seed, **kw), X, y, X_test, y_test)
        mdn = fit_once(MDNClassifier(random_state=seed, **kw), X, y, X_test, y_test)
        ratio = mdn["warm_epoch_median_s"] / fcn["warm_epoch_median_s"]
        results["runs"].append({"random_state": seed, "fcn": fcn, "mdn": mdn,
                                "mdn_vs_fcn_warm_epoch_ratio": ratio})
        report(f"seed {seed}: FCN / MDN accuracy",
               f"{fcn['accuracy']:.4f} / {mdn['accuracy']:.4f}")
        report(f"seed {seed}: MDN / FCN warm epoch", f"{ratio:.2f}")
    runs = results["runs"]
    for key, values in [
        ("fcn_accuracy", [r["fcn"]["accuracy"] for r in runs]),
        ("mdn_accuracy", [r["mdn"]["accuracy"] for r in runs]),
        ("mdn_vs_fcn_warm_epoch_ratio", [r["mdn_vs_fcn_warm_epoch_ratio"] for r in runs]),
    ]:
        results[key] = spread(values)
        report(f"{key}: mean [min, max]",
               f"{results[key]['mean']:.4f} "
               f"[{results[key]['min']:.4f}, {results[key]['max']:.4f}]")
    save("seeds_quick" if args.quick else "seeds", results)


if __name__ == "__main__":
    main()
