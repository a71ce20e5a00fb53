"""
========================================
The data: MNIST digits and pixel scaling
========================================

Every step of the study starts from the same data: 28 x 28 grey-scale images of handwritten
digits with their labels 0 to 9. skmnist ships a stratified sample of MNIST inside the
package (5,000 images from the official training set, 1,000 from the official test set), so
this and all other examples run offline in seconds. :func:`~skmnist.fetch_mnist` loads the
full 60,000 / 10,000 images with the same interface.

This example loads the sample, looks at the first digits, and turns the raw pixels into the
float features the networks expect with :class:`~skmnist.PixelScaler`.
"""

# %%
# Loading the embedded sample
# ---------------------------
# :func:`~skmnist.load_mnist_sample` returns a :class:`~sklearn.utils.Bunch`, like
# scikit-learn's own dataset loaders: ``data`` holds one flat row of 784 uint8 pixels per
# image, ``target`` the digit, and ``images`` the same pixels as (n, 28, 28) images (a view of
# the same memory, not a copy). The canonical train/test split is kept: ``"train"`` images
# come from the official training set, ``"test"`` images from the official test set.
import matplotlib.pyplot as plt
import numpy as np

from skmnist import PixelScaler, load_mnist_sample
from skmnist.plotting import DigitGridDisplay

train = load_mnist_sample("train")
test = load_mnist_sample("test")
X_train, y_train = train.data, train.target
X_test, y_test = test.data, test.target

print("training pixels:", X_train.shape, X_train.dtype)
print("test pixels:    ", X_test.shape, X_test.dtype)
print("digits per class in the training sample:", np.bincount(y_train))

# %%
# The sample is stratified: each digit appears about as often as in full MNIST (the ones are
# the most frequent, the fives the least), so a classifier's accuracy on it is
# representative of the full data set, only noisier.
#
# The first 25 training digits
# ----------------------------
# :class:`~skmnist.plotting.DigitGridDisplay` draws images in a grid, each titled with its
# label. Looking at the data before modelling it pays off: the strokes vary in thickness,
# slant and position, and some digits are ambiguous even to a person.
disp = DigitGridDisplay.from_images(X_train, y_train)
disp.figure_.suptitle("The first 25 training digits and their labels")

# %%
# From pixels to features
# -----------------------
# The networks expect float features in [0, 1]. :class:`~skmnist.PixelScaler` divides every
# pixel by 255, converting to ``float32`` once (no float64 copy of the images), and flattens
# images of shape (n, 28, 28) row by row into (n, 784) features. It accepts the flat pixels
# as well, so in a pipeline it can sit in front of any classifier.
images = X_train.reshape(-1, 28, 28)  # the same as train.images
scaler = PixelScaler()
Z_train = scaler.fit_transform(images)

print("images:  ", images.shape, images.dtype, "values", images.min(), "to", images.max())
print("features:", Z_train.shape, Z_train.dtype, "values", Z_train.min(), "to", Z_train.max())
print("image shape seen in fit:", scaler.image_shape_)
print("first feature names:", scaler.get_feature_names_out()[:3])

# %%
# The scaler is stateless: the scaling does not depend on the training data (unlike
# :class:`~sklearn.preprocessing.MinMaxScaler`, which learns each pixel's range and would
# blow up the rare pixels at the border). ``fit`` only records the layout, so test images
# are checked against it, and :meth:`~skmnist.PixelScaler.inverse_transform` gives the
# original images back.
Z_test = scaler.transform(X_test.reshape(-1, 28, 28))
print("test features:", Z_test.shape)
print("round trip exact:", np.array_equal(scaler.inverse_transform(Z_train), images))

# %%
# What the pixel values look like
# -------------------------------
# Most of an MNIST image is background: about four pixels in five are exactly 0. The ink
# has a second peak at full intensity, 255, with the anti-aliased edges of the strokes
# spread in between. Scaling changes only the units, not the shape of the
# distribution (note the logarithmic count axis).
fig, (ax_raw, ax_scaled) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
ax_raw.hist(images.ravel(), bins=64, color="tab:gray")
ax_raw.set(yscale="log", xlabel="pixel value (uint8)", ylabel="number of pixels",
           title="raw pixels")
ax_scaled.hist(Z_train.ravel(), bins=64, color="tab:blue")
ax_scaled.set(yscale="log", xlabel="feature value (float32)", title="after PixelScaler")
print(f"share of background (0) pixels: {np.mean(images == 0):.1%}")
plt.show()
