"""MNIST-trained networks on digits from elsewhere: with and without DigitNormalizer and
augmentation.

Trains (once, cached: see ``_trained.py``) the default FCNClassifier on full MNIST, the same
for 40 epochs, the same with ``augmentation="standard"`` for 40 epochs, and with "standard"
plus a low-resolution share; then scores
each on MNIST's test set and on every set of ``_digit_sets.py`` (none of them MNIST), fed

- ``naive``: resized to 28x28 as they are (what a user without the normalizer does), or
- ``normalized``: through ``DigitNormalizer`` (MNIST's framing).

It also times training epochs with and without augmentation, alternately in one process
(the machine is shared, so only side-by-side timings compare).  Prints a table and saves
``benchmarks/results/other_digits.json``.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_other_digits.py [--quick]

``--quick`` trains on the embedded sample for 2 epochs and uses 200 images per set (a
smoke test of the script; its numbers mean nothing). ``--only NAME ...`` scores only those
models and saves them under their own name (``other_digits_only_NAME....json``; the epoch
timings are not re-measured): ``other_digits.json`` is always one run of every model.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    epoch_summary,
    epoch_timer,
    load_full_mnist,
    machine,
    report,
    result_name,
    save,
)
from _digit_sets import HANDWRITING_LIKE, SETS, naive_28x28  # noqa: E402
from _trained import MODELS, trained  # noqa: E402


def quick_models(X, y):
    from skmnist import FCNClassifier

    return {
        name: (FCNClassifier(random_state=0, **{**params, "epochs": 2}).fit(X, y), {})
        for name, params in MODELS.items()
    }


def epoch_cost(X, y, epochs, rounds):
    """Warm-epoch wall time without and with augmentation, fitted alternately."""
    from skmnist import FCNClassifier

    variants = {
        "none": None,
        "standard": "standard",
        "standard_low_resolution": MODELS["augmented_low_resolution"]["augmentation"],
    }
    seconds = {name: [] for name in variants}
    for _ in range(rounds):
        for name, augmentation in variants.items():
            timer = epoch_timer()
            FCNClassifier(epochs=epochs, random_state=0, augmentation=augmentation,
                          callbacks=[timer]).fit(X, y)
            seconds[name].extend(timer.seconds[1:])
    out = {name: float(np.median(s)) for name, s in seconds.items()}
    out["ratio"] = out["standard"] / out["none"]
    out["ratio_low_resolution"] = out["standard_low_resolution"] / out["none"]
    out["epochs_s"] = seconds
    return out


def markdown_table(results):
    """The accuracies as the user guide shows them: a row per set, naive / normalized."""
    models = results["models"]
    names = list(models)
    lines = [
        "| test set | " + " | ".join(f"`{m}` resized / normalized" for m in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    first = models[names[0]]["accuracy"]
    lines.append("| MNIST test (as is / normalized) | " + " | ".join(
        f"{models[m]['accuracy']['mnist_test']:.2%} / "
        f"{models[m]['accuracy']['mnist_test_normalized']:.2%}" for m in names) + " |")
    for key in first:
        if key.endswith("/naive"):
            name = key[: -len("/naive")]
            lines.append(f"| {name} | " + " | ".join(
                f"{models[m]['accuracy'][key]:.1%} / "
                f"{models[m]['accuracy'][name + '/normalized']:.1%}" for m in names) + " |")
    return "\n".join(lines).replace("%", " %")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="+", choices=list(MODELS), default=None,
                        help="score only these models, saved under their own name")
    args = parser.parse_args()

    from skmnist import DigitNormalizer, PixelScaler

    scaler = PixelScaler()
    if args.quick:
        from skmnist import load_mnist_sample

        X, y = load_mnist_sample(return_X_y=True)
        X_test, y_test = load_mnist_sample("test", return_X_y=True)
        X, X_test = scaler.transform(X), scaler.transform(X_test)
        models = quick_models(X, y)
        n = 200
    else:
        X, y, X_test, y_test = load_full_mnist()
        models = {name: trained(name, X, y) for name in args.only or MODELS}
        n = None

    sets = {}
    for name, make in SETS.items():
        start = time.perf_counter()
        images, labels = make(n=n) if n else make()
        naive = scaler.transform(naive_28x28(images))
        normalized = scaler.transform(DigitNormalizer().transform(images))
        sets[name] = (naive, normalized, labels)
        report(f"set {name}: {len(labels)} images, made and normalized in",
               f"{time.perf_counter() - start:.1f} s")
    # MNIST's own test digits through the normalizer (they are framed already).
    mnist_normalized = scaler.transform(DigitNormalizer().transform(
        np.rint(X_test * 255).astype(np.uint8)))

    results = {"machine": machine(), "quick": args.quick, "handwriting_like": HANDWRITING_LIKE,
               "models": {}}
    for model_name, (clf, facts) in models.items():
        scores = {
            "mnist_test": clf.score(X_test, y_test),
            "mnist_test_normalized": clf.score(mnist_normalized, y_test),
        }
        for name, (naive, normalized, labels) in sets.items():
            scores[f"{name}/naive"] = clf.score(naive, labels)
            scores[f"{name}/normalized"] = clf.score(normalized, labels)
        results["models"][model_name] = {
            "params": MODELS[model_name],
            "fit": {k: v for k, v in facts.items() if k != "params"},
            "accuracy": scores,
        }
        if facts.get("epochs_s"):
            results["models"][model_name]["fit"].update(epoch_summary(facts["epochs_s"]))

    print()
    names = list(results["models"])
    print(f"{'accuracy':<30}" + "".join(f"{m:>14}" for m in names))
    for key in results["models"][names[0]]["accuracy"]:
        print(f"{key:<30}" + "".join(
            f"{results['models'][m]['accuracy'][key]:>14.4f}" for m in names))

    print()
    print(markdown_table(results))

    if not args.quick and not args.only:
        cost = epoch_cost(X, y, epochs=4, rounds=2)
        results["epoch_cost"] = cost
        report("warm epoch, none / standard / + low_resolution (s)",
               f"{cost['none']:.2f} / {cost['standard']:.2f} (x{cost['ratio']:.2f}) / "
               f"{cost['standard_low_resolution']:.2f}")
    save(result_name("other_digits_quick" if args.quick else "other_digits",
                     args.only or MODELS, MODELS), results)


if __name__ == "__main__":
    main()
