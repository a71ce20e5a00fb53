"""Novelty of a whole image, from what its framing discards (NumPy and SciPy only).

:class:`skmnist.DigitNormalizer` turns any picture into a digit-shaped blob: a photograph,
noise or a printed word come out as 28x28 images that a network may read as a digit, and
the network's own novelty only sees the blob.  The image itself still shows what it is: a
digit on paper has a plain background, two grey populations that separate cleanly, one or a
few pieces of ink of a stroke's width, inside the page.  :func:`skmnist._framing.analyse_ink`
measures those facts (:data:`~skmnist._framing.STATISTICS`) while framing;
:class:`ImageNovelty` says how unusual they are among images of real digits.

The model, fitted once on *reference pages* and shipped with the package
(``data/image_novelty.npz``, rebuilt by ``tools/fit_image_novelty.py``):

- reference pages are MNIST training digits drawn as a person's images are: at sizes from
  16 to 200 pixels (and small, 6 to 20, tightly cropped), on light paper or dark, in grey or
  in colour (a pen of some colour on tinted paper), with margins, uneven light, noise, blur,
  JPEG compression and faint ruled lines; and MNIST's own 28x28 images in both polarities
  (:func:`reference_pages`);
- each statistic is mapped through its reference quantiles to a standard normal score
  (outside the reference range: the tail continues linearly, so far beyond it is far);
- the novelty statistic is the Mahalanobis distance of those scores (covariance shrunk with
  Ledoit-Wolf), ranked among held-out reference pages: ``novelty > 0.99`` flags about 1% of
  images like the reference pages.
"""

import io

import numpy as np

from ._framing import STATISTICS, FramingError, frame_image

__all__ = ["ImageNovelty", "reference_pages"]

#: Quantile levels kept per statistic.
_LEVELS = np.linspace(0.0, 1.0, 201)


#: Which way each statistic of :data:`~skmnist._framing.STATISTICS` is unusual: +1 only when
#: high (a noisy background, many pieces of ink, colours of more than one pen and paper), -1
#: only when low (grey levels that do not separate, ink lost as specks), 0 both ways (shape
#: and size of the ink).
_SIDES = np.array([+1, -1, 0, -1, +1, 0, 0, +1, +1, 0, +1, +1])


def _normal_scores(values, quantiles):
    """Each column mapped by its reference quantiles to a standard normal score, clipped to
    the side on which the statistic is unusual (:data:`_SIDES`)."""
    from scipy.special import ndtri

    levels = np.clip(_LEVELS, 0.5 / 2000, 1 - 0.5 / 2000)
    out = np.empty_like(values, dtype=np.float64)
    for j in range(values.shape[1]):
        q, v = quantiles[:, j], values[:, j]
        # Tied quantiles (a statistic that is often exactly 0 or 1) take the middle of the
        # levels they span, so the reference's common value scores near 0, not at a tail.
        unique, first, counts = np.unique(q, return_index=True, return_counts=True)
        middle = 0.5 * (levels[first + (counts - 1) // 2] + levels[first + counts // 2])
        z_unique = ndtri(middle)
        z = np.interp(v, unique, z_unique)
        # Beyond the reference range the score grows with the distance, in units of the
        # reference's spread (its central 98%), so that far is farther.
        spread = max(q[198] - q[2], 1e-3)
        z = np.where(v < q[0], z_unique[0] - (q[0] - v) / spread * 4, z)
        z = np.where(v > q[-1], z_unique[-1] + (v - q[-1]) / spread * 4, z)
        if _SIDES[j] > 0:
            z = np.maximum(z, 0.0)
        elif _SIDES[j] < 0:
            z = np.minimum(z, 0.0)
        out[:, j] = z
    return out


class ImageNovelty:
    """How unlike images of handwritten digits an image is, from its framing statistics.

    Attributes
    ----------
    quantiles_ : ndarray of shape (201, n_statistics)
        Reference quantiles of each statistic.
    mean_, precision_ : ndarray
        Mean and (shrunk) inverse covariance of the normal scores.
    calibration_statistic_ : ndarray of shape (n_calibration,)
        Sorted distances of the held-out reference pages.
    """

    def fit(self, statistics, *, calibration_fraction=0.5, random_state=None):
        """Fit on reference statistics; half of them (shuffled) calibrate the ranks."""
        from sklearn.covariance import LedoitWolf

        statistics = np.asarray(statistics, dtype=np.float64)
        statistics = statistics[np.isfinite(statistics).all(axis=1)]
        rng = np.random.RandomState(random_state)
        order = rng.permutation(len(statistics))
        n_cal = int(len(order) * calibration_fraction)
        fit_rows, cal_rows = statistics[order[n_cal:]], statistics[order[:n_cal]]
        self.quantiles_ = np.quantile(fit_rows, _LEVELS, axis=0)
        Z = _normal_scores(fit_rows, self.quantiles_)
        lw = LedoitWolf().fit(Z)
        self.mean_, self.precision_ = lw.location_, lw.precision_
        self.calibration_statistic_ = np.sort(self._distance(cal_rows))
        return self

    def _distance(self, statistics):
        Z = _normal_scores(np.asarray(statistics, dtype=np.float64), self.quantiles_) - self.mean_
        return np.sqrt(np.einsum("ij,jk,ik->i", Z, self.precision_, Z))

    def score(self, statistics):
        """Novelty in [0, 1]: the share of held-out reference pages that are less unusual.

        Rows of NaN (images that could not be framed) score 1.
        """
        statistics = np.asarray(statistics, dtype=np.float64)
        out = np.ones(len(statistics))
        good = np.isfinite(statistics).all(axis=1)
        if good.any():
            d = self._distance(statistics[good])
            ranks = np.searchsorted(self.calibration_statistic_, d, side="left")
            out[good] = ranks / len(self.calibration_statistic_)
        return out

    # ------------------------------------------------------------------ shipped state
    def to_arrays(self):
        """The fitted state as a dict of arrays (what ``data/image_novelty.npz`` holds)."""
        return {
            "quantiles": self.quantiles_, "mean": self.mean_, "precision": self.precision_,
            "calibration_statistic": self.calibration_statistic_,
            "statistics": np.array(STATISTICS),
        }

    @classmethod
    def from_arrays(cls, arrays):
        """Rebuild from :meth:`to_arrays`'s dict (statistics must match this version's)."""
        if tuple(str(s) for s in arrays["statistics"]) != STATISTICS:
            raise ValueError(
                "the image novelty statistics were made for other framing statistics "
                f"({list(arrays['statistics'])}); rebuild them with tools/fit_image_novelty.py"
            )
        model = cls()
        model.quantiles_ = np.asarray(arrays["quantiles"], dtype=np.float64)
        model.mean_ = np.asarray(arrays["mean"], dtype=np.float64)
        model.precision_ = np.asarray(arrays["precision"], dtype=np.float64)
        model.calibration_statistic_ = np.asarray(arrays["calibration_statistic"], np.float64)
        return model


def combined_novelty(network, image):
    """The novelty a digit reader reports: the larger of the network's novelty of the framed
    digit and the image's own (the image's alone where the network has none, ``None``)."""
    return image if network is None else np.maximum(network, image)


_SHIPPED = None


def shipped_image_novelty():
    """The package's fitted :class:`ImageNovelty` (loaded once)."""
    global _SHIPPED
    if _SHIPPED is None:
        from importlib import resources

        with resources.files("skmnist").joinpath("data/image_novelty.npz").open("rb") as f:
            with np.load(f) as arrays:
                _SHIPPED = ImageNovelty.from_arrays(dict(arrays))
    return _SHIPPED


# --------------------------------------------------------------------------- reference pages
def _jpeg(grey, quality):
    """``grey`` (or colour) in [0, 1] through JPEG compression."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.clip(grey * 255, 0, 255).astype(np.uint8)).save(
        buffer, format="JPEG", quality=int(quality)
    )
    buffer.seek(0)
    return np.asarray(Image.open(buffer), dtype=np.float64) / 255


def _resize(ink, width, height):
    from PIL import Image

    return np.asarray(
        Image.fromarray(ink.astype(np.float32)).resize((width, height), Image.Resampling.BILINEAR)
    ).clip(0, 1)


def _ink_colour(rng):
    """A pen's colour (RGB in [0, 1]): black, grey or coloured (blue, red, green...)."""
    import colorsys

    value = rng.uniform(0.0, 0.5)
    saturation = 0.0 if rng.uniform() < 0.3 else rng.uniform(0.2, 0.9)
    return np.array(colorsys.hsv_to_rgb(rng.uniform(), saturation, value))


def reference_page(digit, rng):
    """One MNIST digit (28x28, light on dark, 0-255) drawn as a person's image of it.

    Returns an image in [0, 1]: grey (a 2-D float array) or, two times in five, colour (of
    shape (height, width, 3): a pen of some colour on paper of a slight tint, under light of
    an uneven colour).  The digit at a random size (16 to 200 pixels high), on paper of a
    random level with random margins, dark ink on light paper (four times in five) or light
    on dark, with (each at random) uneven light, noise, blur, JPEG compression and faint
    ruled lines; or small (6 to 20 pixels high, tightly cropped).
    """
    from scipy import ndimage

    ink = np.asarray(digit, dtype=np.float64).reshape(28, 28) / 255
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    style = rng.uniform()
    if style < 0.25:  # a pen's sharp edge
        ink = (ink > rng.uniform(0.3, 0.6)).astype(np.float64)
    elif style < 0.4:  # a thicker or thinner pen
        grow = ndimage.grey_dilation if rng.uniform() < 0.6 else ndimage.grey_erosion
        ink = grow(ink, size=(2, 2))
    if rng.uniform() < 0.15:  # a small source image: 6 to 20 pixels high, tightly cropped
        height = int(rng.integers(6, 21))
        tight = True
    else:
        height = int(np.exp(rng.uniform(np.log(16), np.log(200))))
        tight = rng.uniform() < 0.15
    width = max(1, round(ink.shape[1] * height / ink.shape[0]))
    ink = _resize(ink, width, height)
    if tight:  # cropped to the digit, with at most a pixel or two around it
        margins = rng.integers(0, 3, size=4)
    else:
        margins = (rng.uniform(0.1, 1.2, size=4) * height).astype(int) + 2
    page = np.zeros((height + margins[0] + margins[1], width + margins[2] + margins[3]))
    page[margins[0] : margins[0] + height, margins[2] : margins[2] + width] = ink
    lines = np.zeros_like(page)
    if rng.uniform() < 0.15:  # faint ruled lines, under the ink
        gap = max(4, int(height * rng.uniform(0.4, 0.9)))
        lines[rng.integers(0, gap) :: gap] = rng.uniform(0.1, 0.3)
    if rng.uniform() < 0.3:
        blur = rng.uniform(0.3, 1.0) * height / 28
        page, lines = ndimage.gaussian_filter(page, blur), ndimage.gaussian_filter(lines, blur)
    paper, ink_level = rng.uniform(0.7, 1.0), rng.uniform(0.0, 0.45)
    colour = rng.uniform() < 0.4
    if colour:  # a coloured pen on tinted paper, ruled in another colour
        paper = np.clip(paper * (1 + rng.normal(0, 0.03, 3)), 0, 1)
        pen, rule = _ink_colour(rng), _ink_colour(rng)
        grey = paper - (paper - pen) * page[..., None]
        grey = grey - (grey - rule) * (lines * (1 - page))[..., None]
    else:
        grey = paper - (paper - ink_level) * np.maximum(page, lines)
    if rng.uniform() < 0.4:  # uneven light: a ramp in a random direction
        yy, xx = np.mgrid[: grey.shape[0], : grey.shape[1]]
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.cos(angle) * xx / grey.shape[1] + np.sin(angle) * yy / grey.shape[0]
        shade = rng.uniform(0, 0.2) * (ramp - ramp.min())
        if colour:  # light of a colour that changes across the page
            shade = shade[..., None] * np.clip(1 + rng.normal(0, 0.1, 3), 0, 2)
        grey = grey * (1 - shade)
    if rng.uniform() < 0.3:
        grey = grey + rng.normal(0, rng.uniform(0.005, 0.04), size=grey.shape)
    grey = np.clip(grey, 0, 1)
    if rng.uniform() < 0.4:
        grey = _jpeg(grey, rng.uniform(60, 95))
    if rng.uniform() < 0.2:
        grey = 1 - grey
    return grey


def reference_pages(digits, *, random_state=None, mnist_share=0.2):
    """Reference statistics: ``digits`` (MNIST rows, 0-255) drawn as pages, and as they are.

    A share ``mnist_share`` of the digits is taken as MNIST's own 28x28 image (half of them
    inverted, dark on light); the rest through :func:`reference_page`.  Returns the array of
    framing statistics, shape ``(n, len(STATISTICS))``.
    """
    rng = np.random.default_rng(random_state)
    digits = np.asarray(digits)
    out = np.full((len(digits), len(STATISTICS)), np.nan)
    for i, digit in enumerate(digits):
        u = rng.uniform()
        if u < mnist_share:
            image = digit.reshape(28, 28).astype(np.float64) / 255
            if u < mnist_share / 2:
                image = 1 - image
        else:
            image = reference_page(digit, rng)
        try:
            out[i] = frame_image(image, statistics=True)[1]
        except FramingError:
            pass
    return out
