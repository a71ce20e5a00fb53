"""The ``skmnist`` command line: ``skmnist run`` trains, evaluates and saves a model."""

import argparse
import json
import os
import sys
import tempfile
import time

__all__ = ["main"]

_MODELS = ("fcn", "mdn")


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="skmnist",
        description="Handwritten-digit recognition with Keras networks as scikit-learn "
        "estimators.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    run = sub.add_parser(
        "run",
        help="train a network, print its test accuracy and classification report, save it",
        description="Train a network on MNIST (the embedded sample by default, works offline), "
        "print the test accuracy and the classification report, and save the fitted "
        "pipeline (PixelScaler + classifier) with joblib.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    run.add_argument(
        "--model", choices=_MODELS, default="fcn",
        help="fcn: fully connected softmax network; mdn: mixture density network",
    )
    run.add_argument(
        "--full", action="store_true",
        help="use the full MNIST (60,000/10,000 images) from the data home instead of the "
        "embedded 5,000/1,000 sample; downloads the official files if they are missing",
    )
    run.add_argument(
        "--data-home", default=None,
        help="folder holding the official MNIST .gz files; when not given, $SKMNIST_DATA, "
        "else ~/skmnist_data",
    )
    run.add_argument(
        "--no-download", action="store_true",
        help="with --full, fail instead of downloading missing files",
    )
    run.add_argument("--epochs", type=int, default=20, help="training epochs")
    run.add_argument("--batch-size", type=int, default=200, help="samples per gradient step")
    run.add_argument("--learning-rate", type=float, default=1e-3, help="Adam learning rate")
    run.add_argument(
        "--learning-rate-schedule", choices=["cosine", "constant"], default="cosine",
        help="cosine decay of the rate over the epochs, or a constant rate",
    )
    run.add_argument("--l2", type=float, default=0.0, help="L2 penalty on hidden kernels")
    run.add_argument(
        "--n-components", type=int, default=10, help="mixture components (--model mdn only)"
    )
    run.add_argument("--random-state", type=int, default=0, help="seed for reproducible runs")
    run.add_argument(
        "--output", default="skmnist-output",
        help="folder for model.joblib, metrics.json and classification_report.txt",
    )
    run.add_argument(
        "--quiet", action="store_true", help="no per-epoch progress lines, only the results"
    )
    return parser


def _load_data(args):
    from .datasets import fetch_mnist, load_mnist_sample

    if args.full:
        kwargs = {"data_home": args.data_home, "download_if_missing": not args.no_download}
        train, test = fetch_mnist("train", **kwargs), fetch_mnist("test", **kwargs)
        name = "MNIST (official 60,000/10,000 split)"
    else:
        train, test = load_mnist_sample("train"), load_mnist_sample("test")
        name = "embedded MNIST sample"
    return name, train, test


def _make_estimator(args):
    from sklearn.pipeline import make_pipeline

    from .preprocessing import PixelScaler

    params = dict(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        learning_rate_schedule=args.learning_rate_schedule,
        l2=args.l2,
        random_state=args.random_state,
        verbose=0 if args.quiet else 2,
    )
    if args.model == "mdn":
        from .mdn import MDNClassifier

        clf = MDNClassifier(n_components=args.n_components, **params)
    else:
        from .fcn import FCNClassifier

        clf = FCNClassifier(**params)
    return make_pipeline(PixelScaler(), clf)


def _atomic_write(path, write):
    """Write through a temporary file in the same folder, then rename: never a partial file."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def run(args, out=None):
    """Train, evaluate and save as ``args`` say; print to ``out`` (default: stdout)."""
    import joblib
    from sklearn.metrics import accuracy_score, classification_report

    out = sys.stdout if out is None else out
    name, train, test = _load_data(args)
    print(
        f"Training {args.model.upper()} on the {name}: {len(train.target)} training and "
        f"{len(test.target)} test images, {args.epochs} epochs.",
        file=out, flush=True,
    )
    model = _make_estimator(args)
    start = time.perf_counter()
    model.fit(train.data, train.target)
    fit_seconds = time.perf_counter() - start
    predicted = model.predict(test.data)
    accuracy = accuracy_score(test.target, predicted)
    report = classification_report(test.target, predicted, digits=4)
    print(f"\nTest accuracy: {accuracy:.4f}  (fit took {fit_seconds:.1f} s)\n", file=out)
    print(report, file=out)

    os.makedirs(args.output, exist_ok=True)
    model_path = os.path.join(args.output, "model.joblib")
    _atomic_write(model_path, lambda p: joblib.dump(model, p))
    metrics = {
        "model": args.model,
        "data": name,
        "n_train": int(len(train.target)),
        "n_test": int(len(test.target)),
        "epochs": args.epochs,
        "test_accuracy": float(accuracy),
        "fit_seconds": round(fit_seconds, 2),
        "params": {k: v for k, v in model[-1].get_params().items() if k != "callbacks"},
    }

    def write_json(p):
        with open(p, "w") as f:
            json.dump(metrics, f, indent=2, default=str)

    def write_report(p):
        with open(p, "w") as f:
            f.write(f"{name}, test accuracy {accuracy:.4f}\n\n{report}")

    _atomic_write(os.path.join(args.output, "metrics.json"), write_json)
    _atomic_write(os.path.join(args.output, "classification_report.txt"), write_report)
    print(f"Saved the fitted pipeline to {model_path}", file=out)
    return metrics


def main(argv=None):
    """Entry point of the ``skmnist`` console script and ``python -m skmnist``."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if args.learning_rate <= 0:
        parser.error("--learning-rate must be positive")
    if args.l2 < 0:
        parser.error("--l2 must be non-negative")
    if args.n_components < 1:
        parser.error("--n-components must be at least 1")
    try:
        run(args)
    except (OSError, ValueError) as exc:
        print(f"skmnist: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
