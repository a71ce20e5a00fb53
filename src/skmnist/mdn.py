"""MDNClassifier: the shared trunk with a Gaussian mixture density head over the digit value."""

from numbers import Integral, Real

from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseKerasClassifier
from ._mixture_numpy import mixture_from_outputs, sample_mixture
from ._parameters import MDN_PARAMETERS
from ._predictor import HEAD
from .heads import MixtureHead

# The head is skmnist.heads.MixtureHead: its Keras side (layer, losses, metric:
# skmnist._mixture) is imported when a network is built or loaded; prediction uses its NumPy
# side and never imports TensorFlow.

__all__ = ["MDNClassifier", "keras_custom_objects"]


def keras_custom_objects():
    """Return the Keras classes that a saved MDN network names, registered with Keras.

    Importing :mod:`skmnist.mdn` does not import TensorFlow, so it does not register the
    mixture head's Keras classes; call this before ``keras.saving.load_model`` on a
    ``model_`` saved with Keras (or pass its result as ``custom_objects``).

    Returns
    -------
    custom_objects : dict of str to type
        The losses, the metric and the kernel initializer of the mixture head, by name.

    Examples
    --------
    >>> from skmnist.mdn import keras_custom_objects
    >>> sorted(keras_custom_objects())[:2]
    ['DiscretizedMixtureNLL', 'MixtureAccuracy']
    """
    return MixtureHead().keras_objects()


class MDNClassifier(BaseKerasClassifier):
    """Mixture density network classifier: class probabilities, samples and uncertainty.

    The trunk of :class:`FCNClassifier` (784-400-20 by default) followed by a head
    ``Dense(3 * n_components)`` that gives, per component, a mixing weight (softmax), a mean
    and a standard deviation (softplus plus ``sigma_floor``): a 1-D Gaussian mixture over the
    *digit value*. Labels are encoded ``0 .. n_classes - 1`` in ``classes_`` order and the
    MDN treats that index as an ordered real value (natural for digits; for other labels
    their sorted order is used).

    Class ``k``'s probability is the mixture's mass on ``[k - 0.5, k + 0.5]`` (class 0 takes
    everything below 0.5, the last class everything above), so the probabilities sum to 1.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(400, 20)
        Units of the hidden layers.
    n_components : int, default=10
        Number of Gaussian components of the mixture. The original network used 5; with one
        component per digit the head starts out like a softmax over the digits and reaches a
        higher accuracy: with ``objective="discretized"`` component ``k`` starts on digit
        ``k`` for every input (the head's bias sets the means, and the kernel's mean columns
        start at zero) with a standard deviation of 0.1 (nearly all its mass on digit
        ``k``), so the mixing weights act like the softmax's logits while each component's
        mean and scale still learn per input. Measured figures: ``benchmarks/results/mdn.json``
        (``grid_search``), ``benchmarks/results/mdn_calibration.json`` (the initialization)
        and the documentation's performance page.
    sigma_floor : float, default=1e-2
        Lower bound added to every component's standard deviation (numerical safety).
    objective : {"discretized", "density"}, default="discretized"
        ``"discretized"`` minimizes the negative log of the label's bin mass, the same
        quantity ``predict_proba`` reports, so training and prediction agree.
        ``"density"`` is the original objective, the continuous negative log-density of the
        integer label. It is kept for comparison and has a known weakness: a density fitted
        to integer targets grows without bound as a component's standard deviation shrinks,
        so scales collapse to ``sigma_floor`` and accuracy lags (``mdn_density`` against
        ``mdn_default`` in ``benchmarks/results/mdn.json``).
    conv_filters, kernel_size, pool_size, image_shape, activation, l2, dropout, optimizer, \
learning_rate, learning_rate_schedule, batch_size, epochs, early_stopping, \
validation_fraction, n_iter_no_change, class_weight, augmentation, warm_start, random_state, \
verbose, callbacks, steps_per_execution, jit_compile, strategy
        As in :class:`FCNClassifier`.
    outlier_exposure : float or None, default=None
        As in :class:`FCNClassifier`; the outliers' loss is the cross-entropy of the
        mixture's class-bin probabilities (``predict_proba``) to the uniform distribution.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels; their index is the value the mixture models.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when ``X`` has string column names.
    model_ : keras.Model
        The trained network; it outputs the raw head ``[logits | means | raw scales]``.
    history_ : dict of list of float
        Per-epoch ``loss`` and ``accuracy`` (and validation figures with early stopping).
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
    FCNClassifier : The same trunk with a softmax head.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmnist import MDNClassifier, PixelScaler, load_mnist_sample
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> mdn = make_pipeline(
    ...     PixelScaler(), MDNClassifier(epochs=5, random_state=0)
    ... ).fit(X[:2000], y[:2000])
    >>> mdn.predict_proba(X[-3:]).shape
    (3, 10)
    >>> Z = mdn[0].transform(X[-3:])
    >>> mdn[-1].sample_values(Z, n_draws=4, random_state=0).shape  # real digit values
    (3, 4)
    >>> mdn[-1].sample(Z, n_draws=4, random_state=0).shape  # class labels
    (3, 4)
    >>> sorted(mdn[-1].predict_uncertainty(mdn[0].transform(X[-3:])))[:2]
    ['aleatoric_variance', 'entropy']
    """

    head_class = MixtureHead
    _head_parameters = MDN_PARAMETERS

    _parameter_constraints: dict = {
        **BaseKerasClassifier._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "sigma_floor": [Interval(Real, 0, None, closed="neither")],
        "objective": [StrOptions({"discretized", "density"})],
    }

    # ------------------------------------------------------------------ mixture outputs
    def mixture_params(self, X):
        """Return each input's mixture: weights, means and standard deviations.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        params : Bunch
            ``weights``, ``means`` and ``scales``, each of shape
            (n_samples, n_components); means and scales are in units of the class index.
        """
        return self._mixture(self._validate_predict_input(X))

    def _mixture(self, X):
        # From the raw head outputs (computed in padded blocks, so independent of the batch)
        # in float64: the same transforms as split_head, without float32 rounding taking a
        # scale below sigma_floor.
        outputs = self._predict(X, (HEAD,))[HEAD]
        p = mixture_from_outputs(outputs, self.n_components, self.sigma_floor)
        return Bunch(weights=p.weights, means=p.means, scales=p.scales)

    def sample_values(self, X, n_draws=1, random_state=None):
        """Draw real values of the digit value from each input's mixture.

        :meth:`sample` draws class labels (from :meth:`predict_proba`); this draws from the
        continuous mixture itself, whose histogram shows its shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        n_draws : int, default=1
            Values drawn per input.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; the same seed gives the same draws.

        Returns
        -------
        values : ndarray of shape (n_samples, n_draws)
            Real-valued draws, in units of the class index (round and clip them to
            ``0 .. n_classes - 1`` to get class indices).
        """
        p = self.mixture_params(X)
        return sample_mixture(p.weights, p.means, p.scales, n_draws, random_state)

    def predict_uncertainty(self, X):
        """Return per-input uncertainty figures: ambiguity, novelty and the mixture's spread.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        uncertainty : Bunch
            Arrays of shape (n_samples,):

            - ``entropy``: entropy (nats) of ``predict_proba``;
            - ``max_proba``: probability of the predicted class;
            - ``novelty``: how unlike the training data the input is, in [0, 1] (see
              :meth:`BaseKerasClassifier.predict_uncertainty`);
            - ``mean``: the mixture's mean digit value;
            - ``aleatoric_variance``: within-component variance, ``sum_k w_k sigma_k**2``;
            - ``multimodality_variance``: between-component variance,
              ``sum_k w_k (mu_k - mean)**2`` (large when components disagree);
            - ``total_variance``: their sum, the mixture's variance.
        """
        return super().predict_uncertainty(X)
