"""The digit study of the original work, in six steps, as results a report can show.

Each step is a function ``step(context) -> Section``: it trains what it needs (or reuses what an
earlier step trained), draws its figures with :mod:`skmnist.plotting` and scikit-learn's
:class:`~sklearn.metrics.ConfusionMatrixDisplay`, and returns a :class:`Section` holding the
figures, tables, preformatted text and the numbers that go into ``metrics.json``.
:func:`run_study` runs the chosen steps in order; :func:`skmnist.report.write_report` turns the
result into an HTML page. ``skmnist run`` is the two together.

The steps:

1. ``data``: a 5x5 grid of the first 25 training digits titled with their labels; pixels
   scaled to [0, 1] by :class:`~skmnist.PixelScaler`; digits per class.
2. ``network``: the 784-400-20-10 :class:`~skmnist.FCNClassifier` trained; its Keras summary;
   test loss and accuracy.
3. ``errors``: the confusion-matrix heatmap and a 5x5 grid of misclassified test digits.
4. ``regularization``: the same network with and without an L2 penalty, trained side by side
   with a validation split; their training curves in one figure; both test scores.
5. ``mdn``: the :class:`~skmnist.MDNClassifier`; for chosen test digits the share of draws
   from its mixture per digit, with the mixture's density; its uncertainty; the softmax
   network against the MDN on the same split (reliability diagram with intervals and counts
   per bin, risk-coverage curve).
6. ``evaluation``: accuracy, precision, recall and F1 (macro, and per class: scikit-learn's
   classification report), the confusion matrix unless step 3 drew it for the same network,
   the first 15 test digits titled "predicted / actual"; conformal prediction sets
   (calibrated on half of the test digits, measured on the other half); the model is kept
   only when its test accuracy clears ``min_accuracy``.

Before the first timed fit, a one-epoch warm-up fit pays TensorFlow's one-time start-up, so
that every fit time measures the same thing. What makes a run less than a full, clean one
(model below the threshold, novelty unavailable, fewer epochs than asked) is collected in
:attr:`StudyResult.warnings`.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._networks import NETWORKS
from ._parameters import MDN_PARAMETERS, SHARED_PARAMETERS

__all__ = ["STEPS", "Section", "StudyResult", "run_study"]

# The penalty the original work compared against no penalty, on both hidden layers.
ORIGINAL_L2 = 0.01

# Seconds to wait for a Dask scheduler (run_study's scheduler=) before giving up.
_SCHEDULER_TIMEOUT = 30

# Digits shown in the MDN's sample histograms: this many of the least and of the most certain.
_N_UNCERTAIN_SHOWN = 5

# How every digit figure of the study draws the pixels, and the words the text uses for it:
# MNIST stores the ink's strength (0 background, 255 ink), which "gray_r" draws dark on white.
_DIGIT_CMAP = "gray_r"
_DIGIT_INK = "dark on white"


@dataclass
class Section:
    """One step's results: what the report shows and what ``metrics.json`` records.

    Attributes
    ----------
    key : str
        The step's name, one of :data:`STEPS`.
    title : str
        Heading of the section.
    text : str
        One paragraph saying what the step did and what to look at.
    figures : list of (str, str, matplotlib.figure.Figure)
        ``(file stem, caption, figure)`` per figure.
    tables : list of (str, list of str, list of list)
        ``(caption, header, rows)`` per table; cells are strings or numbers.
    preformatted : list of (str, str)
        ``(caption, text)`` blocks shown verbatim (the Keras summary).
    numbers : dict
        The step's figures (JSON-serialisable), written to ``metrics.json`` under ``steps``.
    seconds : float
        Wall time of the step.

    Examples
    --------
    >>> from skmnist.study import Section
    >>> section = Section("data", "Data", tables=[("Sizes", ["set", "images"], [["test", 10]])])
    >>> section.title, section.tables[0][2]
    ('Data', [['test', 10]])
    """

    key: str
    title: str
    text: str = ""
    figures: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    preformatted: list = field(default_factory=list)
    numbers: dict = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class StudyResult:
    """What :func:`run_study` returns.

    Attributes
    ----------
    sections : list of Section
        One per step run, in order.
    dataset : str
        Name of the data the study ran on.
    n_train, n_test : int
        Number of training and test images.
    settings : dict
        The study's settings (epochs, random state, threshold, ...).
    model : sklearn.pipeline.Pipeline or None
        The evaluated pipeline (``PixelScaler`` + classifier), when the ``evaluation`` step ran.
    model_kind : str
        ``"fcn"`` or ``"mdn"``: which network the ``evaluation`` step judged.
    keep_model : bool
        True when the evaluated model's test accuracy reached ``min_accuracy``.
    warnings : list of str
        What makes this run less than a full, clean one, in words: the evaluated model below
        the threshold (not saved), novelty unavailable, a network that trained fewer epochs
        than asked, a step that did not run as asked. The report shows them at the top.
    warmup_seconds : float or None
        Wall time of the warm-up fit that paid TensorFlow's one-time start-up before the
        first timed fit (None when nothing was trained in this process).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skmnist import load_mnist_sample
    >>> from skmnist.study import run_study
    >>> result = run_study(load_mnist_sample("train"), load_mnist_sample("test"),
    ...                    steps=["data"])
    >>> result.dataset, result.n_test, result.model is None, result.test_accuracy is None
    ('MNIST', 1000, True, True)
    """

    sections: list
    dataset: str
    n_train: int
    n_test: int
    settings: dict
    model: object = None
    model_kind: str = "fcn"
    keep_model: bool = False
    warnings: list = field(default_factory=list)
    warmup_seconds: float = None

    def section(self, key):
        """Look up the section of one step.

        Parameters
        ----------
        key : str
            The step's name, one of :data:`STEPS`.

        Returns
        -------
        section : Section or None
            The :class:`Section` of step ``key``, or None when that step did not run.
        """
        return next((s for s in self.sections if s.key == key), None)

    @property
    def test_accuracy(self):
        """Test accuracy of the evaluated model (None when ``evaluation`` did not run)."""
        evaluation = self.section("evaluation")
        return None if evaluation is None else evaluation.numbers["accuracy"]


def _timed_fit(model, X, y):
    """Fit ``model`` and return it with the seconds it took (runs on a Dask worker too)."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        # the study stops on an interrupted fit (_stop_if_interrupted): the estimator's
        # warning would only repeat it
        warnings.filterwarnings("ignore", "Training interrupted by user", UserWarning)
        model.fit(X, y)
    return model, time.perf_counter() - start


def _stop_if_interrupted(model):
    """Raise KeyboardInterrupt again when ``model``'s fit was interrupted.

    The estimators catch it (as MLPClassifier does) and return the last completed epoch's
    network, but a study must not go on to judge, report or save a network that was not
    trained as asked.  Checked where the study runs, not in ``_timed_fit``: on a Dask worker
    a KeyboardInterrupt would hit the worker, not the study.
    """
    estimator = model.steps[-1][1] if hasattr(model, "steps") else model
    if getattr(estimator, "interrupted_", False):
        raise KeyboardInterrupt


class _Context:
    """Data, settings and the networks trained so far, shared by the steps."""

    def __init__(self, train, test, settings, log):
        self.train, self.test, self.settings, self.log = train, test, settings, log
        self.models = {}  # name -> (fitted pipeline, fit seconds)
        self.labels = {}  # name -> label in the progress lines
        self.warnings = []  # what the report's banner says about this run
        self.confusion_shown = None  # the network whose confusion matrix a step drew
        self.warmup_seconds = None

    def warn(self, message):
        """Record that the run is degraded (``message``), for the report's banner."""
        self.warnings.append(message)
        self.log(f"      warning: {message}")

    def warm_up(self):
        """Fit a one-epoch network on two batches, untimed, before the first timed fit.

        The first fit in a process pays TensorFlow's one-time start-up (importing it, its
        runtime and first graph compilation), several times a small network's training:
        a fit time that included it would compare that fit with nothing else. Returns the
        seconds it took.
        """
        model = self.pipeline("fcn")
        model.set_params(**{f"{model.steps[-1][0]}__epochs": 1})
        rows = slice(0, 2 * self.settings["batch_size"])
        start = time.perf_counter()
        model.fit(self.train.data[rows], self.train.target[rows])
        self.warmup_seconds = time.perf_counter() - start
        self.log(f"      TensorFlow warm-up (not counted in fit times): "
                 f"{self.warmup_seconds:.1f} s")
        return self.warmup_seconds

    def estimator_params(self):
        s = self.settings
        return dict(
            epochs=s["epochs"],
            batch_size=s["batch_size"],
            learning_rate=s["learning_rate"],
            learning_rate_schedule=s["learning_rate_schedule"],
            conv_filters=s["conv_filters"],
            random_state=s["random_state"],
            verbose=s["verbose"],
        )

    def pipeline(self, name):
        """The unfitted pipeline ``name`` (a key of ``NETWORKS``): PixelScaler + the network."""
        from sklearn.pipeline import make_pipeline

        from .preprocessing import PixelScaler

        network = NETWORKS[name]
        own = {setting: self.settings[setting] for setting in network.settings}
        clf = network.estimator_class()(**own, **self.estimator_params())
        return make_pipeline(PixelScaler(), clf)

    def fitted(self, name, pipeline=None, label=None):
        """The fitted pipeline ``name``, trained here on first use unless already trained.

        ``pipeline`` is what to train (default: the network ``name`` of :meth:`pipeline`);
        :meth:`fit_on_scheduler` may have trained it on a Dask worker before.
        """
        if name not in self.models:
            model = self.pipeline(name) if pipeline is None else pipeline
            self.labels[name] = label or NETWORKS[name].label
            self.models[name] = self.fit(model, self.labels[name])
        return self.models[name][0]

    def fit(self, model, label):
        model, seconds = _timed_fit(model, self.train.data, self.train.target)
        _stop_if_interrupted(model)
        self.log(f"      trained {label} in {seconds:.1f} s")
        return model, seconds

    def fit_on_scheduler(self, jobs, address):
        """Train independent pipelines at once on the Dask scheduler at ``address``.

        ``jobs`` maps a name to ``(label, unfitted pipeline)``; each becomes one joblib task
        under joblib's ``dask`` backend, and :meth:`fitted` then finds them trained.
        """
        try:
            import joblib
            from distributed import Client
        except ImportError:
            raise ImportError(
                "Sending the study's fits to a Dask scheduler needs dask.distributed: "
                "pip install 'skmnist[dask]'."
            ) from None
        try:
            client = Client(address, timeout=_SCHEDULER_TIMEOUT)
        except (OSError, ValueError) as exc:
            raise OSError(f"Cannot reach the Dask scheduler at {address!r}: {exc}") from None
        names = list(jobs)
        X, y = self.train.data, self.train.target
        self.log(f"      training {', '.join(jobs[n][0] for n in names)} on the Dask "
                 f"scheduler at {address} ...")
        with client, joblib.parallel_backend("dask", client=client):
            results = joblib.Parallel(n_jobs=len(names))(
                joblib.delayed(_timed_fit)(jobs[name][1], X, y) for name in names
            )
        for name, (model, seconds) in zip(names, results):
            _stop_if_interrupted(model)
            self.models[name] = (model, seconds)
            self.labels[name] = jobs[name][0]
            self.log(f"      trained {jobs[name][0]} in {seconds:.1f} s (on a Dask worker)")

    def fit_seconds(self, name):
        return self.models[name][1]

    def check_epochs(self):
        """Warn about every network that trained fewer epochs than asked."""
        asked = self.settings["epochs"]
        for name, (model, _) in self.models.items():
            done = int(model[-1].n_iter_)
            if done < asked:
                self.warn(f"{self.labels.get(name, name)} trained {done} of the {asked} "
                          "epochs asked (its fit stopped early).")

    def fit_note(self):
        """What the fit times mean, for the sections that show them."""
        if self.warmup_seconds is None:
            return ("Fit time: wall time of fit(); on a Dask worker it includes whatever "
                    "start-up the worker had left to pay.")
        return (f"Fit time: wall time of fit(), after a one-epoch warm-up fit "
                f"({self.warmup_seconds:.1f} s, not counted) paid TensorFlow's one-time "
                "start-up in this process.")


# ------------------------------------------------------------------------------------ steps
def _step_data(ctx):
    from .plotting import DigitGridDisplay
    from .preprocessing import PixelScaler

    train, test = ctx.train, ctx.test
    grid = DigitGridDisplay.from_images(
        train.data[:25], train.target[:25], n_images=25, cmap=_DIGIT_CMAP
    )
    grid.figure_.suptitle("The first 25 training digits")
    scaled = PixelScaler().fit_transform(train.images[:1000])
    classes, train_counts = np.unique(train.target, return_counts=True)
    test_counts = np.array([np.sum(test.target == c) for c in classes])
    return Section(
        key="data",
        title=_title("data"),
        text=(
            f"{len(train.target):,} training and {len(test.target):,} test images of 28 x 28 "
            "grey-scale pixels, each the ink's strength from 0 (background) to 255 (full "
            f"ink); the figures draw the ink {_DIGIT_INK}. PixelScaler reshapes each image "
            "to 784 features and divides by 255, giving float32 values in [0, 1] "
            f"(here {scaled.min():.0f} to {scaled.max():.0f})."
        ),
        figures=[("digits", "The first 25 training digits, titled with their labels.",
                  grid.figure_)],
        tables=[(
            "Images per digit",
            ["digit", "training", "test"],
            [[int(c), int(a), int(b)] for c, a, b in zip(classes, train_counts, test_counts)],
        )],
        numbers={
            "n_train": int(len(train.target)),
            "n_test": int(len(test.target)),
            "image_shape": list(train.images.shape[1:]),
            "train_counts": {str(int(c)): int(n) for c, n in zip(classes, train_counts)},
            "test_counts": {str(int(c)): int(n) for c, n in zip(classes, test_counts)},
        },
    )


def _parameter_counts(estimator):
    """(trainable, non-trainable) parameters of the fitted network itself."""
    model = estimator.model_
    count = lambda weights: int(sum(np.prod(w.shape) for w in weights))  # noqa: E731
    return count(model.trainable_weights), count(model.non_trainable_weights)


def _keras_summary(estimator):
    """Keras's layer table with the network's own parameter counts under it.

    Keras's own totals add the optimizer's state (Adam keeps two slots per weight) once the
    model is compiled, which tripled the "Total params" of a network: they are replaced.
    """
    lines = []
    estimator.model_.summary(print_fn=lambda text, *args, **kwargs: lines.append(text))
    text = "\n".join(lines)
    table = text.split(" Total params:")[0].rstrip()
    trainable, frozen = _parameter_counts(estimator)
    return (
        f"{table}\n"
        f" Parameters of the network: {trainable + frozen:,}\n"
        f"   trainable: {trainable:,}\n"
        f"   non-trainable: {frozen:,}"
    )


def _test_scores(model, test):
    from .metrics import negative_log_likelihood

    proba = model.predict_proba(test.data)
    clf = model[-1]
    predicted = clf.classes_[proba.argmax(axis=1)]
    return {
        "accuracy": float(np.mean(predicted == test.target)),
        "loss": negative_log_likelihood(test.target, proba, labels=clf.classes_),
    }


def _step_network(ctx):
    model = ctx.fitted("fcn")
    clf = model[-1]
    scores = _test_scores(model, ctx.test)
    sizes = [clf.n_features_in_, *np.atleast_1d(clf.hidden_layer_sizes), len(clf.classes_)]
    architecture = "-".join(str(int(n)) for n in sizes)
    if clf.conv_filters:
        architecture += " with convolutions " + "-".join(str(f) for f in clf.conv_filters)
    trainable, frozen = _parameter_counts(clf)
    return Section(
        key="network",
        title=_title("network"),
        text=(
            f"The {architecture} network (ReLU hidden layers, softmax output), "
            f"trained for {clf.n_iter_} epochs with {clf.optimizer} "
            f"(learning rate {clf.learning_rate:g}, {clf.learning_rate_schedule} schedule, "
            f"batch {clf.batch_size}, L2 {clf.l2:g}). The test loss is the mean negative "
            "log-likelihood of the true digits. " + ctx.fit_note()
        ),
        preformatted=[("Keras summary", _keras_summary(clf))],
        tables=[(
            "Test scores",
            ["test loss", "test accuracy", "fit time"],
            [[f"{scores['loss']:.4f}", f"{scores['accuracy']:.2%}",
              f"{ctx.fit_seconds('fcn'):.1f} s"]],
        )],
        numbers={
            "architecture": architecture,
            "n_parameters": int(clf.model_.count_params()),
            "n_trainable_parameters": trainable,
            "n_non_trainable_parameters": frozen,
            "test_loss": scores["loss"],
            "test_accuracy": scores["accuracy"],
            "fit_seconds": round(ctx.fit_seconds("fcn"), 2),
            "epochs": int(clf.n_iter_),
        },
    )


def _confusion_figure(model, test, title):
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(6.4, 5.6), layout="constrained")
    display = ConfusionMatrixDisplay.from_estimator(
        model, test.data, test.target, cmap="Blues", colorbar=False, ax=ax
    )
    ax.set_title(title)
    return display


def _step_errors(ctx):
    from .plotting import DigitGridDisplay

    model = ctx.fitted("fcn")
    predicted = model.predict(ctx.test.data)
    wrong = predicted != ctx.test.target
    confusion = _confusion_figure(model, ctx.test, "Confusion matrix (test set)")
    ctx.confusion_shown = "fcn"
    counts = confusion.confusion_matrix.copy()
    np.fill_diagonal(counts, 0)
    labels = model[-1].classes_
    pairs = sorted(
        ((int(counts[i, j]), labels[i], labels[j]) for i, j in zip(*np.nonzero(counts))),
        key=lambda t: -t[0],
    )[:5]
    section = Section(
        key="errors",
        title=_title("errors"),
        text=(
            f"The network of step 2 gets {int(wrong.sum())} of {len(wrong):,} test digits "
            "wrong. The heatmap counts test digits by true (rows) and predicted (columns) "
            "label; off the diagonal are the errors. Below it, misclassified test digits "
            "titled \"true / predicted\"."
        ),
        figures=[("confusion_matrix", "Confusion matrix of the test set.",
                  confusion.figure_)],
        tables=[(
            "Most frequent confusions",
            ["true", "predicted", "count"],
            [[str(t), str(p), n] for n, t, p in pairs],
        )],
        numbers={
            "n_errors": int(wrong.sum()),
            "error_rate": float(wrong.mean()),
            "most_confused": [
                {"true": str(t), "predicted": str(p), "count": n} for n, t, p in pairs
            ],
        },
    )
    if wrong.any():
        grid = DigitGridDisplay.from_predictions(
            ctx.test.data, ctx.test.target, predicted, kind="misclassified",
            n_images=min(25, int(wrong.sum())), cmap=_DIGIT_CMAP,
        )
        grid.figure_.suptitle("Misclassified test digits (true / predicted)")
        section.figures.append((
            "misclassified",
            "The first misclassified test digits, titled \"true / predicted\".",
            grid.figure_,
        ))
    return section


def _regularization_runs(ctx):
    """The step's two networks, unfitted: name -> (model key, label, pipeline)."""
    l2 = ctx.settings["study_l2"]
    # The validation split is the estimators' own early-stopping hold-out, with a patience as
    # long as the run, so every epoch is trained and recorded.
    curves = {
        "early_stopping": True,
        "n_iter_no_change": ctx.settings["epochs"],
        "validation_fraction": 0.1,
    }
    runs = {}
    for name, penalty in ((f"L2 {l2:g}", l2), ("no L2", 0.0)):
        model = ctx.pipeline("fcn")
        model.set_params(
            **{f"{model.steps[-1][0]}__{k}": v for k, v in {**curves, "l2": penalty}.items()}
        )
        runs[name] = (f"regularization: {name}", f"FCN with {name}", model)
    return runs


def _step_regularization(ctx):
    from .plotting import TrainingCurvesDisplay

    ctx.fitted("fcn")  # the network of step 2, which the two runs vary
    l2 = ctx.settings["study_l2"]
    runs = {
        name: (ctx.fitted(key, pipeline, label), ctx.fit_seconds(key))
        for name, (key, label, pipeline) in _regularization_runs(ctx).items()
    }
    names = list(runs)
    display = TrainingCurvesDisplay.from_estimators(
        [runs[n][0] for n in names], labels=names, colors=["red", "blue"]
    )
    display.figure_.suptitle("Training and validation curves with and without L2")
    rows, numbers = [], {"l2": l2, "runs": {}}
    for name in names:
        model, seconds = runs[name]
        history = model[-1].history_
        scores = _test_scores(model, ctx.test)
        rows.append([
            name,
            f"{history['accuracy'][-1]:.2%}",
            f"{history['val_accuracy'][-1]:.2%}",
            f"{scores['accuracy']:.2%}",
            f"{scores['loss']:.4f}",
        ])
        numbers["runs"][name] = {
            "l2": model[-1].l2,
            "train_accuracy": history["accuracy"][-1],
            "validation_accuracy": history["val_accuracy"][-1],
            "test_accuracy": scores["accuracy"],
            "test_loss": scores["loss"],
            "fit_seconds": round(seconds, 2),
        }
    return Section(
        key="regularization",
        title=_title("regularization"),
        text=(
            f"The network of step 2 trained twice more, with an L2 penalty of {l2:g} on the "
            "hidden layers (red) and without (blue), holding out 10% of the training images "
            "as a validation set. Solid lines are the training figures, dashed lines the "
            "validation figures. The training loss includes the penalty. Each model keeps "
            "the weights of its epoch with the lowest validation loss."
        ),
        figures=[("regularization", "Accuracy (left) and loss (right) per epoch, with L2 "
                  "(red) and without (blue).", display.figure_)],
        tables=[(
            "With and without L2",
            ["model", "training accuracy", "validation accuracy", "test accuracy",
             "test loss"],
            rows,
        )],
        numbers=numbers,
    )


def _step_mdn(ctx):
    import matplotlib.pyplot as plt

    from .metrics import classification_summary
    from .plotting import MixtureSamplesDisplay, ReliabilityDisplay, RiskCoverageDisplay

    mdn = ctx.fitted("mdn")
    fcn = ctx.fitted("fcn")
    test = ctx.test
    clf = mdn[-1]
    Z = mdn[:-1].transform(test.data)
    uncertainty = clf.predict_uncertainty(Z)
    order = np.argsort(uncertainty.entropy, kind="stable")
    chosen = np.concatenate([order[-_N_UNCERTAIN_SHOWN:][::-1], order[:_N_UNCERTAIN_SHOWN]])
    samples = MixtureSamplesDisplay.from_estimator(
        mdn, test.data[chosen], test.target[chosen], n_draws=2000,
        random_state=ctx.settings["random_state"], n_cols=_N_UNCERTAIN_SHOWN,
    )
    samples.figure_.suptitle(
        f"Samples from the MDN's mixture: the {_N_UNCERTAIN_SHOWN} least certain test digits "
        f"(top) and {_N_UNCERTAIN_SHOWN} of the most certain (bottom)"
    )

    # The reliability diagram over its counts per bin (left), the risk-coverage curve beside
    # both (right): sparse bins' swings read against how few digits they hold.
    fig, axes = plt.subplot_mosaic(
        [["reliability", "risk"], ["counts", "risk"]], figsize=(10, 5.6),
        height_ratios=(3, 1), layout="constrained",
    )
    ax_rel, ax_counts, ax_rc = axes["reliability"], axes["counts"], axes["risk"]
    summaries = {}
    for name, model, color in (("FCN", fcn, "tab:blue"), ("MDN", mdn, "tab:orange")):
        proba = model.predict_proba(test.data)
        labels = model[-1].classes_
        summaries[name] = classification_summary(test.target, y_prob=proba, labels=labels)
        ReliabilityDisplay.from_predictions(
            test.target, proba, labels=labels, name=name, ax=ax_rel, count_ax=ax_counts,
            color=color,
        )
        RiskCoverageDisplay.from_predictions(
            test.target, proba, labels=labels, name=name, ax=ax_rc, color=color
        )
    ax_rel.set_title("Reliability diagram (95% intervals)")
    ax_counts.set_xlabel("confidence")
    ax_rc.set_title("Risk against coverage")

    columns = [
        ("accuracy", "accuracy", "{:.2%}"),
        ("nll", "NLL", "{:.4f}"),
        ("brier", "Brier", "{:.4f}"),
        ("ece", "ECE", "{:.2%}"),
        ("aurc", "AURC", "{:.4f}"),
        ("accuracy_at_90", "accuracy at 90% coverage", "{:.2%}"),
    ]
    comparison = [
        [name] + [fmt.format(summary[key]) for key, _, fmt in columns]
        + [f"{ctx.fit_seconds(name.lower()):.1f} s"]
        for name, summary in summaries.items()
    ]
    shown = [
        [
            str(test.target[i]),
            str(clf.classes_[np.argmax(clf.predict_proba(Z[i : i + 1]))]),
            f"{uncertainty.entropy[i]:.3f}",
            f"{uncertainty.max_proba[i]:.3f}",
            f"{uncertainty.mean[i]:.2f}",
            f"{uncertainty.aleatoric_variance[i]:.3f}",
            f"{uncertainty.multimodality_variance[i]:.3f}",
        ]
        for i in chosen
    ]
    wrong = clf.predict(Z) != test.target
    return Section(
        key="mdn",
        title=_title("mdn"),
        text=(
            f"The same trunk with a mixture density head of {clf.n_components} Gaussian "
            "components over the digit value. Each panel shows, for one test digit, the "
            "share of 2,000 draws from its predicted mixture that falls on each digit (bars, "
            "left axis) and the mixture's density (line, right axis); the dashed line marks "
            "the true digit. Entropy of the class probabilities ranks the "
            f"digits: the misclassified ones have mean entropy "
            f"{uncertainty.entropy[wrong].mean() if wrong.any() else float('nan'):.3f}, the "
            f"correct ones {uncertainty.entropy[~wrong].mean():.3f}. The aleatoric variance is "
            "the spread within the components, the multimodality variance the disagreement "
            "between them. The reliability diagram's lower panel counts the test digits per "
            "confidence bin: a bin of a few digits swings by chance, as its interval shows. "
            + ctx.fit_note()
        ),
        figures=[
            ("mdn_samples", "Share of draws from the MDN's mixture per digit (bars, left "
             "axis) and the mixture's density (line, right axis).", samples.figure_),
            ("fcn_vs_mdn", "Reliability diagram with 95% intervals and, under it, the test "
             "digits per confidence bin (left); risk-coverage curve (right); of the softmax "
             "network (FCN) and the mixture density network (MDN).", fig),
        ],
        tables=[
            (
                "Uncertainty of the digits shown",
                ["true", "predicted", "entropy", "max probability", "mean value",
                 "aleatoric variance", "multimodality variance"],
                shown,
            ),
            (
                "With and without the MDN (same split)",
                ["model"] + [title for _, title, _ in columns] + ["fit time"],
                comparison,
            ),
        ],
        numbers={
            "n_components": int(clf.n_components),
            "test_accuracy": summaries["MDN"]["accuracy"],
            "fit_seconds": round(ctx.fit_seconds("mdn"), 2),
            "mean_entropy_errors": (
                float(uncertainty.entropy[wrong].mean()) if wrong.any() else None
            ),
            "mean_entropy_correct": float(uncertainty.entropy[~wrong].mean()),
            "comparison": summaries,
        },
    )


def _step_evaluation(ctx):
    from sklearn.metrics import (
        classification_report,
        confusion_matrix,
        precision_recall_fscore_support,
    )

    from .metrics import classification_summary
    from .plotting import DigitGridDisplay

    name = ctx.settings["model"]
    model = ctx.fitted(name)
    test = ctx.test
    labels = model[-1].classes_
    proba = model.predict_proba(test.data)
    predicted = labels[proba.argmax(axis=1)]
    summary = classification_summary(test.target, predicted, proba, labels=labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        test.target, predicted, labels=labels, zero_division=0
    )
    report = classification_report(
        test.target, predicted, labels=labels, digits=4, zero_division=0
    )
    matrix = confusion_matrix(test.target, predicted, labels=labels)
    grid = DigitGridDisplay.from_predictions(
        test.data[:15], test.target[:15], predicted[:15], kind="all", n_images=15,
        cmap=_DIGIT_CMAP,
    )
    grid.figure_.suptitle("The first 15 test digits (predicted / actual)")
    set_rows, set_numbers = _prediction_sets(model, test)
    threshold = ctx.settings["min_accuracy"]
    keep = summary["accuracy"] >= threshold
    if not keep:
        ctx.warn(f"The evaluated {name.upper()}'s test accuracy {summary['accuracy']:.2%} is "
                 f"below the threshold of {threshold:.2%}: the model was not saved.")
    problem = _novelty_problem(model, test.data[:1])
    if problem:
        ctx.warn(f"The evaluated {name.upper()} has no novelty score ({problem}): "
                 "'skmnist predict' cannot say when an image is not a digit.")
    tables = [
        (
            "Scores",
            ["accuracy", "precision (macro)", "recall (macro)", "F1 (macro)"],
            [[f"{summary[k]:.2%}" for k in
              ("accuracy", "precision_macro", "recall_macro", "f1_macro")]],
        ),
        (
            "Per digit (scikit-learn's classification report; also in "
            "classification_report.txt)",
            ["digit", "precision", "recall", "F1", "support"],
            [[str(c), f"{p:.2%}", f"{r:.2%}", f"{f:.2%}", int(s)]
             for c, p, r, f, s in zip(labels, precision, recall, f1, support)],
        ),
        (
            "Prediction sets: the share of test images whose set holds the true digit "
            "(coverage, guaranteed at least the target on average) and the digits per set",
            ["alpha", "target", "coverage", "mean set size", "single digit"],
            set_rows,
        ),
    ]
    if ctx.confusion_shown == name:
        where = " Its confusion matrix is the heatmap of the error analysis."
    else:  # not drawn yet for this network: shown here, once
        where = ""
        tables.append((
            "Confusion matrix (rows: true digit, columns: predicted digit)",
            ["true \\ predicted"] + [str(c) for c in labels],
            [[str(c)] + [int(v) for v in row] for c, row in zip(labels, matrix)],
        ))
    verdict = (
        f"Test accuracy {summary['accuracy']:.2%} reaches the threshold of {threshold:.2%}: "
        "the model is saved."
        if keep
        else f"Test accuracy {summary['accuracy']:.2%} is below the threshold of "
        f"{threshold:.2%}: the model is NOT saved."
    )
    return Section(
        key="evaluation",
        title=_title("evaluation"),
        text=(
            f"The {name.upper()} pipeline (PixelScaler + {type(model[-1]).__name__}) on the "
            f"{len(test.target):,} test images. " + verdict + where + " Its prediction sets "
            "(predict_set) are calibrated on a random half of the test images and measured on "
            "the other half; the saved model keeps that calibration."
        ),
        figures=[("first_predictions", "The first 15 test digits, titled \"predicted / "
                  "actual\" (red where wrong).", grid.figure_)],
        tables=tables,
        numbers={
            "model": name,
            **summary,
            "fit_seconds": round(ctx.fit_seconds(name), 2),
            "per_class": {
                str(c): {"precision": float(p), "recall": float(r), "f1": float(f),
                         "support": int(s)}
                for c, p, r, f, s in zip(labels, precision, recall, f1, support)
            },
            "confusion_matrix": matrix.tolist(),
            "classification_report": report,
            "prediction_sets": set_numbers,
            "min_accuracy": threshold,
            "model_saved": bool(keep),
        },
    )


def _novelty_problem(model, X):
    """Why the fitted pipeline ``model`` has no novelty score, or None when it has one."""
    clf = model[-1]
    if not hasattr(clf, "predict_uncertainty"):
        return "it has no predict_uncertainty"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.predict_uncertainty(model[:-1].transform(X))
    for warning in caught:
        text = str(warning.message)
        if text.startswith("novelty is unavailable"):
            return text.split(": ", 1)[-1].rstrip(".")
    return None


# Error rates of the evaluation's prediction-set table.
_SET_ALPHAS = (0.01, 0.05, 0.1)


def _prediction_sets(model, test):
    """Calibrate the pipeline's network on a random half of the test images (it trained on
    none of them) and measure its prediction sets on the other half: table rows, numbers."""
    from .metrics import mean_set_size, set_coverage_score

    network, features = model[-1], model[:-1].transform(test.data)
    halves = np.array_split(np.random.RandomState(0).permutation(len(test.target)), 2)
    calibration, measured = (np.sort(h) for h in halves)
    network.calibrate(features[calibration], test.target[calibration])
    rows, numbers = [], {"n_calibration": len(calibration), "n_measured": len(measured)}
    for alpha in _SET_ALPHAS:
        y_set = network.predict_set(features[measured], alpha)
        coverage = set_coverage_score(test.target[measured], y_set, labels=network.classes_)
        size, single = mean_set_size(y_set), float(np.mean(y_set.sum(axis=1) == 1))
        numbers[str(alpha)] = {"coverage": coverage, "mean_size": size, "single_share": single}
        rows.append([f"{alpha:g}", f"{1 - alpha:.0%}", f"{coverage:.2%}", f"{size:.2f}",
                     f"{single:.1%}"])
    return rows, numbers


def _regularization_fits(ctx):
    """The regularization step's own fits: key -> (label, unfitted pipeline)."""
    return {key: (label, pipeline) for key, label, pipeline in _regularization_runs(ctx).values()}


@dataclass(frozen=True)
class _Step:
    """One step of the study, declared once in :data:`_STEP_REGISTRY`.

    ``function(context) -> Section`` runs it. ``networks`` names the networks of
    ``NETWORKS`` it trains or reuses (a tuple, or a function of the settings returning one);
    ``own_fits(context)`` gives the other fits it needs, ``key -> (label, unfitted
    pipeline)``. None of those fits depends on another: with a Dask scheduler they all train
    at once before the steps run (:func:`_independent_fits`).
    """

    name: str
    title: str
    function: object
    networks: object = ()
    own_fits: object = None

    def network_names(self, settings):
        return tuple(self.networks(settings) if callable(self.networks) else self.networks)


#: The study's steps, in the order they run: what STEPS, the progress lines, the sections'
#: titles, the dispatch and the independent fits all read.
_STEP_REGISTRY = (
    _Step("data", "Data", _step_data),
    _Step("network", "Network", _step_network, networks=("fcn",)),
    _Step("errors", "Error analysis", _step_errors, networks=("fcn",)),
    _Step("regularization", "Regularization", _step_regularization, networks=("fcn",),
          own_fits=_regularization_fits),
    _Step("mdn", "Mixture density network", _step_mdn, networks=("fcn", "mdn")),
    _Step("evaluation", "Evaluation", _step_evaluation,
          networks=lambda settings: (settings["model"],)),
)
_STEPS_BY_NAME = {step.name: step for step in _STEP_REGISTRY}

#: The steps of the study, in the order they run.
STEPS = tuple(_STEPS_BY_NAME)


def _title(name):
    """The title of step ``name``, the heading of its section."""
    return _STEPS_BY_NAME[name].title


def _independent_fits(ctx, chosen):
    """The fits the ``chosen`` steps need, none depending on another: name -> (label, model).

    The registry's networks first (in its order), then the steps' own fits.
    """
    steps = [_STEPS_BY_NAME[name] for name in chosen]
    needed = {name for step in steps for name in step.network_names(ctx.settings)}
    jobs = {name: (net.label, ctx.pipeline(name)) for name, net in NETWORKS.items()
            if name in needed}
    for step in steps:
        if step.own_fits is not None:
            jobs.update(step.own_fits(ctx))
    return jobs


def run_study(
    train,
    test,
    *,
    steps=STEPS,
    model="fcn",
    epochs=SHARED_PARAMETERS["epochs"],
    batch_size=SHARED_PARAMETERS["batch_size"],
    learning_rate=SHARED_PARAMETERS["learning_rate"],
    learning_rate_schedule=SHARED_PARAMETERS["learning_rate_schedule"],
    conv_filters=SHARED_PARAMETERS["conv_filters"],
    l2=SHARED_PARAMETERS["l2"],
    study_l2=ORIGINAL_L2,
    n_components=MDN_PARAMETERS["n_components"],
    random_state=0,
    min_accuracy=0.95,
    dataset="MNIST",
    verbose=0,
    log=None,
    scheduler=None,
):
    """Run the chosen steps of the digit study on one train/test split.

    Parameters
    ----------
    train, test : Bunch
        The training and test data as :func:`~skmnist.load_mnist_sample` or
        :func:`~skmnist.fetch_mnist` return them (``data``, ``images``, ``target``).
    steps : sequence of str, default=STEPS
        Which of :data:`STEPS` to run; they run in the study's order whatever the order given.
        Networks that a chosen step needs are trained even when the step that presents them
        (``network``, ``mdn``) is not chosen.
    model : {"fcn", "mdn"}, default="fcn"
        The network that the ``evaluation`` step judges and that is kept.
    epochs, batch_size, learning_rate, learning_rate_schedule, conv_filters, n_components : \
see the estimators
        Settings of every network of the study.
    l2 : float, default=0.0
        L2 penalty of the networks of steps 2, 3, 5 and 6.
    study_l2 : float, default=0.01
        The penalty that the ``regularization`` step compares with no penalty (the original's).
    random_state : int, default=0
        Seed of every network and of the MDN's draws.
    min_accuracy : float, default=0.95
        Test accuracy the evaluated model must reach to be kept (``keep_model``).
    dataset : str, default="MNIST"
        Name of the data, for the report.
    verbose : int, default=0
        Keras's progress output while training (0 silent, 1 bar, 2 a line per epoch).
    log : callable, default=None
        Called with a line of progress text per step (e.g. ``print``); None is silent.
    scheduler : str, default=None
        Address of a Dask scheduler (e.g. ``"tcp://10.0.0.5:8786"``). When given, the
        independent fits that the chosen steps need (the FCN, the MDN, the two networks of
        ``regularization``) are trained at once on its workers, through joblib's ``dask``
        backend, before the steps run; the results are the same as in one process. Needs the
        ``dask`` extra.

    Returns
    -------
    result : StudyResult
        The sections in order, the evaluated model and whether it is kept.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skmnist import load_mnist_sample
    >>> from skmnist.study import run_study
    >>> train, test = load_mnist_sample("train"), load_mnist_sample("test")
    >>> result = run_study(train, test, steps=["data"])
    >>> [section.title for section in result.sections]
    ['Data']
    >>> result.sections[0].numbers["n_train"]
    5000
    """
    unknown = [s for s in steps if s not in STEPS]
    if unknown or not len(steps):
        raise ValueError(
            f"steps must be a non-empty selection of {list(STEPS)}; got {list(steps)!r}."
        )
    if model not in NETWORKS:
        raise ValueError(f"model must be {' or '.join(map(repr, NETWORKS))}; got {model!r}.")
    if not 0 <= min_accuracy <= 1:
        raise ValueError(f"min_accuracy must be in [0, 1]; got {min_accuracy!r}.")
    settings = dict(
        model=model, epochs=int(epochs), batch_size=int(batch_size),
        learning_rate=float(learning_rate), learning_rate_schedule=learning_rate_schedule,
        conv_filters=tuple(conv_filters or ()),
        l2=float(l2), study_l2=float(study_l2), n_components=int(n_components),
        random_state=random_state, min_accuracy=float(min_accuracy), verbose=verbose,
    )
    log = log or (lambda line: None)
    ctx = _Context(train, test, settings, log)
    chosen = [s for s in STEPS if s in steps]
    fits = _independent_fits(ctx, chosen)
    if scheduler is not None:
        ctx.fit_on_scheduler(fits, scheduler)
    elif fits:
        ctx.warm_up()
    sections = []
    for number, key in enumerate(chosen, start=1):
        step = _STEPS_BY_NAME[key]
        log(f"[{number}/{len(chosen)}] {step.title} ...")
        start = time.perf_counter()
        section = step.function(ctx)
        section.seconds = time.perf_counter() - start
        log(f"      done in {section.seconds:.1f} s")
        sections.append(section)
    ctx.check_epochs()
    result = StudyResult(
        sections=sections, dataset=dataset, n_train=int(len(train.target)),
        n_test=int(len(test.target)), settings=settings, model_kind=model,
        warnings=ctx.warnings, warmup_seconds=ctx.warmup_seconds,
    )
    if "evaluation" in chosen:
        result.model = ctx.fitted(model)
        result.keep_model = bool(sections[-1].numbers["model_saved"])
    return result
