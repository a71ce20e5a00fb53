"""FCNClassifier: the shared trunk with a softmax head (:class:`skmnist.heads.SoftmaxHead`),
and the network's Keras builder."""

from ._base import BaseKerasClassifier
from ._parameters import SHARED_PARAMETERS
from .heads import SoftmaxHead

# Keras is imported inside the functions that build or train the network: prediction runs
# on the NumPy copy of the fitted network and never imports TensorFlow.

__all__ = ["FCNClassifier", "make_fcn_model"]


def make_fcn_model(
    n_features_in=None,
    n_classes=None,
    hidden_layer_sizes=SHARED_PARAMETERS["hidden_layer_sizes"],
    activation=SHARED_PARAMETERS["activation"],
    l2=SHARED_PARAMETERS["l2"],
    dropout=SHARED_PARAMETERS["dropout"],
    seed=None,
    output="softmax",
    meta=None,
):
    """Build the fully connected Keras network of :class:`FCNClassifier`.

    The network maps ``n_features_in`` inputs through the hidden layers to ``n_classes``
    outputs. It is the same builder :class:`FCNClassifier` uses, exposed so the network can
    also be handed to other Keras wrappers, e.g.
    ``scikeras.wrappers.KerasClassifier(model=make_fcn_model)`` (scikeras passes its ``meta``
    dict, from which the input and output sizes are taken).

    Parameters
    ----------
    n_features_in : int, default=None
        Number of input features (784 for flat MNIST images). Taken from
        ``meta["n_features_in_"]`` when None.
    n_classes : int, default=None
        Number of classes. Taken from ``meta["n_classes_"]`` when None.
    hidden_layer_sizes : sequence of int, default=(400, 20)
        Units of the hidden ReLU layers.
    activation : str, default="relu"
        Activation of the hidden layers.
    l2 : float, default=0.0
        L2 penalty on the hidden layers' kernels.
    dropout : float, default=0.0
        Dropout rate after each hidden layer.
    seed : int or None, default=None
        Seed of the weight initializers and dropout.
    output : {"softmax", "logits"}, default="softmax"
        Whether the last layer returns probabilities (what Keras wrappers expect) or
        logits (what :class:`FCNClassifier` trains on, for a numerically stable loss).
    meta : dict, default=None
        scikeras's data description; only read when the sizes are None.

    Returns
    -------
    keras.Model
        The uncompiled network.

    See Also
    --------
    FCNClassifier : The estimator that trains this network.

    Examples
    --------
    >>> from skmnist.fcn import make_fcn_model
    >>> model = make_fcn_model(784, 10, hidden_layer_sizes=(400, 20), seed=0)
    >>> model.output_shape
    (None, 10)
    >>> model.count_params()  # 784*400+400 + 400*20+20 + 20*10+10
    322230

    scikeras passes its ``meta`` dict, from which the sizes are taken:

    >>> make_fcn_model(meta={"n_features_in_": 784, "n_classes_": 10}).output_shape
    (None, 10)

    so ``scikeras.wrappers.KerasClassifier(model=make_fcn_model,
    loss="sparse_categorical_crossentropy", model__hidden_layer_sizes=(400, 20))`` trains it.
    """
    if n_features_in is None or n_classes is None:
        if meta is None:
            raise ValueError("Pass n_features_in and n_classes, or scikeras's meta dict.")
        n_features_in = meta["n_features_in_"] if n_features_in is None else n_features_in
        n_classes = meta["n_classes_"] if n_classes is None else n_classes
    if output not in ("softmax", "logits"):
        raise ValueError(f"output must be 'softmax' or 'logits', got {output!r}.")
    from ._tf import keras
    from ._trunk import make_dense_trunk

    inputs = keras.Input(shape=(int(n_features_in),), dtype="float32", name="pixels")
    x = make_dense_trunk(inputs, hidden_layer_sizes, activation, l2, dropout, seed)
    outputs = SoftmaxHead().build(x, int(n_classes), seed, output=output)
    return keras.Model(inputs, outputs, name="fcn")


class FCNClassifier(BaseKerasClassifier):
    """Fully connected Keras network classifier (784-400-20-10 by default).

    A dense ReLU network with a softmax output, trained with cross-entropy and an optional
    L2 penalty on the hidden layers' kernels, behind the scikit-learn classifier API: it works
    in Pipelines (e.g. after :class:`skmnist.PixelScaler`), with ``GridSearchCV``,
    ``cross_val_predict``, meta-estimators and ``joblib`` persistence (the Keras model travels
    inside the pickle).

    The defaults (Adam, learning rate 1e-3, batch 200, 20 epochs) give a strong model on
    MNIST. The original configuration of the classic network is reachable by parameters:
    ``FCNClassifier(optimizer="sgd", learning_rate=0.01, learning_rate_schedule="constant",
    batch_size=200, epochs=25, l2=0.0)``.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(400, 20)
        Units of the hidden (Dense) layers.
    conv_filters : sequence of int or None, default=()
        Filters of the convolution blocks placed before the Dense layers: each block is a
        ``Conv2D`` ("same" padding, the hidden activation) then ``MaxPooling2D``. ``()`` or
        None is the fully connected network; e.g. ``(32, 64)`` makes the convolutional
        network (the input's features are reshaped to ``image_shape``).
    kernel_size : int, default=3
        Side of the square convolution kernels.
    pool_size : int, default=2
        Side of the square max-pooling windows ("same" padding: a side of ``n`` pixels
        becomes ``ceil(n / pool_size)``).
    image_shape : tuple of int or None, default=(28, 28)
        ``(height, width)`` or ``(height, width, channels)`` of the images whose flat pixels
        are the features; used only with convolutions (the features must number
        ``height * width * channels``). None reads each row as a one-pixel-high strip
        ``(1, n_features)``, so the convolutions run along the features (any width works).
    activation : {"relu", "tanh", "sigmoid", "elu", "selu", "gelu", "silu", "linear"}, \
            default="relu"
        Activation of the hidden layers.
    l2 : float, default=0.0
        L2 penalty (weight decay) on the hidden layers' (and convolutions') kernels:
        ``l2 * sum(w ** 2)`` is added to the loss.
    dropout : float, default=0.0
        Dropout rate after each hidden layer during training.
    optimizer : {"adam", "adamw", "nadam", "rmsprop", "sgd"}, default="adam"
        The Keras optimizer.
    learning_rate : float, default=1e-3
        The optimizer's (initial) learning rate.
    learning_rate_schedule : {"cosine", "constant"}, default="cosine"
        ``"cosine"`` decays the rate over the epochs of each :meth:`fit` call, epoch ``e`` of
        ``epochs`` training at ``learning_rate * (1 + cos(pi * e / epochs)) / 2``: large steps
        first, fine ones last, at the same cost as a constant rate.  ``"constant"`` keeps
        ``learning_rate`` throughout.  A warm-started fit runs the schedule again from the
        full rate; :meth:`partial_fit` (one epoch) always uses the full rate.
    batch_size : int, default=200
        Samples per gradient step (capped at the number of training samples).
    epochs : int, default=20
        Passes over the training data in :meth:`fit`.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and stop when its
        loss has not improved for ``n_iter_no_change`` epochs, restoring the best weights.
    validation_fraction : float, default=0.1
        Fraction held out when ``early_stopping`` is True.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in scikit-learn's classifiers.
    augmentation : None, "standard" or dict, default=None
        Random distortions of the training images, drawn afresh for every image in every
        epoch inside the input pipeline (no copy of the data; prediction is unaffected):
        ``"standard"`` is shifts of up to 2 pixels, rotations of up to 12 degrees, zooms of
        up to 12 %, shears of up to 0.15, widths scaled by up to 1.3 (or 1 / 1.3) against
        heights and a mild elastic distortion.  A dict sets some of the ranges, the others
        off: ``shift`` (pixels), ``rotation`` (degrees), ``scale`` (relative), ``shear``,
        ``aspect`` (relative), ``elastic_alpha`` and ``elastic_sigma`` (Simard et al.'s
        elastic distortion) and ``low_resolution`` (the probability that an image is
        re-sampled from a lower resolution).  Rows are viewed as images of
        ``image_shape``; seeded by ``random_state``.  It helps the network read other
        hands and framings (see :ref:`own-digits`), and costs training time per epoch.
    outlier_exposure : float or None, default=None
        Outlier exposure (Hendrycks et al., 2019) of this weight (their lambda; the user
        guide's novelty page measures 0.5): every fit also trains on a pool of non-digits
        made from the training images themselves (chimeras of two digits' halves, mirrored
        and turned digits, overlays, quadrant jigsaws, zoomed-in pieces of stroke; half as
        many as the training rows, seeded by ``random_state``), pushing ``predict_proba``
        on them towards uniform, so that the entropy of ``predict_proba`` rises on images
        that are not digits; ``predict_uncertainty``'s ``novelty`` then reads that entropy
        (what it gains, measured on full MNIST, is on the novelty page, :ref:`novelty`).
        Use it with ``augmentation="standard"``: without augmentation the network learns to
        reject digits drawn or framed unlike MNIST's as well. Needs 2-D single-channel
        ``image_shape``; costs a copy of the training set and 1.5 times the steps per
        epoch.
    warm_start : bool, default=False
        When True, :meth:`fit` continues training the fitted network instead of starting
        anew.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, dropout and the validation split. An int
        gives identical predictions on refit.
    verbose : int, default=0
        0 is silent; 1 shows Keras's progress bar; 2 prints one line per epoch.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks run during :meth:`fit`.
    steps_per_execution : int, default=32
        Training steps run per call into the compiled training function; larger values cut
        Python overhead per batch (the result does not depend on it). A fit of fewer than
        64 steps in all its epochs runs one step per call: tracing the multi-step loop
        costs such a short fit more than it saves.
    jit_compile : bool or "auto", default="auto"
        Compile the training step with XLA. ``"auto"`` does so from 10,000 training samples
        on, where the one-off compilation (a few seconds) is repaid within an epoch or two,
        for dense networks without dropout (XLA's random-number generation and its
        convolutions are slower on CPU than TensorFlow's own kernels); small fits, as in
        cross-validation on a sample, skip it.
    strategy : {"mirrored", "multi_worker"}, callable or None, default=None
        Train data-parallel under a ``tf.distribute`` strategy: ``"mirrored"`` copies the
        network onto every GPU of this machine (or, without a GPU, onto its logical CPU
        devices) and splits each batch of ``batch_size`` samples among them;
        ``"multi_worker"`` does the same across machines (``MultiWorkerMirroredStrategy``,
        configured by the ``TF_CONFIG`` environment variable); a callable returning a
        ``tf.distribute.Strategy`` selects any other (a callable rather than the strategy
        itself, so that the estimator can be cloned). None trains on TensorFlow's default
        device. Prediction does not depend on it (it runs on a NumPy copy of the network).
        Under a strategy, training runs one step per call (``steps_per_execution`` is not
        used: Keras's multi-step loop fails under ``tf.distribute``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when ``X`` has string column names.
    model_ : keras.Model
        The trained network; it outputs logits.
    history_ : dict of list of float
        Per-epoch ``loss`` and ``accuracy`` (and ``val_loss``, ``val_accuracy`` with early
        stopping), over all calls of fit/partial_fit since the network was built.
    n_iter_ : int
        Number of epochs run.
    loss_ : float
        Training loss of the last epoch.
    interrupted_ : bool
        True when the last call of fit or partial_fit was interrupted (KeyboardInterrupt,
        e.g. Ctrl-C): the estimator then holds the weights of the last completed epoch (a
        warning says so), and a caller that needs the full training should stop.

    See Also
    --------
    MDNClassifier : The same trunk with a mixture density head, giving uncertainty.
    sklearn.neural_network.MLPClassifier : scikit-learn's own multi-layer perceptron.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmnist import FCNClassifier, PixelScaler, load_mnist_sample
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> clf = make_pipeline(
    ...     PixelScaler(), FCNClassifier(epochs=5, random_state=0)
    ... ).fit(X[:2000], y[:2000])
    >>> clf.predict_proba(X[-3:]).shape
    (3, 10)
    >>> clf.score(X[-1000:], y[-1000:]) > 0.85
    True
    """

    head_class = SoftmaxHead
