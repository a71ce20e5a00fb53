"""
====================================
Saving and loading a fitted pipeline
====================================

A fitted skmnist estimator pickles like any scikit-learn estimator: the trained Keras network
travels inside the pickle, so :func:`joblib.dump` writes the whole pipeline (the pixel scaler
and the network) to one file and :func:`joblib.load` gives back a pipeline that predicts
exactly what the original did.

Loading needs no TensorFlow: the pipeline predicts from a NumPy copy of its network, and
the Keras model is rebuilt only when ``model_`` is used. To exchange models with others,
:mod:`skmnist.persistence` saves them as skops files, which load only trusted types.

.. warning::

   Only load pickle or joblib files from sources you trust. Loading such a file can run
   arbitrary code on your machine; it is not a data format that can be checked before it
   is opened. Use skops files (below) for models from others.
"""

# %%
# Training a pipeline
# -------------------
# A :class:`~skmnist.PixelScaler` in front of the 784-400-20-10
# :class:`~skmnist.FCNClassifier`, trained for 20 epochs on the embedded 5,000-image sample.
import os
import tempfile

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline

from skmnist import FCNClassifier, PixelScaler, load_mnist_sample

X_train, y_train = load_mnist_sample("train", return_X_y=True)
X_test, y_test = load_mnist_sample("test", return_X_y=True)

pipe = make_pipeline(PixelScaler(), FCNClassifier(epochs=20, random_state=0))
pipe.fit(X_train, y_train)
proba = pipe.predict_proba(X_test)
print(f"test accuracy: {pipe.score(X_test, y_test):.4f}")

# %%
# Dumping and loading with joblib
# -------------------------------
# The file goes to a temporary folder that is deleted at the end of the ``with`` block. The
# loaded pipeline is a new object: its scaler, its network's parameters, its fitted
# attributes (``classes_``, ``history_``, ...) and its Keras model all come from the file.
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "digits.joblib")
    joblib.dump(pipe, path)
    print(f"wrote {os.path.basename(path)}: {os.path.getsize(path) / 1e6:.2f} MB")
    loaded = joblib.load(path)

print(loaded)
print("same classes:", np.array_equal(loaded.classes_, pipe.classes_))
print("same network parameters:", loaded[-1].get_params() == pipe[-1].get_params())

# %%
# Identical predictions
# ---------------------
# The loaded pipeline gives bit-for-bit the same probabilities on all 1,000 test images: the
# weights are stored exactly, not rounded. The check below would raise if a single value
# differed.
loaded_proba = loaded.predict_proba(X_test)
np.testing.assert_array_equal(loaded_proba, proba)
print("largest difference in predict_proba:", np.abs(loaded_proba - proba).max())
print("same predictions:", np.array_equal(loaded.predict(X_test), pipe.predict(X_test)))

# %%
# The figure plots each of the 10,000 predicted probabilities (1,000 images times 10
# classes) of the loaded pipeline against the original's: every point lies on the diagonal.
# On the right, the first test digit with the probabilities both pipelines give it.
fig, (ax_scatter, ax_digit, ax_bars) = plt.subplots(
    1, 3, figsize=(11, 3.6), layout="constrained", width_ratios=[1.2, 0.8, 1.2]
)
ax_scatter.plot([0, 1], [0, 1], color="lightgray", lw=3, label="diagonal")
ax_scatter.scatter(proba.ravel(), loaded_proba.ravel(), s=8, color="tab:blue",
                   label="probabilities")
ax_scatter.set_xlabel("original pipeline")
ax_scatter.set_ylabel("loaded pipeline")
ax_scatter.set_title("predict_proba on the test set")
ax_scatter.legend(loc="upper left")

ax_digit.imshow(X_test[0].reshape(28, 28), cmap="gray_r")
ax_digit.set_title(f"first test digit (label {y_test[0]})")
ax_digit.axis("off")

classes = np.arange(10)
ax_bars.bar(classes - 0.2, proba[0], width=0.4, label="original")
ax_bars.bar(classes + 0.2, loaded_proba[0], width=0.4, label="loaded")
ax_bars.set_xticks(classes)
ax_bars.set_xlabel("digit")
ax_bars.set_ylabel("probability")
ax_bars.set_title("its predicted probabilities")
ax_bars.legend()
plt.show()

# %%
# A safe file for others: skops
# -----------------------------
# :func:`skmnist.persistence.dump` writes the same pipeline as a skops file;
# :func:`skmnist.persistence.load` rebuilds only the types skmnist trusts
# (:func:`~skmnist.persistence.trusted_types`) and refuses a file holding any other, so a
# file from someone else cannot run code when it is loaded.
from skmnist.persistence import dump, load, trusted_types

print(f"{len(trusted_types())} trusted types, e.g. {trusted_types()[:2]}")
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "digits.skops")
    dump(pipe, path)
    print(f"wrote {os.path.basename(path)}: {os.path.getsize(path) / 1e6:.2f} MB")
    safe = load(path)
np.testing.assert_array_equal(safe.predict_proba(X_test), proba)
print("skops file: same probabilities")

# %%
# What else to know
# -----------------
# - Load the file with the same versions of skmnist, scikit-learn and Keras that wrote it;
#   scikit-learn warns (``InconsistentVersionWarning``) when its version differs.
# - ``pipe[-1].model_`` is a plain Keras model. ``pipe[-1].model_.save("net.keras")`` stores
#   the network alone in Keras's own format, for use outside scikit-learn; it outputs logits
#   (apply a softmax to get probabilities) and does not include the pixel scaling.
