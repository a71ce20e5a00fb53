"""NoveltyModel: calibration, outliers, validation, pickling, determinism, no TensorFlow."""

import pickle

import numpy as np
import pytest
from _internals import MIN_ROWS, EntropyNovelty, NoveltyModel
from sklearn.exceptions import NotFittedError


def relu_features(rng, n_classes=4, units_per_class=3, scale=4.0):
    """ReLU-like class-conditional features: each class lights up its own few units."""
    n_units = n_classes * units_per_class
    centers = np.kron(np.eye(n_classes), np.ones(units_per_class)) * scale
    return lambda labels: np.maximum(
        centers[labels] + rng.normal(size=(len(labels), n_units)), 0)


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 6000)
    draw = relu_features(rng)
    H = draw(y)
    y_new = rng.integers(0, 4, 4000)
    model = NoveltyModel(layer="h").fit({"h": H}, y, random_state=0)
    return model, draw, y_new, H, y


def test_ordinary_rows_score_about_uniformly(synthetic):
    model, draw, y_new, _, _ = synthetic
    novelty = model.score({"h": draw(y_new)})
    assert novelty.shape == (4000,)
    assert novelty.min() >= 0 and novelty.max() <= 1
    # the calibrated reading: "novelty > t" flags about 1 - t of ordinary rows
    for t in (0.5, 0.9, 0.99):
        assert abs(np.mean(novelty > t) - (1 - t)) < max(0.03, 0.5 * (1 - t)), t
    assert model.n_calibration_ == 1200  # 20% of 6000


def test_outliers_score_near_one(synthetic):
    model, draw, y_new, _, _ = synthetic
    rng = np.random.default_rng(1)
    ordinary = draw(y_new[:500])
    far = ordinary * 6  # same pattern, far too strong: the raw view sees it
    # an ordinary magnitude but every unit equally active, a pattern of no class
    spread = np.ones_like(ordinary) * np.linalg.norm(ordinary, axis=1, keepdims=True) / 12 ** .5
    noise = np.abs(rng.normal(size=(500, 12))) * 8
    for name, H in [("far", far), ("spread", spread), ("noise", noise)]:
        novelty = model.score({"h": H})
        assert np.median(novelty) > 0.99, name
        assert np.mean(novelty > 0.99) > 0.8, name


def test_only_the_named_layer_is_read(synthetic):
    model, draw, y_new, _, _ = synthetic
    H = draw(y_new[:50])
    assert model.layers == ("h",)
    np.testing.assert_array_equal(
        model.score({"h": H}), model.score({"h": H, "other": np.zeros((3, 2))}))


def test_deterministic_and_seeded(synthetic):
    _, _, _, H, y = synthetic
    probe = {"h": H[:300] * 1.5}
    a = NoveltyModel(layer="h").fit({"h": H}, y, random_state=3).score(probe)
    b = NoveltyModel(layer="h").fit({"h": H}, y, random_state=3).score(probe)
    c = NoveltyModel(layer="h").fit({"h": H}, y, random_state=4).score(probe)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)  # another calibration split


def test_pickle_round_trip_holds_plain_arrays(synthetic):
    model, draw, y_new, _, _ = synthetic
    H = draw(y_new[:200])
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.score({"h": H}), model.score({"h": H}))
    for value in vars(model).values():
        assert value is None or isinstance(
            value, (np.ndarray, str, int, float, np.integer, np.floating))


def test_any_labels_and_tiny_classes():
    rng = np.random.default_rng(0)
    y = np.array(["a"] * 60 + ["b"] * 60 + ["c"])  # "c": one row, no covariance of its own
    H = np.abs(rng.normal(size=(121, 5)))
    model = NoveltyModel(layer="h").fit({"h": H}, y, random_state=0)
    novelty = model.score({"h": H})
    assert np.isfinite(novelty).all() and set(model.classes_) <= {"a", "b", "c"}


def test_dead_units_do_not_break_the_fit():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    H = np.abs(rng.normal(size=(300, 6)))
    H[:, 2] = 0.0  # a dead ReLU unit: zero variance everywhere
    model = NoveltyModel(layer="h").fit({"h": H}, y, random_state=0)
    probe = H[:20].copy()
    assert np.isfinite(model.score({"h": probe})).all()
    probe[:, 2] = 5.0  # the dead unit wakes up: nothing in training did that
    assert np.all(model.score({"h": probe}) == 1.0)


@pytest.mark.parametrize(
    "activations, y, error, match",
    [
        (np.zeros((20, 3)), np.zeros(20), TypeError, "mapping"),
        ({"other": np.zeros((20, 3))}, np.zeros(20), ValueError, "no layer 'h'"),
        ({"h": np.zeros(20)}, np.zeros(20), ValueError, "2-D"),
        ({"h": np.array([["a"] * 3] * 20)}, np.zeros(20), ValueError, "real 2-D"),
        ({"h": np.full((20, 3), np.nan)}, np.zeros(20), ValueError, "NaN"),
        ({"h": np.zeros((20, 3))}, np.zeros(19), ValueError, "one label per row"),
        ({"h": np.zeros((MIN_ROWS - 1, 3))}, np.zeros(MIN_ROWS - 1), ValueError, "at least"),
    ],
)
def test_fit_validation(activations, y, error, match):
    with pytest.raises(error, match=match):
        NoveltyModel(layer="h").fit(activations, y, random_state=0)


@pytest.mark.parametrize(
    "params, match",
    [({"calibration_fraction": 1.0}, "calibration_fraction"),
     ({"max_calibration": 1}, "max_calibration"),
     ({"max_fit": 2.5}, "max_fit")],
)
def test_parameter_validation(params, match):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=match):
        NoveltyModel(layer="h", **params).fit({"h": rng.normal(size=(50, 3))},
                                              rng.integers(0, 2, 50))


def test_score_validation(synthetic):
    model = synthetic[0]
    with pytest.raises(ValueError, match="have 5 units; the model was fitted on 12"):
        model.score({"h": np.zeros((4, 5))})
    with pytest.raises(ValueError, match="infinity"):
        model.score({"h": np.full((4, 12), np.inf)})
    with pytest.raises(NotFittedError, match="not fitted"):
        NoveltyModel(layer="h").score({"h": np.zeros((4, 12))})


def test_imports_no_tensorflow(run_python):
    result = run_python("""
        import sys
        import numpy as np
        from skmnist._novelty import NoveltyModel  # a fresh interpreter: named here
        rng = np.random.default_rng(0)
        H, y = np.abs(rng.normal(size=(100, 4))), rng.integers(0, 2, 100)
        NoveltyModel(layer="h").fit({"h": H}, y, random_state=0).score({"h": H})
        print("tensorflow" in sys.modules, "keras" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_tiny_network_on_the_sample(mnist):
    """Digits of the held-out sample score like the calibration rows; noise scores near 1."""
    from _internals import keras

    from skmnist import FCNClassifier, PixelScaler

    X, y, X_test, _ = mnist
    X, X_test = PixelScaler().fit_transform(X[:3000]), PixelScaler().fit_transform(X_test)
    y = y[:3000]
    est = FCNClassifier(hidden_layer_sizes=(64, 16), epochs=5, random_state=0).fit(X, y)
    hidden = keras.Model(est.model_.inputs, est.model_.get_layer("hidden_1").output)
    model = NoveltyModel(layer="hidden_1").fit(
        {"hidden_1": hidden.predict(X, verbose=0)}, y, random_state=0)
    digits = model.score({"hidden_1": hidden.predict(X_test, verbose=0)})
    rng = np.random.default_rng(0)
    noise = model.score({"hidden_1": hidden.predict(
        rng.random((100, X.shape[1]), dtype=np.float32), verbose=0)})
    assert np.mean(digits > 0.99) < 0.05  # 1,000 unseen digits: few flagged
    assert np.median(noise) > 0.99 and np.mean(noise > 0.99) > 0.9


def test_wide_layers_are_projected():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 1500)
    draw = relu_features(rng, n_classes=3, units_per_class=40)  # 120 units
    model = NoveltyModel(layer="h", max_features=16).fit({"h": draw(y)}, y, random_state=0)
    assert model.projection_.shape == (120, 16)
    assert model.whiten_.shape == (16, 2 * 3 * 16)  # bounded by max_features, not the width
    ordinary = model.score({"h": draw(rng.integers(0, 3, 1000))})
    assert abs(np.mean(ordinary > 0.9) - 0.1) < 0.04
    assert np.median(model.score({"h": draw(y[:200]) * 6})) > 0.99
    assert NoveltyModel(layer="h").fit({"h": draw(y)}, y, random_state=0).projection_.shape \
        == (120, 64)  # the default max_features


def test_several_layers_side_by_side():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 600)
    a, b = np.abs(rng.normal(size=(600, 4))), np.abs(rng.normal(size=(600, 3)))
    both = NoveltyModel(layer=("a", "b")).fit({"a": a, "b": b}, y, random_state=0)
    assert both.layers == ("a", "b") and both.n_features_ == 7
    stacked = NoveltyModel(layer="ab").fit({"ab": np.hstack([a, b])}, y, random_state=0)
    probe = {"a": a[:50] * 2, "b": b[:50], "ab": np.hstack([a[:50] * 2, b[:50]])}
    np.testing.assert_array_equal(both.score(probe), stacked.score(probe))
    with pytest.raises(ValueError, match="different numbers of rows"):
        both.score({"a": a[:5], "b": b[:4]})
    with pytest.raises(ValueError, match="no layer 'b'"):
        both.score({"a": a[:5]})
    with pytest.raises(TypeError, match="tuple of str"):
        NoveltyModel(layer=()).fit({"a": a}, y)


def test_at_most_max_rows_are_used():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    H = np.abs(rng.normal(size=(400, 3)))
    model = NoveltyModel(layer="h", max_calibration=50, max_fit=100)
    assert model.max_rows == 150
    model.fit({"h": H}, y, random_state=0)
    assert model.n_calibration_ == 50 and model.calibration_statistic_.shape == (50,)


def test_narrow_layers_are_not_projected(synthetic):
    assert synthetic[0].projection_ is None  # 12 units


# ------------------------------------------------------------------ EntropyNovelty
def test_entropy_novelty_is_the_calibrated_rank_of_the_entropy():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.full(10, 0.1), size=3000)
    model = EntropyNovelty().fit({"proba": proba}, None, random_state=0)
    assert model.n_calibration_ == 600  # 20% of the rows
    fresh = rng.dirichlet(np.full(10, 0.1), size=4000)
    novelty = model.score({"proba": fresh})
    # like the training data: about uniform, ~1% above 0.99
    assert 0.005 < np.mean(novelty > 0.99) < 0.02
    assert abs(np.mean(novelty > 0.5) - 0.5) < 0.05
    # more hesitant, more novel; an even spread is beyond every calibration row
    spread = np.vstack([np.eye(10)[0], np.full(10, 0.1)])
    assert list(model.score({"proba": spread})) == [0.0, 1.0]
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.score({"proba": fresh}), novelty)


@pytest.mark.parametrize("activations, match", [
    ({}, "proba"),
    ({"proba": np.full((20, 3), np.nan)}, "finite"),
    ({"proba": np.ones(20)}, "2-D"),
    ({"proba": np.full((3, 3), 1 / 3)}, "at least"),
])
def test_entropy_novelty_bad_input(activations, match):
    with pytest.raises(ValueError, match=match):
        EntropyNovelty().fit(activations, None)


def test_entropy_novelty_not_fitted():
    with pytest.raises(NotFittedError):
        EntropyNovelty().score({"proba": np.full((2, 3), 1 / 3)})
