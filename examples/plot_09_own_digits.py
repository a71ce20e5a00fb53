"""
===========================================
Reading your own digits, from file to label
===========================================

A network trained on MNIST has only ever seen MNIST's framing: white ink on black, the
digit's bounding box scaled to 20x20 pixels and centred by its centre of mass in 28x28.
Digits from anywhere else (a phone photo, a drawing canvas, a scan) are none of that, and
simply resizing them to 28x28 gives the network something it cannot read.
:class:`~skmnist.DigitNormalizer` puts them into MNIST's framing first; ``augmentation``
trains the network on shifted, rotated, distorted and blurred digits so that it copes with
other hands. See :ref:`own-digits`.
"""

# %%
# Some "own" digits, as image files
# ---------------------------------
# We make them here so the example runs anywhere: digits drawn with a pen on canvases of
# different sizes, dark on white, blue on yellow, white on a dark slate, on noisy paper, and
# one typeset in DejaVu Sans (the font that comes with matplotlib).
import os
import tempfile

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from sklearn.pipeline import make_pipeline

from skmnist import DigitNormalizer, FCNClassifier, PixelScaler, load_mnist_sample

folder = tempfile.mkdtemp()
rng = np.random.RandomState(0)


def canvas(width, height, paper):
    image = Image.new("RGB", (width, height), paper)
    return image, ImageDraw.Draw(image)


files = {}
image, draw = canvas(120, 160, "white")  # a 7, drawn large and off-centre
draw.line([(20, 30), (95, 25), (50, 140)], fill="black", width=9, joint="curve")
files[7] = image
image, draw = canvas(90, 60, (250, 240, 130))  # a 0 in blue ink on yellow, wide canvas
draw.ellipse([30, 8, 62, 52], outline=(30, 40, 200), width=4)
files[0] = image
image, draw = canvas(64, 64, (40, 45, 50))  # a 4 in chalk on a slate
draw.line([(38, 8), (12, 40), (52, 40)], fill=(230, 230, 230), width=5)
draw.line([(40, 22), (40, 58)], fill=(230, 230, 230), width=5)
files[4] = image
image, draw = canvas(200, 100, "white")  # a 3 in a font, small on a large page
draw.text((120, 20), "3", fill="black", font=ImageFont.truetype(
    os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf"), 60))
files[3] = image
image, draw = canvas(80, 80, "white")  # a 1 on noisy paper
draw.line([(30, 22), (44, 10), (42, 70)], fill="black", width=6)
noisy = np.asarray(image).astype(float) + rng.normal(0, 30, (80, 80, 1))
files[1] = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))

paths, labels = [], []
for label, image in files.items():
    paths.append(os.path.join(folder, f"digit_{label}.png"))
    image.save(paths[-1])
    labels.append(label)
print([os.path.basename(p) for p in paths])

# %%
# What the normalizer makes of them
# ---------------------------------
# :class:`~skmnist.DigitNormalizer` reads the files with Pillow, turns them grey, finds the
# paper (dark or light) and the ink, clears the background, crops, scales the longer side to
# 20 pixels and centres the ink's mass in 28x28: 784 pixels per image, as in MNIST.
normalized = DigitNormalizer().transform(paths)
print(normalized.shape, normalized.dtype)

fig, axes = plt.subplots(2, len(paths), figsize=(1.6 * len(paths), 3.6))
for i, path in enumerate(paths):
    axes[0, i].imshow(Image.open(path))
    axes[0, i].set_title(os.path.basename(path), fontsize=8)
    axes[1, i].imshow(normalized[i].reshape(28, 28), cmap="gray")
    axes[1, i].set_title("normalized", fontsize=8)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()

# %%
# Training with augmentation, predicting from files
# -------------------------------------------------
# The pipeline takes the file paths directly. Augmentation distorts every training image
# differently in every epoch (inside the input pipeline: nothing is copied), so the
# network learns the digits' shapes rather than MNIST writers' habits. Here on the
# embedded 5,000-image sample for a few epochs; full MNIST gives far better numbers (see
# ``benchmarks/results/other_digits.json``).
X, y = load_mnist_sample(return_X_y=True)
model = make_pipeline(
    DigitNormalizer(),
    PixelScaler(),
    FCNClassifier(augmentation="standard", epochs=10, random_state=0),
)
model.fit(X, y)

proba = model.predict_proba(paths)
predicted = model.classes_[proba.argmax(axis=1)]
for path, label, digit, p in zip(paths, labels, predicted, proba.max(axis=1)):
    print(f"{os.path.basename(path)}: predicted {digit} (probability {p:.2f}), drawn {label}")

# %%
# Without the normalizer, the same network sees the files resized to 28x28 as they are:
naive = np.stack([
    np.asarray(Image.open(p).convert("L").resize((28, 28), Image.Resampling.BILINEAR))
    for p in paths
]).reshape(len(paths), -1)
print("resized only:", model[1:].predict(naive).tolist(), " drawn:", labels)

fig, axes = plt.subplots(1, len(paths), figsize=(1.6 * len(paths), 2.0))
for ax, row, digit, p in zip(axes, normalized, predicted, proba.max(axis=1)):
    ax.imshow(row.reshape(28, 28), cmap="gray")
    ax.set_title(f"{digit} ({p:.0%})", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("predicted digit (probability)", fontsize=9)
fig.tight_layout()

# %%
# On the command line
# -------------------
# Saved with :func:`joblib.dump`, the pipeline serves ``skmnist predict``, which prints one
# line per file (``skmnist run`` saves its model as ``skmnist-output/model.joblib``, the
# default of ``--model``):
import joblib  # noqa: E402

from skmnist.cli import main  # noqa: E402

joblib.dump(model, os.path.join(folder, "model.joblib"))
status = main(["predict", *paths, "--model", os.path.join(folder, "model.joblib")])
print("exit status", status)
