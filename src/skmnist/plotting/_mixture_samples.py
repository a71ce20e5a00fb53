"""MixtureSamplesDisplay: a mixture density network's draws per digit, with its density."""

import math

import numpy as np
from sklearn.utils.validation import _num_samples

from .._checks import is_int
from ..metrics import _encode
from ._common import (
    BLACK,
    RED,
    check_classifier,
    check_images,
    check_labels_1d,
    check_positive_int,
    check_y_in_classes,
    final_step,
    max_n_locator,
    panel_grid,
    transform_to_final,
)

#: The public methods a mixture density network offers, which this Display draws with:
#: ``mixture_params(X)`` (weights, means and scales of each input's mixture) and
#: ``sample_values(X, n_draws, random_state)`` (values drawn from it).
MIXTURE_METHODS = ("mixture_params", "sample_values")


def check_mixture_network(estimator, owner):
    """The last step of ``estimator`` when it offers :data:`MIXTURE_METHODS`, else TypeError.

    A mixture density network is recognised by its documented capability, those public
    methods (:class:`skmnist.MDNClassifier` has them), not by its class.
    """
    final = final_step(estimator)
    missing = [m for m in MIXTURE_METHODS if not callable(getattr(final, m, None))]
    if missing:
        raise TypeError(
            f"{owner} needs an MDNClassifier (an estimator with the methods "
            f"{' and '.join(MIXTURE_METHODS)}), got {type(final).__name__}, which lacks "
            f"{' and '.join(missing)}."
        )
    return final


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
        n_classes = check_positive_int(self.n_classes, "n_classes")
        if bins is None:
            edges = None
        elif is_int(bins):
            edges = np.linspace(x[0], x[-1], check_positive_int(bins, "bins") + 1)
        else:
            edges = np.asarray(bins, dtype=float)
            if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
                raise ValueError("bins must be an int or increasing bin edges.")

        # 2.3 x 2.2 inches a panel: five in a row stay readable at 9-10 points when the
        # figure is shown about 1,000 pixels wide (the report's page).
        fig, axes, bounding_ax = panel_grid(
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
            (line,) = density_ax.plot(x, densities[i], color=BLACK, linewidth=1.1,
                                      label="density")
            self.density_lines_.append(line)
            self.density_axes_.append(density_ax)
            true_line = None
            if true_values is not None:
                true_line = panel.axvline(
                    true_values[i], color=RED, linestyle="--", linewidth=1.2, label="true"
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
                ticks_y = max_n_locator(4).tick_values(0, highest)
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
        final = check_mixture_network(estimator, "MixtureSamplesDisplay")
        n_draws = check_positive_int(n_draws, "n_draws")
        n_images = check_positive_int(n_images, "n_images")
        classes = check_classifier(estimator, "MixtureSamplesDisplay")
        n = _num_samples(X)
        if n == 0:
            raise ValueError("X is empty: at least one input is required.")
        if y is not None:
            y = check_labels_1d(y, "y", n)
            check_y_in_classes(y, classes)
            y = y[:n_images]
        X = X[:n_images]

        Xt = transform_to_final(estimator, X)
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
            true_values = _encode(y, classes).astype(float)

        images = None
        if show_images:
            try:
                images = check_images(X, image_shape)
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
