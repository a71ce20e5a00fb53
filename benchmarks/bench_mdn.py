"""MDNClassifier on full MNIST beside FCNClassifier: accuracy, uncertainty quality, fit time.

Reads the official files from the data home (``SKMNIST_DATA``); prints every figure and
saves them to ``benchmarks/results/mdn.json``.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_mdn.py [--quick]

Uncertainty quality is measured on the MNIST test set for both networks trained on the same
split: negative log-likelihood, Brier score, expected calibration error (15 bins), area under
the risk-coverage curve and accuracy at 90/95/99% coverage.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    epoch_summary,
    epoch_timer,
    grid_search,
    load_full_mnist,
    machine,
    report,
    save,
)


def fit_and_evaluate(estimator, X, y, X_test, y_test):
    from skmnist.metrics import classification_summary

    timer = epoch_timer()
    estimator.set_params(callbacks=[timer])
    start = time.perf_counter()
    estimator.fit(X, y)
    fit_s = time.perf_counter() - start
    estimator.set_params(callbacks=None)
    proba = estimator.predict_proba(X_test)
    summary = classification_summary(y_test, y_prob=proba, labels=estimator.classes_)
    return {"fit_s": round(fit_s, 1), **epoch_summary(timer.seconds), **summary}


def show(name, r):
    report(
        f"{name}: accuracy / NLL / Brier / ECE",
        f"{r['accuracy']:.4f} / {r['nll']:.4f} / {r['brier']:.4f} / {100 * r['ece']:.2f}%",
    )
    report(
        f"{name}: AURC / acc@90 / acc@95 / acc@99 coverage",
        f"{r['aurc']:.5f} / {r['accuracy_at_90']:.4f} / {r['accuracy_at_95']:.4f} / "
        f"{r['accuracy_at_99']:.4f}",
    )
    report(f"{name}: first / warm epoch (s)",
           f"{r['first_epoch_s']:.2f} / {r['warm_epoch_median_s']:.2f}")


def main(argv=None):
    from skmnist import FCNClassifier, MDNClassifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few epochs, tiny grid")
    args = parser.parse_args(argv)
    kw = {"epochs": 2} if args.quick else {}

    X, y, X_test, y_test = load_full_mnist()
    results = {"machine": machine(), "quick": args.quick}

    results["fcn_default"] = fcn = fit_and_evaluate(
        FCNClassifier(random_state=0, **kw), X, y, X_test, y_test)
    show("FCN (default)", fcn)
    results["mdn_default"] = mdn = fit_and_evaluate(
        MDNClassifier(random_state=0, **kw), X, y, X_test, y_test)
    show("MDN (default, discretized)", mdn)
    results["mdn_density"] = dens = fit_and_evaluate(
        MDNClassifier(objective="density", random_state=0, **kw), X, y, X_test, y_test)
    show("MDN (objective='density')", dens)

    ratio = mdn["warm_epoch_median_s"] / fcn["warm_epoch_median_s"]
    results["mdn_vs_fcn_warm_epoch_ratio"] = ratio
    report("MDN / FCN warm epoch time (target <= 1.10)", f"{ratio:.2f}")
    total = sum(mdn["epochs_s"]) / sum(fcn["epochs_s"])
    results["mdn_vs_fcn_total_epoch_ratio"] = total
    report("MDN / FCN all epochs incl. first", f"{total:.2f}")

    for key in ["nll", "brier", "ece", "aurc"]:
        results.setdefault("mdn_beats_or_matches_fcn", {})[key] = mdn[key] <= fcn[key]
    for key in ["accuracy", "accuracy_at_90", "accuracy_at_95", "accuracy_at_99"]:
        results["mdn_beats_or_matches_fcn"][key] = mdn[key] >= fcn[key]
    report("MDN matches or beats FCN on", results["mdn_beats_or_matches_fcn"])

    grid = {"n_components": [2, 5]} if args.quick else {"n_components": [5, 10, 15]}
    results["grid_search"] = grid_search(
        MDNClassifier(random_state=0, **kw), grid, X, y, X_test, y_test)
    save("mdn_quick" if args.quick else "mdn", results)


if __name__ == "__main__":
    main()
