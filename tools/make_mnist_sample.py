"""Build ``src/skmnist/data/mnist_sample.npz``, the small MNIST sample embedded in the package.

The sample is a stratified random sample (fixed seed) of the official MNIST files: 5,000 images
from the official training set and 1,000 from the official test set, each drawn with
:func:`sklearn.model_selection.train_test_split` stratified by digit, then kept in official
order. The files are read (and MD5-verified) with :func:`skmnist.datasets.fetch_mnist`; nothing
is downloaded.

Usage::

    python tools/make_mnist_sample.py [DATA_DIR] [--output PATH] [--n-train 5000]
                                      [--n-test 1000] [--seed 0]

DATA_DIR is the folder holding the four official ``.gz`` files (directly or in a ``mnist/``
subfolder); default: the package's data home (``$SKMNIST_DATA``, else ``~/skmnist_data``).

Arrays stored (``np.savez_compressed``): ``train_images`` (n, 28, 28) uint8, ``train_target``
(n,) uint8, ``train_index`` (n,) int64 (rows of the official training set), and the same three
for ``test``; plus ``seed``.
"""

import argparse
import os
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from skmnist.datasets import fetch_mnist

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "src" / "skmnist" / "data" / "mnist_sample.npz"


def stratified_indices(y, n, seed):
    """Sorted indices of a stratified random sample of size ``n`` of labels ``y``."""
    idx, _ = train_test_split(
        np.arange(len(y)), train_size=n, stratify=y, random_state=seed, shuffle=True
    )
    return np.sort(idx).astype(np.int64)


def build_sample(data_dir, output, n_train=5000, n_test=1000, seed=0):
    arrays = {"seed": np.int64(seed)}
    for subset, n in (("train", n_train), ("test", n_test)):
        mnist = fetch_mnist(subset, data_home=data_dir, download_if_missing=False)
        idx = stratified_indices(mnist.target, n, seed)
        arrays[f"{subset}_images"] = np.ascontiguousarray(mnist.images[idx])
        arrays[f"{subset}_target"] = mnist.target[idx].astype(np.uint8)
        arrays[f"{subset}_index"] = idx
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(output, **arrays)
    return arrays


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "data_dir",
        nargs="?",
        default=None,
        help="folder with the four official MNIST .gz files (default: the data home, "
        "$SKMNIST_DATA, else ~/skmnist_data)",
    )
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="npz file to write")
    parser.add_argument("--n-train", type=int, default=5000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    arrays = build_sample(args.data_dir, args.output, args.n_train, args.n_test, args.seed)
    size = os.path.getsize(args.output)
    print(f"wrote {args.output} ({size / 1e6:.2f} MB)")
    for subset in ("train", "test"):
        counts = np.bincount(arrays[f"{subset}_target"], minlength=10)
        n = len(arrays[f"{subset}_target"])
        print(f"  {subset}: {n} images, per class {counts.tolist()}")


if __name__ == "__main__":
    main()
