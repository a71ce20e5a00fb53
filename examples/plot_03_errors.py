"""
=====================================
Error analysis: which digits go wrong
=====================================

An accuracy of 94% says how often the network is wrong, not where. This example trains the
784-400-20-10 network of the previous step and looks at its mistakes on the 1,000 test
images two ways: the confusion matrix counts every (true, predicted) pair, and a grid of
misclassified digits shows what the network was looking at.
"""

# %%
# Training the network
# --------------------
# The same pipeline as in the network example: :class:`~skmnist.PixelScaler` and
# :class:`~skmnist.FCNClassifier`, 20 epochs on the embedded 5,000-image sample.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.pipeline import make_pipeline

from skmnist import FCNClassifier, PixelScaler, load_mnist_sample
from skmnist.plotting import DigitGridDisplay

X_train, y_train = load_mnist_sample("train", return_X_y=True)
X_test, y_test = load_mnist_sample("test", return_X_y=True)

pipe = make_pipeline(PixelScaler(), FCNClassifier(epochs=20, random_state=0))
pipe.fit(X_train, y_train)
y_pred = pipe.predict(X_test)
print(f"test accuracy: {np.mean(y_pred == y_test):.4f} "
      f"({np.sum(y_pred != y_test)} of {len(y_test)} test digits wrong)")

# %%
# The confusion matrix
# --------------------
# Because the pipeline is a scikit-learn classifier, scikit-learn's own
# :class:`~sklearn.metrics.ConfusionMatrixDisplay` works on it directly. Row ``i``, column
# ``j`` counts the test digits of true class ``i`` predicted as ``j``: the diagonal holds the
# correct predictions, everything off it is a mistake. The off-diagonal cells are small
# numbers, so look for the few that stand out: they are the pairs of digits the network
# confuses, mostly digits that share strokes (a 4 with a closed top reads as a 9, a 7 with
# a bar as a 9, an 8 with a small loop as a 5). Reading the rows also shows the weakest
# class: in this run the 8s, of which the network gets only about 86% right.
fig, ax = plt.subplots(figsize=(6.5, 6), layout="constrained")
cm_disp = ConfusionMatrixDisplay.from_estimator(pipe, X_test, y_test, ax=ax, colorbar=False)
ax.set_title("Test digits: true vs predicted class")

# %%
# The same matrix as numbers: the share of each class the network gets right (the
# diagonal divided by the row sums, i.e. the per-class recall), and the largest
# off-diagonal cells, the most frequent confusions.
cm = cm_disp.confusion_matrix
for digit, recall in enumerate(cm.diagonal() / cm.sum(axis=1)):
    print(f"digit {digit}: {recall:.1%} of {cm[digit].sum()} right")
off_diagonal = cm - np.diag(np.diag(cm))
for flat in np.argsort(off_diagonal, axis=None)[::-1][:5]:
    true, pred = np.unravel_index(flat, cm.shape)
    print(f"true {true} predicted as {pred}: {cm[true, pred]} times")

# %%
# The misclassified digits
# ------------------------
# :class:`~skmnist.plotting.DigitGridDisplay` runs the pipeline on the test images and draws
# the first 25 it gets wrong, titled "true / predicted". Many of them are hard for a person
# too (cramped loops, broken strokes, unusual slants); others are clear digits the network
# misses, which is where more data, more epochs or a better architecture would help.
grid = DigitGridDisplay.from_estimator(pipe, X_test, y_test, kind="misclassified")
grid.figure_.suptitle("Misclassified test digits (true / predicted)")
plt.show()
