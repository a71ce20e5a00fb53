"""The full-MNIST test accuracies the documentation states are the estimators' real ones.

The user guide and the benchmark records quote the test accuracy of ``FCNClassifier()`` and
``MDNClassifier()`` (their defaults, ``random_state=0``) trained on the official 60,000
images.  These tests train both defaults and check that every such figure is within half a
percentage point of what they measure now (single seeded runs differ by a few tenths of a
point: ``benchmarks/results/seeds.json``), so the documentation cannot drift from what a user
gets.  Slow (about a minute on 2 cores each): CI runs them with the official files.
"""

import json
import os
import re

import pytest

from skmnist import FCNClassifier, MDNClassifier, PixelScaler, fetch_mnist

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Half a percentage point: seed noise (the spread of seeds.json) plus TensorFlow versions.
MARGIN = 0.005


def _read(relative):
    with open(os.path.join(REPO, relative), encoding="utf-8") as f:
        return f.read()


def _from_text(relative, pattern):
    """The percentage that ``pattern``'s group captures in a documentation page, as a share."""
    match = re.search(pattern, _read(relative))
    assert match, f"{relative} no longer states the figure {pattern!r}: update this test"
    return float(match.group(1)) / 100


def _from_json(relative, *keys):
    value = json.loads(_read(relative))
    for key in keys:
        value = value[key]
    return float(value)


def _seed_zero(estimator):
    runs = json.loads(_read("benchmarks/results/seeds.json"))["runs"]
    (run,) = [r for r in runs if r["random_state"] == 0]
    return float(run[estimator]["accuracy"])


# Every place that states a default's full-MNIST test accuracy: (where, the figure).
DOCUMENTED = {
    "fcn": [
        (
            "docs/user_guide/performance.md",
            lambda: _from_text(
                "docs/user_guide/performance.md",
                r"FCNClassifier reached (\d+\.\d+)% test accuracy on the full MNIST",
            ),
        ),
        (
            "docs/user_guide/novelty.md",
            lambda: _from_text(
                "docs/user_guide/novelty.md",
                r"\*\*FCNClassifier\*\* \(full-MNIST default, test accuracy (\d+\.\d+)%\)",
            ),
        ),
        (
            "docs/user_guide/mdn_uncertainty.md (mean of seeds 0-4)",
            lambda: _from_text(
                "docs/user_guide/mdn_uncertainty.md",
                r"\| \{class\}`~skmnist\.FCNClassifier` \| (\d+\.\d+)% \|",
            ),
        ),
        ("benchmarks/results/seeds.json", lambda: _seed_zero("fcn")),
        (
            "benchmarks/results/fcn.json",
            lambda: _from_json(
                "benchmarks/results/fcn.json", "accuracy", "default", "test_accuracy"
            ),
        ),
        (
            "benchmarks/results/mdn.json",
            lambda: _from_json("benchmarks/results/mdn.json", "fcn_default", "accuracy"),
        ),
    ],
    "mdn": [
        (
            "docs/user_guide/novelty.md",
            lambda: _from_text(
                "docs/user_guide/novelty.md",
                r"\*\*MDNClassifier\*\* \(full-MNIST default, test accuracy (\d+\.\d+)%\)",
            ),
        ),
        (
            "docs/user_guide/mdn_uncertainty.md (mean of seeds 0-4)",
            lambda: _from_text(
                "docs/user_guide/mdn_uncertainty.md",
                r"\| \{class\}`~skmnist\.MDNClassifier` \| (\d+\.\d+)% \|",
            ),
        ),
        ("benchmarks/results/seeds.json", lambda: _seed_zero("mdn")),
        (
            "benchmarks/results/mdn.json",
            lambda: _from_json("benchmarks/results/mdn.json", "mdn_default", "accuracy"),
        ),
    ],
}


def test_documented_figures_are_found():
    # Cheap, in the everyday run: a page that drops or rewords a figure fails here at once,
    # not only in CI's full-MNIST run.
    for name, sources in DOCUMENTED.items():
        for where, read in sources:
            assert 0.9 < read() < 1.0, (name, where)


@pytest.fixture(scope="module")
def full_mnist(mnist_data_home):
    train = fetch_mnist("train", data_home=mnist_data_home, download_if_missing=False)
    test = fetch_mnist("test", data_home=mnist_data_home, download_if_missing=False)
    scaler = PixelScaler()
    return (
        scaler.fit_transform(train.data), train.target,
        scaler.transform(test.data), test.target,
    )


@pytest.mark.full_mnist
@pytest.mark.parametrize("name, estimator", [("fcn", FCNClassifier), ("mdn", MDNClassifier)])
def test_default_reaches_the_documented_accuracy(full_mnist, name, estimator):
    X, y, X_test, y_test = full_mnist
    accuracy = estimator(random_state=0).fit(X, y).score(X_test, y_test)
    off = {
        where: f"{figure:.2%}"
        for where, read in DOCUMENTED[name]
        if abs((figure := read()) - accuracy) > MARGIN
    }
    assert not off, (
        f"{estimator.__name__}(random_state=0) reaches {accuracy:.2%} on the full MNIST test "
        f"set; these figures are more than {MARGIN:.1%} away from it: {off}"
    )
