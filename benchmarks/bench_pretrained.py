"""The shipped model (``skmnist.load_pretrained``) on digits and on what is not a digit.

Measures, for the model that ships inside the package:

- accuracy on MNIST's official test set (the rows, and written as image files: dark ink on
  light paper, three times larger), on every set of ``_digit_sets.py`` (other hands, fonts,
  resolutions, papers; none of them MNIST) and on scikit-learn's 8x8 UCI digits;
- novelty (``predict_uncertainty``, the larger of the image's and the network's): the share
  of images flagged (``novelty > 0.99``) on every digit set and on every set of whole
  non-digit pictures of ``_nondigit_images.py`` (photographs, noise, blank pages, printed
  words, logos, ruled and squared paper; ``TUNING`` and ``HELD_OUT`` apart), and the AUROC
  of each non-digit set against the digit images;
- the network's novelty on the 28x28 out-of-distribution sets of ``_ood_sets.py``
  (``bench_ood``'s), AUROC against MNIST test;
- the shipped files' size, and a fresh process's time and memory to load the model and read
  one image.

Prints tables and saves ``benchmarks/results/pretrained.json`` (with the commit, version,
date, machine and command that produced it); ``benchmarks/doc_tables.py`` writes the user
guide's tables from it.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_pretrained.py [--quick]

``--quick``: 100 images per set (a smoke test of the script; its numbers mean little).
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _digit_sets  # noqa: E402
import _nondigit_images  # noqa: E402
from _common import report, run_provenance, save  # noqa: E402
from _ood_sets import HELD_OUT_SETS, make_ood_sets  # noqa: E402


def machine():
    """The machine record, without importing TensorFlow (the shipped model predicts without it)."""
    import platform

    import sklearn

    return {
        "cpu_count": os.cpu_count(), "platform": platform.platform(),
        "python": platform.python_version(), "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }


def as_files(X, folder, scale=3):
    """MNIST rows written as a person's PNG files: dark on white, larger, with margins."""
    from PIL import Image

    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, row in enumerate(X):
        digit = 255 - row.reshape(28, 28)
        canvas = np.pad(np.kron(digit, np.ones((scale, scale), np.uint8)), 12,
                        constant_values=255)
        path = os.path.join(folder, f"{i}.png")
        Image.fromarray(canvas).save(path)
        paths.append(path)
    return paths


def auroc(inliers, outliers):
    from sklearn.metrics import roc_auc_score

    truth = np.r_[np.zeros(len(inliers)), np.ones(len(outliers))]
    return float(roc_auc_score(truth, np.r_[inliers, outliers]))


def fresh_process_load():
    # The peak resident memory from /proc (VmHWM): getrusage's ru_maxrss survives execve on
    # Linux, so a child started by this (large) process would report this one's peak.
    code = (
        "import sys, time\n"
        "start = time.perf_counter()\n"
        "import numpy as np\n"
        "from skmnist import load_pretrained\n"
        "model = load_pretrained()\n"
        "loaded = time.perf_counter() - start\n"
        "model.predict([np.eye(40, dtype=np.uint8) * 255])\n"
        "first = time.perf_counter() - start\n"
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(loaded, first, int(peak.split()[1]) / 1024, 'tensorflow' in sys.modules)\n"
    )
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.split()
        runs.append({"load_s": float(out[0]), "load_and_first_image_s": float(out[1]),
                     "peak_rss_mb": float(out[2]), "tensorflow_imported": out[3] == "True"})
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    import tempfile

    from skmnist import fetch_mnist, load_pretrained
    from skmnist.pretrained import pretrained_info

    n = 100 if args.quick else 2000
    model = load_pretrained()
    test = fetch_mnist("test")
    X_test, y_test = test.data, test.target
    if args.quick:
        X_test, y_test = X_test[:n], y_test[:n]
    run_provenance()  # before the run: the code that was measured
    results = {"machine": machine(), "quick": args.quick, "model": pretrained_info()}

    # ---------------------------------------------------------------- accuracy
    accuracy, flagged, novelty_of = {}, {}, {}
    start = time.perf_counter()
    read = model.read(X_test)
    accuracy["mnist_test"] = float(np.mean(read.predicted == y_test))
    novelty_of["mnist_test"] = read.uncertainty["novelty"]
    report("MNIST test (rows)", f"{accuracy['mnist_test']:.4f} "
           f"({time.perf_counter() - start:.0f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        n_files = len(X_test) if not args.quick else n
        paths = as_files(X_test[:n_files], tmp)
        read = model.read(paths)
        accuracy["mnist_test_files"] = float(np.mean(read.predicted == y_test[:n_files]))
        novelty_of["mnist_test_files"] = read.uncertainty["novelty"]
    report("MNIST test (PNG files, dark on light, 3x)", f"{accuracy['mnist_test_files']:.4f}")
    for name, make in _digit_sets.SETS.items():
        images, labels = make(n=n, seed=0) if name != "fonts" else make(n=n, seed=0)
        read = model.read(images)
        accuracy[name] = float(np.mean(read.predicted == labels))
        novelty_of[name] = read.uncertainty["novelty"]
        report(f"{name}", f"{accuracy[name]:.4f}")
    digit_novelty = np.concatenate(list(novelty_of.values()))
    for name, values in novelty_of.items():
        flagged[name] = float(np.mean(values > 0.99))
    results["accuracy"] = accuracy
    results["digits_flagged"] = flagged

    # ---------------------------------------------------------------- whole non-digit images
    nondigit = {}
    for group, sets in (("tuning", _nondigit_images.TUNING),
                        ("held_out", _nondigit_images.HELD_OUT)):
        for name, make in sets.items():
            images = make(n if not args.quick else 50, 0)
            u = model.predict_uncertainty(images)
            nondigit[name] = {
                "group": group,
                "n": len(images),
                "flagged": float(np.mean(u["novelty"] > 0.99)),
                "flagged_by_image": float(np.mean(u["image_novelty"] > 0.99)),
                "flagged_by_network": float(np.mean(u["network_novelty"] > 0.99)),
                "auroc": auroc(digit_novelty, u["novelty"]),
            }
            report(f"{name} ({group}) flagged / AUROC",
                   f"{nondigit[name]['flagged']:.3f} / {nondigit[name]['auroc']:.4f}")
    results["nondigit_images"] = nondigit

    # ---------------------------------------------------------------- 28x28 OOD sets
    network = model[1:]
    mnist_novelty = network[-1].predict_uncertainty(network[:-1].transform(X_test))["novelty"]
    ood = {}
    sets = make_ood_sets(X_test.reshape(-1, 28, 28), n=n if not args.quick else 100)
    for name, images in sets.items():
        scores = network[-1].predict_uncertainty(
            network[:-1].transform(images.reshape(len(images), -1))
        )["novelty"]
        ood[name] = {"held_out": name in HELD_OUT_SETS, "auroc": auroc(mnist_novelty, scores),
                     "flagged": float(np.mean(scores > 0.99))}
        report(f"ood {name} AUROC", f"{ood[name]['auroc']:.4f}")
    results["ood_28x28"] = ood
    results["mnist_test_flagged_by_network"] = float(np.mean(mnist_novelty > 0.99))

    # ---------------------------------------------------------------- size, load
    import skmnist

    data = os.path.join(os.path.dirname(skmnist.__file__), "data")
    results["files_bytes"] = {
        f: os.path.getsize(os.path.join(data, f))
        for f in ("pretrained.pkl", "pretrained.json", "image_novelty.npz")
    }
    results["fresh_process"] = fresh_process_load()
    report("fresh process: load, first image, peak RSS",
           f"{min(r['load_s'] for r in results['fresh_process']):.2f} s, "
           f"{min(r['load_and_first_image_s'] for r in results['fresh_process']):.2f} s, "
           f"{min(r['peak_rss_mb'] for r in results['fresh_process']):.0f} MB")
    save("pretrained_quick" if args.quick else "pretrained", results)


if __name__ == "__main__":
    main()
