"""predict_uncertainty on both networks: novelty fitted with every fit, and its bad inputs."""

import os
import pickle
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skmnist import FCNClassifier, MDNClassifier

LEGACY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


@pytest.fixture(scope="module", params=[FCNClassifier, MDNClassifier])
def fitted(request, mnist):
    X, y, _, _ = mnist
    est = request.param((64, 20), epochs=4, random_state=0)
    return est.fit(X[:3000] / np.float32(255), y[:3000])


def test_novelty_is_calibrated_on_digits_and_flags_non_digits(fitted, mnist):
    X_test = mnist[2] / np.float32(255)
    novelty = fitted.predict_uncertainty(X_test).novelty
    assert novelty.shape == (len(X_test),)
    assert novelty.min() >= 0 and novelty.max() <= 1
    # held-out digits: roughly uniform, few flagged at the documented 0.99 reading
    assert 0.35 < np.median(novelty) < 0.75
    assert (novelty > 0.99).mean() < 0.04
    rng = np.random.RandomState(0)
    noise = rng.rand(200, 784).astype(np.float32)
    inverted = 1 - X_test[:200]
    for images in (noise, inverted):
        assert (fitted.predict_uncertainty(images).novelty > 0.99).mean() > 0.9


@pytest.mark.parametrize("Estimator", [FCNClassifier, MDNClassifier])
def test_novelty_is_calibrated_on_rows_it_was_not_fitted_on(Estimator, mnist):
    """Few rows and a wide layer: in-sample distances are far smaller than unseen ones.

    Calibrated on the held-out rows, unseen digits read about uniformly; calibrated on the
    rows the class statistics were fitted on (the mistake this guards against), about 80%
    of unseen digits read above 0.99 (measured), and the fitted rows read uniformly instead.
    """
    X, y, _, _ = mnist
    X = X / np.float32(255)
    est = Estimator((64,), epochs=3, random_state=0).fit(X[:600], y[:600])
    unseen = est.predict_uncertainty(X[3000:4000]).novelty  # neither trained nor calibrated on
    assert (unseen > 0.99).mean() < 0.05  # measured 0.018 (FCN), 0.007 (MDN)
    assert 0.35 < np.median(unseen) < 0.7  # measured 0.54, 0.55
    # 80% of the training rows fitted the statistics: they read far below the held-out
    # 20%, so the median of all training rows is low (measured 0.06, 0.03)
    assert np.median(est.predict_uncertainty(X[:600]).novelty) < 0.3


def test_uncertainty_fields(fitted, mnist):
    X_test = mnist[2][:50] / np.float32(255)
    u = fitted.predict_uncertainty(X_test)
    expected = {"entropy", "max_proba", "novelty"}
    if isinstance(fitted, MDNClassifier):
        expected |= {"mean", "aleatoric_variance", "multimodality_variance", "total_variance"}
    assert set(u) == expected
    proba = fitted.predict_proba(X_test)
    assert_allclose(u.max_proba, proba.max(axis=1), rtol=1e-6)
    # The entropy (in nats) of the predicted class distribution.
    p = proba.astype(np.float64)
    assert_allclose(u.entropy, -np.sum(p * np.log(p), axis=1), rtol=1e-5, atol=1e-6)


def test_novelty_pickles_and_is_deterministic(fitted, mnist):
    X, y, X_test, _ = mnist
    X_test = X_test[:100] / np.float32(255)
    loaded = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(loaded.predict_uncertainty(X_test).novelty,
                       fitted.predict_uncertainty(X_test).novelty)
    again = type(fitted)(**fitted.get_params()).fit(X[:3000] / np.float32(255), y[:3000])
    assert_array_equal(again.predict_uncertainty(X_test).novelty,
                       fitted.predict_uncertainty(X_test).novelty)


def test_partial_fit_refits_novelty_and_says_when_it_cannot(mnist):
    X, y, X_test, _ = mnist
    X, X_test = X[:1000] / np.float32(255), X_test[:100] / np.float32(255)
    clf = FCNClassifier((32, 8), random_state=0).partial_fit(X, y[:1000], classes=np.arange(10))
    first = clf.predict_uncertainty(X_test).novelty
    clf.partial_fit(X, y[:1000])
    assert not np.array_equal(clf.predict_uncertainty(X_test).novelty, first)
    clf.partial_fit(X[:5], y[:5])  # too few rows to fit the statistics of this network
    with pytest.warns(UserWarning, match="novelty is unavailable: .*saw 5 samples"):
        u = clf.predict_uncertainty(X_test)
    assert "novelty" not in u and "entropy" in u


def test_model_saved_by_0_1_says_why_novelty_is_missing(mnist):
    with pytest.warns(UserWarning, match="without an integrity record"):
        est = joblib.load(os.path.join(LEGACY, "legacy_0.1.0_mdn.joblib"))
    X_test = mnist[2][:10] / np.float32(255)
    with pytest.warns(UserWarning, match="novelty is unavailable.*0.1.*refit"):
        u = est.predict_uncertainty(X_test)
    assert_allclose(u.max_proba, est.predict_proba(X_test).max(axis=1), rtol=1e-6)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.zeros((3, 783)), ValueError, "783 features"),
        (np.full((3, 784), np.nan), ValueError, "NaN"),
        # float32, C-ordered, the right width: the fast validation path must still refuse
        (np.full((3, 784), np.nan, dtype=np.float32), ValueError, "NaN"),
        (np.full((3, 784), np.inf, dtype=np.float32), ValueError, "infinity"),
        (np.full((3, 784), 5.0, dtype=np.float32), None, None),  # unscaled, but valid
        # finite (its sum is not), but it overflows the network: a clear error, not NaN
        (np.full((3, 784), 3e38, dtype=np.float32), ValueError, "not finite for 3 row"),
        (np.zeros((0, 784)), ValueError, "0 sample"),
    ],
)
def test_predict_uncertainty_validates_like_predict_proba(fitted, bad, error, match):
    if error is None:  # valid input: both accept it
        proba = fitted.predict_proba(bad)
        assert proba.shape == (len(bad), 10) and np.all(np.isfinite(proba))
        assert_allclose(fitted.predict_uncertainty(bad).max_proba, proba.max(axis=1), rtol=1e-6)
        return
    with pytest.raises(error, match=match):
        fitted.predict_proba(bad)
    with pytest.raises(error, match=match):
        fitted.predict_uncertainty(bad)


def test_predict_uncertainty_needs_a_fitted_model():
    from sklearn.exceptions import NotFittedError

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(NotFittedError):
            FCNClassifier().predict_uncertainty(np.zeros((2, 784)))
