"""Whole images that are not a handwritten digit, as a person might hand them to skmnist.

Unlike ``_ood_sets.py`` (28x28 images already in MNIST's framing), these are raw pictures of
any size, the kind a user photographs or uploads: photographs and crops of them, noise,
blank and near-blank pages, printed words, logos, ruled and squared paper.  Made offline
from what the environment has (scikit-learn's and matplotlib's sample images, matplotlib's
fonts, NumPy and Pillow drawing), seeded.

``TUNING`` are the sets looked at while choosing the image statistics of
``skmnist._image_novelty``; ``HELD_OUT`` were made and scored only once the statistics were
fixed (other photographs, other noise, other fonts, other paper), and are reported apart.
Every generator returns a list of 2-D or 3-D uint8 arrays.
"""

import io
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "hello", "world",
          "data", "model", "paper", "scan", "photo", "image", "skmnist", "digits", "text",
          "review", "Monday", "ACME", "Total", "Name", "Date")


def _photo(name):
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data(name, asfileobj=True) as f:
        return np.asarray(Image.open(f).convert("RGB"))


def photo_crops(names, n, seed):
    """The whole photographs, then random crops of them at sizes from 24 to 400 pixels."""
    rng = np.random.default_rng(seed)
    photos = [_photo(name) for name in names]
    out = list(photos)
    while len(out) < n:
        photo = photos[rng.integers(len(photos))]
        side = int(np.exp(rng.uniform(np.log(24), np.log(min(400, *photo.shape[:2])))))
        h = min(photo.shape[0], int(side * rng.uniform(0.7, 1.4)))
        top = rng.integers(0, photo.shape[0] - h + 1)
        left = rng.integers(0, photo.shape[1] - side + 1)
        crop = photo[top : top + h, left : left + side]
        out.append(crop if rng.uniform() < 0.5 else crop.mean(axis=2).astype(np.uint8))
    return out[:n]


def noise(kind, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        shape = (int(rng.integers(28, 300)), int(rng.integers(28, 300)))
        if kind == "uniform":
            image = rng.uniform(0, 255, shape)
        elif kind == "gaussian":
            image = rng.normal(rng.uniform(60, 200), rng.uniform(10, 60), shape)
        else:  # salt and pepper on paper
            image = np.full(shape, rng.uniform(180, 255))
            specks = rng.uniform(size=shape) < rng.uniform(0.01, 0.2)
            image[specks] = rng.uniform(0, 80)
        out.append(np.clip(image, 0, 255).astype(np.uint8))
    return out


def near_blank(n, seed):
    """Paper with a little noise, uneven light, and at most a few faint specks or a smudge."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        shape = (int(rng.integers(28, 400)), int(rng.integers(28, 400)))
        yy, xx = np.mgrid[: shape[0], : shape[1]]
        paper = rng.uniform(170, 250) * (1 - rng.uniform(0, 0.15) * xx / shape[1])
        image = paper + rng.normal(0, rng.uniform(0.5, 4), shape)
        if i % 2:  # a faint smudge or a few specks
            for _ in range(int(rng.integers(1, 4))):
                cy, cx = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
                r = rng.uniform(1, 6)
                image -= rng.uniform(10, 40) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / r**2)
        out.append(np.clip(image, 0, 255).astype(np.uint8))
    return out


def _font_paths(names):
    import matplotlib

    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    return [os.path.join(folder, f) for f in names if os.path.exists(os.path.join(folder, f))]


def words(fonts, n, seed):
    """Printed words, one to three, dark on light, in the given fonts."""
    rng = np.random.default_rng(seed)
    paths = _font_paths(fonts)
    out = []
    for _ in range(n):
        text = " ".join(rng.choice(_WORDS, size=int(rng.integers(1, 4))))
        font = ImageFont.truetype(paths[rng.integers(len(paths))], int(rng.integers(14, 60)))
        left, top, right, bottom = font.getbbox(text)
        pad = int(rng.integers(4, 30))
        canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad),
                           int(rng.integers(200, 256)))
        ImageDraw.Draw(canvas).text((pad - left, pad - top), text, font=font,
                                    fill=int(rng.integers(0, 80)))
        out.append(np.asarray(canvas))
    return out


def logos(n, seed):
    """matplotlib's logo, then made-up logos: shapes with a word, in colour."""
    rng = np.random.default_rng(seed)
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("logo2.png", asfileobj=True) as f:
        out = [np.asarray(Image.open(f).convert("RGBA"))]
    paths = _font_paths(["DejaVuSans-Bold.ttf", "STIXGeneralBol.ttf", "cmb10.ttf"])
    while len(out) < n:
        w, h = int(rng.integers(80, 300)), int(rng.integers(60, 200))
        canvas = Image.new("RGB", (w, h), tuple(int(v) for v in rng.integers(180, 256, 3)))
        draw = ImageDraw.Draw(canvas)
        for _ in range(int(rng.integers(1, 4))):
            x0, y0 = int(rng.integers(0, w // 2)), int(rng.integers(0, h // 2))
            box = (x0, y0, x0 + int(rng.integers(10, w // 2)), y0 + int(rng.integers(10, h // 2)))
            colour = tuple(int(v) for v in rng.integers(0, 160, 3))
            (draw.ellipse if rng.uniform() < 0.5 else draw.rectangle)(box, fill=colour)
        font = ImageFont.truetype(paths[rng.integers(len(paths))], int(rng.integers(14, 36)))
        draw.text((int(rng.integers(0, w // 3)), int(rng.integers(h // 2, h - 10))),
                  str(rng.choice(_WORDS)), font=font, fill=(0, 0, 0))
        out.append(np.asarray(canvas))
    return out


def paper(kind, n, seed):
    """Ruled (lines) or squared (grid) paper, with no digit; sometimes photographed (JPEG)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        shape = (int(rng.integers(60, 400)), int(rng.integers(60, 400)))
        image = np.full(shape, rng.uniform(200, 250)) + rng.normal(0, 2, shape)
        gap = int(rng.integers(8, 30))
        level = rng.uniform(60, 170)
        image[int(rng.integers(0, gap)) :: gap, :] = level
        if kind == "squared":
            image[:, int(rng.integers(0, gap)) :: gap] = level
        image = np.clip(image, 0, 255).astype(np.uint8)
        if rng.uniform() < 0.5:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=int(rng.integers(60, 95)))
            image = np.asarray(Image.open(io.BytesIO(buffer.getvalue())))
        out.append(image)
    return out


_DEJAVU = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf"]
_OTHER = ["STIXGeneral.ttf", "STIXGeneralItalic.ttf", "cmr10.ttf", "cmss10.ttf", "cmtt10.ttf"]

TUNING = {
    "photo_crops": lambda n, s: photo_crops(["china"], n, s),
    "uniform_noise": lambda n, s: noise("uniform", n, s),
    "words": lambda n, s: words(_DEJAVU, n, s),
    "ruled_paper": lambda n, s: paper("ruled", n, s),
}
HELD_OUT = {
    "photo_crops_heldout": lambda n, s: photo_crops(["grace_hopper.jpg", "flower"], n, s),
    "gaussian_noise": lambda n, s: noise("gaussian", n, s),
    "salt_pepper": lambda n, s: noise("salt_pepper", n, s),
    "near_blank": lambda n, s: near_blank(n, s),
    "words_heldout": lambda n, s: words(_OTHER, n, s),
    "logos": lambda n, s: logos(n, s),
    "squared_paper": lambda n, s: paper("squared", n, s),
}
