"""
====================================================
Prediction sets: the digits a network can't rule out
====================================================

A prediction set holds every digit the network cannot rule out at an error rate ``alpha``:
the true digit is in it for at least ``1 - alpha`` of the images like the calibration ones
(split conformal prediction). This example trains a small network on part of the embedded
sample, calibrates it on the rest, and shows the sets of a few test digits, how coverage and
set size move with ``alpha``, and the coverage of each digit with one threshold for all
digits and with one per digit.
"""

# %%
# Train, then calibrate on images the network did not train on
# -------------------------------------------------------------
# 3,500 images train the network; the other 1,500 calibrate it: ``calibrate`` keeps their
# class probabilities and labels, so ``alpha`` and the method are chosen at prediction.
import matplotlib.pyplot as plt
import numpy as np

from skmnist import FCNClassifier, PixelScaler, load_mnist_sample
from skmnist.metrics import mean_set_size, set_coverage_score
from skmnist.plotting import DigitGridDisplay, PredictionSetDisplay

X, y = load_mnist_sample(return_X_y=True)
X_test, y_test = load_mnist_sample("test", return_X_y=True)
scale = PixelScaler()
X, X_test = scale.transform(X), scale.transform(X_test)

clf = FCNClassifier((128,), epochs=8, random_state=0).fit(X[:3500], y[:3500])
clf.calibrate(X[3500:], y[3500:])
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# A few sets
# ----------
# At ``alpha = 0.05`` most sets hold one digit; an ambiguous image gets two or more, and an
# image the network is unsure about beyond what the threshold accepts gets none (LAC's sets
# may be empty; ``method="aps"`` never is).
y_set = clf.predict_set(X_test, alpha=0.05)
order = np.argsort(-y_set.sum(axis=1), kind="stable")[:12]  # the largest sets first
titles = [
    f"{y_test[i]}: {{{', '.join(map(str, clf.classes_[y_set[i]]))}}}" for i in order
]
DigitGridDisplay(X_test[order].reshape(-1, 28, 28), titles).plot(n_cols=6)
plt.suptitle("true digit: prediction set (alpha = 0.05)")

# %%
# Coverage and set size against alpha
# -----------------------------------
# Coverage follows the target ``1 - alpha`` (the dashed line) within the noise of 1,000 test
# images; the sets grow as ``alpha`` shrinks below the network's error rate.
alphas = [0.01, 0.02, 0.05, 0.1, 0.2]
disp = PredictionSetDisplay.from_estimator(clf, X_test, y_test, alphas=alphas)
PredictionSetDisplay.from_estimator(clf, X_test, y_test, alphas=alphas, method="aps",
                                    ax=disp.axes_)
for alpha in (0.05, 0.1):
    s = clf.predict_set(X_test, alpha)
    print(f"alpha {alpha}: coverage {set_coverage_score(y_test, s, labels=clf.classes_):.3f}"
          f", mean size {mean_set_size(s):.2f}")

# %%
# Coverage of each digit
# ----------------------
# The guarantee is on average over images: hard digits may be covered less than easy ones.
# ``class_conditional=True`` gives each digit its own threshold (from its ~150 calibration
# images here), so each digit is covered at ``1 - alpha``, up to the noise of its ~100 test
# images (about 0.03 either way).
alpha = 0.1
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
for offset, conditional in ((-0.2, False), (0.2, True)):
    s = clf.predict_set(X_test, alpha, class_conditional=conditional)
    per_digit = set_coverage_score(y_test, s, labels=clf.classes_, average=None)
    ax.bar(clf.classes_ + offset, per_digit, width=0.4,
           label="one threshold per digit" if conditional else "one threshold")
ax.axhline(1 - alpha, color="black", ls="--", lw=1)
ax.set(xticks=clf.classes_, xlabel="digit", ylabel="coverage", ylim=(0.7, 1.0),
       title=f"coverage per digit at alpha = {alpha}")
ax.legend(loc="lower right")
plt.show()
