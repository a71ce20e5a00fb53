"""
===============================================
Regularization: the network with and without L2
===============================================

A network with 322,230 weights trained on 5,000 images can fit its training set almost
perfectly, and the fit to the training set stops telling us how well it does on new digits.
An L2 penalty (weight decay) adds ``l2 * sum(w ** 2)`` of the hidden layers' weights to the
loss, which keeps the weights small and the function smoother.

This example trains the 784-400-20-10 network twice on the same data, with ``l2=0.01`` and
without a penalty, holds out a validation set to watch both during training, and compares
their learning curves and test scores.
"""

# %%
# Two networks, one validation set each
# -------------------------------------
# ``early_stopping=True`` makes the classifier hold out ``validation_fraction`` of the
# training images (10%, stratified by digit, the same images for both networks since they
# share ``random_state``) and record ``val_loss`` and ``val_accuracy`` in ``history_`` after
# every epoch. Here we want the curves, not the stopping: with ``n_iter_no_change`` equal to
# the number of epochs, training never stops early, so ``history_`` holds all
# ``EPOCHS`` epochs. (Early stopping still restores the weights of the epoch with the lowest
# validation loss at the end, so the final model is the best one seen on validation data.)
import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline

from skmnist import FCNClassifier, PixelScaler, load_mnist_sample
from skmnist.metrics import negative_log_likelihood
from skmnist.plotting import TrainingCurvesDisplay

X_train, y_train = load_mnist_sample("train", return_X_y=True)
X_test, y_test = load_mnist_sample("test", return_X_y=True)

EPOCHS = 25


def make_network(l2):
    return make_pipeline(
        PixelScaler(),
        FCNClassifier(
            l2=l2,
            epochs=EPOCHS,
            early_stopping=True,
            n_iter_no_change=EPOCHS,
            validation_fraction=0.1,
            random_state=0,
        ),
    )


with_l2 = make_network(0.01).fit(X_train, y_train)
without_l2 = make_network(0.0).fit(X_train, y_train)
for name, pipe in [("L2 0.01", with_l2), ("no L2", without_l2)]:
    history = pipe[-1].history_
    print(f"{name}: {len(history['val_loss'])} epochs recorded, "
          f"history_ keys {sorted(history)}")

# %%
# The learning curves
# -------------------
# :class:`~skmnist.plotting.TrainingCurvesDisplay` draws the accuracy (left) and the loss
# (right) of both networks per epoch: training data solid, validation data dashed.
#
# Without the penalty (blue) the training accuracy runs to 100% and the training loss
# falls towards 0, while the validation curves level off after about ten epochs: by the end
# the validation loss is several times the training loss. That gap is over-fitting: the
# network keeps growing more confident on images it has memorised, and that confidence does
# not carry over to new ones. (On this sample, with the default cosine learning-rate decay,
# the validation loss levels off rather than climbing back up; the restored best epoch is
# close to the last.)
#
# With the penalty (red) the training and validation curves stay close together: the gap
# nearly disappears. But it closes from the wrong side: the training accuracy itself stays
# near the validation accuracy, below the unpenalised network's validation accuracy. A
# penalty of 0.01 is strong enough here to make the network under-fit. Note also that the
# L2 network's loss includes the penalty term, so its loss curves sit higher than the
# cross-entropy alone (the loss axis is logarithmic to show both networks); the test scores
# below are the plain cross-entropy of both.
disp = TrainingCurvesDisplay.from_estimators(
    [with_l2, without_l2], labels=["L2 0.01", "no L2"], colors=["red", "blue"]
)
disp.axes_[0, 1].set_yscale("log")
disp.figure_.suptitle(f"784-400-20-10 network, {EPOCHS} epochs on 4,500 images")

# %%
# Test scores
# -----------
# Both networks are scored on the 1,000 test images, which neither has seen. The test loss
# is the mean negative log-likelihood of the true labels (no penalty term).
for name, pipe in [("L2 0.01", with_l2), ("no L2", without_l2)]:
    proba = pipe.predict_proba(X_test)
    nll = negative_log_likelihood(y_test, proba, labels=pipe.classes_)
    train_acc = pipe.score(X_train, y_train)
    print(f"{name:8s} test accuracy {pipe.score(X_test, y_test):.4f}   test loss {nll:.4f}"
          f"   (accuracy on all 5,000 training images {train_acc:.4f})")

# %%
# The test set confirms the curves: L2 0.01 narrows the gap between training and test
# accuracy, but costs accuracy and raises the test loss on this sample. Regularization is
# worth what it buys on held-out data, not what it does to the gap. How much penalty to use
# is a hyper-parameter like any other; the grid-search example tunes ``l2`` by
# cross-validation, where a much milder penalty does as well as none.
plt.show()
