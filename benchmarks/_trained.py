"""The MNIST-trained FCNs the other-digits benchmark compares, each trained once and cached.

Models are fitted on the official MNIST training set (scaled by ``PixelScaler``) and kept as
joblib files under ``SKMNIST_BENCH_CACHE`` (default: the system's temporary folder), with
the per-epoch wall times of their fit beside them.
"""

import json
import os
import tempfile
import time

import joblib

#: name -> FCNClassifier parameters.  "default" is the shipped default (20 epochs);
#: "default_40" the same for as many epochs as "augmented", so the comparison is fair;
#: "augmented_no_aspect" is "standard" without its aspect range, "augmented_low_resolution"
#: the same plus a 30 % share of low-resolution re-sampling; "conv_augmented" the
#: convolutional trunk (the estimators' most accurate option) with "standard" augmentation.
MODELS = {
    "default": {},
    "default_40": {"epochs": 40},
    "augmented": {"epochs": 40, "augmentation": "standard"},
    "augmented_no_aspect": {
        "epochs": 40,
        "augmentation": {
            "shift": 2.0, "rotation": 12.0, "scale": 0.12, "shear": 0.15,
            "elastic_alpha": 20.0, "elastic_sigma": 4.0,
        },
    },
    "augmented_low_resolution": {
        "epochs": 40,
        "augmentation": {
            "shift": 2.0, "rotation": 12.0, "scale": 0.12, "shear": 0.15,
            "elastic_alpha": 20.0, "elastic_sigma": 4.0, "low_resolution": 0.3,
        },
    },
    "conv_augmented": {
        "epochs": 20, "conv_filters": (32, 64), "dropout": 0.25, "augmentation": "standard",
    },
}


def cache_dir():
    path = os.environ.get(
        "SKMNIST_BENCH_CACHE", os.path.join(tempfile.gettempdir(), "skmnist_bench_digits")
    )
    os.makedirs(path, exist_ok=True)
    return path


def trained(name, X=None, y=None, seed=0):
    """The fitted model ``name`` and its fit's facts, from the cache or trained now."""
    from _common import epoch_timer

    from skmnist import FCNClassifier

    path = os.path.join(cache_dir(), f"{name}_{seed}.joblib")
    facts_path = path.replace(".joblib", ".json")
    if os.path.exists(path) and os.path.exists(facts_path):
        with open(facts_path) as f:
            return joblib.load(path), json.load(f)
    if X is None:
        from _common import load_full_mnist

        X, y, _, _ = load_full_mnist()
    timer = epoch_timer()
    clf = FCNClassifier(random_state=seed, callbacks=[timer], **MODELS[name])
    start = time.perf_counter()
    clf.fit(X, y)
    facts = {
        "params": MODELS[name],
        "fit_s": round(time.perf_counter() - start, 1),
        "epochs_s": timer.seconds,
    }
    clf.set_params(callbacks=None)
    joblib.dump(clf, path)
    with open(facts_path, "w") as f:
        json.dump(facts, f)
    return clf, facts


if __name__ == "__main__":
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _common import load_full_mnist

    X, y, X_test, y_test = load_full_mnist()
    for name in sys.argv[1:] or MODELS:
        clf, facts = trained(name, X, y)
        print(name, facts["fit_s"], "s, test accuracy", clf.score(X_test, y_test), flush=True)
