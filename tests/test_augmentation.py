"""The ``augmentation`` parameter: distortions inside the tf.data pipeline, seeded."""

import numpy as np
import pytest
from _internals import STANDARD_AUGMENTATION, make_augmenter, resolve_augmentation, tf
from sklearn.utils._param_validation import InvalidParameterError

from skmnist import FCNClassifier, MDNClassifier


def centre_of_mass(images):
    rows, cols = np.indices(images.shape[1:])
    total = images.sum(axis=(1, 2))
    return (
        (images * rows).sum(axis=(1, 2)) / total,
        (images * cols).sum(axis=(1, 2)) / total,
    )


def test_resolve():
    assert resolve_augmentation(None) is None
    standard = resolve_augmentation("standard")
    assert standard == {**standard, **STANDARD_AUGMENTATION}
    assert standard["low_resolution"] == 0.0  # every key present, the unnamed ones off
    ranges = resolve_augmentation({"rotation": 5})
    assert ranges["rotation"] == 5.0 and ranges["shift"] == 0.0
    assert resolve_augmentation({}) is None  # nothing to distort
    for bad, match in [
        ("heavy", "None, 'standard'"),
        ({"rotate": 5}, "Unknown augmentation key"),
        ({"shift": -1}, ">= 0"),
        ({"shift": "2"}, "finite number"),
        ({"shift": np.nan}, "finite number"),
        ({"scale": 1.0}, "< 1"),
        ({"low_resolution": 2}, "probability"),
        ({"elastic_alpha": 10, "elastic_sigma": 0}, "elastic_sigma"),
    ]:
        with pytest.raises(ValueError, match=match):
            resolve_augmentation(bad)
    with pytest.raises(TypeError):
        resolve_augmentation(["shift"])


def test_distortions_are_seeded_and_sized(data):
    X = data[0][:64]
    augment = make_augmenter(resolve_augmentation("standard"), (28, 28))
    seed = tf.constant([3, 4], tf.int64)
    a = augment(tf.constant(X), seed).numpy()
    assert a.shape == X.shape and a.dtype == X.dtype
    np.testing.assert_array_equal(a, augment(tf.constant(X), seed).numpy())
    b = augment(tf.constant(X), tf.constant([3, 5], tf.int64)).numpy()
    assert not np.array_equal(a, b)
    assert a.min() >= 0 and a.max() <= X.max() + 1e-6
    assert np.abs(a - X).mean() > 0.02  # it does distort


def test_each_distortion_does_what_it_says(data):
    X = data[0][:200]
    images = X.reshape(-1, 28, 28)
    seed = tf.constant([1, 2], tf.int64)

    def run(ranges):
        out = make_augmenter(resolve_augmentation(ranges), (28, 28))(tf.constant(X), seed)
        return out.numpy().reshape(-1, 28, 28)

    # A near-zero range is the identity (the resampling itself loses nothing).
    np.testing.assert_allclose(run({"shift": 1e-9}), images, atol=1e-5)
    # Shifts move the centre of mass by up to `shift` pixels along each axis.
    cy0, cx0 = centre_of_mass(images)
    cy, cx = centre_of_mass(run({"shift": 3}))
    assert np.abs(cy - cy0).max() <= 3.3 and np.abs(cx - cx0).max() <= 3.3
    assert np.abs(cx - cx0).mean() > 0.8
    # Rotations and zooms keep the centre of the field fixed, and the ink's mass about.
    rotated = run({"rotation": 20})
    assert not np.allclose(rotated, images)
    assert np.abs(rotated.sum((1, 2)) / images.sum((1, 2)) - 1).max() < 0.2
    zoomed = run({"scale": 0.3})
    ratio = zoomed.sum((1, 2)) / images.sum((1, 2))
    assert ratio.min() < 0.85 and ratio.max() > 1.15  # ink area scales with zoom squared
    # Aspect makes digits narrower or wider, not taller.
    def width_over_height(a):
        ink = a > 0.3
        return ink.any(axis=1).sum(axis=1) / ink.any(axis=2).sum(axis=1)

    change = width_over_height(run({"aspect": 0.5})) / width_over_height(images)
    assert np.percentile(change, 10) < 0.85 and np.percentile(change, 90) > 1.15
    assert change.max() < 1.5 * 1.3 and change.min() > 1 / 1.5 / 1.3
    # Low resolution blurs (fewer saturated pixels) without moving the digit.
    low = run({"low_resolution": 1.0})
    assert (low > 0.99).sum() < 0.5 * (images > 0.99).sum()
    cyl, cxl = centre_of_mass(low)
    assert np.abs(cyl - cy0).max() < 1 and np.abs(cxl - cx0).max() < 1


def test_colour_channels_move_together():
    rng = np.random.RandomState(0)
    grey = rng.rand(4, 10, 12).astype(np.float32)
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    augment = make_augmenter(resolve_augmentation({"rotation": 15, "shift": 2}), (10, 12, 3))
    out = augment(tf.constant(rgb.reshape(4, -1)), tf.constant([0, 1], tf.int64)).numpy()
    out = out.reshape(4, 10, 12, 3)
    np.testing.assert_allclose(out[..., 0], out[..., 2], atol=1e-6)


@pytest.mark.parametrize(
    "Estimator",
    # The augmentation lives in the shared input pipeline: the MDN's run repeats the FCN's
    # (slow: CI runs it).
    [FCNClassifier, pytest.param(MDNClassifier, marks=pytest.mark.slow)],
)
def test_fit_with_augmentation_is_reproducible_and_leaves_the_model_plain(Estimator, data):
    X, y, X_test, y_test = data
    params = {"hidden_layer_sizes": (32,), "epochs": 5, "batch_size": 50, "random_state": 0}
    a = Estimator(augmentation="standard", **params).fit(X, y)
    b = Estimator(augmentation="standard", **params).fit(X, y)
    plain = Estimator(**params).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    assert a.history_["loss"] != plain.history_["loss"]
    # The distortions live in the input pipeline: the network has the same layers.
    assert [type(layer) for layer in a.model_.layers] == [
        type(layer) for layer in plain.model_.layers
    ]
    assert a.score(X_test, y_test) > 0.3  # it learns (chance: 0.1)


def test_augmentation_with_partial_fit_and_dict(data):
    X, y, _, _ = data
    clf = FCNClassifier((16,), augmentation={"rotation": 10}, random_state=0)
    clf.partial_fit(X, y, classes=np.arange(10))
    assert clf.n_iter_ == 1


def test_bad_augmentation_parameters(data):
    X, y, _, _ = data
    with pytest.raises(InvalidParameterError):
        FCNClassifier(augmentation="heavy", epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="Unknown augmentation key"):
        FCNClassifier(augmentation={"twist": 1}, epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="image_shape"):
        FCNClassifier(augmentation="standard", image_shape=None, epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="cannot be reshaped"):
        FCNClassifier(augmentation="standard", image_shape=(20, 20), epochs=1).fit(X, y)
    # Without augmentation a dense network needs no image shape at all.
    FCNClassifier((8,), image_shape=(20, 20), epochs=1).fit(X[:50], y[:50])
