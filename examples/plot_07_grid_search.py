"""
=====================================
Tuning the networks with GridSearchCV
=====================================

The networks in skmnist are ordinary scikit-learn estimators, so their hyper-parameters are
tuned the usual way: put the network in a :class:`~sklearn.pipeline.Pipeline` behind
:class:`~skmnist.PixelScaler` and hand the pipeline to
:class:`~sklearn.model_selection.GridSearchCV`. Parameters of a pipeline step are addressed as
``<step name>__<parameter>``, e.g. ``fcnclassifier__l2``.

This example runs two small searches on the embedded 5,000-image sample: the L2 penalty of
:class:`~skmnist.FCNClassifier` and the number of mixture components of
:class:`~skmnist.MDNClassifier`. Each candidate is trained three times (3-fold
cross-validation) for only 10 epochs to keep the example around a minute on two CPU cores;
for real tuning use the full data set and more epochs.
"""

# %%
# The data
# --------
# 5,000 training and 1,000 test images, uint8 pixels of shape (n, 784). The test images are
# kept aside: the searches see only the training images, and the test set gives one honest
# score for the model each search finally picks.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skmnist import FCNClassifier, MDNClassifier, PixelScaler, load_mnist_sample

X_train, y_train = load_mnist_sample("train", return_X_y=True)
X_test, y_test = load_mnist_sample("test", return_X_y=True)

try:
    import pandas as pd
except ImportError:  # pandas is optional: fall back to plain printing
    pd = None


def show_results(search, param):
    """Print the search's mean and spread of the validation accuracy per candidate."""
    columns = [f"param_{param}", "mean_test_score", "std_test_score", "rank_test_score",
               "mean_fit_time"]
    if pd is not None:
        table = pd.DataFrame(search.cv_results_)[columns]
        print(table.to_string(index=False, float_format="{:.4f}".format))
    else:
        print("  ".join(columns))
        for row in zip(*(search.cv_results_[c] for c in columns)):
            print("  ".join(str(v) if not isinstance(v, float) else f"{v:.4f}" for v in row))


# %%
# Searching the L2 penalty of the softmax network
# -----------------------------------------------
# ``l2`` adds ``l2 * sum(w ** 2)`` of the hidden kernels to the loss: larger values keep the
# weights small and fight over-fitting, too large values under-fit. The grid tries no
# penalty, a mild one and the 0.01 of the regularization example. ``GridSearchCV`` uses
# stratified folds here because the pipeline is a classifier
# (``sklearn.base.is_classifier(pipe)`` is True).
fcn_pipe = make_pipeline(PixelScaler(), FCNClassifier(epochs=10, random_state=0))
fcn_search = GridSearchCV(
    fcn_pipe,
    {"fcnclassifier__l2": [0.0, 1e-3, 1e-2]},
    cv=3,
    n_jobs=1,
)
fcn_search.fit(X_train, y_train)
show_results(fcn_search, "fcnclassifier__l2")
print("best:", fcn_search.best_params_)
print(f"test accuracy of the refitted best pipeline: {fcn_search.score(X_test, y_test):.4f}")

# %%
# ``cv_results_`` holds one row per candidate: the mean and standard deviation of the
# accuracy over the three validation folds, its rank, and the time each fit took. With
# ``refit=True`` (the default) the best candidate is retrained on all 5,000 images and
# becomes ``best_estimator_``, which is what ``fcn_search.score`` uses.
#
# Searching the number of mixture components
# ------------------------------------------
# The mixture density network models the digit value as a mixture of ``n_components``
# Gaussians. One component is a single bell curve over 0..9: it cannot say "a 4 or a 9"
# without also putting mass on 5 to 8 in between. More components let the mixture put
# separate bumps on the candidate digits.
mdn_pipe = make_pipeline(PixelScaler(), MDNClassifier(epochs=10, random_state=0))
mdn_search = GridSearchCV(
    mdn_pipe,
    {"mdnclassifier__n_components": [1, 3, 10]},
    cv=3,
    n_jobs=1,
)
mdn_search.fit(X_train, y_train)
show_results(mdn_search, "mdnclassifier__n_components")
print("best:", mdn_search.best_params_)
print(f"test accuracy of the refitted best pipeline: {mdn_search.score(X_test, y_test):.4f}")

# %%
# The two searches side by side
# -----------------------------
# Each point is a candidate's mean validation accuracy over the three folds; the bars span
# plus and minus one standard deviation across folds. Differences smaller than the bars are
# not worth acting on: on a 5,000-image sample each validation fold holds only about 1,700
# images. Here a mild penalty and none at all lie about one standard deviation apart, too
# close to prefer either, while 0.01 is clearly too strong for 10 epochs on this little
# data. For the mixture density network
# the number of components matters a lot: a single Gaussian cannot represent a digit that
# looks like "4 or 9" without putting mass on 5 to 8 as well, and it scores far lower.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for ax, search, param, title in [
    (axes[0], fcn_search, "fcnclassifier__l2", "FCNClassifier: l2"),
    (axes[1], mdn_search, "mdnclassifier__n_components", "MDNClassifier: n_components"),
]:
    values = [str(v) for v in search.cv_results_[f"param_{param}"]]
    positions = np.arange(len(values))
    ax.errorbar(
        positions,
        search.cv_results_["mean_test_score"],
        yerr=search.cv_results_["std_test_score"],
        marker="o",
        capsize=4,
    )
    ax.set_xticks(positions, values)
    ax.set_xlabel(param)
    ax.set_ylabel("mean validation accuracy (3 folds)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
plt.show()
