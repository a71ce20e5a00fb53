"""TrainingCurvesDisplay: per-epoch training and validation curves from ``history_``."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._common import (
    estimator_name,
    final_step,
    legend,
    panel_grid,
    pyplot,
)


def _check_metrics(metrics):
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = tuple(metrics)
    if not metrics or not all(isinstance(m, str) for m in metrics):
        raise ValueError(f"metrics must be a non-empty sequence of str, got {metrics!r}.")
    return metrics


def _unique_names(names):
    """``names`` with repeated ones numbered: ["A", "A", "B"] -> ["A (1)", "A (2)", "B"]."""
    total = {n: names.count(n) for n in names}
    seen = {}
    out = []
    for n in names:
        if total[n] > 1:
            seen[n] = seen.get(n, 0) + 1
            out.append(f"{n} ({seen[n]})")
        else:
            out.append(n)
    return out


class TrainingCurvesDisplay:
    """Per-epoch training and validation curves of one or more Keras-backed estimators.

    One panel per metric (by default accuracy on the left, loss on the right); in each, every
    estimator's training curve (solid) and, when its history has ``"val_" + metric``, its
    validation curve (dashed, same colour). Use :meth:`from_estimators` to create one.

    Parameters
    ----------
    histories : list of dict
        One ``history_`` per estimator: a dict mapping a metric name (``"loss"``,
        ``"accuracy"``, ``"val_loss"``, ...) to its per-epoch values.

    labels : list of str
        The legend name of each estimator.

    colors : list of color, default=None
        The colour of each estimator's curves; None uses matplotlib's colour cycle.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes of shape (n_rows, n_cols)
        One Axes per metric, row by row (one row by default). When ``plot`` got an
        array-like of Axes, that array, in its own shape.

    lines_ : dict
        Maps ``(estimator_index, metric, "train" | "validation")`` to the matplotlib Line2D
        of that curve (validation curves only where the history has them).

    bounding_ax_ : matplotlib Axes or None
        The Axes divided into the panels when ``plot`` got a single Axes, else None.

    figure_ : matplotlib Figure
        The figure holding the panels.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmnist import FCNClassifier, PixelScaler, load_mnist_sample
    >>> from skmnist.plotting import TrainingCurvesDisplay
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> nets = [
    ...     make_pipeline(PixelScaler(), FCNClassifier(
    ...         (16,), l2=l2, epochs=2, early_stopping=True, random_state=0
    ...     )).fit(X[:300], y[:300])
    ...     for l2 in (0.01, 0.0)
    ... ]
    >>> disp = TrainingCurvesDisplay.from_estimators(
    ...     nets, labels=["L2 0.01", "no L2"], colors=["red", "blue"])
    >>> [ax.get_title() for ax in disp.axes_.ravel()]
    ['Accuracy', 'Loss']
    >>> disp.lines_[1, "loss", "validation"].get_linestyle()
    '--'

    The histories alone are enough, e.g. ones saved from earlier runs:

    >>> disp = TrainingCurvesDisplay(
    ...     [{"loss": [0.9, 0.5, 0.4], "accuracy": [0.7, 0.85, 0.9]}], labels=["run 1"]
    ... ).plot(metrics=["loss"])
    >>> disp.lines_[0, "loss", "train"].get_ydata().tolist()
    [0.9, 0.5, 0.4]
    """

    def __init__(self, histories, labels, colors=None):
        self.histories = histories
        self.labels = labels
        self.colors = colors

    def plot(self, *, metrics=("accuracy", "loss"), n_cols=None, ax=None):
        """Draw one panel per metric.

        Parameters
        ----------
        metrics : sequence of str, default=("accuracy", "loss")
            The metrics to draw, one panel each; every history must hold each of them.

        n_cols : int, default=None
            Panels per row; None puts them all in one row.

        ax : matplotlib Axes or array-like of Axes, default=None
            None draws on a new figure; an array-like of Axes draws one metric on each; a
            single Axes is divided into the panels.

        Returns
        -------
        display : TrainingCurvesDisplay
            The display, with the artists stored as attributes.
        """
        metrics = _check_metrics(metrics)
        histories = list(self.histories)
        if not histories:
            raise ValueError("histories is empty: at least one history is required.")
        labels = [str(label) for label in self.labels]
        if len(labels) != len(histories):
            raise ValueError(
                f"labels has {len(labels)} entries for {len(histories)} histories."
            )
        for label, history in zip(labels, histories):
            if not isinstance(history, dict):
                raise TypeError(
                    f"Each history must be a dict of per-epoch values (an estimator's "
                    f"history_), got {type(history).__name__} for {label!r}."
                )
            for metric in metrics:
                if not len(history.get(metric, ())):
                    raise ValueError(
                        f"The history of {label!r} has no {metric!r} values; it holds "
                        f"{sorted(history)}."
                    )
        plt = pyplot("TrainingCurvesDisplay")
        if self.colors is None:
            cycle = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
            colors = [cycle[i % len(cycle)] for i in range(len(histories))]
        else:
            colors = list(self.colors)
            if len(colors) != len(histories):
                raise ValueError(
                    f"colors has {len(colors)} entries for {len(histories)} histories."
                )

        from matplotlib.ticker import MaxNLocator

        n_cols = len(metrics) if n_cols is None else n_cols
        fig, axes, bounding_ax = panel_grid(
            ax, len(metrics), n_cols, (5.0, 4.0), "TrainingCurvesDisplay", wspace=0.35
        )
        self.lines_ = {}
        for panel, metric in zip(axes.ravel(), metrics):
            for i, (history, label, color) in enumerate(zip(histories, labels, colors)):
                train = np.asarray(history[metric], dtype=float)
                (self.lines_[i, metric, "train"],) = panel.plot(
                    np.arange(1, train.size + 1),
                    train,
                    color=color,
                    linestyle="-",
                    label=f"{label} (train)",
                )
                val = history.get("val_" + metric)
                if val is not None and len(val):
                    val = np.asarray(val, dtype=float)
                    (self.lines_[i, metric, "validation"],) = panel.plot(
                        np.arange(1, val.size + 1),
                        val,
                        color=color,
                        linestyle="--",
                        label=f"{label} (validation)",
                    )
            panel.set_xlabel("epoch")
            panel.set_ylabel(metric)
            panel.set_title(metric.replace("_", " ").capitalize())
            panel.xaxis.set_major_locator(MaxNLocator(integer=True))
            legend(panel, fontsize="small")
        self.axes_ = axes
        self.bounding_ax_ = bounding_ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimators(
        cls, estimators, *, labels=None, colors=None, metrics=("accuracy", "loss"), ax=None
    ):
        """Draw the training curves of fitted estimators from their ``history_``.

        Parameters
        ----------
        estimators : estimator instance or list of estimator instances
            Fitted skmnist classifiers, or Pipelines ending in one (their ``history_`` is
            read from the last step).

        labels : list of str, default=None
            Legend name of each estimator; None uses the class names (numbered when
            repeated).

        colors : list of color, default=None
            Colour of each estimator's curves; None uses matplotlib's colour cycle.

        metrics : sequence of str, default=("accuracy", "loss")
            The metrics to draw, one panel each.

        ax : matplotlib Axes or array-like of Axes, default=None
            Where to draw (see :meth:`plot`).

        Returns
        -------
        display : TrainingCurvesDisplay
            The display, with the artists stored as attributes.
        """
        if hasattr(estimators, "get_params") or hasattr(estimators, "fit"):
            estimators = [estimators]
        estimators = list(estimators)
        if not estimators:
            raise ValueError("estimators is empty: pass at least one fitted estimator.")
        metrics = _check_metrics(metrics)
        histories = []
        for estimator in estimators:
            check_is_fitted(estimator)
            history = getattr(final_step(estimator), "history_", None)
            if not isinstance(history, dict):
                raise TypeError(
                    f"{estimator_name(estimator)} has no history_: TrainingCurvesDisplay needs "
                    "estimators that record per-epoch metrics (skmnist's FCNClassifier or "
                    "MDNClassifier, or Pipelines ending in one)."
                )
            histories.append(history)
        if labels is None:
            labels = _unique_names([estimator_name(e) for e in estimators])
        elif len(labels) != len(estimators):
            raise ValueError(f"labels has {len(labels)} entries for {len(estimators)} estimators.")
        return cls(histories, labels, colors=colors).plot(metrics=metrics, ax=ax)
