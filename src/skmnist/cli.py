"""The ``skmnist`` command line: ``skmnist run`` runs the digit study and writes its report;
``skmnist predict`` reads the digits in image files with a saved model; ``skmnist serve``
serves one over HTTP."""

import argparse
import math
import os
import sys
import time
import warnings

from sklearn.exceptions import NotFittedError

from . import __version__
from ._networks import NETWORKS
from ._parameters import MDN_PARAMETERS, NOVELTY_FLAG, SHARED_PARAMETERS
from .report import ReportFolder
from .study import _STEP_REGISTRY, ORIGINAL_L2, STEPS

__all__ = ["console_main", "main"]


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: ...)" to an option's help once, and only when it says something.

    Left out when the help already names its default, and for defaults that only mean "not
    given" (None, False, empty): the help says what happens then.
    """

    def _get_help_string(self, action):
        help_text, default = action.help or "", action.default
        empty = default is None or default is False or (
            isinstance(default, (tuple, list, str)) and not default
        )
        if "(default" in help_text or empty:
            return help_text
        return super()._get_help_string(action)


def _numbered_steps():
    """The study's steps as the run command's description lists them: "1 data, 2 network"."""
    return ", ".join(f"{number} {step.title.lower()}"
                     for number, step in enumerate(_STEP_REGISTRY, start=1))


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="skmnist",
        description="Handwritten-digit recognition with Keras networks as scikit-learn "
        "estimators.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    # name -> its parser, so that main reports a command's errors with that command's usage
    parser.commands = sub.choices
    run = sub.add_parser(
        "run",
        help="run the digit study end to end and write its HTML report",
        description="Run the digit study on MNIST (the embedded sample by default, works "
        f"offline): {_numbered_steps()}. Writes a report folder: index.html (open it in a "
        "browser), "
        "the PNG figures, metrics.json, classification_report.txt and, when the evaluated "
        "model reaches --min-accuracy, the fitted pipeline (PixelScaler + classifier) as "
        "model.joblib. Exit status: 0 done, 1 error, 2 bad arguments, 3 model below "
        "--min-accuracy (report written, model not saved), 130 interrupted (Ctrl-C: no "
        "report written, a previous one left as it was).",
        formatter_class=_HelpFormatter,
    )
    run.add_argument(
        "--steps", default=",".join(STEPS), type=_parse_steps,
        help=f"comma-separated steps to run, by name or number (1-{len(STEPS)}), e.g. "
        "'data,errors' or "
        "'1,3'; networks a step needs are trained even when their own step is left out",
    )
    run.add_argument(
        "--model", choices=list(NETWORKS), default=next(iter(NETWORKS)),
        help=f"the network step {STEPS.index('evaluation') + 1} evaluates and saves: "
        + " or ".join(f"{net.name} ({net.description})" for net in NETWORKS.values()),
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
    _add_serve_parser(sub)
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
        formatter_class=_HelpFormatter,
    )
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    predict.add_argument(
        "--model", default=None,
        help="a fitted model saved with joblib or as a skops file (skmnist.persistence.dump), "
        f"e.g. the {DEFAULT_MODEL} that 'skmnist run' writes, or any fitted scikit-learn "
        "classifier or pipeline that takes MNIST's 784 pixels (grey levels 0-255); a pipeline "
        "that starts with a DigitNormalizer frames the images with its settings. Load only "
        "joblib files you trust: unpickling runs code (a skops file loads skmnist's and "
        "scikit-learn's types only). Default: the shipped model (skmnist.load_pretrained)",
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


# fetch_mnist's words for its parameters -> the options of 'skmnist run' that set them
_DATA_OPTIONS = (
    ("pass download_if_missing=True", "drop --no-download"),
    ("and download_if_missing=False", "and --no-download was given"),
    ("data_home", "--data-home"),
)


def _load_data(args):
    from .datasets import fetch_mnist, load_mnist_sample

    if args.full:
        kwargs = {"data_home": args.data_home, "download_if_missing": not args.no_download}
        try:
            train, test = fetch_mnist("train", **kwargs), fetch_mnist("test", **kwargs)
        except FileNotFoundError as exc:
            # fetch_mnist speaks of its parameters; say the options that set them here
            message = str(exc)
            for library, option in _DATA_OPTIONS:
                message = message.replace(library, option)
            raise FileNotFoundError(message) from None
        name = "MNIST (official 60,000/10,000 split)"
    else:
        train, test = load_mnist_sample("train"), load_mnist_sample("test")
        name = "embedded MNIST sample"
    return name, train, test


def _data_args(args):
    """The data options of ``args`` as command-line arguments, for the report's command."""
    if not args.full:
        return []
    home = args.data_home or os.environ.get("SKMNIST_DATA")
    return ["--full", *(["--data-home", home] if home else []),
            *(["--no-download"] if args.no_download else [])]


# Thresholds of the save step: the original work's on full MNIST, and one the defaults clear
# with a margin on the 5,000-image embedded sample (its accuracy there: the analysis page).
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
        write_report(result, folder.staging, total_seconds=total, data_args=_data_args(args))
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
    """The fitted model saved at ``path``.

    A joblib/pickle or a skops file (persistence.load_model tells them apart); every failure
    is a ValueError whose message is one line naming the file.
    """

    from .persistence import load_model

    if not os.path.exists(path):
        hint = (
            " (train and save one with 'skmnist run', or pass --model)"
            if path == DEFAULT_MODEL else ""
        )
        raise ValueError(f"no model file at {path!r}{hint}")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = load_model(path)
    except ImportError as exc:  # a skops file without skops installed
        raise ValueError(f"cannot load a model from {path!r}: {exc}") from None
    for warning in caught:
        if issubclass(warning.category, UserWarning):  # other versions, no record: one line
            print(f"skmnist: warning: {path}: {warning.message}", file=sys.stderr)
        else:  # a library's notice, as it would have been shown
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    if not (hasattr(model, "predict_proba") and hasattr(model, "classes_")):
        raise ValueError(
            f"{path!r} holds a {type(model).__name__}, not a fitted classifier with "
            "predict_proba"
        )
    return model


def _line(path, label, probability, novelty, statistics, in_set=None):
    """One image's line: its digit, probability, novelty and prediction set (the digits
    ``in_set``, when the model has sets), or why there is no one digit."""
    from ._framing import STATISTICS

    apart = statistics[STATISTICS.index("side_by_side")] if statistics is not None else 1
    if novelty is not None and novelty > NOVELTY_FLAG and apart >= 2:
        # Not a guess: the reader sees several marks side by side, as in "12".
        return (f"{path}: no single digit: {apart:.0f} marks side by side (several digits?); "
                "crop one digit per image")
    text = f"{path}: {label} (probability {probability:.3f}"
    if novelty is not None:
        text += f", novelty {novelty:.3f}"
        if novelty > NOVELTY_FLAG:
            text += ": does not look like a handwritten digit"
    if in_set is not None:
        text += ", set {" + ", ".join(str(c) for c in in_set) + "}"
    return text + ")"


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

            model = load_pretrained()
        else:
            model = _load_model(args.model)
    except ValueError as exc:
        print(f"skmnist: error: {exc}", file=err)
        return 1
    # The command line's framing options, else the model's own DigitNormalizer's, else its
    # defaults (as_digit_pipeline keeps what is not given).
    reader = as_digit_pipeline(model, ink=args.ink, threshold=args.threshold, deskew=args.deskew)
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
        notes = "".join(f"; {note}" for note in result.notes.get(index, []))
        line = _line(
            path, result.predicted[index], float(result.proba[index].max()),
            None if novelty is None else float(novelty[index]),
            None if result.statistics is None else result.statistics[index],
            None if sets is None else reader.classes_[sets[index]],
        )
        print(line + notes, file=out)
    out.flush()
    return 3 if result.errors else 0


def _add_serve_parser(sub):
    serve = sub.add_parser(
        "serve",
        help="serve a model over HTTP: a page to draw digits on, and a JSON API",
        description="Serve a fitted model over HTTP (Starlette on uvicorn; needs the serve "
        "extra: pip install 'skmnist[serve]'; imports no TensorFlow). GET / is a page to "
        "draw a digit on or upload a photo of one; POST /predict reads images sent as "
        "multipart files, base64 in JSON, or 784-pixel rows; GET /health, GET /model and GET "
        "/openapi.json describe the rest. SIGINT or SIGTERM: the requests in flight finish, "
        "then the server exits with status 0. Exit status 1: the model cannot be loaded or "
        "the address cannot be bound.",
        formatter_class=_HelpFormatter,
    )
    serve.add_argument(
        "--model", default=None, metavar="FILE",
        help="a saved model: a joblib/pickle file (such as the model.joblib of 'skmnist "
        "run'; unpickling runs code, load only files you trust) or a skops file; any fitted "
        "classifier or pipeline that takes MNIST's 784 grey levels, or a pipeline that starts "
        "with a DigitNormalizer. None: the model shipped with skmnist",
    )
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=8000, help="the port to listen on")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (each loads the model); 1 serves from this "
                       "process")
    from .serve._decode import Limits  # the defaults, declared once (NumPy only)

    limits = Limits()
    serve.add_argument("--max-body-bytes", type=int, default=limits.max_body_bytes,
                       help="the largest request body (larger: 413)")
    serve.add_argument("--max-pixels", type=int, default=limits.max_pixels,
                       help="the most pixels (width x height) of one image, checked before "
                       "it is decompressed (more: 413)")
    serve.add_argument("--max-images", type=int, default=limits.max_images,
                       help="the most images in one request (more: 413)")
    serve.add_argument("--log-level", default="info",
                       choices=["critical", "error", "warning", "info", "debug"],
                       help="uvicorn's log level")
    serve.add_argument("--no-access-log", action="store_true",
                       help="no log line per request")


def serve(args, err=None):
    """``skmnist serve``: load the model, serve it until SIGINT/SIGTERM; return the status."""
    err = sys.stderr if err is None else err
    for name in ("workers", "max_body_bytes", "max_pixels", "max_images"):
        if getattr(args, name) < 1:
            print(f"skmnist: error: --{name.replace('_', '-')} must be at least 1", file=err)
            return 2
    try:
        from .serve._model import served_model
        from .serve._run import run_server
        from .serve.app import ENVIRONMENT, create_app
    except ImportError as exc:
        print(f"skmnist: error: skmnist serve needs the serve extra: pip install "
              f"'skmnist[serve]' ({exc})", file=err)
        return 1
    limits = {name: getattr(args, name) for name in ("max_body_bytes", "max_pixels",
                                                     "max_images")}
    try:
        app = create_app(served_model(args.model), **limits)
    except (ValueError, TypeError, OSError, ImportError) as exc:
        print(f"skmnist: error: {exc}", file=err)
        return 1
    environment = {ENVIRONMENT[name]: str(value) for name, value in limits.items()}
    if args.model is not None:
        environment[ENVIRONMENT["model"]] = os.path.abspath(args.model)
    served = app.state.model
    print(f"skmnist: serving {served.source} ({' -> '.join(served.describe()['steps'])}) "
          f"at http://{args.host}:{args.port}/", file=err, flush=True)
    run_server(app, host=args.host, port=args.port, workers=args.workers,
               environment=environment, log_level=args.log_level,
               access_log=not args.no_access_log)
    return 0


def main(argv=None):
    """Entry point of the ``skmnist`` console script and ``python -m skmnist``."""
    parser = _build_parser()
    # parse_args would report a command's unknown options with the top-level usage
    args, unknown = parser.parse_known_args(argv)
    command = parser.commands[args.command]
    if unknown:
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "serve":  # the server handles SIGINT/SIGTERM itself (exit 0)
        return serve(args)
    try:
        if args.command == "predict":
            return predict(args)
        return _run_command(command, args)
    except KeyboardInterrupt:
        # Ctrl-C: one line and the shell's status for SIGINT (128 + 2), no traceback
        detail = ""
        if args.command == "run":
            detail = "; no report written (the previous report, if any, is unchanged)"
        print(f"skmnist: interrupted{detail}", file=sys.stderr, flush=True)
        return 130


def console_main():
    """The ``skmnist`` console script and ``python -m skmnist``: :func:`main`, then exit.

    After Ctrl-C the process ends at once (``os._exit``): the report is already discarded
    and the line printed, and TensorFlow's teardown at a normal interpreter exit takes
    seconds.
    """
    status = main()
    if status == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def _run_command(parser, args):
    """``skmnist run`` after its arguments are parsed: check them, run, return the status."""
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
    sys.exit(console_main())
