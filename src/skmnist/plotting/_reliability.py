"""ReliabilityDisplay: a top-label reliability diagram with intervals and counts per bin."""

import numpy as np
from sklearn.utils._plotting import _validate_style_kwargs

from ..metrics import calibration_bins, expected_calibration_error
from ._common import (
    check_estimator_xy,
    estimator_name,
    legend,
    legend_label,
    pyplot,
    single_axes,
)

_REF_LABEL = "perfectly calibrated"


def _wilson_interval(successes, n, z=1.959964):
    """The Wilson score interval (95% by default) of a proportion: ``(low, high)`` arrays.

    Unlike the normal approximation it stays inside [0, 1] and is not zero-width at an
    accuracy of 0 or 1, where a bin of a few samples often sits.
    """
    successes, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


class ReliabilityDisplay:
    """Top-label reliability diagram: accuracy against confidence, per confidence bin.

    Each sample's confidence is its largest predicted probability. The samples are grouped
    into equal-width confidence bins; for each non-empty bin the diagram shows the fraction
    of correct predictions against the bin's mean confidence, with its 95% Wilson interval.
    A calibrated classifier lies on the diagonal; below it, it is overconfident. A good
    classifier puts most samples in the last bin and few in the others, whose accuracies
    then swing by chance: the intervals and the counts per bin (a step histogram under the
    diagram, on a log scale) say how far to trust each point. Use :meth:`from_estimator` or
    :meth:`from_predictions` to create one; drawing several on the same ``ax`` (and
    ``count_ax``) compares models.

    Parameters
    ----------
    confidence : ndarray of shape (n_bins,)
        Mean confidence in each bin (NaN for an empty bin).

    accuracy : ndarray of shape (n_bins,)
        Fraction of correct predictions in each bin (NaN for an empty bin).

    count : ndarray of shape (n_bins,)
        Number of samples in each bin.

    bin_edges : ndarray of shape (n_bins + 1,)
        The edges of the confidence bins.

    ece : float, default=None
        The expected calibration error, shown in the legend.

    name : str, default=None
        The model's name, shown in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The reliability curve (non-empty bins only).

    intervals_ : matplotlib LineCollection or None
        The 95% Wilson interval of each non-empty bin's accuracy (None with
        ``intervals=False``).

    counts_ : matplotlib StepPatch or None
        The number of samples per bin, on :attr:`count_ax_` (None without one).

    ax_ : matplotlib Axes
        The Axes of the diagram.

    count_ax_ : matplotlib Axes or None
        The Axes of the counts per bin: created under the diagram when ``ax`` is None.

    figure_ : matplotlib Figure
        The figure holding the diagram.

    See Also
    --------
    skmnist.metrics.calibration_bins : The data of the diagram.
    skmnist.metrics.expected_calibration_error : The number in the legend.
    sklearn.calibration.CalibrationDisplay : The binary (positive-class) counterpart.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmnist import FCNClassifier, PixelScaler, load_mnist_sample
    >>> from skmnist.plotting import ReliabilityDisplay
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> X_test, y_test = load_mnist_sample("test", return_X_y=True)
    >>> clf = make_pipeline(PixelScaler(), FCNClassifier(
    ...     (16,), epochs=1, random_state=0)).fit(X[:300], y[:300])
    >>> disp = ReliabilityDisplay.from_estimator(clf, X_test, y_test, n_bins=10)
    >>> disp.ax_.get_xlabel(), disp.ax_.get_ylabel()
    ('confidence', 'accuracy')
    >>> disp.line_.get_label().startswith("FCNClassifier (ECE ")
    True
    >>> int(disp.counts_.get_data().values.sum()) == len(y_test)
    True
    """

    def __init__(self, confidence, accuracy, count, bin_edges, ece=None, name=None):
        self.confidence = confidence
        self.accuracy = accuracy
        self.count = count
        self.bin_edges = bin_edges
        self.ece = ece
        self.name = name

    def plot(self, *, ax=None, name=None, ref_line=True, count_ax=None, intervals=True,
             **kwargs):
        """Draw the reliability diagram.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on (e.g. one already holding another model's diagram); None
            creates a new figure with the diagram and, under it, the counts per bin.

        name : str, default=None
            Name in the legend; None uses the ``name`` given at construction.

        ref_line : bool, default=True
            Draw the diagonal of perfect calibration (once per Axes).

        count_ax : matplotlib Axes, default=None
            Axes on which to draw the number of samples per bin (a step histogram, log
            scale), e.g. one under ``ax``. None draws the counts only on the new figure
            that ``ax=None`` creates.

        intervals : bool, default=True
            Draw each non-empty bin's 95% Wilson interval of the accuracy.

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : ReliabilityDisplay
            The display, with the artists stored as attributes.
        """
        plt = pyplot("ReliabilityDisplay")
        confidence = np.asarray(self.confidence, dtype=float)
        accuracy = np.asarray(self.accuracy, dtype=float)
        count = np.asarray(self.count)
        if not (confidence.shape == accuracy.shape == count.shape) or confidence.ndim != 1:
            raise ValueError(
                "confidence, accuracy and count must be 1-D arrays of the same length, got "
                f"shapes {confidence.shape}, {accuracy.shape} and {count.shape}."
            )
        if ax is None:
            fig, (ax, new_count_ax) = plt.subplots(
                2, 1, figsize=(5.0, 6.2), height_ratios=(3, 1), layout="constrained"
            )
            count_ax = new_count_ax if count_ax is None else count_ax
        fig, ax = single_axes(ax, plt)
        name = self.name if name is None else name
        keep = (count > 0) & np.isfinite(confidence) & np.isfinite(accuracy)
        if ref_line and not any(line.get_label() == _REF_LABEL for line in ax.get_lines()):
            ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label=_REF_LABEL)
        line_kwargs = {
            "marker": "o",
            "clip_on": False,  # markers at accuracy 1 stay whole
            "label": legend_label(name, "ECE", self.ece, ".2%"),
        }
        line_kwargs = _validate_style_kwargs(line_kwargs, kwargs)
        (self.line_,) = ax.plot(confidence[keep], accuracy[keep], **line_kwargs)
        color = self.line_.get_color()
        self.intervals_ = None
        if intervals:
            low, high = _wilson_interval(accuracy[keep] * count[keep], count[keep])
            self.intervals_ = ax.vlines(confidence[keep], low, high, color=color,
                                        linewidth=1.5, alpha=0.6)
        ax.set(xlabel="confidence", ylabel="accuracy", xlim=(0, 1), ylim=(0, 1))
        # A square diagram; the box aspect (not the data aspect) keeps a count axes under
        # it exactly as wide, so their confidence axes line up.
        ax.set_box_aspect(1)
        # "best": under- and overconfident models fill opposite corners
        legend(ax, loc="best")
        self.counts_ = None
        if count_ax is not None:
            edges = np.asarray(self.bin_edges, dtype=float)
            self.counts_ = count_ax.stairs(count, edges, color=color, linewidth=1.5,
                                           label=name)
            count_ax.set_yscale("log")
            count_ax.set(xlim=(0, 1), ylabel="samples per bin")
            count_ax.set_box_aspect(1 / 3)
        self.ax_ = ax
        self.count_ax_ = count_ax
        self.figure_ = fig
        return self

    @classmethod
    def from_predictions(
        cls, y_true, y_prob, *, n_bins=15, labels=None, name=None, ax=None, count_ax=None,
        **kwargs
    ):
        """Draw the reliability diagram of predicted probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.

        y_prob : array-like of shape (n_samples, n_classes)
            Predicted probabilities (a classifier's ``predict_proba``).

        n_bins : int, default=15
            Number of equal-width confidence bins over [0, 1].

        labels : array-like of shape (n_classes,), default=None
            The labels of ``y_prob``'s columns, in order (see
            :func:`skmnist.metrics.calibration_bins`).

        name : str, default=None
            Name in the legend.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure (with the counts per bin under it).

        count_ax : matplotlib Axes, default=None
            Axes on which to draw the counts per bin (see :meth:`plot`).

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : ReliabilityDisplay
            The display, with the artists stored as attributes.
        """
        bins = calibration_bins(y_true, y_prob, n_bins=n_bins, labels=labels)
        ece = expected_calibration_error(y_true, y_prob, n_bins=n_bins, labels=labels)
        return cls(
            bins.confidence, bins.accuracy, bins.count, bins.bin_edges, ece=ece, name=name
        ).plot(ax=ax, count_ax=count_ax, **kwargs)

    @classmethod
    def from_estimator(
        cls, estimator, X, y, *, n_bins=15, name=None, ax=None, count_ax=None, **kwargs
    ):
        """Draw the reliability diagram of a fitted classifier on ``(X, y)``.

        Parameters
        ----------
        estimator : estimator instance
            A fitted classifier with ``predict_proba`` (or a Pipeline ending in one).

        X : array-like of shape (n_samples, n_features)
            Input data.

        y : array-like of shape (n_samples,)
            True labels.

        n_bins : int, default=15
            Number of equal-width confidence bins over [0, 1].

        name : str, default=None
            Name in the legend; None uses the class name of the (last step of the)
            estimator.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure (with the counts per bin under it).

        count_ax : matplotlib Axes, default=None
            Axes on which to draw the counts per bin (see :meth:`plot`).

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : ReliabilityDisplay
            The display, with the artists stored as attributes.
        """
        classes, y = check_estimator_xy(estimator, X, y, "ReliabilityDisplay")
        y_prob = estimator.predict_proba(X)
        return cls.from_predictions(
            y,
            y_prob,
            n_bins=n_bins,
            labels=classes,
            name=estimator_name(estimator) if name is None else name,
            ax=ax,
            count_ax=count_ax,
            **kwargs,
        )
