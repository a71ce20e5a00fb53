"""Tests for skmnist.preprocessing.PixelScaler."""

import os
import pickle
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
from _internals import is_aligned
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmnist.preprocessing import PixelScaler


@pytest.fixture
def images():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(12, 28, 28)).astype(np.uint8)
    X[0, 0, 0], X[0, 0, 1] = 0, 255  # make sure both ends of the range occur
    return X


# ----------------------------------------------------------------- sklearn checks
@parametrize_with_checks([PixelScaler(), PixelScaler(max_value=1.0, clip=True)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_array_api_check_passes_when_enabled():
    # check_array_api_input is skipped unless SCIPY_ARRAY_API is set before scipy is
    # imported, so run the whole of check_estimator once in a fresh interpreter.
    code = textwrap.dedent(
        """
        from sklearn.utils.estimator_checks import check_estimator
        from skmnist.preprocessing import PixelScaler
        res = check_estimator(PixelScaler(), on_fail=None)
        bad = [(r["check_name"], r["status"]) for r in res if r["status"] != "passed"]
        assert not bad, bad
        print(len(res))
        """
    )
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert int(out.stdout.split()[-1]) > 40


def test_tags():
    tags = get_tags(PixelScaler())
    assert tags.requires_fit is False
    assert tags.input_tags.three_d_array is True
    assert tags.input_tags.sparse is False
    assert tags.transformer_tags.preserves_dtype == ["float32"]


# ----------------------------------------------------------------- scaling
def test_images_and_flat_give_identical_float32_output(images):
    flat = images.reshape(len(images), -1)
    Xt_img = PixelScaler().fit_transform(images)
    Xt_flat = PixelScaler().fit_transform(flat)
    assert Xt_img.dtype == np.float32 and Xt_flat.dtype == np.float32
    assert Xt_img.shape == (12, 784)
    assert Xt_img.flags.c_contiguous
    np.testing.assert_array_equal(Xt_img, Xt_flat)
    assert Xt_img.min() == 0.0 and Xt_img.max() == 1.0


def test_divides_by_255(images):
    Xt = PixelScaler().fit_transform(images)
    expected = images.reshape(12, -1).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(Xt, expected)
    np.testing.assert_allclose(Xt, images.reshape(12, -1) / 255.0, rtol=1e-6)
    Xt = PixelScaler().fit_transform(np.array([[0, 51, 255]], dtype=np.uint8))
    np.testing.assert_array_equal(Xt, np.array([[0.0, 0.2, 1.0]], dtype=np.float32))


def test_fit_transform_equals_fit_then_transform(images):
    a = PixelScaler().fit_transform(images)
    b = PixelScaler().fit(images).transform(images)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "dtype", [np.uint8, np.uint16, np.int16, np.int32, np.int64, np.float16, np.float64]
)
def test_any_numeric_dtype_gives_float32(images, dtype):
    X = images.astype(dtype)
    Xt = PixelScaler().fit_transform(X)
    assert Xt.dtype == np.float32
    np.testing.assert_allclose(Xt, images.reshape(12, -1) / 255.0, rtol=1e-6)
    # Allocated at a TensorFlow alignment boundary: the networks read it without a copy.
    assert is_aligned(Xt) and Xt.flags.c_contiguous and Xt.flags.writeable


def test_bool_input():
    X = np.array([[True, False], [False, True]])
    Xt = PixelScaler(max_value=1).fit_transform(X)
    np.testing.assert_array_equal(Xt, np.eye(2, dtype=np.float32))


def test_float32_input_is_not_upcast_nor_modified(images):
    X = images.reshape(12, -1).astype(np.float32)
    X_before = X.copy()
    scaler = PixelScaler().fit(X)
    Xt = scaler.transform(X)
    assert Xt.dtype == np.float32
    assert not np.shares_memory(Xt, X)
    np.testing.assert_array_equal(X, X_before)
    Xt = scaler.inverse_transform(Xt)
    assert Xt.dtype == np.float32


def test_input_is_never_modified(images):
    for X in (images, images.astype(np.float64), images.astype(np.float32)):
        X_before = X.copy()
        PixelScaler().fit_transform(X)
        np.testing.assert_array_equal(X, X_before)


def test_readonly_input(images):
    images.setflags(write=False)
    Xt = PixelScaler().fit_transform(images)
    assert Xt.flags.writeable
    X32 = images.astype(np.float32)
    X32.setflags(write=False)
    np.testing.assert_array_equal(PixelScaler().fit_transform(X32), Xt)


def test_list_and_non_contiguous_input(images):
    expected = PixelScaler().fit_transform(images[:, ::2, ::2])
    assert expected.shape == (12, 196)
    np.testing.assert_array_equal(
        PixelScaler().fit_transform(images[:, ::2, ::2].tolist()), expected
    )
    for dtype in (np.float64, np.float32):
        X = images.astype(dtype)
        np.testing.assert_array_equal(PixelScaler().fit_transform(X[:, ::2, ::2]), expected)
        np.testing.assert_array_equal(
            PixelScaler().fit_transform(np.asfortranarray(X)), PixelScaler().fit_transform(images)
        )


def _peak_bytes(func, *args):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = func(*args)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return out, peak


@pytest.mark.parametrize("layout", ["images", "flat", "non_contiguous"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_no_float64_copy(layout, dtype):
    # The whole transform allocates about one float32 output: a float64 copy of the
    # data (8 bytes per pixel) would at least triple the peak.
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(2000, 28, 28)).astype(dtype)
    if layout == "flat":
        X = X.reshape(len(X), -1)
    elif layout == "non_contiguous":
        X = np.asfortranarray(X)
    scaler = PixelScaler().fit(X[:5])
    out_bytes = 2000 * 784 * 4
    Xt, peak = _peak_bytes(scaler.transform, X)
    assert Xt.dtype == np.float32
    assert peak < 1.5 * out_bytes, peak / out_bytes
    Xt, peak = _peak_bytes(PixelScaler().fit_transform, X)
    assert peak < 1.5 * out_bytes, peak / out_bytes


def test_max_value():
    X = np.array([[0, 32768, 65535]], dtype=np.uint16)
    Xt = PixelScaler(max_value=65535).fit_transform(X)
    np.testing.assert_allclose(Xt, [[0.0, 32768 / 65535, 1.0]], rtol=1e-6)
    X = np.array([[0.0, 0.25, 1.0]])
    np.testing.assert_array_equal(PixelScaler(max_value=1.0).fit_transform(X), X)


# ----------------------------------------------------------------- clip / out of range
@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[-3, 0, 10]]), r"must lie in \[0, 255\]; found min -3\b"),
        (np.array([[0, 256, 10]], dtype=np.int16), r"must lie in \[0, 255\]; found max 256\b"),
        (np.array([[-1, 300]]), r"found min -1 and max 300"),
    ],
)
def test_integer_out_of_range_raises(X, match):
    with pytest.raises(ValueError, match=match):
        PixelScaler().fit(X)
    scaler = PixelScaler().fit(np.zeros_like(X))
    with pytest.raises(ValueError, match=match):
        scaler.transform(X)
    with pytest.raises(ValueError, match=match):
        PixelScaler().transform(X)  # stateless use


def test_integer_out_of_range_mentions_max_value():
    with pytest.raises(ValueError, match=r"\[0, 1\]; found max 255"):
        PixelScaler(max_value=1).fit_transform(np.array([[0, 255]], dtype=np.uint8))


def test_integer_out_of_range_with_clip():
    X = np.array([[-3, 0, 51, 255, 300]])
    Xt = PixelScaler(clip=True).fit_transform(X)
    np.testing.assert_array_equal(Xt, np.array([[0, 0, 0.2, 1, 1]], dtype=np.float32))


def test_float_out_of_range_is_scaled_linearly_or_clipped():
    X = np.array([[-25.5, 0.0, 127.5, 510.0]])
    Xt = PixelScaler().fit_transform(X)
    np.testing.assert_allclose(Xt, [[-0.1, 0.0, 0.5, 2.0]], rtol=1e-6)
    np.testing.assert_allclose(PixelScaler().inverse_transform(Xt), X, rtol=1e-6)
    Xt = PixelScaler(clip=True).fit_transform(X)
    np.testing.assert_allclose(Xt, [[0.0, 0.0, 0.5, 1.0]], rtol=1e-6)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "bad, match",
    [(np.nan, "Input X contains NaN"), (np.inf, "Input X contains infinity")],
)
@pytest.mark.parametrize("shape", [(2, 3), (2, 2, 3)])
def test_nan_and_inf_raise(bad, match, shape):
    X = np.zeros(shape)
    X.flat[1] = bad
    with pytest.raises(ValueError, match=match):
        PixelScaler().fit(X)
    with pytest.raises(ValueError, match=match):
        PixelScaler().fit(np.zeros(shape)).transform(X)


def test_string_input_raises():
    with pytest.raises(ValueError, match="strings"):
        PixelScaler().fit(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="numeric pixel values.*could not convert string"):
        PixelScaler().fit(np.array([[1, "b"], [2, 3]], dtype=object))
    with pytest.raises(TypeError, match="numeric pixel values.*must be a string or a"):
        PixelScaler().fit(np.array([[1, {"a": 1}], [2, 3]], dtype=object))


def test_numeric_object_input_is_accepted():
    X = np.array([[0, 51], [255, 102]], dtype=object)
    Xt = PixelScaler().fit_transform(X)
    assert Xt.dtype == np.float32
    np.testing.assert_allclose(Xt, [[0.0, 0.2], [1.0, 0.4]], rtol=1e-6)


def test_complex_input_raises():
    with pytest.raises(ValueError, match="Complex data not supported"):
        PixelScaler().fit(np.ones((2, 2), dtype=complex))


@pytest.mark.parametrize(
    "shape, match",
    [
        ((0, 784), r"0 sample\(s\)"),
        ((0, 28, 28), r"0 sample\(s\)"),
        ((5, 0), r"0 feature\(s\)"),
        ((5, 0, 28), r"0 feature\(s\)"),
    ],
)
def test_empty_input_raises(shape, match):
    X = np.zeros(shape, dtype=np.uint8)
    with pytest.raises(ValueError, match=match):
        PixelScaler().fit(X)
    with pytest.raises(ValueError, match=match):
        PixelScaler().transform(X)


@pytest.mark.parametrize(
    "make", [sparse.csr_matrix, sparse.csr_array, sparse.coo_matrix, sparse.csc_array]
)
def test_sparse_input_raises_type_error(make):
    X = make(np.eye(3))
    with pytest.raises(TypeError, match="does not support sparse input.*toarray"):
        PixelScaler().fit(X)
    with pytest.raises(TypeError, match="does not support sparse input"):
        PixelScaler().transform(X)
    with pytest.raises(TypeError, match="does not support sparse input"):
        PixelScaler().inverse_transform(X)


def test_1d_and_scalar_input_raise():
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        PixelScaler().fit(np.arange(5, dtype=np.uint8))
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        PixelScaler().fit([1, 2, 3])
    with pytest.raises(ValueError, match="Expected 2D array, got scalar array"):
        PixelScaler().fit(np.uint8(3))


@pytest.mark.parametrize("shape", [(2, 28, 28, 1), (2, 3, 4, 5, 6)])
def test_4d_and_more_raise(shape):
    X = np.zeros(shape, dtype=np.uint8)
    with pytest.raises(ValueError, match=rf"got a {len(shape)}-D array.*X\[\.\.\., 0\]"):
        PixelScaler().fit(X)
    with pytest.raises(ValueError, match=rf"got a {len(shape)}-D array"):
        PixelScaler().transform(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"max_value": 0}, "max_value"),
        ({"max_value": -1.0}, "max_value"),
        ({"max_value": "255"}, "max_value"),
        ({"clip": "yes"}, "clip"),
    ],
)
def test_invalid_parameters(params, match, images):
    scaler = PixelScaler(**params)
    with pytest.raises(InvalidParameterError, match=match):
        scaler.fit(images)
    with pytest.raises(InvalidParameterError, match=match):
        scaler.transform(images)


# ----------------------------------------------------------------- consistency
def test_inconsistent_n_features(images):
    scaler = PixelScaler().fit(images)
    assert scaler.n_features_in_ == 784
    assert scaler.image_shape_ == (28, 28)
    with pytest.raises(ValueError, match="X has 100 features, but PixelScaler is expecting 784"):
        scaler.transform(np.zeros((3, 100), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"images of shape \(14, 14\), but .* \(28, 28\)"):
        scaler.transform(np.zeros((3, 14, 14), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"images of shape \(14, 56\), but PixelScaler was"):
        scaler.transform(np.zeros((3, 14, 56), dtype=np.uint8))
    with pytest.raises(ValueError, match="X has 100 features, but PixelScaler is expecting 784"):
        scaler.inverse_transform(np.zeros((3, 100), dtype=np.float32))


def test_images_and_flat_are_interchangeable_after_fit(images):
    flat = images.reshape(12, -1)
    by_images = PixelScaler().fit(images)
    by_flat = PixelScaler().fit(flat)
    assert by_flat.image_shape_ is None
    np.testing.assert_array_equal(by_images.transform(flat), by_flat.transform(images))


def test_refit_resets_layout(images):
    scaler = PixelScaler().fit(images)
    scaler.fit(images[:, :10, :10].reshape(12, -1))
    assert scaler.n_features_in_ == 100
    assert scaler.image_shape_ is None
    assert scaler.transform(np.zeros((2, 100))).shape == (2, 100)


def test_stateless_transform_without_fit(images):
    scaler = PixelScaler()
    Xt = scaler.transform(images)
    assert Xt.shape == (12, 784) and Xt.dtype == np.float32
    assert not hasattr(scaler, "n_features_in_")  # transform records nothing
    assert scaler.inverse_transform(Xt).shape == (12, 784)
    with pytest.raises(NotFittedError):
        scaler.get_feature_names_out()


# ----------------------------------------------------------------- inverse_transform
def test_inverse_transform_round_trip(images):
    scaler = PixelScaler().fit(images)
    back = scaler.inverse_transform(scaler.transform(images))
    assert back.dtype == np.float32
    assert back.shape == images.shape
    np.testing.assert_array_equal(np.rint(back).astype(np.uint8), images)
    np.testing.assert_allclose(back, images, atol=1e-4)

    flat = images.reshape(12, -1)
    scaler = PixelScaler().fit(flat)
    back = scaler.inverse_transform(scaler.transform(flat))
    assert back.shape == flat.shape
    np.testing.assert_allclose(back, flat, atol=1e-4)


def test_inverse_transform_bad_input(images):
    scaler = PixelScaler().fit(images)
    with pytest.raises(ValueError, match="NaN"):
        scaler.inverse_transform(np.full((1, 784), np.nan))
    with pytest.raises(ValueError, match="Expected 2D array"):
        scaler.inverse_transform(np.zeros(784))


# ----------------------------------------------------------------- feature names / pandas
def test_get_feature_names_out_flat_and_images(images):
    names = PixelScaler().fit(np.zeros((2, 3))).get_feature_names_out()
    assert names.dtype == object
    assert names.tolist() == ["x0", "x1", "x2"]

    names = PixelScaler().fit(images).get_feature_names_out()
    assert names.dtype == object
    assert len(names) == 784
    assert names[:3].tolist() == ["pixel_0_0", "pixel_0_1", "pixel_0_2"]
    assert names[28] == "pixel_1_0"
    assert names[-1] == "pixel_27_27"

    scaler = PixelScaler().fit(np.zeros((2, 2, 3)))
    assert scaler.get_feature_names_out(list("abcdef")).tolist() == list("abcdef")
    with pytest.raises(ValueError, match="input_features should have length equal"):
        scaler.get_feature_names_out(["a", "b"])


def test_dataframe_input_records_feature_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        np.array([[0, 51, 255], [102, 0, 0]], dtype=np.uint8), columns=["p0", "p1", "p2"]
    )
    scaler = PixelScaler().fit(df)
    assert scaler.feature_names_in_.tolist() == ["p0", "p1", "p2"]
    assert scaler.n_features_in_ == 3
    assert scaler.image_shape_ is None
    assert scaler.get_feature_names_out().tolist() == ["p0", "p1", "p2"]
    Xt = scaler.transform(df)
    assert isinstance(Xt, np.ndarray) and Xt.dtype == np.float32
    np.testing.assert_allclose(Xt, df.to_numpy() / 255.0, rtol=1e-6)
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        scaler.get_feature_names_out(["a", "b", "c"])
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        scaler.transform(df.rename(columns={"p2": "q"}))
    # float32 frames are copied, never modified
    df32 = df.astype(np.float32)
    scaler.transform(df32)
    np.testing.assert_array_equal(df32.to_numpy(), df.to_numpy())


def test_set_output_pandas(images):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        images.reshape(12, -1)[:, :4],
        columns=["a", "b", "c", "d"],
        index=[f"s{i}" for i in range(12)],
    )
    scaler = PixelScaler().set_output(transform="pandas")
    out = scaler.fit_transform(df)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == ["a", "b", "c", "d"]
    assert out.index.tolist() == df.index.tolist()
    assert (out.dtypes == np.float32).all()
    np.testing.assert_allclose(out.to_numpy(), df.to_numpy() / 255.0, rtol=1e-6)
    assert isinstance(scaler.transform(df), pd.DataFrame)

    out = PixelScaler().set_output(transform="pandas").fit(images).transform(images)
    assert isinstance(out, pd.DataFrame)
    assert out.shape == (12, 784)
    assert out.columns[0] == "pixel_0_0" and out.columns[-1] == "pixel_27_27"
    assert (out.dtypes == np.float32).all()


# ----------------------------------------------------------------- sklearn API plumbing
def test_pipeline_with_sklearn_classifier():
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(3), 20)
    X = rng.randint(0, 40, size=(60, 8, 8)).astype(np.uint8)
    for k in range(3):  # a bright block per class, so the task is learnable
        X[y == k, 2 * k : 2 * k + 2, :] = 250
    model = make_pipeline(PixelScaler(), LogisticRegression(max_iter=200))
    model.fit(X, y)
    assert model.score(X, y) == 1.0
    assert model.predict(X[:5]).shape == (5,)
    proba = model.predict_proba(X)
    assert proba.shape == (60, 3)
    flat = X.reshape(60, -1)
    np.testing.assert_array_equal(
        make_pipeline(PixelScaler(), LogisticRegression(max_iter=200)).fit(flat, y).predict(flat),
        model.predict(X),
    )
    assert model[:-1].get_feature_names_out()[-1] == "pixel_7_7"


def test_clone_and_get_params():
    scaler = PixelScaler(max_value=65535, clip=True)
    assert scaler.get_params() == {"max_value": 65535, "clip": True}
    assert scaler.get_params()["max_value"] == 65535  # stored verbatim
    cloned = clone(scaler)
    assert cloned is not scaler
    assert cloned.get_params() == scaler.get_params()
    assert repr(scaler) == "PixelScaler(clip=True, max_value=65535)"
    assert repr(PixelScaler()) == "PixelScaler()"
    assert scaler.set_params(max_value=255.0) is scaler
    assert scaler.max_value == 255.0
    fitted = PixelScaler().fit(np.zeros((2, 4, 4)))
    assert not hasattr(clone(fitted), "n_features_in_")


def test_pickle_round_trip(images):
    scaler = PixelScaler(clip=True).fit(images)
    restored = pickle.loads(pickle.dumps(scaler))
    assert restored.get_params() == scaler.get_params()
    assert restored.n_features_in_ == 784
    assert restored.image_shape_ == (28, 28)
    np.testing.assert_array_equal(restored.transform(images), scaler.transform(images))
    np.testing.assert_array_equal(
        restored.get_feature_names_out(), scaler.get_feature_names_out()
    )
