"""MNIST's framing of a digit image, in NumPy and Pillow (no TensorFlow).

MNIST's digits were made so (LeCun, Cortes & Burges): the ink's bounding box scaled, keeping
its aspect, so that its longer side is 20 pixels, with antialiasing; then placed in a 28x28
field so that the ink's centre of mass falls on the field's centre.  :func:`frame_image` does
the same to any digit image: colour or grey, any size, dark ink on light paper or light ink
on dark, any dtype and range, a noisy background.  :func:`frame_images` frames a batch and
collects the failures, each named by the image's index or file, so that a caller may keep
the others.

Steps of one image (the numbers are MNIST's, the rest are choices explained inline):

1. grey levels in [0, 1] (colour by luminance; transparency composited onto paper);
2. polarity: the border's median grey tells light paper (dark ink) from dark paper; the
   paper's level is the median of the pixels on its side of Otsu's cut of the grey levels;
3. contrast stretched so the paper reads 0 and the strongest ink 1 (any range, dtype,
   or low contrast);
4. ink mask: pixels above a threshold (Otsu's, or a given fraction), without specks far
   smaller than the digit's main strokes; the kept ink is the mask grown by one pixel, so the
   strokes keep their antialiased edges while the background elsewhere becomes 0;
5. crop to the ink; optionally deskew (shear the image so that its second-order moments show
   no slant, as in the deskewing that improves MNIST classifiers);
6. scale the longer side to 20 pixels (Lanczos, on float pixels);
7. paste into 28x28 so the centre of mass sits on pixel (14, 14), as in MNIST.
"""

import os

import numpy as np

#: The field and the box of MNIST's framing, and where its centre of mass lies (MNIST's
#: digits have their centre of mass at pixel (14, 14), +- 0.5, in (row, column) indices).
FIELD, BOX, CENTRE = 28, 20, 14.0
#: An image with a side shorter than this holds no readable digit.
MIN_SIDE = 4
#: Ink that differs from the paper by less than this (of the full grey scale) is no ink.
MIN_CONTRAST = 4 / 255
#: Ink blobs smaller than this fraction of the largest one are specks of noise, dropped.
SPECK_FRACTION = 0.05

_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, as Pillow's convert("L")


class FramingError(ValueError):
    """An image that cannot be framed (blank, too small, unreadable...)."""


#: Largest image read, in pixels (width x height): a 40-megapixel photograph is read; a
#: "decompression bomb" (a small file that unpacks into gigabytes) is refused before its
#: pixels are decoded.
MAX_PIXELS = 50_000_000


def read_image(path, notes=None):
    """Read an image file with Pillow as a NumPy array (grey, RGB or RGBA), as it is shown.

    The EXIF orientation tag is applied (phones store photographs sideways and tag them so);
    of a multi-frame file (animated GIF or PNG, multi-page TIFF) the first frame is read;
    16-bit and floating-point images keep their precision; CMYK, palette and other modes
    become RGB (RGBA where the file has transparency).  Files of more than
    :data:`MAX_PIXELS` pixels are refused before decoding.  When ``notes`` is a list, what
    was done that a reader should know (which frame, which rotation) is appended to it.
    """
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, above its own limit; ours is checked below instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise FramingError(
                        f"refused: {width}x{height} pixels is more than the "
                        f"{MAX_PIXELS:,} read (a decompression bomb?)"
                    )
                n_frames = getattr(image, "n_frames", 1)
                if n_frames > 1:
                    image.seek(0)
                    if notes is not None:
                        notes.append(f"{n_frames} frames: the first is read")
                orientation = image.getexif().get(0x0112, 1)
                image.load()
                if orientation not in (1, None) and notes is not None:
                    notes.append(f"EXIF orientation {orientation} applied")
                image = ImageOps.exif_transpose(image) or image
                return image_array(image)
    except FileNotFoundError:
        raise FramingError("no such file") from None
    except IsADirectoryError:
        raise FramingError("is a directory, not an image file") from None
    except UnidentifiedImageError:
        raise FramingError("not an image file Pillow can read") from None
    except Image.DecompressionBombError as exc:
        raise FramingError(f"refused: {exc}") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt data
        if isinstance(exc, FramingError):
            raise
        raise FramingError(f"unreadable image ({exc})") from None


def image_array(image):
    """A loaded Pillow image as an array of a mode :func:`to_grey` reads."""
    if image.mode in ("1", "L", "RGB", "RGBA"):
        return np.asarray(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return np.asarray(image.convert("F"))
    has_alpha = image.mode in ("LA", "PA", "RGBa", "La") or "transparency" in image.info
    return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))


def to_grey(image, colour=False):
    """Grey levels in [0, 1] (nominally; 0 black) of a 2-D or colour image of any real dtype.

    Integer images are read on their dtype's scale (uint8: 255 is white), except where their
    values fit 0-255 though the dtype is wider; float images on [0, 1] when their values fit
    it, else on 0-255 when they fit that, else on their own maximum.  Alpha (a 4th or 2nd
    channel) is composited onto paper of the opposite brightness to the ink.  With
    ``colour=True``, returns ``(grey, rgb)``: ``rgb`` the colour image on the same scale,
    composited alike, of shape ``(height, width, 3)`` (``None`` for a grey image).
    """
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.float32)
    if not (np.issubdtype(image.dtype, np.integer) or np.issubdtype(image.dtype, np.floating)):
        raise TypeError(f"pixels must be real numbers, got dtype {image.dtype}")
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 3 and image.shape[-1] not in (2, 3, 4):
        raise FramingError(
            f"a colour image must have 1 to 4 channels (last axis), got shape {image.shape}"
        )
    if image.ndim not in (2, 3):
        raise FramingError(f"an image must be 2-D (or 3-D with colour), got shape {image.shape}")
    if image.size == 0:
        raise FramingError(f"the image is empty (shape {image.shape})")
    grey = image.astype(np.float64)
    if not np.isfinite(grey).all():
        raise FramingError("the image contains NaN or infinite values")
    if np.issubdtype(image.dtype, np.integer) and np.iinfo(image.dtype).max <= 65535:
        full = float(np.iinfo(image.dtype).max)
        if full > 255 and grey.max() <= 255:
            full = 255.0
    else:
        top = float(np.abs(grey).max())
        full = 1.0 if top <= 1 else 255.0 if top <= 255 else top
    grey /= full
    if grey.ndim == 2:
        return (grey, None) if colour else grey
    alpha = None
    if grey.shape[-1] in (2, 4):
        grey, alpha = grey[..., :-1], np.clip(grey[..., -1], 0, 1)
    rgb = grey if grey.shape[-1] == 3 else None
    grey = grey @ _LUMA if grey.shape[-1] == 3 else grey[..., 0]
    if alpha is not None and alpha.min() < 1:
        if alpha.max() <= 0:
            raise FramingError("the image is fully transparent")
        # Transparent paper: the opaque strokes are the ink; lay them on a background of the
        # opposite brightness (dark strokes on white, light strokes on black).
        ink_level = float((grey * alpha).sum() / alpha.sum())
        paper = 1.0 if ink_level < 0.5 else 0.0
        grey = alpha * grey + (1 - alpha) * paper
        if rgb is not None:
            rgb = alpha[..., None] * rgb + (1 - alpha[..., None]) * paper
    return (grey, rgb) if colour else grey


def otsu_threshold(values, bins=256):
    """Otsu's threshold of values in [0, 1]: the cut maximizing the between-class variance."""
    hist, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    hist = hist.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    weight0 = np.cumsum(hist)
    weight1 = weight0[-1] - weight0
    sum0 = np.cumsum(hist * centres)
    mean0 = sum0 / np.maximum(weight0, 1)
    mean1 = (sum0[-1] - sum0) / np.maximum(weight1, 1)
    between = weight0 * weight1 * (mean0 - mean1) ** 2
    return float(edges[1:][np.argmax(between)])


#: The facts of an image that its framing discards, in the order of
#: :func:`image_statistics`'s array (see :mod:`skmnist._image_novelty`, which reads them).
STATISTICS = (
    "paper_noise",  # spread of the paper's grey levels, against the ink's contrast
    "separability",  # Otsu's effectiveness: how cleanly two grey populations separate
    "ink_share",  # share of the image's pixels that are ink
    "kept_share",  # share of the ink kept once specks are dropped
    "n_parts",  # connected pieces of ink kept
    "fill",  # share of the ink's bounding box that is ink
    "aspect",  # log of the ink's width over its height
    "extent",  # share of the image that the ink's bounding box covers
    "border",  # share of the image's border pixels that are ink
    "stroke",  # the strokes' typical width against the ink's longer side
    "side_by_side",  # tall pieces of ink side by side, apart (2 for "12")
    "colour",  # colours off the line from the paper's colour to the ink's (0 for grey)
)


def ink_map(grey, ink="auto", threshold="otsu"):
    """Ink strength in [0, 1] (0: paper), the background cleared; ``grey`` as from to_grey."""
    return analyse_ink(grey, ink, threshold)[0]


def analyse_ink(grey, ink="auto", threshold="otsu", rgb=None):
    """The ink strength of :func:`ink_map` and the image's statistics (:data:`STATISTICS`).

    ``rgb``: the colour image that ``grey`` was made from (as from ``to_grey(image,
    colour=True)``), for the statistic of its colours; ``None`` for a grey image.
    """
    from scipy import ndimage

    lo, hi = float(grey.min()), float(grey.max())
    if ink == "auto":
        # Light paper (the border's median nearer the brightest pixels) means dark ink.
        border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
        paper = float(np.median(border))
        ink = "dark" if paper - lo > hi - paper else "light"
    # The paper's level: the median of the pixels on the paper's side of the grey levels'
    # Otsu cut (the background's typical level, whatever its noise and wherever the ink).
    if hi - lo > 0:
        cut = lo + (hi - lo) * otsu_threshold((grey - lo) / (hi - lo))
        side = grey >= cut if ink == "dark" else grey < cut
        paper = float(np.median(grey[side])) if side.any() else (hi if ink == "dark" else lo)
    else:
        paper = lo
    strength = paper - grey if ink == "dark" else grey - paper
    contrast = float(strength.max())
    if contrast < MIN_CONTRAST:
        raise FramingError(
            f"the image is blank: no ink differs from the paper (contrast "
            f"{contrast * 255:.1f} of 255 grey levels)"
        )
    strength = np.clip(strength / contrast, 0.0, 1.0)
    cut = otsu_threshold(strength) if threshold == "otsu" else float(threshold)
    found = strength > cut
    labels, n = ndimage.label(found, structure=np.ones((3, 3)))
    mask, keep = found, np.arange(1, n + 1)
    if n > 1:
        sizes = np.bincount(labels.ravel())[1:]
        keep = np.flatnonzero(sizes >= SPECK_FRACTION * sizes.max()) + 1
        mask = np.isin(labels, keep)
    # Grow the mask by one pixel, so strokes keep their antialiased rims.
    grown = ndimage.binary_dilation(mask, structure=np.ones((3, 3)))
    kept = set(keep.tolist())
    boxes = [box for i, box in enumerate(ndimage.find_objects(labels), 1) if i in kept]
    stats = _statistics(grey, strength, contrast, found, mask, grown, boxes, rgb)
    return np.where(grown, strength, 0.0), stats


def _side_by_side(boxes):
    """How many tall pieces of ink stand apart, left to right: 1 for a digit (the pieces of
    a broken 5 or 4 overlap in their columns), 2 for "12", 0 for none."""
    heights = [box[0].stop - box[0].start for box in boxes]
    if not heights:
        return 0
    tall = sorted(
        (box[1].start, box[1].stop) for box, h in zip(boxes, heights) if h >= 0.5 * max(heights)
    )
    groups, right = 0, -1
    for left, stop in tall:
        if left >= right:  # starts right of every column so far: a new group
            groups += 1
        right = max(right, stop)
    return groups


def _colour(rgb):
    """How far an image's colours leave one line in RGB space: the square root of the
    second eigenvalue of their covariance over the first.  A page of one ink on one paper,
    its antialiased edges and uneven light included, holds the blends of two colours, near
    a line (0 for a grey image); a photograph or a logo of several colours does not.  The
    colours are those of 3x3 neighbourhoods (their means)."""
    from scipy import ndimage

    if rgb is None:
        return 0.0
    # The colours of regions, not of each pixel's noise (a camera's is partly in colour).
    pixels = ndimage.uniform_filter(rgb, size=(3, 3, 1)).reshape(-1, 3)
    step = max(1, len(pixels) // 100_000)
    pixels = pixels[::step]
    if len(pixels) < 2:
        return 0.0
    values = np.linalg.eigvalsh(np.cov(pixels, rowvar=False))
    return float(np.sqrt(max(values[1], 0.0) / values[2])) if values[2] > 0 else 0.0


def _statistics(grey, strength, contrast, found, mask, grown, boxes, rgb=None):
    """What framing discards, as the array of :data:`STATISTICS` (float64)."""
    from scipy import ndimage

    n_parts = len(boxes)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    paper = ~ndimage.binary_dilation(found, structure=np.ones((3, 3)))
    paper_noise = float(grey[paper].std()) / contrast if paper.sum() > 1 else 0.0
    hist_total = strength.var()
    upper = strength > otsu_threshold(strength)
    between = (
        upper.mean() * (1 - upper.mean())
        * (strength[upper].mean() - strength[~upper].mean()) ** 2
        if upper.any() and (~upper).any() else 0.0
    )
    border = np.concatenate([mask[0], mask[-1], mask[1:-1, 0], mask[1:-1, -1]])
    ink = int(mask.sum())
    # The strokes' width: twice the mean distance of ink pixels to the paper, at the
    # strokes' middle (the distance transform's local maxima would be exact; the mean over
    # all ink pixels is proportional for strokes of even width).
    depth = ndimage.distance_transform_cdt(np.pad(mask, 1), metric="chessboard")[1:-1, 1:-1]
    stroke = 2.0 * float(depth[mask].mean()) / max(height, width)
    return np.array([
        paper_noise,
        float(between / hist_total) if hist_total > 0 else 0.0,
        float(found.mean()),
        ink / max(int(found.sum()), 1),
        float(n_parts),
        ink / float(height * width),
        float(np.log(width / height)),
        float(height * width) / mask.size,
        float(border.mean()),
        stroke,
        float(_side_by_side(boxes)),
        _colour(rgb),
    ])


def crop_to_ink(strength):
    rows, cols = np.flatnonzero(strength.any(axis=1)), np.flatnonzero(strength.any(axis=0))
    return strength[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def skew(strength):
    """The slant of the ink, dx/dy: the ratio of its second-order moments mu11 / mu02."""
    total = strength.sum()
    rows, cols = np.indices(strength.shape, dtype=np.float64)
    cy, cx = (rows * strength).sum() / total, (cols * strength).sum() / total
    mu02 = ((rows - cy) ** 2 * strength).sum()
    mu11 = ((rows - cy) * (cols - cx) * strength).sum()
    return float(mu11 / mu02) if mu02 > 0 else 0.0


def deskew(strength):
    """Shear the (cropped) ink horizontally so that it shows no slant; return it recropped."""
    from PIL import Image

    alpha = skew(strength)
    if abs(alpha) < 1e-3:
        return strength
    height, width = strength.shape
    cy = (height - 1) / 2
    pad = int(np.ceil(abs(alpha) * height / 2)) + 1
    out_width = width + 2 * pad
    # Output pixel (x, y) reads input (x - pad + alpha * (y - cy), y): that removes the slant.
    coeffs = (1.0, alpha, -pad - alpha * cy, 0.0, 1.0, 0.0)
    image = Image.fromarray(strength.astype(np.float32))
    sheared = image.transform(
        (out_width, height), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR
    )
    out = np.clip(np.asarray(sheared, dtype=np.float64), 0.0, 1.0)
    out[out < 1e-3] = 0.0
    return crop_to_ink(out) if out.any() else strength


def fit_box(strength, box=BOX):
    """Scale the ink so that its longer side is ``box`` pixels, keeping its aspect."""
    from PIL import Image

    height, width = strength.shape
    factor = box / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))  # Pillow: (w, h)
    image = Image.fromarray(strength.astype(np.float32))
    scaled = image.resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(scaled, dtype=np.float64), 0.0, 1.0)


def centre_in_field(digit, field=FIELD, centre=CENTRE):
    """Paste ``digit`` into a ``field`` square so its centre of mass is on pixel ``centre``.

    The shift is whole pixels (no blur), kept inside the field: a digit whose mass lies far
    to one side ends up as near the centre as its box allows.
    """
    height, width = digit.shape
    total = digit.sum()
    rows, cols = np.indices(digit.shape, dtype=np.float64)
    cy, cx = (rows * digit).sum() / total, (cols * digit).sum() / total
    top = int(np.clip(np.floor(centre - cy + 0.5), 0, field - height))
    left = int(np.clip(np.floor(centre - cx + 0.5), 0, field - width))
    out = np.zeros((field, field))
    out[top : top + height, left : left + width] = digit
    return out


def frame_image(image, *, ink="auto", threshold="otsu", deskew_digit=False, statistics=False):
    """One image (array) in MNIST's framing: a (28, 28) float array, ink 1, paper 0.

    With ``statistics=True``, also the image's :data:`STATISTICS` (what framing discards).
    """
    grey, rgb = to_grey(image, colour=True)
    if min(grey.shape) < MIN_SIDE:
        raise FramingError(
            f"the image is too small to hold a digit: {grey.shape[0]}x{grey.shape[1]} pixels "
            f"(at least {MIN_SIDE}x{MIN_SIDE})"
        )
    strength, stats = analyse_ink(grey, ink, threshold, rgb)
    strength = crop_to_ink(strength)
    if deskew_digit:
        strength = deskew(strength)
    digit = fit_box(strength)
    if digit.sum() <= 0:  # a speck that the resampling wiped out
        raise FramingError("the image is blank: its ink vanished when scaled")
    framed = centre_in_field(digit)
    return (framed, stats) if statistics else framed


def describe(index, item):
    """How an error message names an image: its file, or its index in the batch."""
    if isinstance(item, (str, os.PathLike)):
        return f"image {index} ({os.fspath(item)!r})"
    return f"image {index}"


def frame_images(images, *, ink="auto", threshold="otsu", deskew_digit=False, errors="raise",
                 statistics=None, notes=None):
    """Frame every image; return the (n, 28, 28) float array and ``{index: message}``.

    ``images`` is a sequence of arrays or file paths.  With ``errors="raise"`` the first
    failure raises (a ``FramingError``/``TypeError`` naming the image); otherwise a failed
    image's frame is all zero and its message is collected.  ``statistics``, an array of
    shape ``(n, len(STATISTICS))``, receives each image's statistics (NaN for a failed
    one); ``notes``, a dict, receives ``{index: [what reading the file did]}``.
    """
    out = np.zeros((len(images), FIELD, FIELD))
    failures = {}
    for index, item in enumerate(images):
        try:
            if isinstance(item, (str, os.PathLike)):
                said = []
                item = read_image(item, notes=said)
                if said and notes is not None:
                    notes[index] = said
            if statistics is None:
                out[index] = frame_image(
                    item, ink=ink, threshold=threshold, deskew_digit=deskew_digit
                )
            else:
                out[index], statistics[index] = frame_image(
                    item, ink=ink, threshold=threshold, deskew_digit=deskew_digit,
                    statistics=True,
                )
        except (FramingError, TypeError) as exc:
            message = f"{describe(index, images[index])}: {exc}"
            if errors == "raise":
                raise type(exc)(message) from None
            failures[index] = message
            if statistics is not None:
                statistics[index] = np.nan
    return out, failures

