"""The novelty figure of the user guide: least and most novel MNIST test digits, and non-digits.

Uses the full-MNIST default ``MDNClassifier(random_state=0)`` cached by ``bench_ood.py``
(fitted here when the cache is empty) and writes ``docs/_static/novelty.png``.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/plot_ood.py [--cache DIR]
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import load_full_mnist  # noqa: E402
from _ood_sets import make_ood_sets  # noqa: E402
from bench_ood import fitted  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "docs", "_static", "novelty.png")
N = 8


def main(argv=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skmnist import PixelScaler, fetch_mnist
    from skmnist._io import atomic_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default="/tmp/skmnist_bench_ood")
    args = parser.parse_args(argv)

    X, y, X_test, y_test = load_full_mnist()
    est, _ = fitted("mdn", X, y, args.cache)

    def novelty(A):  # the public reading, as a user gets it
        return est.predict_uncertainty(A).novelty

    test_novelty = novelty(X_test)
    order = np.argsort(test_novelty, kind="stable")
    sets = make_ood_sets(fetch_mnist("test").images, n=40, random_state=1)
    picks = [("letters", 0), ("symbols", 1), ("strokes", 0), ("blobs", 0),
             ("photo_patches", 0), ("uniform_noise", 0), ("inverted_digits", 0),
             ("shapes_heldout", 2)]
    others = np.stack([sets[s][i] for s, i in picks]).reshape(len(picks), -1)
    others = PixelScaler().fit_transform(others)

    rows = [
        ("least novel MNIST test digits", X_test[order[:N]]),
        ("most novel MNIST test digits", X_test[order[::-1][:N]]),
        ("images that are not digits", others),
    ]
    fig, axes = plt.subplots(3, N, figsize=(1.25 * N, 5.4))
    for r, (title, images) in enumerate(rows):
        proba = est.predict_proba(images)
        scores = novelty(images)
        for c in range(N):
            ax = axes[r, c]
            ax.imshow(images[c].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"novelty {scores[c]:.3f}\n'{est.classes_[proba[c].argmax()]}' "
                          f"p={proba[c].max():.2f}", fontsize=7.5)
        axes[r, 0].set_title(title, loc="left", fontsize=10, pad=4)
    fig.suptitle("MDNClassifier (full MNIST): novelty, predicted digit and its probability",
                 fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with atomic_file(OUT, "wb") as f:
        fig.savefig(f, format="png", dpi=90)
    print(f"Saved {OUT}; MNIST test digits with novelty > 0.99: "
          f"{np.mean(test_novelty > 0.99):.4f}")


if __name__ == "__main__":
    main()
