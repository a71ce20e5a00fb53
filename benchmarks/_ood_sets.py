"""Out-of-distribution image sets for the novelty benchmark: 28x28 uint8, not handwritten digits.

Every set is made on the spot, offline, from what the environment already has (the fonts that
ship with matplotlib, scikit-learn's two sample photographs, NumPy/SciPy/Pillow drawing) and is
deterministic given its seed. Sets that hold a shape (letters, symbols, blobs, strokes, shapes)
are put in MNIST's framing by :func:`mnist_frame` (white on black, content scaled into a 20x20
box, centred by centre of mass in the 28x28 frame); texture sets (photo patches, noise,
gratings) fill the whole frame, as e.g. Fashion-MNIST's images do.

``TUNING_SETS`` are the ones the score was chosen on; ``HELD_OUT_SETS`` were never looked at
while choosing (different fonts, the other photograph, other generators) and are reported
separately, to show that the chosen score generalizes.
"""

import os

import numpy as np
from scipy import ndimage

__all__ = ["CONTROL_SETS", "HELD_OUT_SETS", "TUNING_SETS", "make_ood_sets", "mnist_frame",
           "reframed_digits"]

# Glyphs that could pass for a digit in some font are left out: O o Q D (0), I l i j J | (1),
# Z z (2), S s (5), G b (6), T L (7, 4), B (8), g q y Y (9, 4), vertical arrows and ¬ (1, 7).
_LETTERS = "ACEFHKMNPRUVWXacdefhkmnprtuvwx"
_SYMBOLS = "+×÷=#@%&*?€£¥§¶©®←→♠♣♥♦★☺✓∞∑∫πΩΦΨΔΛΞΠΣλμ≈≠≤≥∇∈∉⊂∩∪∀∃"
_GREEK = "ΓΔΘΛΞΠΣΦΨΩαβγδεζηθκλμνξπρστυφχψω"
# Greek letters that look like digits (Γ ~ 7, β ~ 8, δ ~ 6, σ ~ 6, ε ~ 3, ζ ~ 2/3, κ?) are
# removed for the held-out set as well.
_GREEK = "".join(c for c in _GREEK if c not in "ΓβδσεζΘθυν")

_TUNING_FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf",
                 "DejaVuSerif-Italic.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Oblique.ttf"]
_HELD_OUT_FONTS = ["STIXGeneral.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBol.ttf",
                   "cmr10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmb10.ttf", "cmti10.ttf"]

TUNING_SETS = ("letters", "symbols", "photo_patches", "uniform_noise", "blobs", "strokes",
               "inverted_digits")
HELD_OUT_SETS = ("letters_heldout", "greek_heldout", "photo_patches_heldout", "shapes_heldout",
                 "gratings_heldout")
# Digits, not novelties: MNIST test digits put through the glyphs' rendering chain. A score
# that flags them reads how an image was prepared rather than what it shows.
CONTROL_SETS = ("reframed_digits",)


def mnist_frame(image, box=20, size=28):
    """Put a white-on-black image in MNIST's framing.

    The content (pixels above 0) is cropped to its bounding box, scaled (aspect ratio kept,
    anti-aliased) so that its longer side is ``box`` pixels, placed in a ``size`` x ``size``
    frame and shifted so that its centre of mass is the frame's centre, as in the making of
    MNIST.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        Grey levels, any float or integer type; higher is ink.
    box : int, default=20
        Side of the box the content is scaled into.
    size : int, default=28
        Side of the frame.

    Returns
    -------
    ndarray of shape (size, size), dtype uint8
    """
    from PIL import Image

    image = np.asarray(image, dtype=np.float64)
    top = image.max()
    if top <= 0:
        return np.zeros((size, size), np.uint8)
    rows, cols = np.nonzero(image > top * 0.02)
    crop = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1] / top
    h, w = crop.shape
    scale = box / max(h, w)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    scaled = np.asarray(
        Image.fromarray((crop * 255).astype(np.uint8)).resize(new, Image.LANCZOS), np.float64
    )
    frame = np.zeros((size, size))
    r0, c0 = (size - new[1]) // 2, (size - new[0]) // 2
    frame[r0:r0 + new[1], c0:c0 + new[0]] = np.clip(scaled, 0, 255)
    cy, cx = ndimage.center_of_mass(frame)
    frame = ndimage.shift(frame, ((size - 1) / 2 - cy, (size - 1) / 2 - cx), order=1)
    return np.clip(np.rint(frame), 0, 255).astype(np.uint8)


def _glyph(font_path, char, rng, px=64):
    """One character rendered white on black with FreeType, slightly rotated and thickened."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_path)
    if font.get_char_index(ord(char)) == 0:  # not in this font: it would draw a box
        return None
    font.set_size(px, 72)
    font.set_text(char, 0.0)
    font.draw_glyphs_to_bitmap(antialiased=True)
    image = np.asarray(font.get_image(), np.float64)
    if image.max() <= 0:
        return None
    image = np.pad(image, 16)
    image = ndimage.rotate(image, rng.uniform(-15, 15), reshape=True, order=1)
    if rng.random() < 0.5:  # pen width varies as handwriting does
        image = ndimage.grey_dilation(image, size=(3, 3))
    return image


def _glyphs(chars, fonts, n, rng):
    import matplotlib

    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    out = []
    while len(out) < n:
        char = chars[rng.integers(len(chars))]
        font = fonts[rng.integers(len(fonts))]
        image = _glyph(os.path.join(folder, font), char, rng)
        if image is not None:  # a font without the glyph draws nothing
            out.append(mnist_frame(image))
    return np.stack(out)


def _photo_patches(index, n, rng):
    """Random square crops of one sample photograph, greyscale, resized to fill 28x28."""
    from PIL import Image
    from sklearn.datasets import load_sample_images

    photo = load_sample_images().images[index].astype(np.float64)
    grey = photo @ np.array([0.299, 0.587, 0.114])
    out = []
    for _ in range(n):
        side = int(rng.integers(28, 200))
        r = int(rng.integers(0, grey.shape[0] - side))
        c = int(rng.integers(0, grey.shape[1] - side))
        patch = Image.fromarray(grey[r:r + side, c:c + side].astype(np.uint8))
        patch = np.asarray(patch.resize((28, 28), Image.LANCZOS), np.float64)
        if rng.random() < 0.5:  # both polarities: MNIST's ink is light
            patch = 255 - patch
        out.append(np.clip(patch, 0, 255).astype(np.uint8))
    return np.stack(out)


def _uniform_noise(n, rng):
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def _blobs(n, rng):
    """Smooth random shapes: blurred Gaussian noise, thresholded, framed."""
    out = []
    for _ in range(n):
        field = ndimage.gaussian_filter(rng.normal(size=(40, 40)), rng.uniform(3.0, 5.0))
        level = np.quantile(field, rng.uniform(0.7, 0.9))
        # a soft edge a few pixels wide, solid inside, as a pen's ink
        out.append(mnist_frame(np.clip((field - level) / (0.3 * field.std()), 0, 1)))
    return np.stack(out)


def _strokes(n, rng):
    """Random tangled pen strokes: a 6 to 12-point random walk drawn with a round pen."""
    from PIL import Image, ImageDraw

    out = []
    for _ in range(n):
        canvas = Image.new("L", (112, 112))
        draw = ImageDraw.Draw(canvas)
        while True:  # a stroke much longer than wide could pass for a 1: draw again
            points = np.cumsum(rng.normal(0, 20, size=(int(rng.integers(7, 14)), 2)), axis=0)
            extent = np.ptp(points, axis=0) + 1
            if 0.6 < extent[0] / extent[1] < 1.6:
                break
        points = (points - points.min(axis=0)) * (90 / extent.max()) + 11  # fits the canvas
        width = int(rng.integers(6, 12))
        draw.line([tuple(p) for p in points], fill=255, width=width, joint="curve")
        out.append(mnist_frame(ndimage.gaussian_filter(np.asarray(canvas, float), 1.0)))
    return np.stack(out)


def _shapes(n, rng):
    """Filled or outlined polygons, stars, crosses and rings (held out)."""
    from PIL import Image, ImageDraw

    out = []
    for _ in range(n):
        canvas = Image.new("L", (112, 112))
        draw = ImageDraw.Draw(canvas)
        kind = rng.integers(5)
        fill = 255 if rng.random() < 0.6 else None
        outline, width = 255, int(rng.integers(5, 11))
        if kind == 0:  # rectangle
            w, h = rng.uniform(30, 90, size=2)
            box = [56 - w / 2, 56 - h / 2, 56 + w / 2, 56 + h / 2]
            draw.rectangle(box, fill=fill, outline=outline, width=width)
        elif kind in (1, 2):  # triangle / irregular polygon
            k = 3 if kind == 1 else int(rng.integers(5, 8))
            angles = np.sort(rng.uniform(0, 2 * np.pi, k))
            radii = rng.uniform(25, 50, k)
            pts = [(56 + r * np.cos(a), 56 + r * np.sin(a)) for a, r in zip(angles, radii)]
            draw.polygon(pts, fill=fill, outline=outline, width=width)
        elif kind == 3:  # star
            k = int(rng.integers(5, 9))
            angles = np.arange(2 * k) * np.pi / k + rng.uniform(0, np.pi)
            radii = np.where(np.arange(2 * k) % 2 == 0, 50, rng.uniform(15, 30))
            pts = [(56 + r * np.cos(a), 56 + r * np.sin(a)) for a, r in zip(angles, radii)]
            draw.polygon(pts, fill=255)
        else:  # cross
            w = rng.uniform(10, 25)
            draw.rectangle([56 - w / 2, 10, 56 + w / 2, 102], fill=255)
            draw.rectangle([10, 56 - w / 2, 102, 56 + w / 2], fill=255)
        image = np.asarray(canvas, np.float64)
        image = ndimage.rotate(image, rng.uniform(0, 360), reshape=True, order=1)
        out.append(mnist_frame(ndimage.gaussian_filter(image, 1.0)))
    return np.stack(out)


def _gratings(n, rng):
    """Sinusoidal gratings and checkerboards filling the frame (held out)."""
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float64)
    out = []
    for _ in range(n):
        theta, period = rng.uniform(0, np.pi), rng.uniform(3, 14)
        phase = rng.uniform(0, 2 * np.pi)
        u = (xx * np.cos(theta) + yy * np.sin(theta)) * 2 * np.pi / period + phase
        if rng.random() < 0.5:
            v = (-xx * np.sin(theta) + yy * np.cos(theta)) * 2 * np.pi / period
            wave = np.sign(np.sin(u)) * np.sign(np.sin(v))
        else:
            wave = np.sin(u)
        out.append(np.clip(127.5 + 127.5 * wave, 0, 255).astype(np.uint8))
    return np.stack(out)


def reframed_digits(test_images, n=1000, random_state=0):
    """MNIST test digits through the glyphs' chain: upscaled to their 64 px, rotated by up to
    15 degrees, half of them thickened, and put back in MNIST's framing by :func:`mnist_frame`.

    Returns an array of shape (n, 28, 28), dtype uint8, and the indices of the digits used.
    """
    rng = np.random.default_rng([random_state, 98])
    pick = rng.choice(len(test_images), size=min(n, len(test_images)), replace=False)
    out = []
    for i in pick:
        image = ndimage.zoom(np.asarray(test_images[i], np.float64), 64 / 20, order=1)
        image = ndimage.rotate(np.pad(image, 16), rng.uniform(-15, 15), reshape=True, order=1)
        if rng.random() < 0.5:
            image = ndimage.grey_dilation(image, size=(3, 3))
        out.append(mnist_frame(np.clip(image, 0, None)))
    return np.stack(out), pick


def make_ood_sets(test_images=None, n=1000, random_state=0, held_out=True):
    """Make the out-of-distribution sets.

    Parameters
    ----------
    test_images : ndarray of shape (n_images, 28, 28) or None
        MNIST test images to invert for ``inverted_digits`` (left out when None).
    n : int, default=1000
        Images per set.
    random_state : int, default=0
        Seed; each set draws from its own generator, so a set does not change when another
        one is added.
    held_out : bool, default=True
        Also make the held-out sets.

    Returns
    -------
    dict of str -> ndarray of shape (n, 28, 28), dtype uint8
    """
    def rng(i):
        return np.random.default_rng([random_state, i])

    makers = {
        "letters": lambda r: _glyphs(_LETTERS, _TUNING_FONTS, n, r),
        "symbols": lambda r: _glyphs(_SYMBOLS, ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
                                                "DejaVuSerif.ttf"], n, r),
        "photo_patches": lambda r: _photo_patches(0, n, r),  # china.jpg
        "uniform_noise": lambda r: _uniform_noise(n, r),
        "blobs": lambda r: _blobs(n, r),
        "strokes": lambda r: _strokes(n, r),
    }
    if held_out:
        makers.update({
            "letters_heldout": lambda r: _glyphs(_LETTERS, _HELD_OUT_FONTS, n, r),
            "greek_heldout": lambda r: _glyphs(_GREEK, ["STIXGeneral.ttf", "DejaVuSerif.ttf",
                                                        "STIXGeneralItalic.ttf"], n, r),
            "photo_patches_heldout": lambda r: _photo_patches(1, n, r),  # flower.jpg
            "shapes_heldout": lambda r: _shapes(n, r),
            "gratings_heldout": lambda r: _gratings(n, r),
        })
    sets = {name: make(rng(i)) for i, (name, make) in enumerate(makers.items())}
    if test_images is not None:
        pick = rng(99).choice(len(test_images), size=min(n, len(test_images)), replace=False)
        sets["inverted_digits"] = 255 - np.asarray(test_images, np.uint8)[pick]
    order = [s for s in TUNING_SETS + HELD_OUT_SETS if s in sets]
    return {name: sets[name] for name in order}
