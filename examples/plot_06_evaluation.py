"""
============================================
Evaluation: the numbers behind the accuracy
============================================

Before a model is kept it is scored on data it has never seen, and one number is not
enough: a model can be accurate on average and still poor on one digit. This example scores
the 784-400-20-10 network on the 1,000 test images with scikit-learn's metrics (accuracy,
precision, recall and F1, overall and per digit, the classification report and the
confusion matrix), shows its predictions for the first test digits, and saves the model
only if it is good enough.
"""

# %%
# Training and predicting
# -----------------------
# The pipeline of the network example: :class:`~skmnist.PixelScaler` and
# :class:`~skmnist.FCNClassifier`, 20 epochs on the embedded 5,000-image sample.
import os
import tempfile

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    precision_recall_fscore_support,
)
from sklearn.pipeline import make_pipeline

from skmnist import FCNClassifier, PixelScaler, load_mnist_sample
from skmnist.plotting import DigitGridDisplay

X_train, y_train = load_mnist_sample("train", return_X_y=True)
X_test, y_test = load_mnist_sample("test", return_X_y=True)

pipe = make_pipeline(PixelScaler(), FCNClassifier(epochs=20, random_state=0))
pipe.fit(X_train, y_train)
y_pred = pipe.predict(X_test)

# %%
# Overall scores
# --------------
# For one digit, *precision* is the share of the images predicted as that digit that really
# are it, *recall* the share of that digit's images that are found, and *F1* their harmonic
# mean. The macro averages weigh every digit equally, however many test images it has.
accuracy = accuracy_score(y_test, y_pred)
precision, recall, f1, _ = precision_recall_fscore_support(y_test, y_pred, average="macro")
print(f"accuracy:          {accuracy:.4f}")
print(f"precision (macro): {precision:.4f}")
print(f"recall (macro):    {recall:.4f}")
print(f"F1 (macro):        {f1:.4f}")

# %%
# Per digit
# ---------
# ``average=None`` gives the same scores for each digit separately, with its number of test
# images (the *support*). The figure shows them side by side: the digits where the bars dip
# are where the network is weakest, and whether precision or recall dips tells which way
# it errs (low recall: it misses that digit; low precision: it sees that digit where there
# is another). In this run the 8s stand out: recall well below their precision, so the
# network misses 8s (reading them as 5, 7 and others) far more often than it invents them.
per_class = precision_recall_fscore_support(y_test, y_pred, average=None)
print("digit  precision  recall     F1  support")
for digit, (p, r, f, n) in enumerate(zip(*per_class)):
    print(f"{digit:5d}  {p:9.3f}  {r:6.3f}  {f:5.3f}  {n:7d}")

fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
digits = np.arange(10)
for offset, values, label in zip([-0.27, 0, 0.27], per_class[:3], ["precision", "recall", "F1"]):
    ax.bar(digits + offset, values, width=0.27, label=label)
ax.set_xticks(digits)
ax.set_xlabel("digit")
ax.set_ylim(0.75, 1.0)
ax.set_ylabel("score (axis starts at 0.75)")
ax.set_title("Per-digit scores on the test set")
ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))

# %%
# The classification report and the confusion matrix
# --------------------------------------------------
# :func:`~sklearn.metrics.classification_report` prints the same per-digit table with the
# averages; the confusion matrix counts every (true, predicted) pair, true digits in rows.
# The error-analysis example draws it as a heatmap.
print(classification_report(y_test, y_pred, digits=4))
print(confusion_matrix(y_test, y_pred))

# %%
# The first 15 test digits
# ------------------------
# Each digit is titled "predicted / actual"; a red title marks a mistake. Looking at the
# predictions next to the images is a sanity check that no table replaces: it catches a
# shifted label or a wrongly scaled input at a glance.
grid = DigitGridDisplay.from_estimator(pipe, X_test[:15], y_test[:15], kind="all",
                                       n_images=15)
grid.figure_.suptitle("The first 15 test digits (predicted / actual)")

# %%
# Saving the model only when it is good enough
# --------------------------------------------
# The original study saved its network only when the test accuracy cleared 95%, on the full
# MNIST training set. Trained on the 5,000-image sample for 20 epochs, the same network
# reaches about 94%, so a 95% bar would never be met here; the threshold below is 0.90,
# which any properly trained run on the sample clears (a run that falls below it has gone
# wrong: a bad learning rate, unscaled pixels, a broken label). The model goes to a
# temporary folder, deleted at the end of the ``with`` block; the persistence example shows
# loading it back.
THRESHOLD = 0.90

with tempfile.TemporaryDirectory() as folder:
    if accuracy >= THRESHOLD:
        path = os.path.join(folder, "fcn_digits.joblib")
        joblib.dump(pipe, path)
        print(f"test accuracy {accuracy:.4f} >= {THRESHOLD}: saved "
              f"{os.path.basename(path)} ({os.path.getsize(path) / 1e6:.1f} MB)")
    else:
        print(f"test accuracy {accuracy:.4f} < {THRESHOLD}: model not saved")
plt.show()
