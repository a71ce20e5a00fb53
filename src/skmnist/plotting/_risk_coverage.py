"""RiskCoverageDisplay: selective risk against coverage, with its area (AURC)."""

import numpy as np
from sklearn.utils._plotting import _validate_style_kwargs

from ..metrics import area_under_risk_coverage, risk_coverage_curve
from ._common import (
    check_estimator_xy,
    estimator_name,
    legend,
    legend_label,
    pyplot,
    single_axes,
)


class RiskCoverageDisplay:
    """Risk-coverage curve: the error rate on the most confident share of the samples.

    The samples are ranked by confidence (largest predicted probability); at coverage
    ``k / n`` the risk is the error rate of the ``k`` most confident ones. A good confidence
    keeps the risk low until high coverage; the area under the curve (AURC) sums it up. Use
    :meth:`from_estimator` or :meth:`from_predictions` to create one; drawing several on the
    same ``ax`` compares models.

    Parameters
    ----------
    coverage : ndarray of shape (n_samples,)
        Coverage values, increasing.

    risk : ndarray of shape (n_samples,)
        Error rate at each coverage.

    aurc : float, default=None
        The area under the curve, shown in the legend.

    name : str, default=None
        The model's name, shown in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The risk-coverage curve.

    ax_ : matplotlib Axes
        The Axes of the curve.

    figure_ : matplotlib Figure
        The figure holding the curve.

    See Also
    --------
    skmnist.metrics.risk_coverage_curve : The data of the curve.
    skmnist.metrics.area_under_risk_coverage : The number in the legend.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skmnist.plotting import RiskCoverageDisplay
    >>> y_true = np.array([0, 1, 2, 2])
    >>> y_prob = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1],
    ...                    [0.6, 0.1, 0.3], [0.1, 0.1, 0.8]])
    >>> disp = RiskCoverageDisplay.from_predictions(y_true, y_prob, name="net")
    >>> disp.line_.get_label()
    'net (AURC 0.0625)'
    >>> disp.line_.get_ydata().tolist()
    [0.0, 0.0, 0.0, 0.25]
    """

    def __init__(self, coverage, risk, aurc=None, name=None):
        self.coverage = coverage
        self.risk = risk
        self.aurc = aurc
        self.name = name

    def plot(self, *, ax=None, name=None, **kwargs):
        """Draw the risk-coverage curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on (e.g. one already holding another model's curve); None creates
            a new figure.

        name : str, default=None
            Name in the legend; None uses the ``name`` given at construction.

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : RiskCoverageDisplay
            The display, with the artists stored as attributes.
        """
        plt = pyplot("RiskCoverageDisplay")
        coverage = np.asarray(self.coverage, dtype=float)
        risk = np.asarray(self.risk, dtype=float)
        if coverage.ndim != 1 or coverage.shape != risk.shape:
            raise ValueError(
                "coverage and risk must be 1-D arrays of the same length, got shapes "
                f"{coverage.shape} and {risk.shape}."
            )
        fig, ax = single_axes(ax, plt)
        name = self.name if name is None else name
        line_kwargs = {"label": legend_label(name, "AURC", self.aurc, ".4f")}
        line_kwargs = _validate_style_kwargs(line_kwargs, kwargs)
        (self.line_,) = ax.plot(coverage, risk, **line_kwargs)
        ax.set(xlabel="coverage", ylabel="risk (error rate)", xlim=(0, 1))
        # from 0 to a little above the highest curve on the Axes (so far: a later curve
        # drawn on the same Axes rescales it again)
        top = max(
            (np.nanmax(line.get_ydata(), initial=0.0) for line in ax.get_lines()),
            default=0.0,
        )
        ax.set_ylim(0, 1.05 * top if top > 0 else 1)
        legend(ax, loc="upper left")
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_predictions(cls, y_true, y_prob, *, labels=None, name=None, ax=None, **kwargs):
        """Draw the risk-coverage curve of predicted probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.

        y_prob : array-like of shape (n_samples, n_classes)
            Predicted probabilities (a classifier's ``predict_proba``).

        labels : array-like of shape (n_classes,), default=None
            The labels of ``y_prob``'s columns, in order (see
            :func:`skmnist.metrics.risk_coverage_curve`).

        name : str, default=None
            Name in the legend.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : RiskCoverageDisplay
            The display, with the artists stored as attributes.
        """
        coverage, risk, _ = risk_coverage_curve(y_true, y_prob, labels=labels)
        aurc = area_under_risk_coverage(y_true, y_prob, labels=labels)
        return cls(coverage, risk, aurc=aurc, name=name).plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, name=None, ax=None, **kwargs):
        """Draw the risk-coverage curve of a fitted classifier on ``(X, y)``.

        Parameters
        ----------
        estimator : estimator instance
            A fitted classifier with ``predict_proba`` (or a Pipeline ending in one).

        X : array-like of shape (n_samples, n_features)
            Input data.

        y : array-like of shape (n_samples,)
            True labels.

        name : str, default=None
            Name in the legend; None uses the class name of the (last step of the)
            estimator.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.

        **kwargs : dict
            Keyword arguments passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        display : RiskCoverageDisplay
            The display, with the artists stored as attributes.
        """
        classes, y = check_estimator_xy(estimator, X, y, "RiskCoverageDisplay")
        y_prob = estimator.predict_proba(X)
        return cls.from_predictions(
            y,
            y_prob,
            labels=classes,
            name=estimator_name(estimator) if name is None else name,
            ax=ax,
            **kwargs,
        )
