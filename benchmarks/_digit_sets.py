"""Digit test sets from elsewhere than MNIST, made offline: reusable by any benchmark.

Every generator returns ``(images, labels)``: ``images`` a list of 2-D uint8 arrays (sizes
may differ; ink dark on light paper unless the set says otherwise), ``labels`` an int array.
All are seeded and need no network:

- ``uci_8x8``: scikit-learn's ``load_digits`` (the UCI optical-recognition set: 1,797
  handwritten digits by 43 other writers, 8x8 pixels, light ink on dark, 17 grey levels);
- ``fonts``: digits typeset in the fonts that ship with matplotlib (DejaVu Sans, Serif and
  Mono; STIX; Computer Modern), several weights and slants, sizes and small rotations;
- ``strokes``: digits drawn as pen strokes from jittered skeletons (several styles per
  digit: open or closed 4, crossed 7, flagged 1...), random stroke width, slant, rotation,
  aspect and size, on canvases of random size and aspect;
- ``strokes_8x8``, ``strokes_16x16``, ``strokes_64x64``: the same drawn at those resolutions;
- ``strokes_inverted``: light strokes on dark;
- ``strokes_noisy``: on Gaussian noise with salt-and-pepper specks;
- ``strokes_textured``: on uneven paper (illumination gradient, grain, ruled lines).

``HANDWRITING_LIKE`` names the sets drawn by hand or like a hand (all but ``fonts``).
"""

import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HANDWRITING_LIKE = (
    "uci_8x8", "strokes", "strokes_8x8", "strokes_16x16", "strokes_64x64",
    "strokes_inverted", "strokes_noisy", "strokes_textured",
)


# --------------------------------------------------------------------------- UCI digits
def uci_8x8(n=None, seed=0):
    """scikit-learn's 8x8 handwritten digits (all 1,797 unless ``n``), light ink on dark."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.rint(digits.images * (255 / 16)).astype(np.uint8)
    index = np.arange(len(images))
    if n is not None:
        index = np.random.RandomState(seed).permutation(len(images))[:n]
    return [images[i] for i in index], digits.target[index].astype(int)


# -------------------------------------------------------------------------------- fonts
def font_files():
    """The fonts that ship with matplotlib that have ordinary digits."""
    import matplotlib

    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    names = [
        "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
        "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf",
        "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
        "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf",
        "cmr10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmb10.ttf",
    ]
    return [os.path.join(folder, name) for name in names if os.path.exists(
        os.path.join(folder, name))]


def fonts(n=None, seed=0, sizes=(14, 24, 40, 64), angles=(-8, 0, 8)):
    """Every digit in every font, size and rotation (``n``: a random subset)."""
    rng = np.random.RandomState(seed)
    images, labels = [], []
    for path in font_files():
        for size in sizes:
            font = ImageFont.truetype(path, size)
            for angle in angles:
                for digit in range(10):
                    text = str(digit)
                    left, top, right, bottom = font.getbbox(text)
                    pad = size // 2 + int(rng.randint(0, size // 2 + 1))
                    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 255)
                    ImageDraw.Draw(canvas).text((pad - left, pad - top), text, font=font, fill=0)
                    canvas = canvas.rotate(angle, Image.Resampling.BICUBIC, expand=True,
                                           fillcolor=255)
                    images.append(np.asarray(canvas))
                    labels.append(digit)
    labels = np.array(labels)
    if n is not None and n < len(images):
        index = rng.permutation(len(images))[:n]
        return [images[i] for i in index], labels[index]
    return images, labels


# ------------------------------------------------------------------------------ strokes
def _arc(cx, cy, rx, ry, start, end, n=24):
    """Points of an elliptic arc; angles in degrees, counterclockwise, y pointing down."""
    t = np.deg2rad(np.linspace(start, end, n))
    return np.stack([cx + rx * np.cos(t), cy - ry * np.sin(t)], 1)


def _line(*points):
    return np.array(points, dtype=float)


# Skeletons in a unit box (x right, y down): per digit, styles; per style, strokes.
SKELETONS = {
    0: [
        [_arc(0.5, 0.5, 0.38, 0.47, 90, 450, 40)],
        [_arc(0.5, 0.5, 0.3, 0.47, 100, 460, 40)],
    ],
    1: [
        [_line((0.5, 0.03), (0.5, 0.97))],
        [_line((0.3, 0.25), (0.55, 0.03), (0.55, 0.97))],
        [_line((0.3, 0.22), (0.55, 0.03), (0.55, 0.97)), _line((0.3, 0.97), (0.8, 0.97))],
    ],
    2: [
        [np.r_[_arc(0.5, 0.3, 0.35, 0.27, 160, -35), _line((0.12, 0.97), (0.9, 0.97))]],
        [np.r_[_arc(0.48, 0.3, 0.33, 0.27, 170, -50), _line((0.15, 0.95)),
               _arc(0.35, 0.88, 0.15, 0.09, 200, 330, 8)[1:], _line((0.92, 0.92))]],
    ],
    3: [
        [np.r_[_arc(0.5, 0.27, 0.32, 0.24, 150, -90), _arc(0.5, 0.73, 0.36, 0.24, 90, -150)]],
        [np.r_[_line((0.15, 0.03), (0.85, 0.03), (0.45, 0.42)),
               _arc(0.5, 0.7, 0.36, 0.27, 100, -150)]],
    ],
    4: [
        [_line((0.65, 0.03), (0.08, 0.68), (0.92, 0.68)), _line((0.68, 0.3), (0.68, 0.97))],
        [_line((0.2, 0.03), (0.12, 0.6), (0.88, 0.6)), _line((0.7, 0.1), (0.7, 0.97))],
    ],
    5: [
        [_line((0.85, 0.03), (0.25, 0.03), (0.2, 0.45)),
         _arc(0.5, 0.68, 0.34, 0.28, 150, -145)],
        [np.r_[_line((0.25, 0.03), (0.2, 0.45)), _arc(0.5, 0.68, 0.34, 0.28, 150, -145)],
         _line((0.25, 0.03), (0.85, 0.05))],
    ],
    6: [
        [np.r_[_arc(0.6, 0.55, 0.4, 0.52, 75, 185), _arc(0.5, 0.72, 0.3, 0.25, 180, -180)]],
        [np.r_[_line((0.75, 0.03), (0.25, 0.55)), _arc(0.5, 0.72, 0.3, 0.25, 160, -200)]],
    ],
    7: [
        [_line((0.1, 0.03), (0.9, 0.03), (0.4, 0.97))],
        [_line((0.1, 0.03), (0.9, 0.03), (0.45, 0.97)), _line((0.35, 0.5), (0.82, 0.5))],
        [_line((0.1, 0.15), (0.12, 0.03), (0.9, 0.03), (0.6, 0.97))],
    ],
    8: [
        [_arc(0.5, 0.26, 0.27, 0.23, 0, 360), _arc(0.5, 0.73, 0.33, 0.25, 90, 450)],
        [np.r_[_arc(0.5, 0.26, 0.27, 0.23, -60, 240), _arc(0.5, 0.73, 0.33, 0.25, 90, -270)]],
    ],
    9: [
        [_arc(0.48, 0.3, 0.32, 0.27, 0, 360), _line((0.8, 0.3), (0.78, 0.97))],
        [np.r_[_arc(0.5, 0.3, 0.32, 0.27, -10, 350), _line((0.35, 0.97))]],
    ],
}


def _jittered(strokes, rng):
    """A random hand: slant, rotation, aspect, wobbly control points (in a unit box)."""
    slant = rng.uniform(-0.35, 0.35)
    angle = np.deg2rad(rng.uniform(-12, 12))
    aspect = rng.uniform(0.55, 1.15)
    cos, sin = np.cos(angle), np.sin(angle)
    out = []
    wobble = rng.normal(0, 0.025, (3, 2))  # a smooth, digit-wide bend
    for stroke in strokes:
        p = stroke - 0.5
        p = p + rng.normal(0, 0.012, p.shape)  # each point's tremor
        y = p[:, 1]
        p = p + wobble[0] * y[:, None] + wobble[1] * (y**2)[:, None] + wobble[2]
        p[:, 0] = (p[:, 0] + slant * -p[:, 1]) * aspect
        p = p @ np.array([[cos, sin], [-sin, cos]])
        out.append(p)
    return out


def _draw(strokes, size, width, rng, supersample=4, fill=(0.45, 0.85)):
    """Draw unit-box strokes on a (height, width) canvas, antialiased: ink 1, paper 0."""
    height, canvas_width = size
    points = np.concatenate(strokes)
    lo, hi = points.min(0), points.max(0)
    extent = (hi - lo).max()
    # The digit's longer side takes a share (``fill``) of the canvas's shorter side,
    # anywhere in it.
    scale = rng.uniform(*fill) * min(height, canvas_width) / extent
    box = (hi - lo) * scale
    margin = np.array([canvas_width, height]) - box
    origin = np.array([rng.uniform(0.15, 0.85) * margin[0], rng.uniform(0.15, 0.85) * margin[1]])
    s = supersample
    image = Image.new("L", (canvas_width * s, height * s), 0)
    draw = ImageDraw.Draw(image)
    pen = max(1, int(round(width * scale * s)))
    for stroke in strokes:
        xy = ((stroke - lo) * scale + origin) * s
        draw.line([tuple(p) for p in xy], fill=255, width=pen, joint="curve")
        for x, y in xy[[0, -1]]:  # round caps
            draw.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=255)
    image = image.resize((canvas_width, height), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float64) / 255


def _stroke_inks(n, seed, sizes, fill=(0.45, 0.85)):
    """``n`` hand-drawn digits as ink maps in [0, 1], with their labels."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 10, n)
    inks = []
    for label in labels:
        styles = SKELETONS[label]
        strokes = _jittered(styles[rng.randint(len(styles))], rng)
        size = sizes(rng)
        width = rng.uniform(0.06, 0.2)  # pen width, relative to the digit's height
        inks.append(_draw(strokes, size, width, rng, fill=fill))
    return inks, labels


def _random_canvas(rng):
    side = int(rng.randint(32, 161))
    return side, int(side * rng.uniform(0.6, 1.6))


def _paper(ink, level_paper=255.0, level_ink=0.0):
    return np.clip(np.rint(level_paper + (level_ink - level_paper) * ink), 0, 255).astype(
        np.uint8
    )


def strokes(n=2000, seed=0):
    """Pen-stroke digits, dark ink on white, canvases 32 to 160 pixels of any aspect."""
    inks, labels = _stroke_inks(n, seed, _random_canvas)
    return [_paper(ink) for ink in inks], labels


def strokes_at(resolution, n=2000, seed=0):
    """Pen-stroke digits drawn on square canvases of ``resolution`` pixels, filling 70-95%.

    A digit of a fixed small resolution usually fills its frame (scanned forms' boxes, the
    UCI set's 8x8 crops).
    """
    inks, labels = _stroke_inks(
        n, seed + resolution, lambda rng: (resolution, resolution), fill=(0.7, 0.95)
    )
    return [_paper(ink) for ink in inks], labels


def strokes_inverted(n=2000, seed=0):
    """Pen-stroke digits, light ink (grey levels 170-255) on dark (0-60)."""
    rng = np.random.RandomState(seed + 1)
    inks, labels = _stroke_inks(n, seed + 1, _random_canvas)
    return [_paper(ink, rng.uniform(0, 60), rng.uniform(170, 255)) for ink in inks], labels


def strokes_noisy(n=2000, seed=0):
    """Pen-stroke digits on Gaussian noise (sigma 10-30 grey levels) with 0.3% specks."""
    rng = np.random.RandomState(seed + 2)
    inks, labels = _stroke_inks(n, seed + 2, _random_canvas)
    images = []
    for ink in inks:
        image = 230 - 190 * ink + rng.normal(0, rng.uniform(10, 30), ink.shape)
        specks = rng.rand(*ink.shape) < 0.003
        image[specks] = rng.choice([0, 255], specks.sum())
        images.append(np.clip(np.rint(image), 0, 255).astype(np.uint8))
    return images, labels


def strokes_textured(n=2000, seed=0):
    """Pen-stroke digits on uneven paper: illumination gradient, grain, faint ruled lines."""
    rng = np.random.RandomState(seed + 3)
    inks, labels = _stroke_inks(n, seed + 3, _random_canvas)
    images = []
    for ink in inks:
        h, w = ink.shape
        rows, cols = np.mgrid[0:h, 0:w]
        direction = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(direction) * cols / w + np.sin(direction) * rows / h)
        paper = 215 + 30 * ramp + rng.normal(0, 6, ink.shape)
        spacing = rng.uniform(6, 14)
        paper -= 35 * (np.abs((rows + rng.uniform(0, spacing)) % spacing) < 1)  # ruled lines
        ink_level = rng.uniform(20, 90)
        image = paper + (ink_level - paper) * ink
        images.append(np.clip(np.rint(image), 0, 255).astype(np.uint8))
    return images, labels


SETS = {
    "uci_8x8": uci_8x8,
    "fonts": fonts,
    "strokes": strokes,
    "strokes_8x8": lambda n=2000, seed=0: strokes_at(8, n, seed),
    "strokes_16x16": lambda n=2000, seed=0: strokes_at(16, n, seed),
    "strokes_64x64": lambda n=2000, seed=0: strokes_at(64, n, seed),
    "strokes_inverted": strokes_inverted,
    "strokes_noisy": strokes_noisy,
    "strokes_textured": strokes_textured,
}


def naive_28x28(images):
    """The images as a user without a normalizer would feed them: resized to 28x28, as is."""
    return np.stack([
        np.asarray(Image.fromarray(image).resize((28, 28), Image.Resampling.BILINEAR))
        for image in images
    ]).reshape(len(images), -1)
