"""Tests of the mixture density head's numerics (skmnist._mixture)."""

import itertools

import numpy as np
import pytest
from _internals import (
    DiscretizedMixtureNLL,
    MixtureDensityNLL,
    MixtureHeadKernel,
    build_mixture_head,
    class_log_proba,
    density_log_prob,
    initial_head_bias,
    keras,
    label_log_proba,
    mixture_moments,
    sample_mixture,
    split_head,
    tf,
    tfd,
)
from scipy import stats

N_CLASSES = 10


def _random_params(rng, n=64, k=4, n_classes=N_CLASSES):
    """Moderate mixture parameters (float32) around the label range."""
    logits = rng.normal(0, 2, size=(n, k))
    log_w = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    means = rng.uniform(-2, n_classes + 1, size=(n, k))
    scales = rng.uniform(0.2, 4.0, size=(n, k))
    return [a.astype(np.float32) for a in (log_w, means, scales)]


def _component_log_mass_ref(mean, scale, n_classes):
    """float64 log mass of every class bin under one normal (scipy), tail-aware."""
    edges = (np.arange(n_classes + 1) - 0.5 - mean) / scale
    out = np.empty(n_classes)
    for k in range(n_classes):
        a, b = edges[k], edges[k + 1]
        if k == 0:
            out[k] = stats.norm.logcdf(b)
        elif k == n_classes - 1:
            out[k] = stats.norm.logsf(a)
        else:
            # the tail in which both CDF values are least rounded
            if a + b > 0:
                u, v = stats.norm.logsf(a), stats.norm.logsf(b)
            else:
                u, v = stats.norm.logcdf(b), stats.norm.logcdf(a)
            out[k] = u + np.log(-np.expm1(v - u))
    return out


def _class_log_proba_ref(log_w, means, scales, n_classes):
    """Independent float64 reference: mixture-weighted normal CDF differences (scipy)."""
    log_w, means, scales = (np.asarray(a, dtype=np.float64) for a in (log_w, means, scales))
    edges = np.arange(n_classes + 1, dtype=np.float64) - 0.5
    edges[0], edges[-1] = -np.inf, np.inf
    cdf = stats.norm.cdf((edges[None, None, :] - means[..., None]) / scales[..., None])
    mass = np.diff(cdf, axis=-1)  # [n, K, C]
    return np.log(np.einsum("nk,nkc->nc", np.exp(log_w), mass))


def _raw_outputs(logits, means, raw):
    return np.concatenate([logits, means, raw], axis=1).astype(np.float32)


# ----------------------------------------------------------------------------- accuracy


def test_class_log_proba_matches_scipy_reference():
    rng = np.random.default_rng(0)
    log_w, means, scales = _random_params(rng)
    got = class_log_proba(log_w, means, scales, N_CLASSES).numpy()
    ref = _class_log_proba_ref(log_w, means, scales, N_CLASSES)
    assert got.dtype == np.float32 and got.shape == (64, N_CLASSES)
    np.testing.assert_allclose(np.exp(got), np.exp(ref), atol=1e-6)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("scale", [1e-3, 0.05, 0.3, 1.0, 3.0, 30.0, 1e3, 1e4])
def test_bin_masses_accurate_across_regimes(scale):
    # single component, from tiny to huge scales and far-away means: every bin's log mass,
    # including ones far in the tails, matches float64 to ~1e-5 relative; for scales far
    # wider than a bin (>= 1e3) the documented bound is ~1e-3 relative (see _mixture's
    # docstring: two nearly equal CDFs are differenced in float32)
    means = np.array([-1e3, -30, -3, 0, 0.5, 4, 4.5, 9, 12, 50, 1e3], np.float32)[:, None]
    scales = np.full_like(means, scale)
    log_w = np.zeros_like(means)
    got = class_log_proba(log_w, means, scales, N_CLASSES).numpy()
    ref = np.stack(
        [
            _component_log_mass_ref(float(m[0]), float(s[0]), N_CLASSES)
            for m, s in zip(means, scales)
        ]
    )
    tol = 1e-5 if scale < 1e3 else 1e-3
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)


def test_label_log_proba_equals_class_log_proba_at_label():
    rng = np.random.default_rng(1)
    log_w, means, scales = _random_params(rng)
    y = rng.integers(0, N_CLASSES, size=len(means))
    full = class_log_proba(log_w, means, scales, N_CLASSES).numpy()
    got = label_log_proba(log_w, means, scales, y, N_CLASSES).numpy()
    assert got.shape == (len(y),)
    np.testing.assert_allclose(got, full[np.arange(len(y)), y], rtol=1e-5, atol=1e-5)
    # any numeric label dtype and an (n, 1) column give the same numbers
    for y_alt in (y.astype(np.float32), y.astype(np.float64)[:, None], y.astype(np.int64)):
        np.testing.assert_array_equal(
            label_log_proba(log_w, means, scales, y_alt, N_CLASSES).numpy(), got
        )


def test_density_log_prob_equals_tfd_mixture():
    rng = np.random.default_rng(2)
    log_w, means, scales = _random_params(rng)
    y = rng.integers(0, N_CLASSES, size=len(means)).astype(np.float32)
    ref = tfd.MixtureSameFamily(
        tfd.Categorical(logits=log_w), tfd.Normal(loc=means, scale=scales)
    ).log_prob(y)
    got = density_log_prob(log_w, means, scales, y[:, None])
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)


def test_split_head():
    k, floor = 3, 1e-3
    out = _raw_outputs(
        np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 4.0, 9.0]]), np.array([[-1.0, 0.0, 2.0]])
    )
    log_w, means, scales = (a.numpy() for a in split_head(out, k, floor))
    np.testing.assert_allclose(np.exp(log_w).sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(log_w, out[:, :3] - np.log(np.exp(out[:, :3]).sum()), rtol=1e-6)
    np.testing.assert_array_equal(means, out[:, 3:6])
    np.testing.assert_allclose(scales, np.log1p(np.exp(out[:, 6:])) + floor, rtol=1e-6)
    with pytest.raises(ValueError, match="3 \\* n_components"):
        split_head(out, 2, floor)
    with pytest.raises(ValueError, match="sigma_floor"):
        split_head(out, k, 0.0)


# ----------------------------------------------------------------------------- robustness


def _extreme_outputs(k=3):
    """Rows combining extreme logits, means and raw scales (float32 head outputs)."""
    logit_rows = [
        [1e4, -1e4, 0.0],
        [-1e4, -1e4, -1e4],
        [1e4, 1e4, -1e4],
        [0.0, 0.0, 0.0],
    ]
    mean_rows = [
        [1e6, -1e6, 4.0],
        [-1e6, -1e6, -1e6],
        [1e6, 1e6, 1e6],
        [0.5, 4.5, 8.5],  # exactly on bin edges
        [-0.5, 9.5, 3.0],  # on the outer edges
        [0.0, 4.0, 9.0],  # on bin centres
    ]
    raw_rows = [
        [-50.0, -50.0, -50.0],  # scales at the floor (1e-3)
        [1e4, 1e4, 1e4],  # huge scales
        [-50.0, 1e4, 0.0],
    ]
    rows = [
        np.concatenate([lg, mu, rw])
        for lg, mu, rw in itertools.product(logit_rows, mean_rows, raw_rows)
    ]
    return np.asarray(rows, dtype=np.float32)


@pytest.mark.parametrize("sigma_floor", [1e-3, 0.1])
def test_extreme_parameters_are_finite_and_normalized(sigma_floor):
    k = 3
    out = _extreme_outputs(k)
    params = split_head(out, k, sigma_floor)
    log_p = class_log_proba(*params, N_CLASSES).numpy()
    p = np.exp(log_p.astype(np.float64))
    assert np.all(np.isfinite(log_p))
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
    for y in range(N_CLASSES):
        lab = label_log_proba(*params, np.full(len(out), y), N_CLASSES).numpy()
        assert np.all(np.isfinite(lab)), y
        assert np.all(lab <= 1e-5)


def test_extreme_parameters_mass_goes_where_expected():
    k, floor = 1, 1e-3
    out = np.array([[0.0, 1e6, -50.0], [0.0, -1e6, -50.0], [0.0, 4.0, -50.0]], np.float32)
    p = np.exp(class_log_proba(*split_head(out, k, floor), N_CLASSES).numpy())
    np.testing.assert_allclose(p[:, -1], [1, 0, 0], atol=1e-7)
    np.testing.assert_allclose(p[:, 0], [0, 1, 0], atol=1e-7)
    np.testing.assert_allclose(p[2, 4], 1.0, atol=1e-7)
    # a bin 1e9 sigmas away has a very negative but finite log mass (~ -z**2 / 2)
    lab = label_log_proba(*split_head(out, k, floor), np.array([0, 9, 0]), N_CLASSES).numpy()
    assert np.all(np.isfinite(lab))
    np.testing.assert_allclose(lab, [-5e17, -5e17, -0.5 * 3500.0**2], rtol=1e-4)


@pytest.mark.parametrize("sigma_floor", [1e-3, 0.1])
def test_extreme_parameters_have_finite_gradients(sigma_floor):
    k = 3
    out = tf.constant(_extreme_outputs(k))
    n = out.shape[0]
    losses = [
        DiscretizedMixtureNLL(k, N_CLASSES, sigma_floor),
        MixtureDensityNLL(k, sigma_floor),
    ]
    for y in (0, 4, N_CLASSES - 1):
        y_true = tf.fill([n], float(y))
        for loss in losses:
            with tf.GradientTape() as tape:
                tape.watch(out)
                value = loss(y_true, out)
            grad = tape.gradient(value, out).numpy()
            assert np.isfinite(value.numpy()), (type(loss).__name__, y)
            assert np.all(np.isfinite(grad)), (type(loss).__name__, y)
    with tf.GradientTape() as tape:
        tape.watch(out)
        total = tf.reduce_sum(class_log_proba(*split_head(out, k, sigma_floor), N_CLASSES))
    assert np.all(np.isfinite(tape.gradient(total, out).numpy()))


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    k = 3
    out = np.concatenate(
        [rng.normal(size=(8, k)), rng.uniform(-1, 10, (8, k)), rng.normal(size=(8, k))], axis=1
    )
    y = rng.integers(0, N_CLASSES, size=8)
    loss = DiscretizedMixtureNLL(k, N_CLASSES, 1e-3, reduction="sum")

    def f(o):
        return loss(y, o).numpy().astype(np.float64)

    x = tf.constant(out, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = loss(y, x)
    grad = tape.gradient(value, x).numpy()
    x64 = out.astype(np.float32)
    h = 1e-2
    for idx in [(0, 0), (1, k + 1), (2, 2 * k + 2), (5, k), (7, 2 * k)]:
        up, down = x64.copy(), x64.copy()
        up[idx] += h
        down[idx] -= h
        numeric = (f(up) - f(down)) / (2 * h)
        np.testing.assert_allclose(grad[idx], numeric, rtol=2e-2, atol=2e-3)


@pytest.mark.parametrize(
    "mean, scale",
    [(4.2, 0.7), (5.0, 0.05), (-30.0, 1.0), (-3.0, 0.9), (40.0, 2.5), (2.0, 1e-3), (4.0, 300.0)],
)
def test_written_out_gradient_matches_float64_reference(mean, scale):
    # The bin mass has a hand-written gradient (d log m / d edge = phi(edge) / m); compare it,
    # in every regime (label bin at the mode, in a near tail, 11 and 34 sigmas into the far
    # tails, tiny and huge scales), with central differences of the float64 reference.
    h = 1e-6 * max(abs(mean), scale, 1.0)
    for label in [0, 3, 5, N_CLASSES - 1]:

        def ref(m, s, label=label):
            return _component_log_mass_ref(m, s, N_CLASSES)[label]

        d_mean = (ref(mean + h, scale) - ref(mean - h, scale)) / (2 * h)
        hs = 1e-6 * scale
        d_scale = (ref(mean, scale + hs) - ref(mean, scale - hs)) / (2 * hs)
        means = tf.constant([[mean]], tf.float32)
        scales = tf.constant([[scale]], tf.float32)
        with tf.GradientTape() as tape:
            tape.watch([means, scales])
            value = label_log_proba(tf.zeros([1, 1]), means, scales, [label], N_CLASSES)
        g_mean, g_scale = (g.numpy()[0, 0] for g in tape.gradient(value, [means, scales]))
        assert value.numpy()[0] == pytest.approx(ref(mean, scale), rel=1e-5, abs=1e-5)
        assert g_mean == pytest.approx(d_mean, rel=2e-3, abs=1e-4)
        assert g_scale == pytest.approx(d_scale, rel=2e-3, abs=1e-4)


# ----------------------------------------------------------------------------- losses


def test_losses_respect_sample_weight_and_label_shapes():
    rng = np.random.default_rng(4)
    k = 2
    out = rng.normal(size=(6, 3 * k)).astype(np.float32)
    y = np.array([0, 1, 2, 3, 9, 5])
    loss = DiscretizedMixtureNLL(k, N_CLASSES, 1e-3)
    per_sample = -label_log_proba(*split_head(out, k, 1e-3), y, N_CLASSES).numpy()
    np.testing.assert_allclose(loss(y, out).numpy(), per_sample.mean(), rtol=1e-6)
    np.testing.assert_allclose(loss(y[:, None].astype(np.float32), out).numpy(),
                               per_sample.mean(), rtol=1e-6)
    w = np.array([0.0, 1.0, 2.0, 0.5, 0.0, 1.0], np.float32)
    np.testing.assert_allclose(
        loss(y, out, sample_weight=w).numpy(), (per_sample * w).sum() / len(y), rtol=1e-6
    )
    dens = MixtureDensityNLL(k, 1e-3)
    ref = -density_log_prob(*split_head(out, k, 1e-3), y).numpy()
    np.testing.assert_allclose(dens(y[:, None], out).numpy(), ref.mean(), rtol=1e-6)


@pytest.mark.parametrize(
    "make_loss",
    [
        lambda: DiscretizedMixtureNLL(2, N_CLASSES, 1e-3, name="dnll"),
        lambda: MixtureDensityNLL(2, 0.05),
    ],
    ids=["discretized", "density"],
)
def test_losses_serialize(make_loss):
    loss = make_loss()
    config = keras.losses.serialize(loss)
    for restored in (keras.losses.get(config), keras.losses.deserialize(config)):
        assert type(restored) is type(loss)
        assert restored.get_config() == loss.get_config()
    assert type(loss).from_config(loss.get_config()).get_config() == loss.get_config()


# Keras's own variable saving trips NumPy 2's __array__(copy=...) deprecation; not ours.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept:DeprecationWarning")
@pytest.mark.parametrize(
    "make_loss",
    [lambda: DiscretizedMixtureNLL(2, 3, 1e-3), lambda: MixtureDensityNLL(2, 1e-3)],
    ids=["discretized", "density"],
)
def test_model_with_loss_round_trips_through_keras_saving(tmp_path, make_loss):
    keras.utils.set_random_seed(0)
    loss = make_loss()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6)])
    model.compile(optimizer="adam", loss=loss)
    x = np.random.default_rng(5).normal(size=(8, 4)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    model.fit(x, y, epochs=1, verbose=0)  # builds the optimizer state that is saved too
    path = tmp_path / "mdn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(loaded.loss) is type(loss)
    assert loaded.loss.get_config() == loss.get_config()
    np.testing.assert_allclose(
        loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6
    )


def test_tiny_model_learns_separable_blobs():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n_classes, k, floor = 3, 3, 1e-3
    centers = np.array([[0.0, 0.0], [3.0, 3.0], [-3.0, 3.0]])
    y = rng.integers(0, n_classes, size=300)
    x = (centers[y] + rng.normal(scale=0.6, size=(300, 2))).astype(np.float32)
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(
                3 * k,
                bias_initializer=keras.initializers.Constant(
                    initial_head_bias(k, n_classes, floor)
                ),
            ),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.02), loss=DiscretizedMixtureNLL(k, n_classes, floor)
    )
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0]
    log_p = class_log_proba(*split_head(model.predict(x, verbose=0), k, floor), n_classes)
    accuracy = np.mean(np.argmax(log_p.numpy(), axis=1) == y)
    assert accuracy > 0.9


# ----------------------------------------------------------------------------- initialization


def test_initial_head_bias():
    k, floor = 5, 1e-3
    bias = initial_head_bias(k, N_CLASSES, floor)
    assert bias.dtype == np.float32 and bias.shape == (3 * k,)
    log_w, means, scales = (a.numpy()[0] for a in split_head(bias[None, :], k, floor))
    np.testing.assert_allclose(np.exp(log_w), 1 / k, rtol=1e-6)
    np.testing.assert_allclose(means, np.linspace(0, N_CLASSES - 1, k))
    np.testing.assert_allclose(scales, 0.3 * 2.25, rtol=1e-6)  # 0.3 x the spacing of means
    # one component per class (or more): sigma 0.1, each component starts as a pure class bin
    # (at 0.3 a component leaked 10% of its mass to the neighbouring digits and could drift
    # onto them), so the initial mixture is a softmax over the classes
    for k_many in (10, 20):
        scales_many = split_head(
            initial_head_bias(k_many, N_CLASSES, floor)[None], k_many, floor
        )[2]
        np.testing.assert_allclose(scales_many.numpy(), 0.1, rtol=1e-6)
    _, means10, scales10 = split_head(initial_head_bias(10, N_CLASSES, floor)[None], 10, floor)
    own = class_log_proba(np.zeros((1, 1)), means10[:, 3:4], scales10[:, 3:4], N_CLASSES)
    assert np.exp(own.numpy()[0, 3]) > 1 - 1e-6
    # the density objective keeps 0.3 (it failed to train from 0.1)
    density = initial_head_bias(10, N_CLASSES, floor, objective="density")[None]
    np.testing.assert_allclose(split_head(density, 10, floor)[2].numpy(), 0.3, rtol=1e-6)
    # a large floor wins over the rule; explicit sigma honoured
    scales_f = split_head(initial_head_bias(20, N_CLASSES, 0.2)[None], 20, 0.2)[2]
    np.testing.assert_allclose(scales_f.numpy(), 0.4, rtol=1e-6)
    scales_x = split_head(initial_head_bias(k, N_CLASSES, 0.1, init_sigma=0.2)[None], k, 0.1)[2]
    np.testing.assert_allclose(scales_x.numpy(), 0.2, rtol=1e-5)
    # one component sits in the middle of the label range
    one = initial_head_bias(1, N_CLASSES, floor)
    assert one[1] == pytest.approx((N_CLASSES - 1) / 2)
    with pytest.raises(ValueError, match="init_sigma"):
        initial_head_bias(k, N_CLASSES, 0.5, init_sigma=0.5)
    # the initial mixture gives every class some mass
    p = np.exp(class_log_proba(log_w[None], means[None], scales[None], N_CLASSES).numpy())
    assert p.min() > 1e-3


def test_mixture_head_kernel_zeroes_only_the_mean_columns():
    k, fan_in, seed = 4, 7, 3
    kernel = keras.ops.convert_to_numpy(MixtureHeadKernel(k, seed=seed)((fan_in, 3 * k)))
    glorot = keras.ops.convert_to_numpy(
        keras.initializers.GlorotUniform(seed=seed)((fan_in, 3 * k))
    )
    assert kernel.shape == (fan_in, 3 * k)
    np.testing.assert_array_equal(kernel[:, k : 2 * k], 0.0)
    # the logit and raw-scale columns are Keras's Glorot draws for the whole layer
    np.testing.assert_array_equal(kernel[:, :k], glorot[:, :k])
    np.testing.assert_array_equal(kernel[:, 2 * k :], glorot[:, 2 * k :])
    assert np.all(kernel[:, :k] != 0.0)
    restored = MixtureHeadKernel.from_config(MixtureHeadKernel(k, seed=seed).get_config())
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(restored((fan_in, 3 * k))), kernel
    )
    with pytest.raises(ValueError, match="12 columns"):
        MixtureHeadKernel(k)((fan_in, 10))


def test_head_starts_with_the_same_means_for_every_input():
    # The means start on the digits, whatever the input: the mixing logits (and scales)
    # vary per input from the first step, the means only as training moves them.
    k, floor, n_features = 10, 1e-2, 20
    inputs = keras.Input((n_features,))
    model = keras.Model(inputs, build_mixture_head(inputs, k, N_CLASSES, floor, seed=0))
    x = np.random.default_rng(0).uniform(0, 5, size=(32, n_features)).astype(np.float32)
    log_w, means, scales = (a.numpy() for a in split_head(model(x), k, floor))
    np.testing.assert_allclose(means, np.broadcast_to(np.arange(10.0), means.shape), atol=1e-6)
    assert np.ptp(log_w, axis=0).min() > 0  # logits differ between inputs
    assert np.ptp(scales, axis=0).min() > 0
    assert model.get_layer("mixture").get_config()["kernel_initializer"]["class_name"] == (
        "MixtureHeadKernel"
    )


# ----------------------------------------------------------------------------- numpy helpers


def _fixed_mixture():
    weights = np.array([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0]])
    means = np.array([[0.0, 4.0, 9.0], [2.0, 7.0, 7.0]])
    scales = np.array([[0.5, 1.0, 2.0], [0.3, 1.0, 1.0]])
    return weights, means, scales


def test_mixture_moments():
    weights, means, scales = _fixed_mixture()
    mom = mixture_moments(weights, means, scales)
    mean = np.array([0.5 * 4 + 0.3 * 9, 2.0])
    np.testing.assert_allclose(mom["mean"], mean)
    np.testing.assert_allclose(
        mom["aleatoric_variance"], [0.2 * 0.25 + 0.5 * 1 + 0.3 * 4, 0.09]
    )
    between = np.array(
        [0.2 * (0 - mean[0]) ** 2 + 0.5 * (4 - mean[0]) ** 2 + 0.3 * (9 - mean[0]) ** 2, 0.0]
    )
    np.testing.assert_allclose(mom["multimodality_variance"], between, atol=1e-12)
    np.testing.assert_allclose(
        mom["total_variance"], mom["aleatoric_variance"] + mom["multimodality_variance"]
    )
    # total variance is the law of total variance: E[X^2] - E[X]^2 of the mixture
    second = np.sum(weights * (scales**2 + means**2), axis=1)
    np.testing.assert_allclose(mom["total_variance"], second - mean**2)


def test_sample_mixture_shape_determinism_and_moments():
    weights, means, scales = _fixed_mixture()
    draws = sample_mixture(weights, means, scales, 200_000, random_state=0)
    assert draws.shape == (2, 200_000)
    assert np.all(np.isfinite(draws))
    np.testing.assert_array_equal(
        sample_mixture(weights, means, scales, 50, random_state=7),
        sample_mixture(weights, means, scales, 50, random_state=np.random.RandomState(7)),
    )
    assert not np.array_equal(
        sample_mixture(weights, means, scales, 50, random_state=7),
        sample_mixture(weights, means, scales, 50, random_state=8),
    )
    mom = mixture_moments(weights, means, scales)
    sd = np.sqrt(mom["total_variance"])
    np.testing.assert_allclose(draws.mean(axis=1), mom["mean"], atol=float(5 * sd.max() / 447))
    np.testing.assert_allclose(draws.var(axis=1), mom["total_variance"], rtol=0.02)
    # a zero-weight component is never drawn: row 1 is a single normal around 2
    assert np.abs(draws[1] - 2.0).max() < 10 * 0.3
    # unnormalized float32 weights are renormalized
    w32 = (weights * 1.0000001).astype(np.float32)
    assert sample_mixture(w32, means, scales, 3, random_state=0).shape == (2, 3)


def test_only_the_continuous_objective_imports_tensorflow_probability(run_python):
    # TensorFlow Probability costs about a second of every process that imports it: fits
    # of both estimators (the mixture's default, discretized objective included) leave it
    # unimported, and the continuous density still gets it when it is asked for.
    result = run_python(
        """
        import sys

        import numpy as np

        from skmnist import FCNClassifier, MDNClassifier

        rng = np.random.RandomState(0)
        X, y = rng.rand(60, 6).astype(np.float32), np.arange(60) % 3
        FCNClassifier(hidden_layer_sizes=(4,), epochs=1, random_state=0).fit(X, y)
        MDNClassifier(hidden_layer_sizes=(4,), epochs=1, random_state=0).fit(X, y)
        print("after fits", "tensorflow_probability" in sys.modules)
        from skmnist._mixture import density_log_prob

        value = density_log_prob([[0.0, 0.0]], [[0.0, 1.0]], [[1.0, 1.0]], [0.0])
        print("after the density", "tensorflow_probability" in sys.modules,
              round(float(value.numpy()[0]), 4))
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # log(0.5 N(0; 0, 1) + 0.5 N(0; 1, 1))
    expected = np.log(0.5 * np.exp(-0.5) / np.sqrt(2 * np.pi) + 0.5 / np.sqrt(2 * np.pi))
    assert result.stdout.splitlines() == [
        "after fits False", f"after the density True {round(float(expected), 4)}"
    ]
