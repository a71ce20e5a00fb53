"""
=======================================
The network: a 784-400-20-10 classifier
=======================================

The study's model is a small fully connected network: the 784 pixels of an image go through
a hidden layer of 400 ReLU units, a second one of 20, and a softmax over the 10 digits.
:class:`~skmnist.FCNClassifier` builds and trains it with Keras behind the scikit-learn API,
so it goes into a :class:`~sklearn.pipeline.Pipeline` after :class:`~skmnist.PixelScaler`
and is trained with ``fit`` on raw uint8 pixels.

This example trains the network on the embedded 5,000-image sample, prints the Keras model,
and scores it on the 1,000 test images.
"""

# %%
# Building and training the pipeline
# ----------------------------------
# ``hidden_layer_sizes=(400, 20)`` is the default and written out here for the reader.
# Training uses Adam with a cosine-decaying learning rate and batches of 200 images, for 20
# epochs (passes over the training data), which takes a few seconds on two CPU cores.
# ``random_state`` fixes the initial weights and the shuffling, so the run is reproducible.
import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline

from skmnist import FCNClassifier, PixelScaler, load_mnist_sample
from skmnist.metrics import negative_log_likelihood
from skmnist.plotting import TrainingCurvesDisplay

X_train, y_train = load_mnist_sample("train", return_X_y=True)
X_test, y_test = load_mnist_sample("test", return_X_y=True)

pipe = make_pipeline(
    PixelScaler(),
    FCNClassifier(hidden_layer_sizes=(400, 20), epochs=20, random_state=0),
)
pipe.fit(X_train, y_train)

# %%
# The Keras model inside
# ----------------------
# The fitted network is a plain Keras model, stored in the classifier's ``model_``
# attribute. Its summary lists the layers: two hidden ``Dense`` layers and the output
# layer. Almost all of its 322,230 trainable weights sit in the first layer (784 x 400
# weights + 400 biases); the total also counts Adam's two running averages per weight. The
# output layer gives logits and the softmax is applied by ``predict_proba``: training on
# logits keeps the cross-entropy loss numerically stable.
net = pipe[-1]
net.model_.summary()
print("classes:", net.classes_)
print("epochs run:", net.n_iter_, " final training loss:", round(net.loss_, 4))

# %%
# Scoring on the test set
# -----------------------
# Two numbers describe the fit. The accuracy is the share of test digits whose most probable
# class is right. The test loss is the mean negative log-likelihood of the true labels under
# ``predict_proba`` (the cross-entropy the network was trained on): it also rewards being
# confidently right and punishes being confidently wrong, so it tells apart models with the
# same accuracy. ``labels=net.classes_`` names the columns of ``predict_proba``.
proba = pipe.predict_proba(X_test)
test_loss = negative_log_likelihood(y_test, proba, labels=net.classes_)
print(f"test loss (NLL): {test_loss:.4f}")
print(f"test accuracy:   {pipe.score(X_test, y_test):.4f}")

# %%
# The training curves
# -------------------
# ``history_`` records the loss and accuracy of every epoch;
# :class:`~skmnist.plotting.TrainingCurvesDisplay` draws them. The training accuracy climbs
# towards 100% and the training loss towards 0, while the test accuracy and loss (dotted)
# stay behind: with only 5,000 images the network can learn its training set by heart. The
# regularization example looks at this gap with a validation set.
disp = TrainingCurvesDisplay.from_estimators(pipe, labels=["784-400-20-10"])
ax_accuracy, ax_loss = disp.axes_[0]
ax_accuracy.axhline(pipe.score(X_test, y_test), color="gray", linestyle=":",
                    label="test accuracy")
ax_loss.axhline(test_loss, color="gray", linestyle=":", label="test loss")
for ax in (ax_accuracy, ax_loss):
    ax.legend(fontsize="small")
plt.show()
