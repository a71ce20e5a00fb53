"""ONNX export: a fitted network (or a pipeline of PixelScaler and a network) as an ONNX model.

:func:`export_onnx` writes the file; :class:`OnnxPredictor` runs one with ONNX Runtime.  The
graph is built here, node by node with :mod:`onnx.helper`, from the estimator's own NumPy copy
of its network (``skmnist._inference``): no TensorFlow and no converter is involved, and the
graph computes what the NumPy prediction path computes (the same layers, the same head
transforms), so its probabilities agree with ``predict_proba`` to float32 rounding.

The exported model
------------------
* Input ``X``: float32, shape ``[N, n_features]`` (the rows ``predict_proba`` takes; for a
  pipeline with a :class:`~skmnist.PixelScaler`, the raw pixels as float32).
* Outputs ``probabilities`` and ``log_probabilities``: float32, shape ``[N, n_classes]``, in
  the order of ``classes_``, floored as ``predict_proba`` / ``predict_log_proba`` floor them
  (at float32's smallest normal number).
* Outputs ``head_outputs`` (the network's raw outputs, ``[N, ...]``) and ``features`` (the
  trunk's feature layer, flattened, ``[N, n_units]``): what an estimator's uncertainty,
  mixture and novelty read when the file serves it (:class:`OnnxPredictor` implements the
  predictor interface of ``skmnist._predictor``).
* Metadata (``metadata_props``): ``classes`` (JSON list), ``skmnist_version``, ``estimator``
  (the network's class name), ``head`` (the head's class name, e.g. ``SoftmaxHead``),
  ``steps`` (JSON list of the exported steps' class names), ``n_features_in``, ``outputs``.

Layouts: Keras convolutions are channels-last (NHWC), ONNX's are channels-first (NCHW).  The
graph transposes once where the flat pixels are reshaped into an image, runs its convolutions
and poolings in NCHW, and transposes back to NHWC before flattening, so that the flattened
features are in the order Keras' ``Flatten`` (and the following Dense kernel) expects.

The head writes its own part (:meth:`skmnist.Head.onnx`, given the graph builder below and the
name of the head's raw outputs); the trunk's layers are read in one place,
:func:`_network_layers`.

The graph builder a head receives has three methods: ``op(op_type, *inputs, hint=None,
**attributes)`` adds one ONNX node and returns its output's name, ``const(value, hint)`` adds
a float32 constant and ``ints(values, hint)`` an int64 one (shapes, axes, slice bounds), each
returning its name.
"""

import json
import os

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._predictor import FEATURES as _FEATURES
from ._predictor import HEAD, LOG_PROBA, PROBA, Predictor, check_finite

__all__ = ["OnnxPredictor", "export_onnx"]

#: The graph's input and output names.
INPUT = "X"
PROBABILITIES = "probabilities"
LOG_PROBABILITIES = "log_probabilities"
#: The network's raw outputs (what the head's ``build`` returns) and the trunk's feature layer
#: (flattened): what the head's ``uncertainty``, the MDN's mixture and novelty read.
HEAD_OUTPUTS = "head_outputs"
FEATURES = "features"

#: Default opset: 17 (ONNX 1.12, ONNX Runtime 1.12 and later).  13 is the oldest the graph
#: is written for (``ReduceSum`` with its axes as an input, ``Softmax`` over one axis).
DEFAULT_OPSET = 17
MIN_OPSET = 13

_TINY32 = np.float32(np.finfo(np.float32).tiny)
_LOG_TINY = np.float32(np.log(np.finfo(np.float32).tiny))


def _onnx():
    try:
        import onnx
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise ImportError(
            "ONNX export needs the 'onnx' package: pip install onnx (and onnxruntime to "
            "run the exported file)."
        ) from exc
    return onnx


# ------------------------------------------------------------------ graph builder
class _Graph:
    """A list of ONNX nodes and initializers with unique names (a thin layer on onnx.helper)."""

    def __init__(self):
        self.onnx = _onnx()
        self.nodes, self.initializers, self._used = [], [], set()

    def name(self, hint):
        """A tensor name not used yet, made from ``hint``."""
        name, i = hint, 1
        while name in self._used:
            name, i = f"{hint}_{i}", i + 1
        self._used.add(name)
        return name

    def const(self, value, hint="const", dtype=np.float32):
        """An initializer holding ``value`` (float32 unless ``dtype``); returns its name."""
        array = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        name = self.name(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, values, hint="shape"):
        """An int64 initializer (shapes, axes, slice bounds)."""
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1), hint, np.int64)

    def op(self, op_type, *inputs, hint=None, **attrs):
        """Add one node with one output; returns the output's name."""
        out = self.name(hint or op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(
            op_type, list(inputs), [out], name=self.name(f"{out}/{op_type}"), **attrs))
        return out

    def rename(self, tensor, name):
        """Make ``tensor`` available under ``name`` (an Identity node)."""
        self.nodes.append(self.onnx.helper.make_node(
            "Identity", [tensor], [name], name=self.name(f"{name}/Identity")))
        self._used.add(name)
        return name


# ------------------------------------------------------------------ activations
def _activation(g, x, name, hint):
    """Every activation of ``skmnist._inference`` (its NumPy formulas, op for op)."""
    if name == "linear":
        return x
    if name == "relu":
        return g.op("Relu", x, hint=hint)
    if name == "tanh":
        return g.op("Tanh", x, hint=hint)
    if name == "sigmoid":
        return g.op("Sigmoid", x, hint=hint)
    if name == "elu":
        return g.op("Elu", x, hint=hint, alpha=1.0)
    if name == "selu":
        # keras.activations.selu's constants (as _inference._selu)
        return g.op("Selu", x, hint=hint, alpha=1.6732632423543772, gamma=1.0507009873554805)
    if name == "gelu":
        # the exact form, 0.5 x (1 + erf(x sqrt(1/2))) (Gelu is an op from opset 20 only)
        erf = g.op("Erf", g.op("Mul", x, g.const(np.sqrt(0.5), "sqrt_half")))
        half_x = g.op("Mul", x, g.const(0.5, "half"))
        return g.op("Mul", half_x, g.op("Add", erf, g.const(1.0, "one")), hint=hint)
    if name == "silu":
        return g.op("Mul", x, g.op("Sigmoid", x), hint=hint)
    if name == "softmax":
        return g.op("Softmax", x, hint=hint, axis=-1)
    raise ValueError(f"Activation {name!r} has no ONNX counterpart here.")


# ------------------------------------------------------------------ trunk layers
class _Tensor:
    """The graph's current tensor and its layout: ``shape`` is the Keras shape of one sample
    (without the batch axis); ``nchw`` says that a 3-D (h, w, c) sample is held as (c, h, w)."""

    def __init__(self, name, shape, nchw=False):
        self.name, self.shape, self.nchw = name, tuple(int(s) for s in shape), nchw


def _keras_layout(g, t):
    """``t`` in Keras' channels-last layout (one Transpose if it is held as NCHW)."""
    if t.nchw:
        return _Tensor(g.op("Transpose", t.name, hint="nhwc", perm=[0, 2, 3, 1]), t.shape)
    return t


def _layer_onnx(g, t, name, layer):
    """One layer of ``skmnist._inference`` as ONNX nodes; returns the new :class:`_Tensor`."""
    from . import _inference as inf

    if isinstance(layer, inf._Dense):
        t = _keras_layout(g, t)
        y = g.op("MatMul", t.name, g.const(layer.kernel, f"{name}/kernel"), hint=f"{name}/matmul")
        if layer.bias is not None:
            y = g.op("Add", y, g.const(layer.bias, f"{name}/bias"), hint=f"{name}/add")
        y = _activation(g, y, layer.activation, name)
        return _Tensor(y, (*t.shape[:-1], layer.kernel.shape[1]))
    if isinstance(layer, inf._ActivationOnly):
        if layer.activation == "softmax":
            t = _keras_layout(g, t)  # over the Keras channels axis
        return _Tensor(_activation(g, t.name, layer.activation, name), t.shape, t.nchw)
    if isinstance(layer, inf._Rescaling):
        y = g.op("Mul", t.name, g.const(layer.scale, f"{name}/scale"))
        y = g.op("Add", y, g.const(layer.offset, f"{name}/offset"), hint=name)
        return _Tensor(y, t.shape, t.nchw)
    if isinstance(layer, inf._Reshape):
        t = _keras_layout(g, t)
        y = g.op("Reshape", t.name, g.ints((-1, *layer.shape), f"{name}/shape"), hint=name)
        if len(layer.shape) == 3:  # an image (h, w, c): convolutions run channels-first
            y = g.op("Transpose", y, hint=f"{name}/nchw", perm=[0, 3, 1, 2])
            return _Tensor(y, layer.shape, nchw=True)
        return _Tensor(y, layer.shape)
    if isinstance(layer, inf._Flatten):
        t = _keras_layout(g, t)  # Keras flattens (h, w, c) in that order
        y = g.op("Flatten", t.name, hint=name, axis=1)
        return _Tensor(y, (int(np.prod(t.shape)),))
    if isinstance(layer, (inf._Conv2D, inf._MaxPool2D)):
        if not t.nchw:
            raise ValueError(f"Layer {name!r} is not fed an image (h, w, c): cannot export it.")
        h, w, c = t.shape
        if isinstance(layer, inf._Conv2D):
            kh, kw, _, c_out = layer.kernel_shape
            pads, size = _padding(layer.padding, (h, w), (kh, kw), (1, 1))
            kernel = layer.kernel.reshape(layer.kernel_shape).transpose(3, 2, 0, 1)
            inputs = [t.name, g.const(kernel, f"{name}/kernel")]
            if layer.bias is not None:
                inputs.append(g.const(layer.bias, f"{name}/bias"))
            y = g.op("Conv", *inputs, hint=f"{name}/conv", kernel_shape=[kh, kw], pads=pads,
                     strides=[1, 1])
            y = _activation(g, y, layer.activation, name)
            return _Tensor(y, (*size, c_out), nchw=True)
        pads, size = _padding(layer.padding, (h, w), layer.pool, layer.pool)
        y = g.op("MaxPool", t.name, hint=name, kernel_shape=list(layer.pool), pads=pads,
                 strides=list(layer.pool))
        return _Tensor(y, (*size, c), nchw=True)
    raise TypeError(f"Layer {name!r} of type {type(layer).__name__} cannot be exported to ONNX.")


def _padding(padding, size, window, stride):
    """ONNX ``pads`` ([top, left, bottom, right]) and the output size, as the NumPy layers
    pad: "same" as ``_inference._same_padding`` (TensorFlow's), "valid" none (the pooling
    drops the last rows and columns that do not fill a window, as ONNX's floor does)."""
    from ._inference import _same_padding

    if padding == "same":
        (t, b), (left, r) = (_same_padding(n, k, s) for n, k, s in zip(size, window, stride))
        pads = [t, left, b, r]
    else:
        pads = [0, 0, 0, 0]
    out = tuple((n + pads[i] + pads[i + 2] - k) // s + 1
                for i, (n, k, s) in enumerate(zip(size, window, stride)))
    return pads, out


# ------------------------------------------------------------------ heads
def softmax_onnx(g, outputs):
    """:class:`~skmnist.heads.SoftmaxHead`'s :meth:`~skmnist.Head.onnx`: ``log_softmax`` of
    the logits, floored; probabilities its ``exp`` (as ``predict_log_proba`` floors at
    ``log(tiny)`` and ``predict_proba`` is its ``exp``)."""
    log_proba = g.op("LogSoftmax", outputs, hint="log_softmax", axis=1)
    log_proba = g.op("Max", log_proba, g.const(_LOG_TINY, "log_tiny"), hint="log_proba")
    return g.op("Exp", log_proba, hint="proba"), log_proba


def mixture_onnx(g, outputs, n_classes, n_components, sigma_floor):
    """The mixture head: the mixture's mass on every class bin, through ``Erf``.

    As ``skmnist._mixture_numpy.class_proba_from_outputs``: outputs ``[K mixing logits | K
    means | K raw scales]``, weights ``softmax(logits)``, scales ``softplus(raw) +
    sigma_floor``, each component's mass on the bins between the edges ``-inf, 0.5, 1.5,
    ..., n_classes - 1.5, +inf`` as differences of its CDF ``(1 + erf(z / sqrt(2))) / 2``,
    summed with the weights and normalized; floored at float32's smallest normal number
    (``predict_proba``), and their log (``predict_log_proba``): what
    :class:`~skmnist.heads.MixtureHead`'s :meth:`~skmnist.Head.onnx` builds.
    """
    k, floor = int(n_components), float(sigma_floor)
    axis1 = g.ints([1], "axis_1")

    def part(i, hint):
        return g.op("Slice", outputs, g.ints([i * k], f"{hint}/start"),
                    g.ints([(i + 1) * k], f"{hint}/end"), axis1, hint=hint)

    weights = g.op("Softmax", part(0, "logits"), hint="weights", axis=1)  # (N, K)
    means, raw = part(1, "means"), part(2, "raw_scales")
    # softplus(raw) = max(raw, 0) + log(1 + exp(-|raw|)): no overflow for a large raw scale
    softplus = g.op("Add", g.op("Relu", raw), g.op("Log", g.op("Add", g.const(1.0, "one"), g.op(
        "Exp", g.op("Neg", g.op("Abs", raw))))), hint="softplus")
    scales = g.op("Add", softplus, g.const(floor, "sigma_floor"), hint="scales")
    # z at the C - 1 inner edges: (N, K, C - 1)
    inner = np.arange(1, n_classes, dtype=np.float32) - np.float32(0.5)
    axis2 = g.ints([2], "axis_2")
    diff = g.op("Sub", g.const(inner.reshape(1, 1, -1), "edges"),
                g.op("Unsqueeze", means, axis2))
    inv_scale = g.op("Reciprocal", g.op("Unsqueeze", scales, axis2))
    z = g.op("Mul", diff, inv_scale, hint="z")
    erf = g.op("Erf", g.op("Mul", z, g.const(np.sqrt(0.5), "sqrt_half")))
    cdf = g.op("Mul", g.op("Add", erf, g.const(1.0, "one")), g.const(0.5, "half"), hint="cdf")
    # CDF at every edge (0 at -inf, 1 at +inf): (N, K, C + 1); bin masses (N, K, C)
    shape = g.op("Shape", cdf)
    one_edge = g.op("Concat", g.op("Slice", shape, g.ints([0], "s0"), g.ints([2], "s2")),
                    g.ints([1], "one_edge"), axis=0)
    zeros = g.op("ConstantOfShape", one_edge, hint="cdf_low",
                 value=g.onnx.numpy_helper.from_array(np.zeros(1, np.float32)))
    ones = g.op("ConstantOfShape", one_edge, hint="cdf_high",
                value=g.onnx.numpy_helper.from_array(np.ones(1, np.float32)))
    cdf = g.op("Concat", zeros, cdf, ones, axis=2, hint="cdf_padded")
    big = g.ints([n_classes + 1], "upper_end")
    upper = g.op("Slice", cdf, g.ints([1], "one"), big, axis2)
    lower = g.op("Slice", cdf, g.ints([0], "zero"), g.ints([n_classes], "n_classes"), axis2)
    mass = g.op("Sub", upper, lower, hint="component_mass")
    weighted = g.op("Mul", mass, g.op("Unsqueeze", weights, axis2))
    proba = g.op("ReduceSum", weighted, axis1, hint="class_mass", keepdims=0)  # (N, C)
    proba = g.op("Div", proba, g.op("ReduceSum", proba, axis1, keepdims=1), hint="normalized")
    proba = g.op("Max", proba, g.const(_TINY32, "tiny"), hint="proba")
    return proba, g.op("Log", proba, hint="log_proba")


def _head_onnx(estimator):
    """The estimator's head (a :class:`~skmnist.Head`), refused unless it writes ONNX."""
    head = estimator.make_head()
    if not head.has_onnx:
        raise TypeError(
            f"{type(estimator).__name__}'s head {type(head).__name__} has no ONNX counterpart "
            "(Head.onnx): it cannot be exported to ONNX."
        )
    return head


def _network_layers(estimator):
    """The fitted network's layers as ``(name, NumPy layer)`` pairs, in order.

    The one place that reads the trunk from the estimator (its NumPy copy, ``_network``;
    refreshed first if ``model_`` was handed out since, as prediction would).  Rewired to
    the ``Predictor`` interface at the merge.
    """
    if estimator.__dict__.get("_network_stale"):
        estimator._make_predictor()
    network = estimator.__dict__.get("_network")
    if network is None:
        raise ValueError(
            f"This {type(estimator).__name__}'s network has layers that its NumPy copy does "
            "not implement (it predicts through TensorFlow): it cannot be exported to ONNX."
        )
    return list(network.layers)


# ------------------------------------------------------------------ the model
def _steps(model):
    """``(scalers, network)``: the PixelScaler steps and the final network of ``model``."""
    from ._base import BaseKerasClassifier
    from .preprocessing import DigitNormalizer, PixelScaler

    exported = ("export_onnx exports a fitted FCNClassifier or MDNClassifier, or a Pipeline of "
                "PixelScaler steps and one of them")
    if isinstance(model, BaseKerasClassifier):
        return [], model
    if not isinstance(model, Pipeline):
        raise TypeError(f"Cannot export a {type(model).__name__}: {exported}.")
    *transforms, (final_name, final) = model.steps
    if not isinstance(final, BaseKerasClassifier):
        raise TypeError(f"Cannot export the final step {final_name!r} ({type(final).__name__})"
                        f": {exported}.")
    scalers = []
    for index, (name, step) in enumerate(transforms):
        if step is None or step == "passthrough":
            continue
        if isinstance(step, PixelScaler):
            scalers.append(step)
        elif isinstance(step, DigitNormalizer):
            raise TypeError(
                f"Cannot export step {name!r} (DigitNormalizer): it reads and frames images of "
                "any size, which an ONNX graph of fixed-width rows does not do. Export the "
                f"steps after it, model[{index + 1}:], whose ONNX model takes the framed 28x28 "
                "pixels (DigitNormalizer's output, flat), and frame the images with "
                "DigitNormalizer().transform before running it."
            )
        else:
            raise TypeError(f"Cannot export step {name!r} ({type(step).__name__}): {exported}.")
    return scalers, final


def _build(model, opset):
    """The ONNX ModelProto of a fitted estimator or pipeline."""
    import skmnist

    onnx = _onnx()
    scalers, network = _steps(model)
    check_is_fitted(network)
    head = _head_onnx(network)
    layers = _network_layers(network)
    classes = np.asarray(network.classes_)
    n_features = int(network.n_features_in_)

    g = _Graph()
    for reserved in (INPUT, PROBABILITIES, LOG_PROBABILITIES, HEAD_OUTPUTS, FEATURES):
        g.name(reserved)  # the graph's own names: no layer's tensor takes them
    x = INPUT
    for i, scaler in enumerate(scalers):  # PixelScaler.transform: x / max_value, clipped
        x = g.op("Div", x, g.const(np.float32(scaler.max_value), f"scaler_{i}/max_value"),
                 hint=f"scaler_{i}")
        if scaler.clip:
            x = g.op("Clip", x, g.const(0.0, "zero_f"), g.const(1.0, "one_f"),
                     hint=f"scaler_{i}/clip")
    t = _Tensor(x, (n_features,))
    feature_layer, features = network.__dict__.get("_feature_layer"), None
    for name, layer in layers:
        t = _layer_onnx(g, t, name, layer)
        if name == feature_layer:
            features = _keras_layout(g, t)
            if len(features.shape) != 1:
                features = _Tensor(g.op("Flatten", features.name, axis=1, hint="features_flat"),
                                   (int(np.prod(features.shape)),))
    head_outputs = _keras_layout(g, t)
    outputs = head_outputs.name
    proba, log_proba = head.onnx(g, outputs, len(classes))
    g.rename(proba, PROBABILITIES)
    g.rename(log_proba, LOG_PROBABILITIES)
    g.rename(outputs, HEAD_OUTPUTS)
    if features is not None:
        g.rename(features.name, FEATURES)

    helper, f32 = onnx.helper, onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        g.nodes, f"skmnist_{type(network).__name__}",
        [helper.make_tensor_value_info(INPUT, f32, ["N", n_features])],
        [helper.make_tensor_value_info(PROBABILITIES, f32, ["N", len(classes)]),
         helper.make_tensor_value_info(LOG_PROBABILITIES, f32, ["N", len(classes)]),
         helper.make_tensor_value_info(HEAD_OUTPUTS, f32, ["N", *head_outputs.shape]),
         *([helper.make_tensor_value_info(FEATURES, f32, ["N", *features.shape])]
           if features is not None else [])],
        initializer=g.initializers,
        doc_string=f"{INPUT}: float32 [N, {n_features}] -> {PROBABILITIES}, "
                   f"{LOG_PROBABILITIES}: float32 [N, {len(classes)}] in the order of classes",
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="skmnist", producer_version=skmnist.__version__)
    proto.ir_version = min(proto.ir_version, _IR_VERSION.get(opset, proto.ir_version))
    steps = [type(s).__name__ for s in scalers] + [type(network).__name__]
    metadata = {
        "classes": json.dumps(classes.tolist()),
        "skmnist_version": skmnist.__version__,
        "estimator": type(network).__name__,
        "head": type(head).__name__,
        "steps": json.dumps(steps),
        "n_features_in": str(n_features),
        "outputs": json.dumps([PROBABILITIES, LOG_PROBABILITIES, HEAD_OUTPUTS]
                              + ([FEATURES] if features is not None else [])),
    }
    helper.set_model_props(proto, metadata)
    onnx.checker.check_model(proto, full_check=True)
    return proto


# The IR version each opset came with: a model says the oldest it needs, so that an older
# ONNX Runtime than the installed onnx package's loads it.
_IR_VERSION = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}


def export_onnx(model, path, *, opset=None):
    """Write a fitted network or pipeline as an ONNX model that ONNX Runtime runs.

    The graph is built from the estimator's own layers (its NumPy copy of the network) with
    the ``onnx`` package (no TensorFlow, no converter): dense and convolutional
    :class:`~skmnist.FCNClassifier` (softmax head) and :class:`~skmnist.MDNClassifier` (the
    mixture's bin masses through ``Erf``).  Its probabilities equal ``predict_proba``'s to
    float32 rounding: within 1e-6 for small networks; for networks trained on full MNIST
    within about 2e-6 (relatively 1e-5), the float32 rounding of ``predict_proba`` itself.

    Parameters
    ----------
    model : FCNClassifier, MDNClassifier or Pipeline
        A fitted network, or a fitted :class:`~sklearn.pipeline.Pipeline` (or
        :class:`~skmnist.DigitPipeline`) of :class:`~skmnist.PixelScaler` steps (their
        scaling becomes part of the graph) and a final network.  A pipeline that starts with a
        :class:`~skmnist.DigitNormalizer` is refused (it reads images of any size, which an
        ONNX graph does not): export ``model[1:]``, the steps after it, and frame the images
        with the normalizer before running the exported model.
    path : str or path-like
        The file to write (``.onnx``).  Written to a temporary file in the same folder and
        renamed into place: a failed export leaves no file behind (and an existing file as it
        was).
    opset : int, optional
        The ONNX opset to write (13 or later; default 17).

    Returns
    -------
    path : str
        The path written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the network is not fitted.
    TypeError
        If ``model`` (or one of its steps) is not one that can be exported.
    ValueError
        If the opset is not supported.
    OSError
        If ``path`` cannot be written.

    Notes
    -----
    The model's input is ``X``, float32 of shape ``[N, n_features]`` (for a pipeline with a
    PixelScaler: the raw pixels, as float32); its outputs ``probabilities`` and
    ``log_probabilities``, float32 of shape ``[N, n_classes]``, in the order of the
    metadata's ``classes``.  Metadata (``metadata_props``): ``classes`` (JSON),
    ``skmnist_version``, ``estimator``, ``head`` (``softmax`` or ``mixture``), ``steps``
    (JSON), ``n_features_in``, ``outputs`` (JSON).  Unlike ``predict_proba``, the graph does
    not validate its input (no range check of the pixels, no error for non-finite outputs).
    :class:`~skmnist.OnnxPredictor` runs the file with ONNX Runtime.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmnist import FCNClassifier, OnnxPredictor, PixelScaler, export_onnx
    >>> from skmnist import load_mnist_sample
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> model = make_pipeline(PixelScaler(), FCNClassifier(hidden_layer_sizes=(16,), epochs=2,
    ...                                                    random_state=0)).fit(X[:500], y[:500])
    >>> path = export_onnx(model, os.path.join(tempfile.mkdtemp(), "digits.onnx"))
    >>> onnx_model = OnnxPredictor(path)
    >>> onnx_model.metadata["head"], onnx_model.classes_.tolist()
    ('SoftmaxHead', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> bool(abs(onnx_model.predict_proba(X[:5]) - model.predict_proba(X[:5])).max() < 1e-6)
    True
    """
    onnx = _onnx()
    if opset is None:
        opset = DEFAULT_OPSET
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)):
        raise TypeError(f"opset must be an int; got {opset!r}.")
    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must be between {MIN_OPSET} and {newest} (the installed onnx "
                         f"package's newest); got {opset}.")
    proto = _build(model, int(opset))
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        problem = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise FileNotFoundError(f"Cannot write {path!r}: {folder!r} {problem}.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot write {path!r}: it is a folder.")
    from ._io import atomic_file

    data = proto.SerializeToString()
    with atomic_file(path, "wb") as f:
        f.write(data)
    return path


# ------------------------------------------------------------------ running a file
#: The predictor interface's output names -> the exported graph's.
_PREDICTOR_OUTPUTS = {PROBA: PROBABILITIES, LOG_PROBA: LOG_PROBABILITIES, HEAD: HEAD_OUTPUTS,
                      _FEATURES: FEATURES}


class OnnxPredictor(Predictor):
    """Predict with an ONNX model written by :func:`export_onnx`, through ONNX Runtime.

    Besides ``predict_proba`` / ``predict_log_proba`` / ``predict`` on its own, it is a
    predictor of the estimators' one interface (``skmnist._predictor``: ``run(X, outputs)``
    with the outputs ``proba``, ``log_proba``, ``head`` and ``features``): a file exported
    from an estimator alone (no PixelScaler before it) can serve that estimator's
    ``predict_proba``, ``predict_uncertainty`` (novelty included), ``sample`` and figures,
    installed with ``estimator._use_predictor(OnnxPredictor(path))``.

    Parameters
    ----------
    model : str, path-like, bytes or onnx.ModelProto
        The exported file, its bytes or the loaded model.
    providers : list of str, optional
        ONNX Runtime's execution providers (default: ``["CPUExecutionProvider"]``).
    sess_options : onnxruntime.SessionOptions, optional
        Session options (threads, optimization level).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The classes, from the model's metadata.
    n_features_in_ : int
        Width of the rows the model takes.
    metadata : dict of str to str
        The model's metadata (``classes``, ``skmnist_version``, ``estimator``, ``head``, ...).

    See Also
    --------
    export_onnx : Write the file (its example runs one).
    """

    def __init__(self, model, *, providers=None, sess_options=None):
        if isinstance(model, (bytes, bytearray)):
            data = bytes(model)
        elif hasattr(model, "SerializeToString"):
            data = model.SerializeToString()
        else:
            with open(os.fspath(model), "rb") as f:
                data = f.read()
        self._data = data
        self._providers = list(providers) if providers else ["CPUExecutionProvider"]
        self._sess_options = sess_options
        self._start()

    def _start(self):
        try:
            import onnxruntime
        except ImportError as exc:  # pragma: no cover - the test extra installs it
            raise ImportError(
                "OnnxPredictor needs ONNX Runtime: pip install onnxruntime."
            ) from exc
        self._session = onnxruntime.InferenceSession(
            self._data, sess_options=self._sess_options, providers=self._providers)
        meta = self._session.get_modelmeta().custom_metadata_map
        if "classes" not in meta:
            raise ValueError("The ONNX model has no 'classes' metadata: it was not written by "
                             "skmnist.export_onnx.")
        self.metadata = dict(meta)
        self.classes_ = np.asarray(json.loads(meta["classes"]))
        self.n_features_in_ = int(self._session.get_inputs()[0].shape[1])
        # the Predictor interface
        self.n_features, self.n_classes = self.n_features_in_, len(self.classes_)
        graph_outputs = {o.name for o in self._session.get_outputs()}
        self.outputs = frozenset(name for name, output in _PREDICTOR_OUTPUTS.items()
                                 if output in graph_outputs)

    backend = "onnxruntime"

    def run(self, X, outputs=(PROBA,)):
        """Return named outputs of the predictor interface, in one pass of the ONNX graph.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), float32
            Validated rows.
        outputs : tuple of str, default=("proba",)
            Names among ``outputs`` (``"proba"``, ``"log_proba"``, ``"head"``,
            ``"features"``; see ``skmnist._predictor``).

        Returns
        -------
        dict of str to ndarray
            One array per name.
        """
        self._check_names(outputs)
        names = [_PREDICTOR_OUTPUTS[name] for name in outputs]
        values = self._session.run(names, {INPUT: np.ascontiguousarray(X, dtype=np.float32)})
        result = dict(zip(outputs, values))
        if HEAD in result:
            check_finite(result[HEAD])
        return result

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_session")
        state["_sess_options"] = None  # not picklable; the defaults after unpickling
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._start()

    def _rows(self, X):
        X = np.asarray(X, dtype=np.float32)
        if X.ndim == 3:  # images (n, height, width), flattened as PixelScaler does
            X = X.reshape(len(X), -1)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has shape {X.shape}; the ONNX model takes rows of "
                             f"{self.n_features_in_} features.")
        return np.ascontiguousarray(X)

    def _run(self, output, X):
        return self._session.run([output], {INPUT: self._rows(X)})[0]

    def predict_proba(self, X):
        """Return the class probabilities (the model's ``probabilities`` output).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, height, width)
            Rows as the exported model takes them (converted to float32; images flattened).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
            Probabilities of the classes, in the order of ``classes_``.
        """
        return self._run(PROBABILITIES, X)

    def predict_log_proba(self, X):
        """Return the log of the class probabilities (``log_probabilities``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, height, width)
            Rows as the exported model takes them.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes), float32
            Log-probabilities of the classes, in the order of ``classes_``.
        """
        return self._run(LOG_PROBABILITIES, X)

    def predict(self, X):
        """Return the most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, height, width)
            Rows as the exported model takes them.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Classes, from ``classes_``.
        """
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
