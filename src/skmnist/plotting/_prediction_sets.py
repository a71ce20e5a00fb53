"""PredictionSetDisplay: coverage and mean size of conformal prediction sets against ``alpha``."""

import numpy as np
from sklearn.utils._plotting import _validate_style_kwargs

from ..metrics import mean_set_size, set_coverage_score
from ._common import (
    BLACK,
    check_estimator_xy,
    estimator_name,
    legend,
    panel_grid,
)

_TARGET_LABEL = "target 1 - alpha"


def _check_alphas(alphas):
    alphas = np.asarray(alphas, dtype=float)
    if alphas.ndim != 1 or alphas.size == 0 or not np.all((alphas > 0) & (alphas < 1)):
        raise ValueError(f"alphas must be a non-empty 1-D sequence of numbers in (0, 1), "
                         f"got {alphas.tolist()!r}.")
    return alphas


class PredictionSetDisplay:
    """Coverage and mean size of conformal prediction sets against the error rate ``alpha``.

    Two panels: the share of samples whose set holds the true label, beside the target
    ``1 - alpha`` (coverage at or above the dashed line keeps the promise), and the mean
    number of classes per set (the price of the promise). Use :meth:`from_estimator` (a
    calibrated classifier's ``predict_set``) or :meth:`from_predictions` to create one;
    drawing several on the same ``ax`` compares models or methods.

    Parameters
    ----------
    alphas : ndarray of shape (n_alphas,)
        The error rates.

    coverage : ndarray of shape (n_alphas,)
        Coverage of the sets at each ``alpha``.

    mean_size : ndarray of shape (n_alphas,)
        Mean set size at each ``alpha``.

    name : str, default=None
        The model's name, shown in the legend.

    Attributes
    ----------
    coverage_line_, size_line_ : matplotlib Line2D
        The two curves.

    target_line_ : matplotlib Line2D
        The target ``1 - alpha``.

    axes_ : ndarray of matplotlib Axes, shape (1, 2)
        The coverage and the size panels.

    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    skmnist.BaseKerasClassifier.predict_set : The prediction sets.
    skmnist.metrics.set_coverage_score, skmnist.metrics.mean_set_size : The numbers drawn.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skmnist.plotting import PredictionSetDisplay
    >>> y_true = np.array([0, 1, 1, 2])
    >>> sets = [np.eye(3, dtype=bool)[[0, 1, 2, 2]],   # alpha=0.3: one miss
    ...         np.eye(3, dtype=bool)[[0, 2, 2, 2]]]   # alpha=0.5: two misses
    >>> disp = PredictionSetDisplay.from_predictions(y_true, sets, alphas=[0.3, 0.5])
    >>> disp.coverage_line_.get_ydata().tolist(), disp.size_line_.get_ydata().tolist()
    ([0.75, 0.5], [1.0, 1.0])
    """

    def __init__(self, alphas, coverage, mean_size, name=None):
        self.alphas = alphas
        self.coverage = coverage
        self.mean_size = mean_size
        self.name = name

    def plot(self, *, ax=None, name=None, **kwargs):
        """Draw coverage and mean set size against ``alpha``.

        Parameters
        ----------
        ax : array-like of two matplotlib Axes or a matplotlib Axes, default=None
            Where to draw: two Axes (e.g. ``display.axes_`` of an earlier display, to
            compare), one Axes divided into the two panels, or None for a new figure.

        name : str, default=None
            Name in the legend; None uses the ``name`` given at construction.

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for both curves.

        Returns
        -------
        display : PredictionSetDisplay
            The display, with the artists stored as attributes.
        """
        alphas = _check_alphas(self.alphas)
        coverage = np.asarray(self.coverage, dtype=float)
        mean_size = np.asarray(self.mean_size, dtype=float)
        if coverage.shape != alphas.shape or mean_size.shape != alphas.shape:
            raise ValueError(
                "alphas, coverage and mean_size must be 1-D arrays of the same length, got "
                f"shapes {alphas.shape}, {coverage.shape} and {mean_size.shape}."
            )
        fig, axes, bounding_ax = panel_grid(ax, 2, 2, (4.5, 4.0), "PredictionSetDisplay")
        cov_ax, size_ax = axes.ravel()[:2]
        order = np.argsort(alphas)
        name = self.name if name is None else name
        line_kwargs = {"marker": "o", "label": name}
        line_kwargs = _validate_style_kwargs(line_kwargs, kwargs)
        # one target line per Axes, however many displays are drawn on it
        target = [line for line in cov_ax.get_lines() if line.get_label() == _TARGET_LABEL]
        if target:
            self.target_line_ = target[0]
        else:
            grid = np.linspace(alphas.min(), alphas.max(), 50)
            (self.target_line_,) = cov_ax.plot(grid, 1 - grid, ls="--", color=BLACK, lw=1,
                                               label=_TARGET_LABEL)
        (self.coverage_line_,) = cov_ax.plot(alphas[order], coverage[order], **line_kwargs)
        (self.size_line_,) = size_ax.plot(alphas[order], mean_size[order], **line_kwargs)
        cov_ax.set(xlabel="alpha (error rate)", ylabel="coverage", title="coverage")
        size_ax.set(xlabel="alpha (error rate)", ylabel="classes per set",
                    title="mean set size")
        legend(cov_ax, loc="lower left")
        self.axes_ = axes
        self.figure_ = fig
        if bounding_ax is not None:
            self.bounding_ax_ = bounding_ax
        return self

    @classmethod
    def from_predictions(cls, y_true, y_sets, *, alphas, labels=None, name=None, ax=None,
                         **kwargs):
        """Draw coverage and mean size of prediction sets made at several ``alphas``.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.

        y_sets : sequence of n_alphas arrays of shape (n_samples, n_classes), bool
            The prediction sets at each ``alpha`` (a classifier's ``predict_set``).

        alphas : array-like of shape (n_alphas,)
            The error rates the sets were made for.

        labels : array-like of shape (n_classes,), default=None
            The labels of the sets' columns, in order (pass the estimator's ``classes_``;
            see :func:`skmnist.metrics.set_coverage_score`).

        name : str, default=None
            Name in the legend.

        ax : array-like of two matplotlib Axes or a matplotlib Axes, default=None
            Where to draw (see :meth:`plot`).

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : PredictionSetDisplay
        """
        alphas = _check_alphas(alphas)
        if len(y_sets) != alphas.size:
            raise ValueError(
                f"y_sets holds {len(y_sets)} sets of predictions but alphas has {alphas.size} "
                "values: pass one (n_samples, n_classes) array per alpha."
            )
        coverage = [set_coverage_score(y_true, s, labels=labels) for s in y_sets]
        sizes = [mean_set_size(s) for s in y_sets]
        return cls(alphas, np.array(coverage), np.array(sizes), name=name).plot(
            ax=ax, **kwargs
        )

    @classmethod
    def from_estimator(cls, estimator, X, y, *, alphas=(0.01, 0.02, 0.05, 0.1, 0.2),
                       method="lac", class_conditional=False, name=None, ax=None, **kwargs):
        """Draw coverage and mean set size of a calibrated classifier's sets on ``(X, y)``.

        Parameters
        ----------
        estimator : estimator instance
            A fitted, calibrated classifier with ``predict_set`` (or a Pipeline ending in
            one), e.g. :class:`skmnist.FCNClassifier` after ``calibrate``.

        X : array-like of shape (n_samples, n_features)
            Input data (not the calibration rows).

        y : array-like of shape (n_samples,)
            True labels.

        alphas : array-like of shape (n_alphas,), default=(0.01, 0.02, 0.05, 0.1, 0.2)
            The error rates.

        method : {"lac", "aps", "raps"}, default="lac"
            The conformity score (see ``predict_set``).

        class_conditional : bool, default=False
            One threshold per class (see ``predict_set``).

        name : str, default=None
            Name in the legend; None uses the class name of the (last step of the)
            estimator and the method.

        ax : array-like of two matplotlib Axes or a matplotlib Axes, default=None
            Where to draw (see :meth:`plot`).

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot`.

        Returns
        -------
        display : PredictionSetDisplay
        """
        classes, y = check_estimator_xy(estimator, X, y, "PredictionSetDisplay")
        if not hasattr(estimator, "predict_set"):
            raise TypeError(
                "PredictionSetDisplay needs a classifier with predict_set, got "
                f"{estimator_name(estimator)}."
            )
        alphas = _check_alphas(alphas)
        sets = [estimator.predict_set(X, a, method=method, class_conditional=class_conditional)
                for a in alphas]
        if name is None:
            per_class = ", per class" if class_conditional else ""
            name = f"{estimator_name(estimator)} ({method}{per_class})"
        return cls.from_predictions(y, sets, alphas=alphas, labels=classes, name=name, ax=ax,
                                    **kwargs)
