"""DigitGridDisplay: a grid of digit images, each with a title."""

import numpy as np

from ._common import (
    BLACK,
    RED,
    check_estimator_xy,
    check_images,
    check_labels_1d,
    check_positive_int,
    panel_grid,
)


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

        fig, axes, bounding_ax = panel_grid(
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
        images = check_images(X, image_shape)
        n_images = check_positive_int(n_images, "n_images")
        titles = None
        if y is not None:
            y = check_labels_1d(y, "y", images.shape[0])
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
        images = check_images(X, image_shape)
        n_images = check_positive_int(n_images, "n_images")
        y_true = check_labels_1d(y_true, "y_true", images.shape[0])
        y_pred = check_labels_1d(y_pred, "y_pred", images.shape[0])
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
            colors = [RED] * index.size
        else:
            index = np.arange(min(n_images, images.shape[0]))
            titles = [f"pred {y_pred[i]} / true {y_true[i]}" for i in index]
            colors = [RED if wrong[i] else BLACK for i in index]
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
        check_images(X, image_shape)
        check_positive_int(n_images, "n_images")
        _, y = check_estimator_xy(estimator, X, y, "DigitGridDisplay")
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
