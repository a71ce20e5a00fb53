"""The outlier-exposure loss: a head's own loss on digits, cross-entropy to uniform on outliers.

Kept apart from :mod:`skmnist._outlier_exposure` (which makes the outliers with NumPy) because
it is a Keras class, registered when this module is imported (TensorFlow with it).
"""

from ._tf import keras, tf

__all__ = ["OutlierExposureLoss"]


def _legacy_head(name, config):
    """The head of a loss saved (by development versions) with the head's kind as a name."""
    from .heads import MixtureHead, SoftmaxHead

    if name == "softmax":
        return SoftmaxHead()
    if name == "mixture":
        return MixtureHead(n_components=config["n_components"],
                           sigma_floor=config["sigma_floor"])
    raise ValueError(f"Unknown head {name!r} in a saved outlier-exposure loss.")


@keras.saving.register_keras_serializable(package="skmnist")
class OutlierExposureLoss(keras.losses.Loss):
    """A head's own loss on labelled rows, cross-entropy to uniform on outlier rows.

    Rows labelled ``n_classes`` are outliers.  With ``weight_in = 1 + s`` and
    ``weight_out = lambda (1 + s) / s`` (``s`` outliers per training row), the batch mean is
    ``E_training[base] + lambda E_outliers[-mean_k log p_k]`` whatever the mix of the batch.

    Parameters
    ----------
    base : keras.losses.Loss or dict
        The head's loss (or its serialized config).
    n_classes : int
        Number of classes.
    weight_in, weight_out : float
        Weights of the two kinds of rows.
    head : skmnist.Head or dict
        The head (or its serialized config): its ``log_proba`` turns the outputs into
        class log-probabilities.
    name : str, default="outlier_exposure"
    **kwargs
        Passed to :class:`keras.losses.Loss`.
    """

    def __init__(self, base, n_classes, weight_in, weight_out, head, head_config=None,
                 name="outlier_exposure", **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(base, dict):
            base = keras.losses.deserialize(base)
        if isinstance(head, str):
            head = _legacy_head(head, head_config or {})
        elif isinstance(head, dict):
            head = keras.saving.deserialize_keras_object(head)
        self.base = base
        self.n_classes = int(n_classes)
        self.weight_in, self.weight_out = float(weight_in), float(weight_out)
        self.head = head

    def call(self, y_true, y_pred):
        labels = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
        outlier = labels >= self.n_classes
        # the head's loss on a valid label (discarded for outliers), so no NaN reaches where()
        inlier_loss = self.base.call(tf.minimum(labels, self.n_classes - 1), y_pred)
        log_proba = self.head.log_proba(y_pred, self.n_classes)
        to_uniform = -tf.reduce_mean(log_proba, axis=-1)
        return tf.where(outlier, self.weight_out * to_uniform,
                        self.weight_in * tf.reshape(inlier_loss, [-1]))

    def get_config(self):
        from .heads import register_keras

        config = super().get_config()
        config.update(
            base=keras.losses.serialize(self.base), n_classes=self.n_classes,
            weight_in=self.weight_in, weight_out=self.weight_out,
            head=keras.saving.serialize_keras_object(register_keras(self.head)),
        )
        return config
