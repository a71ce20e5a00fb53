"""Safe persistence with skops, and what any saved file must survive: damage and versions."""

import io
import pickle
import zipfile

import numpy as np
import pytest
import skops.io as sio
from _compare import loaded_values
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline

from skmnist import DigitNormalizer, FCNClassifier, MDNClassifier, PixelScaler
from skmnist.persistence import dump, load, trusted_types


@pytest.fixture(scope="module")
def models(mnist):
    X, y, _, _ = mnist
    fitted = {
        "fcn": make_pipeline(DigitNormalizer(), PixelScaler(),
                             FCNClassifier((12,), epochs=1, random_state=0)),
        "mdn_conv": make_pipeline(
            PixelScaler(),
            MDNClassifier((8,), conv_filters=(3,), n_components=3, epochs=1, random_state=0),
        ),
    }
    for model in fitted.values():
        model.fit(X[:300], y[:300])
    return fitted


def saved(model):
    buffer = io.BytesIO()
    dump(model, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["fcn", "mdn_conv"])
def test_skops_round_trip_predicts_the_same(models, mnist, name):
    X_test = mnist[2][:40]
    loaded = load(io.BytesIO(saved(models[name])))
    # everything it computes, novelty and the MDN's mixture and draws included, bit for bit
    expected, got = loaded_values(models[name], X_test), loaded_values(loaded, X_test)
    assert "uncertainty_novelty" in expected and (name == "fcn" or "mixture_means" in expected)
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert_array_equal(got[key], value, err_msg=key)
    # the Keras model is there too, rebuilt on demand, with the same weights
    for a, b in zip(loaded[-1].model_.get_weights(), models[name][-1].model_.get_weights()):
        assert_array_equal(a, b)


def test_trusted_types_cover_every_type_a_fitted_model_holds(models):
    """A new type in a fitted model's state must be added to trusted_types (or load fails)."""
    for model in models.values():
        held = sio.get_untrusted_types(data=saved(model))
        skmnist_types = {t for t in held if t.startswith("skmnist.")}
        assert skmnist_types, held
        assert skmnist_types <= set(trusted_types())
        assert set(held) - skmnist_types == set()  # nothing else needs trust


class Shouter(TransformerMixin, BaseEstimator):
    """A type skmnist does not know: loading it must need the user's explicit trust."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def test_untrusted_types_are_refused_unless_trusted(models, mnist):
    X, y, X_test, _ = mnist
    model = make_pipeline(Shouter(), PixelScaler(), FCNClassifier((4,), epochs=1,
                                                                  random_state=0))
    data = saved(model.fit(X[:100], y[:100]))
    with pytest.raises(ValueError, match="not trusted.*Shouter"):
        load(io.BytesIO(data))
    name = f"{Shouter.__module__}.Shouter"
    assert_array_equal(load(io.BytesIO(data), trusted=[name]).predict(X_test[:5]),
                       model.predict(X_test[:5]))


def test_truncated_and_altered_files_are_clear_errors(models):
    data = saved(models["fcn"])
    for broken in (data[: len(data) // 2], data[:100], b"not a model at all"):
        with pytest.raises(ValueError, match="not a complete skops model file"):
            load(io.BytesIO(broken))
    # flip bytes inside a stored member: the zip checksum catches it
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = max(z.infolist(), key=lambda i: i.file_size)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    altered = data[:start] + bytes(b ^ 0xFF for b in data[start : start + 8]) + data[start + 8:]
    with pytest.raises(ValueError, match="not a complete skops model file"):
        load(io.BytesIO(altered))


def test_altered_network_is_refused_at_load(models):
    """A state whose network does not fit the estimator fails at load, not at predict."""
    est = models["fcn"][-1]
    state = est.__getstate__()
    network = pickle.loads(pickle.dumps(state["_network"]))
    network.layers = network.layers[:-1]  # drop the output layer: 12 outputs, not 10
    clone = FCNClassifier.__new__(FCNClassifier)
    with pytest.raises(ValueError, match="damaged or was altered: the SHA-256 digest of its "
                       "NumPy network"):
        clone.__setstate__({**state, "_network": network})
    # a file without an integrity record (an early development version) is still checked
    state.pop("_skmnist_integrity")
    with pytest.warns(UserWarning, match="without an integrity record"), \
            pytest.raises(ValueError, match="damaged or inconsistent"):
        clone.__setstate__({**state, "_network": network})


def test_file_from_a_newer_skmnist_is_refused(models, monkeypatch):
    from _internals import fitted

    est = models["fcn"][-1]
    monkeypatch.setattr(fitted, "_STATE_LAYOUT", fitted._STATE_LAYOUT + 1)
    newer = pickle.dumps(est)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="newer skmnist.*Upgrade skmnist"):
        pickle.loads(newer)
    assert_array_equal(pickle.loads(pickle.dumps(est)).classes_, np.arange(10))
