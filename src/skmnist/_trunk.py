"""The trunk shared by every skmnist network: optional convolution blocks, then Dense layers.

With ``conv_filters=()`` (the default) the trunk is the classic fully connected stack
(784-400-20 for MNIST); with e.g. ``conv_filters=(32, 64)`` the flat pixels are reshaped to
the image, pass ``Conv2D(32) -> MaxPool -> Conv2D(64) -> MaxPool``, are flattened and then go
through the same Dense layers.

The tensor a trunk returns is the network's *feature layer*: the estimator records the layer
that computes it (``_feature_layer``, looking through dropout), and novelty reads that layer,
whatever it is named (``BaseKerasClassifier.build_trunk``).
"""

from ._seeding import CONV_SEED_OFFSET, DROPOUT_SEED_OFFSET, HIDDEN_SEED_OFFSET, seed_offset
from ._tf import keras

__all__ = ["make_conv_trunk", "make_dense_trunk"]


def make_dense_trunk(inputs, hidden_layer_sizes, activation="relu", l2=0.0, dropout=0.0,
                     seed=None):
    """Stack the hidden Dense layers shared by every skmnist network.

    Parameters
    ----------
    inputs : keras tensor
        The trunk's input tensor (the flat pixels, or the flattened convolution features).
    hidden_layer_sizes : sequence of int
        Units per hidden layer; ``(400, 20)`` is the classic 784-400-20-10 network.
    activation : str, default="relu"
        Activation of the hidden layers.
    l2 : float, default=0.0
        L2 penalty on the hidden layers' kernels (``keras.regularizers.L2``).
    dropout : float, default=0.0
        Dropout rate after each hidden layer (0 adds no Dropout layer).
    seed : int or None, default=None
        Seed of the kernel initializers and dropout masks.

    Returns
    -------
    keras tensor
        The output of the last hidden layer.

    Examples
    --------
    >>> from skmnist._tf import keras
    >>> from skmnist._trunk import make_dense_trunk
    >>> inputs = keras.Input(shape=(784,))
    >>> make_dense_trunk(inputs, (400, 20), seed=0).shape
    (None, 20)
    """
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    x = inputs
    for i, units in enumerate(hidden_layer_sizes):
        x = keras.layers.Dense(
            int(units),
            activation=activation,
            kernel_initializer=keras.initializers.GlorotUniform(
                seed=seed_offset(seed, HIDDEN_SEED_OFFSET + i)
            ),
            kernel_regularizer=regularizer,
            name=f"hidden_{i}",
        )(x)
        if dropout > 0:
            x = keras.layers.Dropout(
                dropout, seed=seed_offset(seed, DROPOUT_SEED_OFFSET + i), name=f"dropout_{i}"
            )(x)
    return x


def make_conv_trunk(inputs, image_shape, conv_filters, kernel_size=3, pool_size=2,
                    activation="relu", l2=0.0, seed=None):
    """Reshape flat pixels to ``image_shape`` and apply convolution + max-pooling blocks.

    Block ``i`` is ``Conv2D(conv_filters[i], kernel_size, padding="same")`` with the
    activation, then ``MaxPooling2D(pool_size, padding="same")`` (a side of ``n`` pixels
    becomes ``ceil(n / pool_size)``, never 0, so any image size works); the result is
    flattened.

    Parameters
    ----------
    inputs : keras tensor
        Flat pixels, shape ``(None, height * width)`` (one channel) or
        ``(None, height * width * channels)``.
    image_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)``.
    conv_filters : sequence of int
        Filters per convolution block.
    kernel_size : int, default=3
        Side of the square convolution kernels.
    pool_size : int, default=2
        Side of the square max-pooling windows.
    activation : str, default="relu"
        Activation of the convolutions.
    l2 : float, default=0.0
        L2 penalty on the convolution kernels.
    seed : int or None, default=None
        Seed of the kernel initializers.

    Returns
    -------
    keras tensor
        The flattened features of the last block.

    Examples
    --------
    >>> from skmnist._tf import keras
    >>> from skmnist._trunk import make_conv_trunk
    >>> inputs = keras.Input(shape=(784,))
    >>> make_conv_trunk(inputs, (28, 28), (32, 64), seed=0).shape  # 7 x 7 x 64
    (None, 3136)
    """
    shape = tuple(int(s) for s in image_shape)
    if len(shape) == 2:
        shape = (*shape, 1)
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    x = keras.layers.Reshape(shape, name="image")(inputs)
    for i, filters in enumerate(conv_filters):
        x = keras.layers.Conv2D(
            int(filters),
            int(kernel_size),
            padding="same",
            activation=activation,
            kernel_initializer=keras.initializers.GlorotUniform(
                seed=seed_offset(seed, CONV_SEED_OFFSET + i)
            ),
            kernel_regularizer=regularizer,
            name=f"conv_{i}",
        )(x)
        x = keras.layers.MaxPooling2D(int(pool_size), padding="same", name=f"pool_{i}")(x)
    return keras.layers.Flatten(name="features")(x)
