"""What the Displays share: matplotlib, Axes and panel grids, checks of their inputs."""

import math

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import _num_samples, check_is_fitted

from .._checks import check_int, is_int

RED = "red"
BLACK = "black"


def pyplot(caller):
    """``matplotlib.pyplot``, imported on first use; scikit-learn's ImportError without it."""
    check_matplotlib_support(caller)
    import matplotlib.pyplot as plt

    return plt


def single_axes(ax, plt):
    """(figure, ax): a new figure and Axes when ``ax`` is None, else ``ax`` and its figure."""
    from matplotlib.axes import Axes

    if ax is None:
        fig, ax = plt.subplots(figsize=(5.0, 4.5), layout="constrained")
        return fig, ax
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be None or a matplotlib Axes, got {type(ax).__name__}.")
    return ax.figure, ax


def panel_grid(ax, n_panels, n_cols, panel_size, owner, *, wspace=0.3, hspace=0.5):
    """Axes for ``n_panels`` panels in rows of ``n_cols``.

    Returns ``(figure, axes, bounding_ax)``; ``axes`` is an object ndarray of Axes, of shape
    ``(n_rows, n_cols)`` or the shape of the array-like ``ax``, whose cells beyond
    ``n_panels`` (in row-major order) are turned off.
    """
    plt = pyplot(owner)
    from matplotlib.axes import Axes

    n_cols = check_positive_int(n_cols, "n_cols")
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


def check_positive_int(value, name):
    return check_int(value, name, 1)


def check_image_shape(image_shape):
    try:
        shape = tuple(image_shape)
    except TypeError:
        raise TypeError(
            f"image_shape must be a pair of ints (height, width), got {image_shape!r}."
        ) from None
    if len(shape) != 2 or not all(is_int(s, 1) for s in shape):
        raise ValueError(
            f"image_shape must be a pair of positive ints (height, width), got {image_shape!r}."
        )
    return tuple(int(s) for s in shape)


def as_array(X):
    """``X`` as an ndarray (DataFrames and lists too), without copying when possible."""
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    return np.asarray(X)


def check_images(X, image_shape, name="X"):
    """``X`` (n, h*w) or (n, h, w) as an (n, h, w) view; raises on anything else."""
    image_shape = check_image_shape(image_shape)
    X = as_array(X)
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


def check_labels_1d(y, name, n_samples=None, other="X"):
    y = as_array(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D of shape (n_samples,), got shape {y.shape}.")
    if n_samples is not None and y.shape[0] != n_samples:
        raise ValueError(
            f"{other} and {name} have different numbers of samples: {n_samples} and "
            f"{y.shape[0]}."
        )
    return y


def final_step(estimator):
    """The estimator that ends ``estimator`` (the last step of a Pipeline)."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def transform_to_final(estimator, X):
    """``X`` as the last step of ``estimator`` receives it."""
    return estimator[:-1].transform(X) if isinstance(estimator, Pipeline) else X


def estimator_name(estimator):
    return type(final_step(estimator)).__name__


def check_classifier(estimator, owner):
    """Check that ``estimator`` is fitted and has ``classes_``; return ``classes_``."""
    check_is_fitted(estimator)
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise TypeError(
            f"{owner} needs a fitted classifier with a classes_ attribute, got "
            f"{estimator_name(estimator)}."
        )
    return np.asarray(classes)


def check_y_in_classes(y, classes, name="y"):
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


def check_estimator_xy(estimator, X, y, owner):
    """Common checks of ``from_estimator``: fitted classifier, lengths, known labels."""
    classes = check_classifier(estimator, owner)
    n = _num_samples(X)
    y = check_labels_1d(y, "y", n)
    if n == 0:
        raise ValueError("X is empty: at least one sample is required.")
    check_y_in_classes(y, classes)
    return classes, y


def max_n_locator(n):
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(n, steps=[1, 2, 5, 10])


def legend(ax, **kwargs):
    """Draw the legend of ``ax`` when it has labelled artists."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def legend_label(name, value_name, value, fmt):
    if value is None:
        return name
    text = f"{value_name} {value:{fmt}}"
    return text if name is None else f"{name} ({text})"
