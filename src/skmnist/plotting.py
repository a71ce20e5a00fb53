"""Figures for digit classifiers, as scikit-learn-style ``Display`` objects.

Each class holds the data of one kind of figure and follows scikit-learn's visualization API
(:class:`sklearn.metrics.ConfusionMatrixDisplay`,
:class:`sklearn.inspection.PartialDependenceDisplay`): the constructor stores the data,
:meth:`plot` draws it, stores the figure and the matplotlib artists as attributes ending in
``_`` and returns the display, and the class methods ``from_estimator`` /
``from_predictions`` (``from_images``, ``from_estimators``) compute the data and call
:meth:`plot`.

- :class:`DigitGridDisplay`: a grid of digit images with titles (the first images of a
  dataset, or the misclassified ones, with true and predicted labels).
- :class:`TrainingCurvesDisplay`: per-epoch training (and validation) curves from
  ``history_``, one panel per metric, several estimators per panel (e.g. with and without an
  L2 penalty).
- :class:`MixtureSamplesDisplay`: for a mixture density network
  (:class:`skmnist.MDNClassifier`), the share of values drawn from each input's mixture that
  falls on each digit, with the mixture's density as a line on its own axis.
- :class:`ReliabilityDisplay`: a top-label reliability diagram with the expected calibration
  error, an interval per bin and the number of samples per bin.
- :class:`RiskCoverageDisplay`: selective risk against coverage with its area (AURC).
- :class:`PredictionSetDisplay`: coverage and mean size of conformal prediction sets
  against the error rate ``alpha``.

Estimators can be fitted skmnist classifiers or :class:`~sklearn.pipeline.Pipeline` objects
ending in one (e.g. ``make_pipeline(PixelScaler(), FCNClassifier())``).

Displays with one panel store ``ax_`` and ``figure_``; displays with a grid of panels store
``axes_`` (an ndarray of Axes of shape ``(n_rows, n_cols)``, or the shape of the Axes
passed) and ``figure_``, and their
``plot`` accepts ``ax=None`` (a new figure), an array-like of Axes (one per panel) or a single
Axes whose area is divided into the grid (then stored as ``bounding_ax_``).

matplotlib is imported only when a figure is drawn, and importing this module does not
import TensorFlow. Nothing here calls ``plt.show()``.

See Also
--------
sklearn.metrics.ConfusionMatrixDisplay : The confusion matrix heatmap
    (``ConfusionMatrixDisplay.from_estimator(clf, X, y)`` works with skmnist classifiers).
skmnist.metrics : The numbers behind the reliability and risk-coverage figures.
"""

import math

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._checks import check_int, is_int
from .metrics import (
    area_under_risk_coverage,
    calibration_bins,
    expected_calibration_error,
    risk_coverage_curve,
)

__all__ = [
    "DigitGridDisplay",
    "MixtureSamplesDisplay",
    "PredictionSetDisplay",
    "ReliabilityDisplay",
    "RiskCoverageDisplay",
    "TrainingCurvesDisplay",
]

_RED = "red"
_BLACK = "black"


# --------------------------------------------------------------------------------------------
# helpers: matplotlib, axes, validation
# --------------------------------------------------------------------------------------------


def _pyplot(caller):
    """``matplotlib.pyplot``, imported on first use, with a clear error when it is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError(
            f"{caller} requires matplotlib. You can install matplotlib with "
            "`pip install matplotlib`."
        ) from exc
    return plt


def _single_axes(ax, plt):
    """(figure, ax): a new figure and Axes when ``ax`` is None, else ``ax`` and its figure."""
    from matplotlib.axes import Axes

    if ax is None:
        fig, ax = plt.subplots(figsize=(5.0, 4.5), layout="constrained")
        return fig, ax
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be None or a matplotlib Axes, got {type(ax).__name__}.")
    return ax.figure, ax


def _panel_grid(ax, n_panels, n_cols, panel_size, owner, *, wspace=0.3, hspace=0.5):
    """Axes for ``n_panels`` panels in rows of ``n_cols``.

    Returns ``(figure, axes, bounding_ax)``; ``axes`` is an object ndarray of Axes, of shape
    ``(n_rows, n_cols)`` or the shape of the array-like ``ax``, whose cells beyond
    ``n_panels`` (in row-major order) are turned off.
    """
    plt = _pyplot(owner)
    from matplotlib.axes import Axes

    n_cols = _check_positive_int(n_cols, "n_cols")
    n_cols = min(n_cols, n_panels)
    n_rows = math.ceil(n_panels / n_cols)
    bounding_ax = None
    if ax is None:
        fig, axes = plt.subplots(
            n_rows,
            n_cols,
            figsize=(panel_size[0] * n_cols, panel_size[1] * n_rows),
            squeeze=False,
            layout="constrained",
        )
    elif isinstance(ax, Axes):
        if not ax.axison:
            raise ValueError(
                f"The ax was already used by another plot (its axis is turned off). To draw "
                f"{owner} on the same panels pass ax=display.axes_, or pass a new Axes."
            )
        fig = ax.figure
        ax.set_axis_off()
        axes = np.empty((n_rows, n_cols), dtype=object)
        spec = ax.get_subplotspec()
        if spec is not None:
            from matplotlib.gridspec import GridSpecFromSubplotSpec

            grid = GridSpecFromSubplotSpec(
                n_rows, n_cols, subplot_spec=spec, wspace=wspace, hspace=hspace
            )
            for i in range(n_rows):
                for j in range(n_cols):
                    axes[i, j] = fig.add_subplot(grid[i, j])
        else:  # an Axes placed with fig.add_axes: divide its rectangle by hand
            box = ax.get_position()
            width, height = box.width / n_cols, box.height / n_rows
            pad_x, pad_y = width * wspace / 2, height * hspace / 2
            for i in range(n_rows):
                for j in range(n_cols):
                    axes[i, j] = fig.add_axes(
                        [
                            box.x0 + j * width + pad_x / 2,
                            box.y1 - (i + 1) * height + pad_y / 2,
                            width - pad_x,
                            height - pad_y,
                        ]
                    )
        bounding_ax = ax
    else:
        axes = np.asarray(ax, dtype=object)
        flat = axes.ravel()
        if flat.size == 0 or not all(isinstance(a, Axes) for a in flat):
            raise TypeError(
                "ax must be None, a matplotlib Axes (divided into the panels) or an "
                f"array-like of matplotlib Axes, got {type(ax).__name__}."
            )
        if flat.size < n_panels:
            raise ValueError(
                f"Expected ax to have at least {n_panels} Axes (one per panel of {owner}), "
                f"got {flat.size}."
            )
        fig = flat[0].figure
    for extra in axes.ravel()[n_panels:]:
        extra.set_axis_off()
    return fig, axes, bounding_ax


def _check_positive_int(value, name):
    return check_int(value, name, 1)


def _check_image_shape(image_shape):
    try:
        shape = tuple(image_shape)
    except TypeError:
        raise TypeError(
            f"image_shape must be a pair of ints (height, width), got {image_shape!r}."
        ) from None
    if len(shape) != 2 or not all(
        is_int(s, 1) for s in shape
    ):
        raise ValueError(
            f"image_shape must be a pair of positive ints (height, width), got {image_shape!r}."
        )
    return tuple(int(s) for s in shape)


def _as_array(X):
    """``X`` as an ndarray (DataFrames and lists too), without copying when possible."""
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    return np.asarray(X)


def _check_images(X, image_shape, name="X"):
    """``X`` (n, h*w) or (n, h, w) as an (n, h, w) view; raises on anything else."""
    image_shape = _check_image_shape(image_shape)
    X = _as_array(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numeric pixel values, got dtype {X.dtype}.")
    if X.ndim < 2:
        raise ValueError(
            f"{name} must be an array of images of shape (n_samples, {image_shape[0]} * "
            f"{image_shape[1]}) or (n_samples, {image_shape[0]}, {image_shape[1]}), "
            f"got shape {X.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one image is required.")
    per_image = int(np.prod(X.shape[1:]))
    if per_image != image_shape[0] * image_shape[1]:
        raise ValueError(
            f"Cannot reshape the images of {name} (shape {X.shape}, {per_image} values per "
            f"image) to image_shape={image_shape} ({image_shape[0] * image_shape[1]} values). "
            "Pass image_shape matching the data."
        )
    return X.reshape(X.shape[0], *image_shape)


def _check_labels_1d(y, name, n_samples=None, other="X"):
    y = _as_array(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D of shape (n_samples,), got shape {y.shape}.")
    if n_samples is not None and y.shape[0] != n_samples:
        raise ValueError(
            f"{other} and {name} have different numbers of samples: {n_samples} and "
            f"{y.shape[0]}."
        )
    return y


def _final_step(estimator):
    """The estimator that ends ``estimator`` (the last step of a Pipeline)."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def _transform_to_final(estimator, X):
    """``X`` as the last step of ``estimator`` receives it."""
    return estimator[:-1].transform(X) if isinstance(estimator, Pipeline) else X


def _name(estimator):
    return type(_final_step(estimator)).__name__


def _check_classifier(estimator, owner):
    """Check that ``estimator`` is fitted and has ``classes_``; return ``classes_``."""
    check_is_fitted(estimator)
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise TypeError(
            f"{owner} needs a fitted classifier with a classes_ attribute, got "
            f"{_name(estimator)}."
        )
    return np.asarray(classes)


def _check_y_in_classes(y, classes, name="y"):
    try:
        known = np.isin(y, classes)
    except TypeError:
        known = np.array([v in set(classes.tolist()) for v in y.tolist()], dtype=bool)
    if not np.all(known):
        unknown = np.unique(y[~known]).tolist()
        raise ValueError(
            f"{name} contains labels that are not in the estimator's classes_ "
            f"{classes.tolist()}: {unknown[:10]}{' ...' if len(unknown) > 10 else ''}."
        )


def _class_index(y, classes):
    order = np.argsort(classes, kind="stable")
    return order[np.searchsorted(classes[order], y)]


def _check_estimator_xy(estimator, X, y, owner):
    """Common checks of ``from_estimator``: fitted classifier, lengths, known labels."""
    classes = _check_classifier(estimator, owner)
    n = _num_samples(X)
    y = _check_labels_1d(y, "y", n)
    if n == 0:
        raise ValueError("X is empty: at least one sample is required.")
    _check_y_in_classes(y, classes)
    return classes, y


def _num_samples(X):
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(X)


def _max_n_locator(n):
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(n, steps=[1, 2, 5, 10])


def _legend(ax, **kwargs):
    """Draw the legend of ``ax`` when it has labelled artists."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def _legend_label(name, value_name, value, fmt):
    if value is None:
        return name
    text = f"{value_name} {value:{fmt}}"
    return text if name is None else f"{name} ({text})"


# --------------------------------------------------------------------------------------------
# digit images
# --------------------------------------------------------------------------------------------


class DigitGridDisplay:
    """A grid of digit images, each with a title.

    Use :meth:`from_images` (the first images of a dataset with their labels),
    :meth:`from_predictions` or :meth:`from_estimator` (misclassified digits, or all digits
    with wrong predictions in red) to create one. All parameters are stored as attributes.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width)
        The images, any numeric dtype (uint8 pixels, floats in [0, 1], ...). Each image is
        drawn with its own colour scaling.

    titles : list of str of length n_images, default=None
        Title above each image; None draws no titles.

    title_colors : list of color of length n_images, default=None
        The matplotlib colour of each title; None uses the default text colour.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes of shape (n_rows, n_cols)
        One Axes per image, row by row; cells beyond the last image are turned off. When
        ``plot`` got an array-like of Axes, that array, in its own shape.

    images_ : list of matplotlib AxesImage
        The drawn images, in order.

    titles_ : list of str
        The title of each image (empty strings when there are no titles).

    bounding_ax_ : matplotlib Axes or None
        The Axes divided into the grid when ``plot`` got a single Axes, else None.

    figure_ : matplotlib Figure
        The figure holding the grid.

    See Also
    --------
    sklearn.metrics.ConfusionMatrixDisplay : Counts of each (true, predicted) pair.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from skmnist import load_mnist_sample
    >>> from skmnist.plotting import DigitGridDisplay
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> disp = DigitGridDisplay.from_images(X, y, n_images=10)
    >>> disp.axes_.shape, disp.titles_[:3]
    ((2, 5), ['4', '1', '0'])

    Predictions from any classifier: here the wrong ones are made up.

    >>> y_pred = y.copy()
    >>> y_pred[[1, 3]] = 7
    >>> disp = DigitGridDisplay.from_predictions(X, y, y_pred)
    >>> disp.titles_
    ['true 1 / pred 7', 'true 3 / pred 7']
    """

    def __init__(self, images, titles=None, title_colors=None):
        self.images = images
        self.titles = titles
        self.title_colors = title_colors

    def plot(self, *, n_cols=5, cmap="gray_r", ax=None):
        """Draw the images in a grid.

        Parameters
        ----------
        n_cols : int, default=5
            Number of columns of the grid (fewer when there are fewer images).

        cmap : str or matplotlib Colormap, default="gray_r"
            Colormap of the images (``"gray_r"``: dark ink on white).

        ax : matplotlib Axes or array-like of Axes, default=None
            None draws on a new figure; an array-like of at least ``n_images`` Axes draws
            one image on each (extra Axes are turned off); a single Axes is divided into the
            grid.

        Returns
        -------
        display : DigitGridDisplay
            The display, with the artists stored as attributes.
        """
        images = np.asarray(self.images)
        if images.ndim != 3:
            raise ValueError(
                f"images must have shape (n_images, height, width), got shape {images.shape}."
            )
        n = images.shape[0]
        if n == 0:
            raise ValueError("images is empty: at least one image is required.")
        titles = [""] * n if self.titles is None else [str(t) for t in self.titles]
        if len(titles) != n:
            raise ValueError(f"titles has {len(titles)} entries for {n} images.")
        colors = [None] * n if self.title_colors is None else list(self.title_colors)
        if len(colors) != n:
            raise ValueError(f"title_colors has {len(colors)} entries for {n} images.")

        fig, axes, bounding_ax = _panel_grid(
            ax, n, n_cols, (1.5, 1.7), "DigitGridDisplay", wspace=0.1, hspace=0.45
        )
        self.images_ = []
        for panel, image, title, color in zip(axes.ravel(), images, titles, colors):
            self.images_.append(panel.imshow(image, cmap=cmap, interpolation="nearest"))
            panel.set_xticks([])
            panel.set_yticks([])
            if title:
                kwargs = {} if color is None else {"color": color}
                panel.set_title(title, fontsize=9, **kwargs)
        self.axes_ = axes
        self.titles_ = titles
        self.bounding_ax_ = bounding_ax
        self.figure_ = fig
        return self

    @classmethod
    def from_images(
        cls, X, y=None, *, n_images=25, n_cols=5, image_shape=(28, 28), ax=None, cmap="gray_r"
    ):
        """Draw the first images of a dataset, titled with their labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width) or (n_samples, height, width)
            The images, any numeric dtype.

        y : array-like of shape (n_samples,), default=None
            Labels; each image is titled ``str(y[i])``. None draws no titles.

        n_images : int, default=25
            How many images to draw (the first ones; fewer if X has fewer).

        n_cols : int, default=5
            Number of columns of the grid.

        image_shape : tuple of int, default=(28, 28)
            ``(height, width)`` of an image.

        ax : matplotlib Axes or array-like of Axes, default=None
            Where to draw (see :meth:`plot`).

        cmap : str or matplotlib Colormap, default="gray_r"
            Colormap of the images.

        Returns
        -------
        display : DigitGridDisplay
            The display, with the artists stored as attributes.
        """
        images = _check_images(X, image_shape)
        n_images = _check_positive_int(n_images, "n_images")
        titles = None
        if y is not None:
            y = _check_labels_1d(y, "y", images.shape[0])
            titles = [str(v) for v in y[:n_images].tolist()]
        return cls(images[:n_images], titles=titles).plot(n_cols=n_cols, cmap=cmap, ax=ax)

    @classmethod
    def from_predictions(
        cls,
        X,
        y_true,
        y_pred,
        *,
        kind="misclassified",
        n_images=25,
        n_cols=5,
        image_shape=(28, 28),
        ax=None,
        cmap="gray_r",
    ):
        """Draw misclassified digits, or the first digits with their predictions.

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width) or (n_samples, height, width)
            The images, any numeric dtype.

        y_true : array-like of shape (n_samples,)
            True labels.

        y_pred : array-like of shape (n_samples,)
            Predicted labels.

        kind : {"misclassified", "all"}, default="misclassified"
            ``"misclassified"``: the first ``n_images`` images with ``y_true != y_pred``,
            titled ``"true {t} / pred {p}"`` in red (ValueError when every prediction is
            right). ``"all"``: the first ``n_images`` images, titled
            ``"pred {p} / true {t}"``, black when right and red when wrong.

        n_images : int, default=25
            Maximum number of images to draw.

        n_cols : int, default=5
            Number of columns of the grid.

        image_shape : tuple of int, default=(28, 28)
            ``(height, width)`` of an image.

        ax : matplotlib Axes or array-like of Axes, default=None
            Where to draw (see :meth:`plot`).

        cmap : str or matplotlib Colormap, default="gray_r"
            Colormap of the images.

        Returns
        -------
        display : DigitGridDisplay
            The display, with the artists stored as attributes.
        """
        if kind not in ("misclassified", "all"):
            raise ValueError(f"kind must be 'misclassified' or 'all', got {kind!r}.")
        images = _check_images(X, image_shape)
        n_images = _check_positive_int(n_images, "n_images")
        y_true = _check_labels_1d(y_true, "y_true", images.shape[0])
        y_pred = _check_labels_1d(y_pred, "y_pred", images.shape[0])
        if (y_true.dtype.kind in "USO") != (y_pred.dtype.kind in "USO"):
            raise TypeError(
                "y_true and y_pred must hold labels of the same type (both numbers or both "
                f"strings), got dtypes {y_true.dtype} and {y_pred.dtype}."
            )
        wrong = np.asarray(y_true != y_pred, dtype=bool)
        if kind == "misclassified":
            index = np.flatnonzero(wrong)[:n_images]
            if index.size == 0:
                raise ValueError(
                    f"There are no misclassified digits to show: all {images.shape[0]} "
                    "predictions are correct. Use kind='all' to show the digits anyway."
                )
            titles = [f"true {y_true[i]} / pred {y_pred[i]}" for i in index]
            colors = [_RED] * index.size
        else:
            index = np.arange(min(n_images, images.shape[0]))
            titles = [f"pred {y_pred[i]} / true {y_true[i]}" for i in index]
            colors = [_RED if wrong[i] else _BLACK for i in index]
        return cls(images[index], titles=titles, title_colors=colors).plot(
            n_cols=n_cols, cmap=cmap, ax=ax
        )

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        kind="misclassified",
        n_images=25,
        n_cols=5,
        image_shape=(28, 28),
        ax=None,
        cmap="gray_r",
    ):
        """Draw the digits a fitted classifier gets wrong (or all, marking the wrong ones).

        Parameters
        ----------
        estimator : estimator instance
            A fitted classifier, or a Pipeline ending in one, taking ``X`` as given.

        X : array-like of shape (n_samples, height * width) or (n_samples, height, width)
            The images, passed to ``estimator.predict`` and drawn as given.

        y : array-like of shape (n_samples,)
            True labels.

        kind : {"misclassified", "all"}, default="misclassified"
            See :meth:`from_predictions`.

        n_images : int, default=25
            Maximum number of images to draw.

        n_cols : int, default=5
            Number of columns of the grid.

        image_shape : tuple of int, default=(28, 28)
            ``(height, width)`` of an image.

        ax : matplotlib Axes or array-like of Axes, default=None
            Where to draw (see :meth:`plot`).

        cmap : str or matplotlib Colormap, default="gray_r"
            Colormap of the images.

        Returns
        -------
        display : DigitGridDisplay
            The display, with the artists stored as attributes.
        """
        if kind not in ("misclassified", "all"):
            raise ValueError(f"kind must be 'misclassified' or 'all', got {kind!r}.")
        _check_images(X, image_shape)
        _check_positive_int(n_images, "n_images")
        _, y = _check_estimator_xy(estimator, X, y, "DigitGridDisplay")
        y_pred = estimator.predict(X)
        return cls.from_predictions(
            X,
            y,
            y_pred,
            kind=kind,
            n_images=n_images,
            n_cols=n_cols,
            image_shape=image_shape,
            ax=ax,
            cmap=cmap,
        )


# --------------------------------------------------------------------------------------------
# training curves
# --------------------------------------------------------------------------------------------


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
        plt = _pyplot("TrainingCurvesDisplay")
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
        fig, axes, bounding_ax = _panel_grid(
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
            _legend(panel, fontsize="small")
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
            history = getattr(_final_step(estimator), "history_", None)
            if not isinstance(history, dict):
                raise TypeError(
                    f"{_name(estimator)} has no history_: TrainingCurvesDisplay needs "
                    "estimators that record per-epoch metrics (skmnist's FCNClassifier or "
                    "MDNClassifier, or Pipelines ending in one)."
                )
            histories.append(history)
        if labels is None:
            labels = _unique_names([_name(e) for e in estimators])
        elif len(labels) != len(estimators):
            raise ValueError(f"labels has {len(labels)} entries for {len(estimators)} estimators.")
        return cls(histories, labels, colors=colors).plot(metrics=metrics, ax=ax)


# --------------------------------------------------------------------------------------------
# mixture density network samples
# --------------------------------------------------------------------------------------------


def _mixture_density(x, weights, means, scales):
    """Density of each row's 1-D Gaussian mixture on the grid ``x``: (n_inputs, n_grid)."""
    z = (x[None, :, None] - means[:, None, :]) / scales[:, None, :]
    pdf = np.exp(-0.5 * z * z) / (scales[:, None, :] * math.sqrt(2 * math.pi))
    return np.sum(weights[:, None, :] * pdf, axis=-1)


def _inset_corner(draws, x, true_value):
    """Left edge (axes fraction) of the digit inset: 0.70 (right corner) or 0.02 (left).

    A corner is avoided when the true-value line would run through the inset; otherwise the
    corner with fewer draws below it is taken.
    """
    span = x[-1] - x[0]
    corners = {0.70: (0.70, 0.98), 0.02: (0.02, 0.30)}
    below = {
        left: np.mean((draws >= x[0] + lo * span) & (draws <= x[0] + hi * span))
        for left, (lo, hi) in corners.items()
    }
    clear = [
        left
        for left, (lo, hi) in corners.items()
        if true_value is None or not (lo - 0.02 <= (true_value - x[0]) / span <= hi + 0.02)
    ]
    return min(clear or corners, key=lambda left: (below[left], -left))


class MixtureSamplesDisplay:
    """Values drawn from a mixture density network, per digit, with the mixture's density.

    One panel per input: bars of the share of values drawn from the input's predicted
    Gaussian mixture that falls on each digit (the interval ``[k - 0.5, k + 0.5)`` of digit
    ``k``; the first digit takes everything below, the last everything above: the classes of
    ``predict_proba``), read on the left axis; the mixture's density as a line, read on its
    own axis on the right (a narrow component's density peaks far above any share, so one
    axis would hide the bars under it); light vertical lines at the class boundaries
    ``k + 0.5``, a dashed vertical line at the true value when known and a small inset of the
    digit. Use :meth:`from_estimator` with a fitted :class:`skmnist.MDNClassifier` to create
    one.

    Parameters
    ----------
    draws : array-like of shape (n_inputs, n_draws)
        Values drawn from each input's mixture.

    x : array-like of shape (n_grid,)
        The grid on which the densities are given (shared by all panels).

    densities : array-like of shape (n_inputs, n_grid)
        The mixture density of each input on ``x``.

    titles : list of str of length n_inputs, default=None
        The title of each panel.

    true_values : array-like of shape (n_inputs,), default=None
        The true value (class index) of each input, drawn as a dashed vertical line.

    images : array-like of shape (n_inputs, height, width), default=None
        The digit of each input, drawn as an inset.

    n_classes : int, default=10
        Number of classes: class boundaries are drawn at ``0.5, ..., n_classes - 1.5``.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes of shape (n_rows, n_cols)
        One Axes per input, row by row; cells beyond the last input are turned off. When
        ``plot`` got an array-like of Axes, that array, in its own shape.

    histograms_ : list of matplotlib BarContainer
        The bars of each panel: the share of draws per digit (or per bin of ``bins``).

    density_lines_ : list of matplotlib Line2D
        The density line of each panel.

    density_axes_ : list of matplotlib Axes
        The right-hand Axes of each panel, holding its density line (a twin of the panel).

    true_lines_ : list of matplotlib Line2D or None
        The true-value line of each panel (None where there is no true value).

    insets_ : list of matplotlib Axes or None
        The inset Axes holding each digit (None when there are no images).

    bounding_ax_ : matplotlib Axes or None
        The Axes divided into the grid when ``plot`` got a single Axes, else None.

    figure_ : matplotlib Figure
        The figure holding the panels.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmnist import MDNClassifier, PixelScaler, load_mnist_sample
    >>> from skmnist.plotting import MixtureSamplesDisplay
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> mdn = make_pipeline(PixelScaler(), MDNClassifier(
    ...     (16,), n_components=3, epochs=1, random_state=0)).fit(X[:300], y[:300])
    >>> disp = MixtureSamplesDisplay.from_estimator(mdn, X[-4:], y[-4:], n_draws=500)
    >>> disp.axes_.shape, len(disp.histograms_), len(disp.insets_)
    ((1, 4), 4, 4)
    >>> disp.axes_[0, 0].get_xlabel(), disp.axes_[0, 0].get_ylabel()
    ('digit value', 'share of draws')
    >>> disp.density_axes_[-1].get_ylabel()
    'density'
    """

    def __init__(
        self, draws, x, densities, titles=None, true_values=None, images=None, n_classes=10
    ):
        self.draws = draws
        self.x = x
        self.densities = densities
        self.titles = titles
        self.true_values = true_values
        self.images = images
        self.n_classes = n_classes

    def plot(self, *, n_cols=5, bins=None, ax=None, show_images=True, cmap="gray_r"):
        """Draw one panel per input.

        Parameters
        ----------
        n_cols : int, default=5
            Number of columns of the grid.

        bins : int or array-like, default=None
            Bars: None draws one per digit (the share of draws that the digit's interval
            holds); an int, that many equal-width bins over the range of ``x``; an array,
            the bin edges. Each bar's height is the share of the draws in it.

        ax : matplotlib Axes or array-like of Axes, default=None
            None draws on a new figure; an array-like of Axes draws one input on each; a
            single Axes is divided into the grid.

        show_images : bool, default=True
            Draw each digit in an inset in the panel's upper corner (when ``images`` is
            given). The panel's y range leaves room for it above the histogram.

        cmap : str or matplotlib Colormap, default="gray_r"
            Colormap of the insets.

        Returns
        -------
        display : MixtureSamplesDisplay
            The display, with the artists stored as attributes.
        """
        draws = np.asarray(self.draws, dtype=float)
        if draws.ndim != 2 or draws.shape[0] == 0 or draws.shape[1] == 0:
            raise ValueError(
                f"draws must be a non-empty array of shape (n_inputs, n_draws), got shape "
                f"{draws.shape}."
            )
        n = draws.shape[0]
        x = np.asarray(self.x, dtype=float)
        densities = np.asarray(self.densities, dtype=float)
        if x.ndim != 1 or x.size < 2:
            raise ValueError(f"x must be a 1-D grid of at least 2 values, got shape {x.shape}.")
        if densities.shape != (n, x.size):
            raise ValueError(
                f"densities must have shape (n_inputs, n_grid) = {(n, x.size)}, got "
                f"{densities.shape}."
            )
        titles = [""] * n if self.titles is None else [str(t) for t in self.titles]
        if len(titles) != n:
            raise ValueError(f"titles has {len(titles)} entries for {n} inputs.")
        true_values = None
        if self.true_values is not None:
            true_values = np.asarray(self.true_values, dtype=float)
            if true_values.shape != (n,):
                raise ValueError(
                    f"true_values must have shape ({n},), got {true_values.shape}."
                )
        images = None
        if self.images is not None and show_images:
            images = np.asarray(self.images)
            if images.ndim != 3 or images.shape[0] != n:
                raise ValueError(
                    f"images must have shape ({n}, height, width), got {images.shape}."
                )
        n_classes = _check_positive_int(self.n_classes, "n_classes")
        if bins is None:
            edges = None
        elif is_int(bins):
            edges = np.linspace(x[0], x[-1], _check_positive_int(bins, "bins") + 1)
        else:
            edges = np.asarray(bins, dtype=float)
            if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
                raise ValueError("bins must be an int or increasing bin edges.")

        # 2.3 x 2.2 inches a panel: five in a row stay readable at 9-10 points when the
        # figure is shown about 1,000 pixels wide (the report's page).
        fig, axes, bounding_ax = _panel_grid(
            ax, n, n_cols, (2.3, 2.2), "MixtureSamplesDisplay", wspace=0.35, hspace=0.6
        )
        grid_cols = axes.shape[-1] if axes.ndim == 2 else len(axes.ravel())
        self.histograms_, self.density_lines_, self.true_lines_, self.insets_ = [], [], [], []
        self.density_axes_ = []
        # Every other digit: ten labels at a readable size do not fit a panel's width.
        ticks = np.arange(0, n_classes, 2 if n_classes <= 10 else 5)
        for i, panel in enumerate(axes.ravel()[:n]):
            for k in range(n_classes - 1):
                panel.axvline(k + 0.5, color="0.85", linewidth=0.8, zorder=0)
            share = np.full(draws.shape[1], 1.0 / draws.shape[1])
            if edges is None:
                digit = np.clip(np.floor(draws[i] + 0.5), 0, n_classes - 1).astype(int)
                heights = np.bincount(digit, minlength=n_classes) / draws.shape[1]
                bars = panel.bar(np.arange(n_classes), heights, width=0.8, color="tab:blue",
                                 alpha=0.55, label="share of draws")
            else:
                heights, _, bars = panel.hist(draws[i], bins=edges, weights=share,
                                              color="tab:blue", alpha=0.55,
                                              label="share of draws")
            self.histograms_.append(bars)
            density_ax = panel.twinx()
            (line,) = density_ax.plot(x, densities[i], color=_BLACK, linewidth=1.1,
                                      label="density")
            self.density_lines_.append(line)
            self.density_axes_.append(density_ax)
            true_line = None
            if true_values is not None:
                true_line = panel.axvline(
                    true_values[i], color=_RED, linestyle="--", linewidth=1.2, label="true"
                )
            self.true_lines_.append(true_line)
            top = max(float(np.max(heights, initial=0.0)), 1e-12)
            density_top = max(float(np.max(densities[i])), 1e-12)
            panel.set_xlim(x[0], x[-1])
            panel.set_xticks(ticks)
            for axis in (panel, density_ax):
                axis.tick_params(labelsize=9)
            panel.set_xlabel("digit value", fontsize=10)
            # The quantity on each side is named on the outer panels of a row; every panel
            # keeps its tick labels (the scales differ from panel to panel).
            if i % grid_cols == 0:
                panel.set_ylabel("share of draws", fontsize=10)
            if i % grid_cols == grid_cols - 1 or i == n - 1:
                density_ax.set_ylabel("density", fontsize=10)
            if titles[i]:
                panel.set_title(titles[i], fontsize=10)
            inset = None
            room = 1.1
            if images is not None:
                # Room above the data for the digit (the top 37% of the panel), in the
                # corner that keeps clear of the true-value line and has less mass below.
                room = 1.65
                inset_x = _inset_corner(draws[i], x, None if true_values is None
                                        else true_values[i])
                inset = panel.inset_axes([inset_x, 0.63, 0.28, 0.35])
                inset.imshow(images[i], cmap=cmap, interpolation="nearest")
                inset.set_xticks([])
                inset.set_yticks([])
            # Ticks over the data only: the room above it (for the inset) has no values.
            for axis, highest in ((panel, top), (density_ax, density_top)):
                axis.set_ylim(0, highest * room)
                ticks_y = _max_n_locator(4).tick_values(0, highest)
                axis.set_yticks(ticks_y[ticks_y <= highest * 1.0001])
            self.insets_.append(inset)
        self.axes_ = axes
        self.bounding_ax_ = bounding_ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        n_draws=2000,
        n_cols=5,
        bins=None,
        random_state=0,
        ax=None,
        show_images=True,
        image_shape=(28, 28),
        n_images=25,
    ):
        """Draw a fitted mixture density network's predictive mixture for each input.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`skmnist.MDNClassifier`, or a Pipeline ending in one (``X`` is
            transformed by the earlier steps).

        X : array-like of shape (n_inputs, n_features)
            The chosen digits, one panel each (the first ``n_images``).

        y : array-like of shape (n_inputs,), default=None
            True labels: drawn as a dashed line at their class index and named in the
            titles (``"true {y} / pred {p}"``; ``"pred {p}"`` without ``y``).

        n_draws : int, default=2000
            Values drawn per input.

        n_cols : int, default=5
            Number of columns of the grid.

        bins : int or array-like, default=None
            Histogram bins (see :meth:`plot`).

        random_state : int, RandomState instance or None, default=0
            Seed of the draws.

        ax : matplotlib Axes or array-like of Axes, default=None
            Where to draw (see :meth:`plot`).

        show_images : bool, default=True
            Draw each digit as an inset, when ``X`` can be reshaped to ``image_shape``.

        image_shape : tuple of int, default=(28, 28)
            ``(height, width)`` of an image, for the insets.

        n_images : int, default=25
            Maximum number of inputs to draw (the first rows of ``X``).

        Returns
        -------
        display : MixtureSamplesDisplay
            The display, with the artists stored as attributes.
        """
        final = _final_step(estimator)
        if not (hasattr(final, "mixture_params") and hasattr(final, "sample")):
            raise TypeError(
                f"MixtureSamplesDisplay needs an MDNClassifier (an estimator with "
                f"mixture_params and sample), got {type(final).__name__}."
            )
        n_draws = _check_positive_int(n_draws, "n_draws")
        n_images = _check_positive_int(n_images, "n_images")
        classes = _check_classifier(estimator, "MixtureSamplesDisplay")
        n = _num_samples(X)
        if n == 0:
            raise ValueError("X is empty: at least one input is required.")
        if y is not None:
            y = _check_labels_1d(y, "y", n)
            _check_y_in_classes(y, classes)
            y = y[:n_images]
        X = X[:n_images]

        Xt = _transform_to_final(estimator, X)
        params = final.mixture_params(Xt)
        draws = np.asarray(
            final.sample_values(Xt, n_draws=n_draws, random_state=random_state), dtype=float
        )
        y_pred = estimator.predict(X)
        n_classes = len(classes)

        lo = min(float(draws.min()), -0.5)
        hi = max(float(draws.max()), n_classes - 0.5)
        # Fine enough to resolve the narrowest component (at least 5 points per sigma).
        step = min(0.01, float(np.min(params.scales)) / 5)
        x = np.linspace(lo, hi, int(min(max((hi - lo) / step, 200), 20_000)) + 1)
        densities = _mixture_density(
            x,
            np.asarray(params.weights, dtype=float),
            np.asarray(params.means, dtype=float),
            np.asarray(params.scales, dtype=float),
        )
        if y is None:
            titles = [f"pred {p}" for p in y_pred]
            true_values = None
        else:
            titles = [f"true {t} / pred {p}" for t, p in zip(y, y_pred)]
            true_values = _class_index(y, classes).astype(float)

        images = None
        if show_images:
            try:
                images = _check_images(X, image_shape)
            except (TypeError, ValueError):
                images = None
        return cls(
            draws,
            x,
            densities,
            titles=titles,
            true_values=true_values,
            images=images,
            n_classes=n_classes,
        ).plot(n_cols=n_cols, bins=bins, ax=ax, show_images=show_images)


# --------------------------------------------------------------------------------------------
# reliability and risk-coverage
# --------------------------------------------------------------------------------------------

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
        plt = _pyplot("ReliabilityDisplay")
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
        fig, ax = _single_axes(ax, plt)
        name = self.name if name is None else name
        keep = (count > 0) & np.isfinite(confidence) & np.isfinite(accuracy)
        if ref_line and not any(line.get_label() == _REF_LABEL for line in ax.get_lines()):
            ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label=_REF_LABEL)
        line_kwargs = {
            "marker": "o",
            "clip_on": False,  # markers at accuracy 1 stay whole
            "label": _legend_label(name, "ECE", self.ece, ".2%"),
        }
        line_kwargs.update(kwargs)
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
        _legend(ax, loc="best")
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
        classes, y = _check_estimator_xy(estimator, X, y, "ReliabilityDisplay")
        y_prob = estimator.predict_proba(X)
        return cls.from_predictions(
            y,
            y_prob,
            n_bins=n_bins,
            labels=classes,
            name=_name(estimator) if name is None else name,
            ax=ax,
            count_ax=count_ax,
            **kwargs,
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
        plt = _pyplot("RiskCoverageDisplay")
        coverage = np.asarray(self.coverage, dtype=float)
        risk = np.asarray(self.risk, dtype=float)
        if coverage.ndim != 1 or coverage.shape != risk.shape:
            raise ValueError(
                "coverage and risk must be 1-D arrays of the same length, got shapes "
                f"{coverage.shape} and {risk.shape}."
            )
        fig, ax = _single_axes(ax, plt)
        name = self.name if name is None else name
        line_kwargs = {"label": _legend_label(name, "AURC", self.aurc, ".4f")}
        line_kwargs.update(kwargs)
        (self.line_,) = ax.plot(coverage, risk, **line_kwargs)
        ax.set(xlabel="coverage", ylabel="risk (error rate)", xlim=(0, 1))
        # from 0 to a little above the highest curve on the Axes (so far: a later curve
        # drawn on the same Axes rescales it again)
        top = max(
            (np.nanmax(line.get_ydata(), initial=0.0) for line in ax.get_lines()),
            default=0.0,
        )
        ax.set_ylim(0, 1.05 * top if top > 0 else 1)
        _legend(ax, loc="upper left")
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
        classes, y = _check_estimator_xy(estimator, X, y, "RiskCoverageDisplay")
        y_prob = estimator.predict_proba(X)
        return cls.from_predictions(
            y,
            y_prob,
            labels=classes,
            name=_name(estimator) if name is None else name,
            ax=ax,
            **kwargs,
        )


# --------------------------------------------------------------------------------------------
# conformal prediction sets
# --------------------------------------------------------------------------------------------


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
        fig, axes, bounding_ax = _panel_grid(ax, 2, 2, (4.5, 4.0), "PredictionSetDisplay")
        cov_ax, size_ax = axes.ravel()[:2]
        order = np.argsort(alphas)
        name = self.name if name is None else name
        line_kwargs = {"marker": "o", "label": name}
        line_kwargs.update(kwargs)
        # one target line per Axes, however many displays are drawn on it
        target = [line for line in cov_ax.get_lines() if line.get_label() == _TARGET_LABEL]
        if target:
            self.target_line_ = target[0]
        else:
            grid = np.linspace(alphas.min(), alphas.max(), 50)
            (self.target_line_,) = cov_ax.plot(grid, 1 - grid, ls="--", color=_BLACK, lw=1,
                                               label=_TARGET_LABEL)
        (self.coverage_line_,) = cov_ax.plot(alphas[order], coverage[order], **line_kwargs)
        (self.size_line_,) = size_ax.plot(alphas[order], mean_size[order], **line_kwargs)
        cov_ax.set(xlabel="alpha (error rate)", ylabel="coverage", title="coverage")
        size_ax.set(xlabel="alpha (error rate)", ylabel="classes per set",
                    title="mean set size")
        _legend(cov_ax, loc="lower left")
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
        from .metrics import mean_set_size, set_coverage_score

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
        classes, y = _check_estimator_xy(estimator, X, y, "PredictionSetDisplay")
        if not hasattr(estimator, "predict_set"):
            raise TypeError(
                "PredictionSetDisplay needs a classifier with predict_set, got "
                f"{_name(estimator)}."
            )
        alphas = _check_alphas(alphas)
        sets = [estimator.predict_set(X, a, method=method, class_conditional=class_conditional)
                for a in alphas]
        if name is None:
            name = f"{_name(estimator)} ({method}{', per class' if class_conditional else ''})"
        return cls.from_predictions(y, sets, alphas=alphas, labels=classes, name=name, ax=ax,
                                    **kwargs)
