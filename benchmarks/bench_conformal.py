"""Conformal prediction sets of the default FCNClassifier on full MNIST, beside MAPIE's.

For each seed: 5,000 of the 60,000 training rows are held out by a seeded stratified split
(the calibration rows), the default FCNClassifier is fitted once on the other 55,000,
calibrated on the 5,000 (``calibrate``), and its prediction sets on the 10,000 test rows are
measured for every ``alpha``: coverage (overall and per digit), mean set size, the shares of
single-digit and empty sets.  The same network's probabilities go through MAPIE's
``SplitConformalClassifier`` (``prefit=True``, conformalized on the same 5,000 rows) when
MAPIE is installed.  Prints tables and saves ``benchmarks/results/conformal.json``.

    SKMNIST_DATA=../shared/data/mnist nice -n 19 python benchmarks/bench_conformal.py \
        [--seeds 5] [--quick]
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import load_full_mnist, machine, report, save  # noqa: E402

from skmnist.metrics import mean_set_size, set_coverage_score  # noqa: E402

ALPHAS = (0.005, 0.01, 0.02, 0.05, 0.1)
N_CALIBRATION = 5000
# name -> predict_set keyword arguments
VARIANTS = {
    "lac": {"method": "lac"},
    "lac_class_conditional": {"method": "lac", "class_conditional": True},
    "aps": {"method": "aps"},
    "aps_randomized": {"method": "aps", "randomized": True},
    "raps": {"method": "raps"},
    "raps_randomized": {"method": "raps", "randomized": True},
}
# our variant -> (MAPIE conformity score, include_last_label)
MAPIE_VARIANTS = {
    "lac": ("lac", True),
    "aps": ("aps", True),
    "aps_randomized": ("aps", "randomized"),
}


def set_figures(y_set, y_test, classes):
    """Coverage (overall, per class), mean size, shares of single and empty sets."""
    size = y_set.sum(axis=1)
    return {
        "coverage": set_coverage_score(y_test, y_set, labels=classes),
        "coverage_per_class": set_coverage_score(
            y_test, y_set, labels=classes, average=None).tolist(),
        "mean_size": mean_set_size(y_set),
        "single_share": float(np.mean(size == 1)),
        "empty_share": float(np.mean(size == 0)),
    }


def mapie_sets(clf, X_cal, y_cal, X_test, score, include_last_label, seed):
    from mapie.classification import SplitConformalClassifier

    mapie = SplitConformalClassifier(
        estimator=clf, confidence_level=[1 - a for a in ALPHAS], conformity_score=score,
        prefit=True, random_state=seed,
    ).conformalize(X_cal, y_cal)
    _, sets = mapie.predict_set(
        X_test, conformity_score_params={"include_last_label": include_last_label}
    )
    return {alpha: sets[:, :, i] for i, alpha in enumerate(ALPHAS)}


def one_seed(seed, data, kw, use_mapie):
    from sklearn.model_selection import train_test_split

    from skmnist import FCNClassifier

    X, y, X_test, y_test = data
    X_fit, X_cal, y_fit, y_cal = train_test_split(
        X, y, test_size=N_CALIBRATION, random_state=seed, stratify=y
    )
    start = time.perf_counter()
    clf = FCNClassifier(random_state=seed, **kw).fit(X_fit, y_fit)
    fit_s = time.perf_counter() - start
    clf.calibrate(X_cal, y_cal)
    run = {"random_state": seed, "fit_s": round(fit_s, 1),
           "test_accuracy": float(clf.score(X_test, y_test)), "skmnist": {}, "mapie": {}}
    for name, params in VARIANTS.items():
        run["skmnist"][name] = {
            str(alpha): set_figures(
                clf.predict_set(X_test, alpha, random_state=seed, **params)
                if params.get("randomized") else clf.predict_set(X_test, alpha, **params),
                y_test, clf.classes_,
            )
            for alpha in ALPHAS
        }
    if use_mapie:
        for name, (score, last) in MAPIE_VARIANTS.items():
            sets = mapie_sets(clf, X_cal, y_cal, X_test, score, last, seed)
            run["mapie"][name] = {
                str(a): set_figures(sets[a], y_test, clf.classes_) for a in ALPHAS
            }
    return run


def summarize(runs, library):
    """Per variant and alpha: mean and min over seeds of the figures."""
    out = {}
    for name in runs[0][library]:
        out[name] = {}
        for alpha in map(str, ALPHAS):
            figs = [r[library][name][alpha] for r in runs]
            per_class = np.array([f["coverage_per_class"] for f in figs])
            out[name][alpha] = {
                **{f"{key}_{stat}": float(fn([f[key] for f in figs]))
                   for key in ("coverage", "mean_size", "single_share", "empty_share")
                   for stat, fn in (("mean", np.mean), ("min", np.min))},
                "coverage_per_class_mean": per_class.mean(axis=0).tolist(),
                "coverage_per_class_min": per_class.min(axis=0).tolist(),
            }
    return out


def print_tables(summary):
    for library, variants in summary.items():
        for name, by_alpha in variants.items():
            print(f"\n{library} {name}")
            print(f"{'alpha':>7} {'target':>7} {'coverage':>9} {'min':>7} {'size':>6} "
                  f"{'single':>7} {'empty':>6}  lowest digit (mean over seeds)")
            for alpha, s in by_alpha.items():
                digit = int(np.argmin(s["coverage_per_class_mean"]))
                print(f"{alpha:>7} {1 - float(alpha):>7.3f} {s['coverage_mean']:>9.4f} "
                      f"{s['coverage_min']:>7.4f} {s['mean_size_mean']:>6.3f} "
                      f"{s['single_share_mean']:>7.3f} {s['empty_share_mean']:>6.3f}  "
                      f"{digit}: {s['coverage_per_class_mean'][digit]:.4f}")



def main(argv=None):

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="random_state 0 .. seeds-1")
    parser.add_argument("--quick", action="store_true", help="2 epochs per fit (no JSON)")
    args = parser.parse_args(argv)
    kw = {"epochs": 2} if args.quick else {}
    try:
        import mapie

        mapie_version = mapie.__version__
    except ImportError:
        mapie_version = None
        print("MAPIE is not installed: no comparison (pip install mapie)")

    data = load_full_mnist()
    results = {
        "machine": machine(),  # (also records the run's provenance, before the run)
        "mapie": mapie_version,
        "n_calibration": N_CALIBRATION,
        "alphas": list(ALPHAS),
        "quick": args.quick,
        "runs": [],
    }
    for seed in range(args.seeds):
        run = one_seed(seed, data, kw, mapie_version is not None)
        results["runs"].append(run)
        report(f"seed {seed}: fit / test accuracy", f"{run['fit_s']} s / "
               f"{run['test_accuracy']:.4f}")
    results["summary"] = {
        "skmnist": summarize(results["runs"], "skmnist"),
        **({"mapie": summarize(results["runs"], "mapie")} if mapie_version else {}),
    }
    print_tables(results["summary"])
    if not args.quick:
        save("conformal", results)


if __name__ == "__main__":
    main()
