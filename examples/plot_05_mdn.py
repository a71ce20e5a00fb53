"""
========================================
The mixture density network: uncertainty
========================================

A softmax network gives ten probabilities and nothing else. A mixture density network (MDN)
keeps the same trunk (784-400-20) but its head describes the *digit value* as a mixture of
Gaussians: for each input, ``n_components`` mixing weights, means and standard deviations.
:class:`~skmnist.MDNClassifier` turns the mixture into class probabilities (class ``k``
gets the mixture's mass between ``k - 0.5`` and ``k + 0.5``), draws real-valued samples from
it, and reports how uncertain it is.

This example trains an MDN on the embedded sample, looks at its mixtures for the digits it
is most and least sure about, and compares it with the softmax network of the earlier
steps, trained on the same data for the same number of epochs.
"""

# %%
# Training the MDN
# ----------------
# The features are scaled once with :class:`~skmnist.PixelScaler` and shared by both
# networks below. ``n_components=10`` gives one component per digit; 20 epochs, as for the
# softmax network.
import matplotlib.pyplot as plt
import numpy as np

from skmnist import FCNClassifier, MDNClassifier, PixelScaler, load_mnist_sample
from skmnist.metrics import classification_summary
from skmnist.plotting import MixtureSamplesDisplay, ReliabilityDisplay, RiskCoverageDisplay

X_train, y_train = load_mnist_sample("train", return_X_y=True)
X_test, y_test = load_mnist_sample("test", return_X_y=True)
scaler = PixelScaler()
Z_train, Z_test = scaler.fit_transform(X_train), scaler.transform(X_test)

mdn = MDNClassifier(n_components=10, epochs=20, random_state=0).fit(Z_train, y_train)
print(f"MDN test accuracy: {mdn.score(Z_test, y_test):.4f}")

# %%
# How uncertain is each prediction?
# ---------------------------------
# :meth:`~skmnist.MDNClassifier.predict_uncertainty` returns, per input, the entropy of
# the class probabilities (0 when one class has all the mass, ``log(10) = 2.30`` when all
# ten are equally likely), the probability of the predicted class, and the mixture's mean
# and variance. The variance splits in two: the *aleatoric* part is the width of the
# components themselves, the *multimodality* part is how far apart the weighted components
# lie, large when the network hesitates between distant digits ("a 4 or a 9").
#
# We pick the two test digits with the lowest entropy and the three with the highest.
u = mdn.predict_uncertainty(Z_test)
order = np.argsort(u.entropy)
idx = np.concatenate([order[:2], order[-3:]])
pred = mdn.predict(Z_test)

print("  test#  true pred  max_proba  entropy   mean  aleatoric  multimodal  total_var")
for i in idx:
    print(f"  {i:5d}  {y_test[i]:4d} {pred[i]:4d}  {u.max_proba[i]:9.3f}  {u.entropy[i]:7.3f}"
          f"  {u.mean[i]:5.2f}  {u.aleatoric_variance[i]:9.3f}  "
          f"{u.multimodality_variance[i]:10.3f}  {u.total_variance[i]:9.3f}")

wrong = pred != y_test
print(f"\nmean entropy of the {np.sum(~wrong)} right predictions: "
      f"{u.entropy[~wrong].mean():.3f}")
print(f"mean entropy of the {np.sum(wrong)} wrong predictions:  {u.entropy[wrong].mean():.3f}")

# %%
# The uncertainty is informative: wrong predictions have a much higher entropy on average
# than right ones, so the network mostly knows when it is guessing.
#
# The mixtures behind the numbers
# -------------------------------
# :class:`~skmnist.plotting.MixtureSamplesDisplay` draws 2,000 values from each chosen
# digit's mixture and shows the share of them on each digit (bars, left axis), the mixture's
# density (line, right axis), the true digit (dashed red) and the digit itself (inset). Grey
# lines mark the class boundaries ``k + 0.5``: the mass between two of them is that class's
# probability (mass left of 0.5 counts for 0, right of 8.5 for 9), which the bars estimate.
# The confident digits have a single narrow peak on the right value. The uncertain ones
# spread their mass over several separate peaks, some far from the true digit: the
# prediction is still right, but only by a plurality of about a third.
disp = MixtureSamplesDisplay.from_estimator(mdn, Z_test[idx], y_test[idx])
disp.figure_.suptitle("MDN mixtures: two most certain (left), three least certain test digits")

# %%
# The mixture of the least certain digit, component by component (components with less than
# 1% of the weight left out), and the histogram of 2,000 draws over the digit values (draws
# below -0.5 counted as 0 and above 9.5 as 9, as the class probabilities do):
i = order[-1]
params = mdn.mixture_params(Z_test[i : i + 1])
print(f"test digit {i}, true label {y_test[i]}, predicted {pred[i]}")
for w, m, s in zip(params.weights[0], params.means[0], params.scales[0]):
    if w >= 0.01:
        print(f"  weight {w:.3f}  mean {m:6.2f}  sd {s:.2f}")
draws = mdn.sample_values(Z_test[i : i + 1], n_draws=2000, random_state=0)[0]
counts, _ = np.histogram(np.clip(draws, -0.5, 9.5), bins=np.arange(-0.5, 10.5))
print("draws per digit value 0..9:", counts)

# %%
# With and without the MDN
# ------------------------
# Is the uncertainty worth its price? The softmax network is trained on the same scaled
# features, for the same 20 epochs, and both are scored on the same 1,000 test images with
# :func:`skmnist.metrics.classification_summary`:
#
# - ``accuracy``: share of right predictions;
# - ``nll``: mean negative log-likelihood of the true labels (lower is better);
# - ``ece``: expected calibration error, the average gap between confidence and accuracy;
# - ``aurc``: area under the risk-coverage curve: the mean error rate when only the most
#   confident predictions are kept, over all coverages (lower is better).
fcn = FCNClassifier(epochs=20, random_state=0).fit(Z_train, y_train)

models = {"FCN (softmax)": fcn, "MDN (10 comp.)": mdn}
columns = ["accuracy", "nll", "ece", "aurc", "accuracy_at_90"]
print(f"{'':16s}" + "".join(f"{c:>16s}" for c in columns))
for name, model in models.items():
    summary = classification_summary(
        y_test, y_prob=model.predict_proba(Z_test), labels=model.classes_
    )
    print(f"{name:16s}" + "".join(f"{summary[c]:16.4f}" for c in columns))

# %%
# ``accuracy_at_90`` is the accuracy on the 90% of test digits each model is most confident
# about. On this small sample and training budget the softmax network is the better model
# on every one of these numbers: it is more accurate and its probabilities are better
# calibrated and rank its mistakes better. What the MDN adds is the mixture itself (samples
# of the digit value, the split of its variance); on the full data set the gap in accuracy
# shrinks (see the user guide), but the softmax network remains the one to use when only
# class probabilities are needed. The figures show the calibration and the selective risk
# of both.
#
# Calibration and selective prediction
# ------------------------------------
# Left, the reliability diagram: test predictions are binned by confidence (the probability
# of the predicted class), and each bin's accuracy is plotted against its mean confidence.
# A calibrated model sits on the diagonal; points below it are over-confident. The legend
# gives each model's expected calibration error (the ``ece`` column above, in percent).
# Most test digits sit in the top bin; the low-confidence bins hold only a handful each,
# so their points jump around and weigh little in the ECE. Right, the
# risk-coverage curve: the error rate among the most confident predictions as more and more
# of them are accepted. A curve that stays low for longer means the model's confidence ranks
# its mistakes last, which is what matters when uncertain digits are handed to a person.
fig, (ax_rel, ax_risk) = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
for (name, model), color in zip(models.items(), ["tab:blue", "tab:orange"]):
    ReliabilityDisplay.from_estimator(model, Z_test, y_test, name=name, ax=ax_rel, color=color)
    RiskCoverageDisplay.from_estimator(model, Z_test, y_test, name=name, ax=ax_risk,
                                       color=color)
ax_rel.set_title("Reliability (test set)")
ax_risk.set_title("Risk vs coverage (test set)")
plt.show()
