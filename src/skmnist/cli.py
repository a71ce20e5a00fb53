"""The ``skmnist`` command line: ``skmnist run`` runs the digit study and writes its report;
``skmnist predict`` reads the digits in image files with a saved model."""

import argparse
import math
import os
import sys
import time

from sklearn.exceptions import NotFittedError

from . import __version__
from ._novelty import NOVELTY_FLAG
from ._parameters import MDN_PARAMETERS, SHARED_PARAMETERS
from .report import ReportFolder
from .study import ORIGINAL_L2, STEPS

__all__ = ["main"]

_MODELS = ("fcn", "mdn")


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="skmnist",
        description="Handwritten-digit recognition with Keras networks as scikit-learn "
        "estimators.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    run = sub.add_parser(
        "run",
        help="run the digit study end to end and write its HTML report",
        description="Run the digit study on MNIST (the embedded sample by default, works "
        "offline): 1 data, 2 network, 3 error analysis, 4 regularization, 5 mixture density "
        "network, 6 evaluation. Writes a report folder: index.html (open it in a browser), "
        "the PNG figures, metrics.json, classification_report.txt and, when the evaluated "
        "model reaches --min-accuracy, the fitted pipeline (PixelScaler + classifier) as "
        "model.joblib. Exit status: 0 done, 1 error, 2 bad arguments, 3 model below "
        "--min-accuracy (report written, model not saved).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    run.add_argument(
        "--steps", default=",".join(STEPS), type=_parse_steps,
        help="comma-separated steps to run, by name or number (1-6), e.g. 'data,errors' or "
        "'1,3'; networks a step needs are trained even when their own step is left out",
    )
    run.add_argument(
        "--model", choices=_MODELS, default="fcn",
        help="the network step 6 evaluates and saves: fcn (softmax) or mdn (mixture density)",
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
    shared = SHARED_PARAMETERS
    run.add_argument(
        "--epochs", type=int, default=shared["epochs"], help="training epochs of every network"
    )
    run.add_argument(
        "--batch-size", type=int, default=shared["batch_size"], help="samples per gradient step"
    )
    run.add_argument(
        "--learning-rate", type=float, default=shared["learning_rate"], help="Adam learning rate"
    )
    run.add_argument(
        "--learning-rate-schedule", choices=["cosine", "constant"],
        default=shared["learning_rate_schedule"],
        help="cosine decay of the rate over the epochs, or a constant rate",
    )
    run.add_argument(
        "--conv-filters", type=_parse_filters, default=shared["conv_filters"],
        help="comma-separated filters of convolution blocks before the dense layers, e.g. "
        "'32,64' for the convolutional networks; empty for the fully connected ones",
    )
    run.add_argument(
        "--l2", type=float, default=shared["l2"],
        help="L2 penalty on the hidden kernels of the evaluated networks",
    )
    run.add_argument(
        "--study-l2", type=float, default=ORIGINAL_L2,
        help="the L2 penalty that step 4 compares with no penalty",
    )
    run.add_argument(
        "--n-components", type=int, default=MDN_PARAMETERS["n_components"],
        help="mixture components of the MDN",
    )
    run.add_argument("--random-state", type=int, default=0, help="seed for reproducible runs")
    run.add_argument(
        "--min-accuracy", type=float, default=None,
        help="test accuracy the evaluated model must reach to be saved (default: 0.95 with "
        "--full, the original's threshold; 0.90 on the 5,000-image embedded sample)",
    )
    run.add_argument(
        "--output", default="skmnist-output",
        help="report folder (created; a previous report there is replaced)",
    )
    run.add_argument(
        "--scheduler", default=None, metavar="ADDRESS",
        help="address of a Dask scheduler (e.g. tcp://10.0.0.5:8786): train the study's "
        "independent networks (FCN, MDN, the two of the regularization step) at once on its "
        "workers; needs the dask extra (pip install 'skmnist[dask]')",
    )
    run.add_argument(
        "--verbose", action="store_true", help="show Keras's line per training epoch"
    )
    run.add_argument(
        "--quiet", action="store_true", help="no progress lines, only the results"
    )
    _add_predict_parser(sub)
    return parser


# What ``skmnist run`` saves by default (named in messages and help).
DEFAULT_MODEL = os.path.join("skmnist-output", "model.joblib")


# Error rate of the prediction sets ``skmnist predict`` shows by default.
_DEFAULT_ALPHA = 0.05


def _parse_alpha(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {text!r}")
    return value


def _add_predict_parser(sub):
    predict = sub.add_parser(
        "predict",
        help="read the digit in each image file (the shipped model, or a saved one)",
        description="Read the digit in each image file (PNG, JPEG or anything Pillow reads; "
        "any size, colour or grey, dark ink on light paper or light on dark; EXIF rotation "
        "applied): each image is put into MNIST's framing (skmnist.DigitNormalizer) and "
        "classified, by default with the model that ships with skmnist. Prints one line per "
        "file: the file, the predicted digit, its probability and the image's novelty (above "
        f"{NOVELTY_FLAG}, the line says the image does not look like a handwritten digit) "
        "and, for a model calibrated for prediction sets (calibrate, or fitted with "
        "early_stopping), the set of digits it cannot rule out at error rate --alpha. "
        "Files that cannot be read or hold no digit are reported on stderr, the others still "
        "predicted. Exit status: 0 every file predicted, 1 the model cannot be loaded "
        "(nothing predicted), 2 bad arguments (--alpha for a model that is not calibrated "
        "too), 3 some files could not be read (the others "
        "predicted).",
    )
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    predict.add_argument(
        "--model", default=None,
        help="a fitted model saved with joblib or skops, e.g. the "
        f"{DEFAULT_MODEL} that 'skmnist run' writes, or any fitted scikit-learn classifier "
        "or pipeline that takes MNIST's 784 pixels (grey levels 0-255); a pipeline that starts "
        "with a DigitNormalizer frames the images with its settings. Load only joblib files "
        "you trust: unpickling runs code. Default: the shipped model (skmnist.load_pretrained)",
    )
    predict.add_argument(
        "--ink", choices=["auto", "dark", "light"], default=None,
        help="the digits' polarity: dark ink on light paper, light on dark, or detected per "
        "image (default: the model's DigitNormalizer's, else auto)",
    )
    predict.add_argument(
        "--threshold", type=_parse_threshold, default=None,
        help="the ink threshold, 'otsu' or a fraction in (0, 1) of the ink's contrast "
        "(default: the model's DigitNormalizer's, else otsu)",
    )
    predict.add_argument(
        "--deskew", action="store_true", default=None,
        help="deskew the digits (only for models trained on deskewed digits)",
    )
    predict.add_argument(
        "--alpha", type=_parse_alpha, default=None,
        help="error rate of the prediction sets shown for a calibrated model: the set holds "
        "the true digit of all but about this share of images like the calibration ones "
        f"(default: {_DEFAULT_ALPHA} when the model is calibrated; given with a model that "
        "is not, an error)",
    )


def _parse_threshold(text):
    if text == "otsu":
        return text
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected 'otsu' or a number in (0, 1), got {text!r}")
    return value


def _parse_filters(text):
    try:
        filters = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        filters = (0,)
    if any(f < 1 for f in filters):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive ints such as '32,64', got {text!r}"
        )
    return filters


def _parse_steps(text):
    chosen = []
    for item in (part.strip() for part in text.split(",")):
        if item.isdigit() and 1 <= int(item) <= len(STEPS):
            item = STEPS[int(item) - 1]
        if item not in STEPS:
            raise argparse.ArgumentTypeError(
                f"unknown step {item!r}; choose from {', '.join(STEPS)} (or 1-{len(STEPS)})"
            )
        chosen.append(item)
    return chosen


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


# Thresholds of the save step: the original work's on full MNIST, and one the defaults clear
# with a margin on the 5,000-image embedded sample (about 94-95% there).
_MIN_ACCURACY_FULL = 0.95
_MIN_ACCURACY_SAMPLE = 0.90


def run(args, out=None):
    """Run the study as ``args`` say, write the report; print progress to ``out``.

    Returns the ``metrics.json`` record.
    """
    out = sys.stdout if out is None else out

    def log(line):
        if not args.quiet:
            print(line, file=out, flush=True)

    started = time.perf_counter()
    # Before any training: the report folder must be writable.
    folder = ReportFolder(args.output)
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, whatever backend the environment would pick

        from .report import metrics_record, write_report
        from .study import run_study

        name, train, test = _load_data(args)
        min_accuracy = args.min_accuracy
        if min_accuracy is None:
            min_accuracy = _MIN_ACCURACY_FULL if args.full else _MIN_ACCURACY_SAMPLE
        log(
            f"Digit study on the {name}: {len(train.target):,} training and "
            f"{len(test.target):,} test images, {args.epochs} epochs, steps: "
            f"{', '.join(args.steps)}."
        )
        result = run_study(
            train, test, steps=args.steps, model=args.model, epochs=args.epochs,
            batch_size=args.batch_size, learning_rate=args.learning_rate,
            learning_rate_schedule=args.learning_rate_schedule,
            conv_filters=args.conv_filters, l2=args.l2,
            study_l2=args.study_l2, n_components=args.n_components,
            random_state=args.random_state, min_accuracy=min_accuracy, dataset=name,
            verbose=2 if args.verbose else 0, log=log, scheduler=args.scheduler,
        )
        total = time.perf_counter() - started
        write_report(result, folder.staging, total_seconds=total)
        folder.commit()
    except BaseException:
        folder.discard()
        raise

    report_path = os.path.join(args.output, "index.html")
    if result.model is not None:
        evaluation = result.section("evaluation").numbers
        print(
            f"\nTest accuracy: {evaluation['accuracy']:.4f} ({args.model.upper()})\n",
            file=out,
        )
        print(evaluation["classification_report"], file=out)
        if result.keep_model:
            print(f"Saved the fitted pipeline to {os.path.join(args.output, 'model.joblib')}",
                  file=out)
    print(f"Report: {report_path} ({total:.0f} s)", file=out, flush=True)
    return metrics_record(result, total_seconds=total)


def _load_model(path):
    """The fitted model saved at ``path``, and its DigitNormalizer's parameters if it has one."""
    import joblib
    from sklearn.pipeline import Pipeline

    from .preprocessing import DigitNormalizer

    if not os.path.exists(path):
        hint = (
            " (train and save one with 'skmnist run', or pass --model)"
            if path == DEFAULT_MODEL else ""
        )
        raise ValueError(f"no model file at {path!r}{hint}")
    try:
        model = joblib.load(path)
    except Exception as exc:  # joblib/pickle raise many kinds; all mean "not a model file"
        raise ValueError(
            f"cannot load a model from {path!r}: {type(exc).__name__}: {exc}"
        ) from None
    if not (hasattr(model, "predict_proba") and hasattr(model, "classes_")):
        raise ValueError(
            f"{path!r} holds a {type(model).__name__}, not a fitted classifier with "
            "predict_proba"
        )
    normalizer = {}
    if isinstance(model, Pipeline) and isinstance(model.steps[0][1], DigitNormalizer):
        normalizer = model.steps[0][1].get_params()
        model = model[1:]
    return model, normalizer


def _verdict(novelty, statistics):
    """The line's ending for an image of this novelty (and framing statistics)."""
    from ._framing import STATISTICS

    if novelty is None:
        return ""
    text = f", novelty {novelty:.3f}"
    if novelty > NOVELTY_FLAG:
        text += ": does not look like a handwritten digit"
        parts = statistics[STATISTICS.index("n_parts")] if statistics is not None else 0
        if parts >= 2:
            text += f" ({parts:.0f} separate marks: one digit per image)"
    return text


def _prediction_sets(reader, result, alpha):
    """The prediction sets of the framed images, or None for a model without them.

    A model that is not calibrated shows none, unless ``alpha`` was asked for (then
    NotFittedError, naming what to do).
    """
    network = reader[1:]  # after the DigitNormalizer: the framed images are its input
    if not hasattr(network, "predict_set"):
        return None
    try:
        return network.predict_set(result.framed, _DEFAULT_ALPHA if alpha is None else alpha)
    except NotFittedError:
        if alpha is None:
            return None
        raise


def predict(args, out=None, err=None):
    """``skmnist predict``: print each image's digit and probability; return the exit status."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    from .pipeline import as_digit_pipeline

    try:
        if args.model is None:
            from .pretrained import load_pretrained

            model, params = load_pretrained(), {}
        else:
            model, params = _load_model(args.model)
    except ValueError as exc:
        print(f"skmnist: error: {exc}", file=err)
        return 1
    framing = {"ink": args.ink, "threshold": args.threshold, "deskew": args.deskew}
    reader = as_digit_pipeline(
        model, **{**params, **{k: v for k, v in framing.items() if v is not None}}
    )
    try:
        result = reader.read(list(args.images))
    except (ValueError, TypeError) as exc:
        print(f"skmnist: error: the model cannot read MNIST's 784 pixels: {exc}", file=err)
        return 1
    novelty = result.uncertainty.get("novelty")
    try:
        sets = _prediction_sets(reader, result, args.alpha)
    except NotFittedError as exc:  # --alpha asked of a model without prediction sets
        print(f"skmnist: error: --alpha: {exc}", file=err)
        return 2
    for index, path in enumerate(args.images):
        if index in result.errors:
            message = result.errors[index].split(": ", 1)[1]
            print(f"skmnist: error: {path}: {message}", file=err)
            continue
        best = int(result.proba[index].argmax())
        notes = "".join(f"; {note}" for note in result.notes.get(index, []))
        verdict = _verdict(
            None if novelty is None else float(novelty[index]), result.statistics[index]
        )
        in_set = "" if sets is None else (
            ", set {" + ", ".join(str(c) for c in reader.classes_[sets[index]]) + "}"
        )
        print(f"{path}: {result.predicted[index]} (probability "
              f"{result.proba[index, best]:.3f}{verdict}{in_set}){notes}", file=out)
    out.flush()
    return 3 if result.errors else 0


def main(argv=None):
    """Entry point of the ``skmnist`` console script and ``python -m skmnist``."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "predict":
        return predict(args)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    # Written so that NaN fails them too (every comparison with NaN is False).
    if not 0 < args.learning_rate < math.inf:
        parser.error("--learning-rate must be a positive finite number")
    if not 0 <= args.l2 < math.inf:
        parser.error("--l2 must be a non-negative finite number")
    if not 0 <= args.study_l2 < math.inf:
        parser.error("--study-l2 must be a non-negative finite number")
    if args.n_components < 1:
        parser.error("--n-components must be at least 1")
    if args.min_accuracy is not None and not 0 <= args.min_accuracy <= 1:
        parser.error("--min-accuracy must be between 0 and 1")
    if args.verbose and args.quiet:
        parser.error("--verbose and --quiet exclude each other")
    try:
        metrics = run(args)
    except (OSError, ValueError, ImportError) as exc:
        print(f"skmnist: error: {exc}", file=sys.stderr)
        return 1
    if metrics.get("model_saved") is False:
        print(
            f"skmnist: model not saved: test accuracy {metrics['test_accuracy']:.4f} is below "
            f"--min-accuracy {metrics['min_accuracy']:g}",
            file=sys.stderr,
        )
        return 3
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
