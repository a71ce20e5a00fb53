"""Fresh photo crops, logos and grids: the extra tuning material of the image's novelty.

``skmnist._framing``'s ``colour`` statistic (and the colour reference pages of
``skmnist._image_novelty``) were chosen looking at ``_nondigit_images.TUNING`` and at these
sets only, never at ``_nondigit_images.HELD_OUT``.  They draw on sources that no held-out set
uses: scikit-learn's ``china.jpg`` (the tuning set's photograph), matplotlib's
``Minduka_Present_Blue_Pack.png`` and its two elevation maps rendered through colour maps;
made-up logos of polygons, pie slices and lines with a word (the held-out ``logos`` are
ellipses and rectangles); graph paper with major lines, dotted paper and grids ruled in
colour (``grids``, made once ``squared_paper`` had been measured, to decide what the
reference pages hold without looking at that set again).  Seeded; each generator returns a
list of uint8 arrays.

    from _fresh_nondigits import photo_crops, logos, grids
"""

import io
import os

import matplotlib
import matplotlib.cbook
import numpy as np
from PIL import Image, ImageDraw, ImageFont


def _sources():
    from sklearn.datasets import load_sample_image

    out = [load_sample_image("china.jpg")]
    with matplotlib.cbook.get_sample_data("Minduka_Present_Blue_Pack.png", asfileobj=True) as f:
        out.append(np.asarray(Image.open(f).convert("RGB")))
    maps = [("jacksboro_fault_dem.npz", "gist_earth", "elevation"),
            ("topobathy.npz", "terrain", "topo")]
    for name, cmap, key in maps:
        with np.load(matplotlib.cbook.get_sample_data(name, asfileobj=False)) as d:
            z = d[key].astype(float)
        z = (z - z.min()) / (np.ptp(z) + 1e-9)
        out.append((matplotlib.colormaps[cmap](z)[..., :3] * 255).astype(np.uint8))
    return out


def photo_crops(n, seed):
    """Random crops (24 to 400 pixels) of the sources, half of them made grey."""
    rng = np.random.default_rng(seed + 100)
    photos = _sources()
    out = []
    while len(out) < n:
        photo = photos[rng.integers(len(photos))]
        side = int(np.exp(rng.uniform(np.log(24), np.log(min(400, *photo.shape[:2])))))
        h = min(photo.shape[0], int(side * rng.uniform(0.7, 1.4)))
        side = min(side, photo.shape[1])
        top = rng.integers(0, photo.shape[0] - h + 1)
        left = rng.integers(0, photo.shape[1] - side + 1)
        crop = photo[top : top + h, left : left + side]
        out.append(crop if rng.uniform() < 0.5 else crop.mean(axis=2).astype(np.uint8))
    return out


FONTS = ["DejaVuSerif-Bold.ttf", "DejaVuSans-BoldOblique.ttf", "STIXGeneralBolIta.ttf",
         "cmss10.ttf"]
WORDS = ["Acme", "Nova", "Zeta", "SHOP", "cafe", "Orbit", "Pixel", "Blue"]


def logos(n, seed):
    """Made-up logos: one to four polygons, pie slices or lines of random colours, a word."""
    rng = np.random.default_rng(seed + 200)
    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    out = []
    while len(out) < n:
        w, h = int(rng.integers(60, 320)), int(rng.integers(50, 220))
        canvas = Image.new("RGB", (w, h), tuple(int(v) for v in rng.integers(150, 256, 3)))
        draw = ImageDraw.Draw(canvas)
        for _ in range(int(rng.integers(1, 5))):
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            r = rng.uniform(8, min(w, h) / 2)
            colour = tuple(int(v) for v in rng.integers(0, 256, 3))
            kind = rng.integers(3)
            if kind == 0:
                k = int(rng.integers(3, 7))
                a = rng.uniform(0, 2 * np.pi) + np.arange(k) * 2 * np.pi / k
                draw.polygon([(cx + r * np.cos(t), cy + r * np.sin(t)) for t in a], fill=colour)
            elif kind == 1:
                draw.pieslice((cx - r, cy - r, cx + r, cy + r), rng.uniform(0, 180),
                              rng.uniform(180, 360), fill=colour)
            else:
                draw.line([(rng.uniform(0, w), rng.uniform(0, h)) for _ in range(3)],
                          fill=colour, width=int(rng.integers(2, 10)))
        font = ImageFont.truetype(os.path.join(folder, FONTS[rng.integers(len(FONTS))]),
                                  int(rng.integers(12, 40)))
        draw.text((rng.uniform(0, w / 3), rng.uniform(0, h * 0.7)), str(rng.choice(WORDS)),
                  font=font, fill=tuple(int(v) for v in rng.integers(0, 120, 3)))
        out.append(np.asarray(canvas))
    return out


def grids(n, seed):
    """Graph paper (lines, and major lines every fifth), dotted paper, in grey or colour."""
    rng = np.random.default_rng(seed + 300)
    out = []
    for i in range(n):
        h, w = int(rng.integers(50, 350)), int(rng.integers(50, 350))
        img = np.full((h, w, 3), rng.uniform(215, 255)) + rng.normal(0, 1.5, (h, w, 3))
        if i % 2:
            line = np.array([rng.uniform(90, 200), rng.uniform(120, 220), rng.uniform(180, 255)])
        else:
            line = np.full(3, rng.uniform(80, 180))
        gap, kind = int(rng.integers(5, 25)), i % 3
        oy, ox = int(rng.integers(0, gap)), int(rng.integers(0, gap))
        if kind == 2:  # dotted
            yy, xx = np.mgrid[oy:h:gap, ox:w:gap]
            img[yy, xx] = line
        else:
            img[oy::gap] = line
            img[:, ox::gap] = line
            if kind == 1:  # major lines every fifth
                img[oy :: gap * 5] = line * 0.7
                img[:, ox :: gap * 5] = line * 0.7
        img = np.clip(img, 0, 255).astype(np.uint8)
        if rng.uniform() < 0.5:
            buffer = io.BytesIO()
            Image.fromarray(img).save(buffer, format="JPEG", quality=int(rng.integers(60, 95)))
            img = np.asarray(Image.open(io.BytesIO(buffer.getvalue())))
        out.append(img if rng.uniform() < 0.5 else img.mean(2).astype(np.uint8))
    return out
