"""The ``outlier_exposure`` parameter: training on non-digits made from the training images."""

import pickle

import numpy as np
import pytest
from _internals import OutlierExposureLoss, make_outliers
from scipy import ndimage
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from skmnist import FCNClassifier, MDNClassifier, PixelScaler, load_mnist_sample


@pytest.fixture(scope="module")
def sample():
    X, y = load_mnist_sample(return_X_y=True)
    return PixelScaler().fit_transform(X), np.asarray(y)


def blobs(n, seed=0):
    """Smooth random ink blots in the middle of the frame: not digits, and not anything the
    outlier generators make (they only cut, mirror, turn and overlay digits)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, 28, 28), np.float32)
    for k in range(n):
        field = ndimage.gaussian_filter(rng.normal(size=(28, 28)), 3.0)
        out[k] = ndimage.gaussian_filter((field > np.quantile(field, 0.85)).astype(float), 0.7)
    return np.clip(1.5 * out, 0, 1).reshape(n, -1)


def entropy(P):
    return -(P * np.log(np.clip(P, 1e-12, 1))).sum(axis=1)


def test_make_outliers(sample):
    X, y = sample
    X, y = X[:1000], y[:1000]
    classes = np.arange(10)
    a = make_outliers(X, y, (28, 28), classes, 600, seed=0)
    b = make_outliers(X, y, (28, 28), classes, 600, seed=0)
    c = make_outliers(X, y, (28, 28), classes, 600, seed=1)
    np.testing.assert_array_equal(a, b)  # seeded
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32 and a.shape[1] == 784 and 550 <= len(a) <= 600
    assert a.min() >= 0 and a.max() <= 1
    # made from the digits, none of them a training digit itself
    distances = ((a[:, None, :] - X[None, :300, :]) ** 2).sum(-1)
    assert distances.min() > 1.0
    # other labels (not the ten digits): no mirror images or turns, still outliers
    letters = np.array(list("abcdefghij"))
    assert len(make_outliers(X, y, (28, 28), letters, 100, seed=0)) > 80
    with pytest.raises(ValueError, match="single-channel"):
        make_outliers(X, y, (28, 28, 3), classes, 10, seed=0)


@pytest.mark.parametrize("bad", [0, -0.5, "yes"])
def test_invalid_weight(sample, bad):
    X, y = sample
    with pytest.raises(InvalidParameterError, match="outlier_exposure"):
        FCNClassifier((8,), epochs=1, outlier_exposure=bad).fit(X[:200], y[:200])


def test_needs_images(sample):
    X, y = sample
    with pytest.raises(ValueError, match="image_shape"):
        FCNClassifier((8,), epochs=1, image_shape=None, outlier_exposure=0.5).fit(
            X[:200], y[:200]
        )


def test_default_is_off(sample):
    X, y = sample
    clf = FCNClassifier((8,), epochs=1, random_state=0).fit(X[:300], y[:300])
    assert clf.outlier_exposure is None
    assert not isinstance(clf.model_.loss, OutlierExposureLoss)


@pytest.mark.parametrize("cls", [FCNClassifier, MDNClassifier])
def test_deterministic_pickles_and_warm_starts(sample, cls, tmp_path):
    from skmnist import persistence

    X, y = sample
    X, y = X[:1500], y[:1500]
    params = dict(hidden_layer_sizes=(32, 8), epochs=2, outlier_exposure=0.5, random_state=0)
    a = cls(**params).fit(X, y)
    b = cls(**params).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X[:50]), b.predict_proba(X[:50]))
    assert isinstance(a.model_.loss, OutlierExposureLoss)
    novelty = a.predict_uncertainty(X[:50]).novelty  # calibrated on the digits as usual
    assert novelty.min() >= 0 and novelty.max() <= 1
    # a skops file (the trusted types include the novelty of an outlier-exposed network)
    persistence.dump(a, tmp_path / "model.skops")
    loaded = persistence.load(tmp_path / "model.skops")
    np.testing.assert_array_equal(loaded.predict_uncertainty(X[:50]).novelty, novelty)
    # the pickled model rebuilds its loss and keeps training with it
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_allclose(c.predict_proba(X[:50]), a.predict_proba(X[:50]), rtol=1e-5)
    assert isinstance(c.model_.loss, OutlierExposureLoss)
    c.set_params(warm_start=True, epochs=1).fit(X, y)
    assert c.n_iter_ == 3
    # switched off on a warm start: the head's own loss again
    c.set_params(outlier_exposure=None).fit(X, y)
    assert not isinstance(c.model_.loss, OutlierExposureLoss)
    assert np.isfinite(c.loss_)


def _entropy_auroc(clf, X_digits, X_other):
    digits, other = entropy(clf.predict_proba(X_digits)), entropy(clf.predict_proba(X_other))
    labels = np.r_[np.zeros(len(digits)), np.ones(len(other))]
    return roc_auc_score(labels, np.r_[digits, other])


@pytest.mark.parametrize(
    "cls", [FCNClassifier, pytest.param(MDNClassifier, marks=pytest.mark.slow)]
)
def test_raises_novelty_separation(sample, cls):
    """Held-out digits against ink blots: the entropy tells them apart far better after
    outlier exposure, at no cost in accuracy on the sample."""
    X, y = sample
    train, test, other = slice(0, 4000), slice(4000, None), blobs(300)
    params = dict(hidden_layer_sizes=(64, 16), epochs=8, random_state=0)
    plain = cls(**params).fit(X[train], y[train])
    exposed = cls(**params, outlier_exposure=0.5).fit(X[train], y[train])
    before = _entropy_auroc(plain, X[test], other)
    after = _entropy_auroc(exposed, X[test], other)
    assert after > 0.9 and after > before + 0.15, (before, after)
    assert exposed.score(X[test], y[test]) > plain.score(X[test], y[test]) - 0.02
    # predict_uncertainty's novelty reads that entropy: the same order, calibrated on
    # training digits (few held-out digits above 0.99, most blots)
    u_digits, u_other = exposed.predict_uncertainty(X[test]), exposed.predict_uncertainty(other)
    order = np.argsort(u_digits.entropy, kind="stable")
    assert np.all(np.diff(u_digits.novelty[order]) >= 0)
    labels = np.r_[np.zeros(len(u_digits.novelty)), np.ones(len(u_other.novelty))]
    assert roc_auc_score(labels, np.r_[u_digits.novelty, u_other.novelty]) > after - 0.01
    assert np.mean(u_digits.novelty > 0.99) < 0.05
    assert np.mean(u_other.novelty > 0.99) > 0.5
