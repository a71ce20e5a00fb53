"""The mixture density head of :class:`MDNClassifier`: layer, losses, metric and numerics.

:func:`build_mixture_head` makes the layer (its kernel initializer is
:class:`MixtureHeadKernel`), :class:`DiscretizedMixtureNLL` and
:class:`MixtureDensityNLL` are the two training objectives, :class:`MixtureAccuracy` the
training metric; :func:`class_log_proba` turns head outputs into class log-probabilities,
:func:`sample_mixture` and :func:`mixture_moments` serve sampling and uncertainty.

The head is a ``Dense(3 * K)`` layer whose output row is laid out as
``[K mixing logits | K means | K raw scales]``.  It models the *digit value* (labels encoded
``0 .. n_classes - 1`` and treated as an ordered real value) as a mixture of ``K`` normals.
Class ``k`` owns the interval ``[k - 0.5, k + 0.5]``; class 0 also owns everything below and the
last class everything above, so the class masses sum to one.

Everything here works on plain float32 tensors (TensorFlow ops and ``tfd``), never on
``tfp.layers``, so a model using these losses stays a plain Keras 3 model that saves and pickles.

Numerical approach for the mass of one bin under one component
---------------------------------------------------------------
With ``z = (x - mean) / scale`` the mass of a bin ``[a, b]`` is ``Phi(zb) - Phi(za)``.  Computed
naively it cancels to 0 (log -> -inf, gradient NaN) as soon as the bin sits a few sigmas into a
tail.  Instead:

* **Reflection.**  A bin whose centre lies right of the mean is mirrored,
  ``[za, zb] -> [-zb, -za]`` (the survival function of the right tail is the CDF of the mirrored
  left tail), so the CDF values involved are never close to 1.
* **Scaled CDF.**  With ``R(z) = Phi(z) exp(z**2 / 2) = erfcx(-z / sqrt2) / 2`` (computed
  directly near the centre and by its asymptotic series in the tails), a bin left of the mean
  has ``log m = -b**2 / 2 + log(R(b) - R(a) exp(-(a - b)(a + b) / 2))``: the tiny Gaussian
  factor is kept in log form, so a bin 30 or 1e6 sigmas out costs and behaves like one at the
  centre.  A bin straddling the mean is ``1 - R(-b) exp(-b**2/2) - R(a) exp(-a**2/2)``.
* **Open bins** (class 0 and the last class) are the same formula with the far edge at
  ``-1e15`` sigmas, whose factor ``exp(-(a - b)(a + b) / 2)`` is exactly 0.
* **Written-out gradient.**  ``d log m / db = phi(b) / m``, which on the left is
  ``1 / (sqrt(2 pi) S)`` with ``S`` the bracket above: finite and accurate wherever the mass
  is, and a fraction of the cost of differentiating through the branches (the loss runs at
  every training step).

Every branch is evaluated on inputs clamped into its own domain, so the branch that
``tf.where`` discards is finite too.  Standardized values are clipped to ``+-1e15`` (``z**2``
stays finite in float32), so a bin ``1e6`` sigmas away gets a very negative, finite log mass
with a finite gradient.

The formula is kept short on purpose: TensorFlow never frees a traced graph (every fit traces
the loss, metric and prediction functions anew), so the number of ops here is memory that each
fit leaves behind.  In the realistic range it matches a float64 reference to ~1e-4 relative
(the limit of float32 inputs); for bins far narrower than the scale (scale > ~1e3) the
relative error of the (tiny) bin mass grows to ~1e-3, which the final normalization absorbs.
"""

import math

import numpy as np

from ._mixture_numpy import mixture_moments, sample_mixture
from ._tf import keras, tf

__all__ = [
    "build_mixture_head",
    "MixtureAccuracy",
    "split_head",
    "class_log_proba",
    "label_log_proba",
    "density_log_prob",
    "initial_head_bias",
    "default_init_sigma",
    "MixtureHeadKernel",
    "DiscretizedMixtureNLL",
    "MixtureDensityNLL",
    "sample_mixture",
    "mixture_moments",
]

# Standardized values are clipped here: z**2 / 2 = 5e29 is finite in float32 (max ~3.4e38), and
# a bin 1e15 sigmas away has a mass of exp(-5e29), which no caller can tell from exp(-inf).
_Z_CLIP = 1e15
# erfcx(x) = exp(x**2) erfc(x) is computed directly below this x and by its asymptotic series
# (6 terms, relative error < 1e-6) from here on, where exp(x**2) would overflow.
_ERFCX_SERIES_FROM = 5.0
# Bin masses (scaled ones too) are floored here (log = -85.2): only a bin narrower than about
# 1e-7 / |z| sigmas can fall that low.  Keeps the log and the gradient finite.
_MIN_MASS = 1e-37

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _f32(x):
    """Return ``x`` as a float32 tensor (accepts numpy arrays of any float dtype)."""
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def _scaled_ndtr(z):
    """``Phi(z) * exp(z**2 / 2)`` for ``z <= 0``, i.e. ``erfcx(-z / sqrt2) / 2``.

    Smooth, between ``1 / (-z sqrt(2 pi))`` and 1/2, and free of under- and overflow
    however far ``z`` lies in the tail; each branch sees inputs clamped into its domain.
    """
    x = -z * _SQRT1_2
    near = tf.minimum(x, _ERFCX_SERIES_FROM)
    direct = tf.exp(tf.square(near)) * tf.math.erfc(near)
    far = tf.maximum(x, _ERFCX_SERIES_FROM)
    v = 0.5 / tf.square(far)
    # 1 - v + 3 v**2 - 15 v**3 + ... ((2n - 1)!! (-v)**n), in Horner form
    series = 1.0 - v * (1.0 - 3.0 * v * (1.0 - 5.0 * v * (1.0 - 7.0 * v * (
        1.0 - 9.0 * v * (1.0 - 11.0 * v)))))
    return 0.5 * tf.where(x < _ERFCX_SERIES_FROM, direct, series * _INV_SQRT_PI / far)


@tf.custom_gradient
def _log_mass(a, b):
    """``log(Phi(b) - Phi(a))`` for reflected edges ``a <= b``, ``a + b <= 0``.

    With ``R(z) = Phi(z) exp(z**2 / 2)`` (:func:`_scaled_ndtr`):

    * ``b <= 0`` (the bin lies left of the mean): ``Phi(b) - Phi(a) =
      exp(-b**2 / 2) * (R(b) - R(a) exp(-(a - b)(a + b) / 2))``, so
      ``log m = -b**2 / 2 + log S``: no exponential of ``-z**2 / 2`` is ever formed, and the
      far tails cost what the centre costs;
    * ``b > 0`` (the bin straddles the mean): ``m = 1 - R(-b) exp(-b**2 / 2) - R(a)
      exp(-a**2 / 2)``, which is at least about ``0.4 * min(b, 1)``: nothing to cancel.

    The gradient is written out, ``d log m / db = phi(b) / m`` and ``d log m / da =
    -phi(a) / m``; on the left ``phi(b) / m = 1 / (sqrt(2 pi) S)``, again without the
    Gaussian factor.  Differentiating through the branches automatically cost several times
    the forward pass, and this loss runs at every training step.
    """
    left = b <= 0.0
    r_b = _scaled_ndtr(-tf.abs(b))
    r_a = _scaled_ndtr(a)
    shrink = tf.exp(-0.5 * (a - b) * (a + b))  # exp(-(a**2 - b**2) / 2) <= 1
    scaled_left = tf.maximum(r_b - r_a * shrink, _MIN_MASS)
    gauss_b = tf.exp(-0.5 * tf.square(b))
    gauss_a = tf.exp(-0.5 * tf.square(a))
    straddle = tf.maximum(1.0 - r_b * gauss_b - r_a * gauss_a, _MIN_MASS)
    log_mass = tf.where(
        left, -0.5 * tf.square(b) + tf.math.log(scaled_left), tf.math.log(straddle)
    )

    def grad(upstream):
        inv = upstream * _INV_SQRT_2PI / tf.where(left, scaled_left, straddle)
        return -inv * tf.where(left, shrink, gauss_a), inv * tf.where(left, 1.0, gauss_b)

    return log_mass, grad


def _check_head(n_components, sigma_floor):
    if int(n_components) != n_components or n_components < 1:
        raise ValueError(f"n_components must be a positive integer, got {n_components!r}.")
    if not (np.isfinite(sigma_floor) and sigma_floor > 0):
        raise ValueError(f"sigma_floor must be a positive finite number, got {sigma_floor!r}.")


def _check_n_classes(n_classes):
    if int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}.")


def split_head(outputs, n_components, sigma_floor):
    """Split raw head outputs into mixture parameters.

    Parameters
    ----------
    outputs : tensor-like of shape (n, 3 * n_components)
        Raw output of the ``Dense(3 * n_components)`` head, laid out as
        ``[mixing logits | means | raw scales]``.
    n_components : int
        Number of mixture components ``K``.
    sigma_floor : float
        Positive lower bound added to every scale; it keeps densities bounded and the
        standardization ``(x - mean) / scale`` finite.

    Returns
    -------
    log_weights : tf.Tensor of shape (n, K)
        ``log_softmax(logits)``: normalized log mixing weights.
    means : tf.Tensor of shape (n, K)
        Component means, in label units.
    scales : tf.Tensor of shape (n, K)
        ``softplus(raw) + sigma_floor``.
    """
    _check_head(n_components, sigma_floor)
    k = int(n_components)
    outputs = _f32(outputs)
    width = outputs.shape[-1]
    if width is not None and width != 3 * k:
        raise ValueError(
            f"Head outputs have {width} columns, expected 3 * n_components = {3 * k}."
        )
    logits, means, raw = outputs[..., :k], outputs[..., k : 2 * k], outputs[..., 2 * k :]
    log_weights = tf.nn.log_softmax(logits, axis=-1)
    scales = tf.math.softplus(raw) + float(sigma_floor)
    return log_weights, means, scales


def _log_bin_mass(lo, hi, means, scales, lower_open, upper_open):
    """Per-component log mass of the bins ``[lo, hi]`` (broadcasting), stable everywhere.

    ``lo``/``hi`` must be finite; ``lower_open``/``upper_open`` (booleans, broadcastable) turn
    the bin into ``(-inf, hi]`` resp. ``[lo, +inf)``.  See the module docstring.
    """
    inv_scale = 1.0 / scales
    za = tf.clip_by_value((lo - means) * inv_scale, -_Z_CLIP, _Z_CLIP)
    zb = tf.clip_by_value((hi - means) * inv_scale, -_Z_CLIP, _Z_CLIP)
    flip = za + zb > 0.0
    a = tf.where(flip, -zb, za)
    b = tf.where(flip, -za, zb)
    # Open bins: (-inf, hi] is Phi(zb), [lo, inf) is Phi(-za); the far edge drops out.
    a = tf.where(lower_open | upper_open, -_Z_CLIP, a)
    b = tf.where(lower_open, zb, tf.where(upper_open, -za, b))
    return _log_mass(a, b)


def class_log_proba(log_weights, means, scales, n_classes):
    """Log of the mixture's mass on every class bin.

    Class ``k`` owns ``[k - 0.5, k + 0.5]``, class 0 ``(-inf, 0.5]`` and the last class
    ``[n_classes - 1.5, +inf)``.

    Parameters
    ----------
    log_weights, means, scales : tensor-like of shape (n, K)
        Mixture parameters as returned by :func:`split_head`.
    n_classes : int
        Number of classes (>= 2).

    Returns
    -------
    tf.Tensor of shape (n, n_classes)
        Log class probabilities, finite, normalized so that ``exp`` sums to one per row within
        float32 precision.
    """
    _check_n_classes(n_classes)
    log_weights, means, scales = _f32(log_weights), _f32(means), _f32(scales)
    k = tf.range(n_classes, dtype=tf.float32)
    # shapes: params [n, K, 1] against bins [C]
    log_mass = _log_bin_mass(
        k - 0.5,
        k + 0.5,
        means[..., None],
        scales[..., None],
        tf.equal(k, 0.0),
        tf.equal(k, float(n_classes - 1)),
    )
    log_p = tf.reduce_logsumexp(log_weights[..., None] + log_mass, axis=-2)
    # The bins partition the real line, so the normalizer is ~0; subtracting it makes the
    # probabilities sum to one exactly even where rounding (or the clip) in the tails bit.
    return log_p - tf.reduce_logsumexp(log_p, axis=-1, keepdims=True)


def _labels(y, n_classes):
    """Labels as a float32 vector of integers clipped into ``[0, n_classes - 1]``."""
    y = tf.convert_to_tensor(y)
    y = tf.reshape(y, [-1])
    if y.dtype.is_floating:
        y = tf.round(tf.cast(y, tf.float32))
    else:
        y = tf.cast(y, tf.float32)
    return tf.clip_by_value(y, 0.0, float(n_classes - 1))


def label_log_proba(log_weights, means, scales, y, n_classes):
    """Log probability of each sample's own class bin (the discretized likelihood).

    Only the label's bin is evaluated (two CDFs per component), which is what the training loss
    needs.  It equals ``class_log_proba`` gathered at ``y`` up to that function's final
    normalization (~0 in log space).

    Parameters
    ----------
    log_weights, means, scales : tensor-like of shape (n, K)
        Mixture parameters as returned by :func:`split_head`.
    y : tensor-like of shape (n,) or (n, 1)
        Encoded labels ``0 .. n_classes - 1`` (any numeric dtype; floats are rounded and values
        outside the range are clipped into it).
    n_classes : int
        Number of classes (>= 2).

    Returns
    -------
    tf.Tensor of shape (n,)
        Finite log probabilities.
    """
    _check_n_classes(n_classes)
    log_weights, means, scales = _f32(log_weights), _f32(means), _f32(scales)
    y = _labels(y, n_classes)[:, None]  # [n, 1] against params [n, K]
    log_mass = _log_bin_mass(
        y - 0.5,
        y + 0.5,
        means,
        scales,
        tf.equal(y, 0.0),
        tf.equal(y, float(n_classes - 1)),
    )
    return tf.reduce_logsumexp(log_weights + log_mass, axis=-1)


def density_log_prob(log_weights, means, scales, y):
    """Continuous mixture log-density at ``y`` (the original MDN's objective).

    Parameters
    ----------
    log_weights, means, scales : tensor-like of shape (n, K)
        Mixture parameters as returned by :func:`split_head`.
    y : tensor-like of shape (n,) or (n, 1)
        Target values.

    Returns
    -------
    tf.Tensor of shape (n,)
        ``MixtureSameFamily(Categorical(logits=log_weights), Normal(means, scales)).log_prob(y)``.
    """
    from ._tf import tfd  # TensorFlow Probability: imported only by this objective

    log_weights, means, scales = _f32(log_weights), _f32(means), _f32(scales)
    y = tf.reshape(_f32(y), [-1])
    mixture = tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(logits=log_weights),
        components_distribution=tfd.Normal(loc=means, scale=scales),
    )
    return mixture.log_prob(y)


def _softplus_inverse(x):
    """Stable inverse of softplus for ``x > 0`` (float64)."""
    x = np.asarray(x, dtype=np.float64)
    return x + np.log(-np.expm1(-x))


def default_init_sigma(n_components, n_classes, sigma_floor=0.0, objective="discretized"):
    """Initial component scale used by :func:`initial_head_bias` when none is given.

    * ``objective="discretized"`` with at least one component per class (``K >= n_classes``,
      initial means at most one class apart): 0.1.  A component then starts as a pure class
      bin (all but 6e-7 of its mass inside ``[k - 0.5, k + 0.5]``) and the mixture starts
      as a softmax over the classes: a label's loss reaches only its own bin's component,
      and no component is pulled towards a neighbouring class.  From 0.3 (10% of a
      component's mass on the neighbouring bins) a component could drift onto the next
      digit and end up serving two digits, which cost accuracy and calibration on full
      MNIST (``benchmarks/results/mdn_calibration.json``: ``mdn`` against
      ``mdn_zero_mean_kernel``).
    * Otherwise 0.3 times the spacing between neighbouring initial means,
      ``(n_classes - 1) / (K - 1)`` (half the label range for ``K = 1``), but at least 0.3:
      with fewer components than classes each component has to cover several classes, and
      the continuous density objective failed to train from 0.1 (``mdn_density`` against
      ``mdn_previous_default_density`` in ``benchmarks/results/mdn_calibration.json``).

    Always at least ``2 * sigma_floor``.
    """
    k = int(n_components)
    span = float(n_classes - 1)
    spacing = span / (k - 1) if k > 1 else span / 2.0
    if objective == "discretized" and k >= n_classes:
        sigma = 0.1
    else:
        # spacing capped below at 1: with more components than classes a scale of
        # 0.3 x spacing would start the components far narrower than a class bin.
        sigma = 0.3 * max(spacing, 1.0)
    return max(sigma, 2.0 * float(sigma_floor))


def initial_head_bias(n_components, n_classes, sigma_floor, init_sigma=None,
                      objective="discretized"):
    """Bias vector for the ``Dense(3 * K)`` head: a sensible starting mixture.

    Starting from Keras's zero bias puts every mean at 0 and every scale at
    ``softplus(0) + floor ~ 0.69``, from which a prototype trained several points less
    accurate than from this initialization (the design notes, and the MDN page of the user
    guide).

    Parameters
    ----------
    n_components : int
        Number of mixture components ``K``.
    n_classes : int
        Number of classes; means are spread over ``[0, n_classes - 1]``.
    sigma_floor : float
        The floor :func:`split_head` adds to every scale.
    init_sigma : float, default=None
        Initial scale of every component (must exceed ``sigma_floor``).  ``None`` uses
        :func:`default_init_sigma`: 0.1 with at least one component per class (discretized
        objective), else 0.3 times the spacing between initial means.
    objective : {"discretized", "density"}, default="discretized"
        The training objective, for :func:`default_init_sigma`.

    Returns
    -------
    ndarray of shape (3 * K,), float32
        ``[0] * K`` logits (equal weights), means ``np.linspace(0, n_classes - 1, K)`` (the
        centre of the range for ``K = 1``) and raw scales with
        ``softplus(raw) + sigma_floor == init_sigma``.
    """
    _check_head(n_components, sigma_floor)
    _check_n_classes(n_classes)
    k = int(n_components)
    if init_sigma is None:
        init_sigma = default_init_sigma(k, n_classes, sigma_floor, objective)
    elif not (np.isfinite(init_sigma) and init_sigma > sigma_floor):
        raise ValueError(
            f"init_sigma must be finite and larger than sigma_floor={sigma_floor!r}, "
            f"got {init_sigma!r}."
        )
    if k > 1:
        means = np.linspace(0.0, n_classes - 1.0, k)
    else:
        means = np.array([(n_classes - 1.0) / 2.0])
    raw = np.full(k, _softplus_inverse(float(init_sigma) - float(sigma_floor)))
    return np.concatenate([np.zeros(k), means, raw]).astype(np.float32)


@keras.saving.register_keras_serializable(package="skmnist")
class MixtureHeadKernel(keras.initializers.Initializer):
    """Initial kernel of the ``Dense(3 * K)`` head: Glorot uniform, the means' columns zero.

    The mixing-logit and raw-scale columns are drawn as Keras's ``GlorotUniform(seed)`` draws
    them for the whole layer; the ``K`` mean columns start at zero, so every input starts from
    the same means, the bias's ``0 .. n_classes - 1`` (:func:`initial_head_bias`), and a mean
    moves away from its digit only as far as training pushes it.

    Why: with a random kernel the means are a random linear function of the trunk's features
    from the first step on, and components wander off their digits and get shared.  On full
    MNIST (defaults, ``random_state=0``) two components ended up serving two digits each
    (the one starting on 3 carried most of the weight for images predicted as 2 and as 3, the
    one starting on 5 for 5 and 6), so telling those digits apart rested on where a mean sat
    rather than on the mixing weights, and the probabilities were worse than the softmax's.
    With the mean columns zero (and the initial scale of :func:`default_init_sigma`) every
    digit keeps its own component, the mixing weights act like the softmax's logits while
    means and scales still learn per input, and the gap closes (measured over five seeds by
    ``benchmarks/bench_mdn_calibration.py``; the figures are on the user guide's MDN
    uncertainty page).

    Parameters
    ----------
    n_components : int
        Number of mixture components ``K``; the kernel has ``3 * K`` columns laid out
        ``[mixing logits | means | raw scales]``.
    seed : int or None, default=None
        Seed of the Glorot uniform draws.
    """

    def __init__(self, n_components, seed=None):
        self.n_components = int(n_components)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        k = self.n_components
        if shape[-1] != 3 * k:
            raise ValueError(
                f"MixtureHeadKernel(n_components={k}) makes kernels with {3 * k} columns, "
                f"not {shape[-1]}."
            )
        kernel = keras.initializers.GlorotUniform(seed=self.seed)(shape, dtype=dtype)
        mask = np.ones(3 * k, dtype=np.float32)
        mask[k : 2 * k] = 0.0
        return kernel * keras.ops.cast(mask, kernel.dtype)

    def get_config(self):
        return {"n_components": self.n_components, "seed": self.seed}


def build_mixture_head(x, n_components, n_classes, sigma_floor, seed=None,
                       objective="discretized"):
    """The mixture density head: ``Dense(3 * K)`` giving ``[logits | means | raw scales]``.

    Its bias starts at :func:`initial_head_bias`: means spread over the label range and a
    scale from :func:`default_init_sigma` (from Keras's zero bias every component starts on
    label 0 and training stalls, see that function).  Its kernel starts at
    :class:`MixtureHeadKernel`, whose mean columns are zero, so the means start on the
    digits for every input; with ``objective="density"`` (no class bins to own; the means
    regress the label) Glorot uniform throughout, the same draws elsewhere.
    """
    bias = initial_head_bias(n_components, n_classes, sigma_floor, objective=objective)
    if objective == "discretized":
        kernel = MixtureHeadKernel(n_components, seed=seed)
    else:
        kernel = keras.initializers.GlorotUniform(seed=seed)
    return keras.layers.Dense(
        3 * n_components,
        kernel_initializer=kernel,
        bias_initializer=keras.initializers.Constant(bias),
        name="mixture",
    )(x)


def _normal_cdf(z):
    """The standard normal CDF (float32), for the training metric's bin edges."""
    return 0.5 * tf.math.erfc(-z / np.float32(np.sqrt(2.0)))


@keras.saving.register_keras_serializable(package="skmnist")
class MixtureAccuracy(keras.metrics.MeanMetricWrapper):
    """Training accuracy of a mixture head: is the label's bin the most probable one?

    Only the argmax matters here, so the bin masses come from plain differences of the
    mixture's CDF at the ``n_classes - 1`` bin edges: far cheaper per step than the
    tail-stable log masses the loss and ``predict_proba`` need, and equal wherever the
    winning bin's mass is not vanishingly small.
    """

    def __init__(self, n_components, n_classes, sigma_floor, name="accuracy", dtype=None):
        edges = tf.constant(np.arange(n_classes - 1, dtype=np.float32) + 0.5)

        def accuracy(y_true, y_pred):
            log_weights, means, scales = split_head(y_pred, n_components, sigma_floor)
            z = (edges[None, :, None] - means[:, None, :]) / scales[:, None, :]
            cdf = tf.reduce_sum(tf.exp(log_weights)[:, None, :] * _normal_cdf(z), axis=-1)
            padded = tf.pad(cdf, [[0, 0], [1, 0]], constant_values=0.0)
            padded = tf.pad(padded, [[0, 0], [0, 1]], constant_values=1.0)
            predicted = tf.argmax(padded[:, 1:] - padded[:, :-1], axis=-1, output_type=tf.int32)
            labels = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
            return tf.cast(tf.equal(predicted, labels), tf.float32)

        super().__init__(accuracy, name=name, dtype=dtype)
        self.n_components, self.n_classes, self.sigma_floor = n_components, n_classes, sigma_floor

    def get_config(self):
        return {
            "n_components": self.n_components,
            "n_classes": self.n_classes,
            "sigma_floor": self.sigma_floor,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="skmnist")
class DiscretizedMixtureNLL(keras.losses.Loss):
    """Negative log of the mixture's mass on the label's class bin.

    The discretized likelihood: the same probability ``predict_proba`` reports, so training it
    behaves like training a classifier (the continuous density degenerates on integer labels).

    Parameters
    ----------
    n_components : int
        Number of mixture components ``K``.
    n_classes : int
        Number of classes.
    sigma_floor : float
        Floor added to every scale (see :func:`split_head`).
    name : str, default="discretized_mixture_nll"
        Name of the loss.
    **kwargs
        Passed to :class:`keras.losses.Loss` (``reduction``, ``dtype``).

    Notes
    -----
    ``y_true`` holds encoded labels of shape ``(n,)`` or ``(n, 1)``; ``y_pred`` the raw head
    outputs of shape ``(n, 3 * K)``.  :meth:`call` returns per-sample losses so Keras applies
    ``sample_weight``/``class_weight`` and the reduction.
    """

    def __init__(
        self, n_components, n_classes, sigma_floor, name="discretized_mixture_nll", **kwargs
    ):
        super().__init__(name=name, **kwargs)
        _check_head(n_components, sigma_floor)
        _check_n_classes(n_classes)
        self.n_components = int(n_components)
        self.n_classes = int(n_classes)
        self.sigma_floor = float(sigma_floor)

    def call(self, y_true, y_pred):
        params = split_head(y_pred, self.n_components, self.sigma_floor)
        return -label_log_proba(*params, y_true, self.n_classes)

    def get_config(self):
        config = super().get_config()
        config.update(
            n_components=self.n_components,
            n_classes=self.n_classes,
            sigma_floor=self.sigma_floor,
        )
        return config


@keras.saving.register_keras_serializable(package="skmnist")
class MixtureDensityNLL(keras.losses.Loss):
    """Negative continuous mixture log-density of the label value (the original MDN loss).

    Parameters
    ----------
    n_components : int
        Number of mixture components ``K``.
    sigma_floor : float
        Floor added to every scale (see :func:`split_head`); it bounds the density, which on
        integer labels otherwise grows without limit as the scales shrink.
    name : str, default="mixture_density_nll"
        Name of the loss.
    **kwargs
        Passed to :class:`keras.losses.Loss` (``reduction``, ``dtype``).
    """

    def __init__(self, n_components, sigma_floor, name="mixture_density_nll", **kwargs):
        super().__init__(name=name, **kwargs)
        _check_head(n_components, sigma_floor)
        self.n_components = int(n_components)
        self.sigma_floor = float(sigma_floor)

    def call(self, y_true, y_pred):
        params = split_head(y_pred, self.n_components, self.sigma_floor)
        return -density_log_prob(*params, y_true)

    def get_config(self):
        config = super().get_config()
        config.update(n_components=self.n_components, sigma_floor=self.sigma_floor)
        return config
