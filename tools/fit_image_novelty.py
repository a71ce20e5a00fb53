"""Build ``src/skmnist/data/image_novelty.npz``, the image-level novelty the package ships.

The reference pages are the embedded sample's 5,000 training digits drawn as a person's
images of digits (see :mod:`skmnist._image_novelty`), with a fixed seed: the file is rebuilt
offline, bit for bit on the same platform, by

    python tools/fit_image_novelty.py [--output PATH] [--seed 0]
"""

import argparse
from pathlib import Path

import numpy as np

from skmnist import load_mnist_sample
from skmnist._image_novelty import ImageNovelty, reference_pages

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "src" / "skmnist" / "data" / "image_novelty.npz"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    X, _ = load_mnist_sample("train", return_X_y=True)
    stats = reference_pages(X, random_state=args.seed)
    model = ImageNovelty().fit(stats, random_state=args.seed)
    np.savez_compressed(args.output, **model.to_arrays())
    print(f"{len(stats)} reference pages ({np.isfinite(stats).all(axis=1).sum()} framed); "
          f"wrote {args.output}")


if __name__ == "__main__":
    main()
