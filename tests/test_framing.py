"""DigitNormalizer and its numerics (skmnist._framing): MNIST's framing of any digit image."""

import pickle
import warnings

import numpy as np
import pytest
from _internals import CENTRE, FramingError, frame_image, otsu_threshold, skew
from PIL import Image, ImageDraw
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skmnist import DigitNormalizer, PixelScaler, load_mnist_sample


def centre_of_mass(image):
    image = np.asarray(image, dtype=np.float64).reshape(28, 28)
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return (rows * image).sum() / total, (cols * image).sum() / total


def ink_box(image, level=0):
    rows, cols = np.nonzero(np.asarray(image).reshape(28, 28) > level)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def drawn_digit(size=(60, 40), dark=True, width=4, offset=(0, 0), slant=0.0):
    """A "7"-like stroke figure drawn with Pillow on a canvas of ``size`` (height, width)."""
    height, w = size
    paper, ink = (255, 0) if dark else (0, 255)
    image = Image.new("L", (w, height), paper)
    draw = ImageDraw.Draw(image)
    top, bottom = int(0.2 * height) + offset[0], int(0.8 * height) + offset[0]
    left, right = int(0.25 * w) + offset[1], int(0.75 * w) + offset[1]
    draw.line([(left, top), (right, top)], fill=ink, width=width)
    draw.line([(right, top), (left + slant * (bottom - top), bottom)], fill=ink, width=width)
    return np.asarray(image)


@pytest.fixture(scope="module")
def mnist_sample():
    return load_mnist_sample(return_X_y=True)


# ------------------------------------------------------------------ framing properties
@pytest.mark.parametrize("size", [(60, 40), (16, 16), (200, 90), (9, 30)])
@pytest.mark.parametrize("dark", [True, False])
def test_longer_side_20_and_centre_of_mass_at_the_centre(size, dark):
    out = DigitNormalizer().transform([drawn_digit(size, dark=dark, width=max(1, size[0] // 15))])
    assert out.shape == (1, 784) and out.dtype == np.uint8
    assert max(ink_box(out)) == 20
    cy, cx = centre_of_mass(out)
    assert abs(cy - CENTRE) <= 1 and abs(cx - CENTRE) <= 1
    # White ink on black, at full contrast, as MNIST.
    assert out.max() == 255
    assert (out == 0).mean() > 0.6


def test_position_on_the_canvas_does_not_matter():
    a = DigitNormalizer().transform([drawn_digit((80, 80), offset=(-10, -15))])
    b = DigitNormalizer().transform([drawn_digit((80, 80), offset=(12, 14))])
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_polarity_is_detected_and_can_be_forced():
    dark, light = drawn_digit(dark=True), drawn_digit(dark=False)
    out = DigitNormalizer().transform([dark, light])
    np.testing.assert_array_equal(out[0], out[1])  # same digit either way
    # A "0" that fills its image to the border fools the detection; forcing fixes it.
    zero = np.zeros((30, 20), np.uint8)
    zero[6:-6, 6:-6] = 255  # dark ring on a light hole
    fooled = DigitNormalizer().transform([zero]).reshape(28, 28)
    forced = DigitNormalizer(ink="dark").transform([zero]).reshape(28, 28)
    assert fooled[14, 14] == 255  # the hole taken for the ink
    assert forced[14, 14] == 0 and max(ink_box(forced)) == 20


def test_low_contrast_any_dtype_and_range_give_the_same_frame():
    base = drawn_digit().astype(np.float64) / 255
    reference = DigitNormalizer().transform([base])
    variants = [
        (base * 255).astype(np.uint8),
        (0.45 + 0.1 * base).astype(np.float32),  # a faint scan: 10% contrast
        (base * 65535).astype(np.uint16),
        (base * 1000 - 500).astype(np.int32),  # any range
        base > 0.5,  # boolean
    ]
    for image in variants:
        out = DigitNormalizer().transform([image])
        assert np.abs(out.astype(int) - reference.astype(int)).max() <= 2, image.dtype


def test_colour_and_transparency():
    grey = drawn_digit()
    rgb = np.stack([grey, grey, grey], -1)
    blue_on_yellow = np.where(grey[..., None] < 128, [20, 20, 200], [250, 240, 120]).astype(
        np.uint8
    )
    # A canvas export: transparent paper (black RGB underneath), opaque black strokes.
    rgba = np.zeros(grey.shape + (4,), np.uint8)
    rgba[..., 3] = 255 - grey
    reference = DigitNormalizer().transform([grey])
    for image in (rgb, blue_on_yellow, rgba, grey[..., None]):
        out = DigitNormalizer().transform([image])
        assert np.abs(out.astype(int) - reference.astype(int)).max() <= 2, image.shape


def test_noisy_background_is_cleared():
    rng = np.random.RandomState(0)
    clean = drawn_digit((80, 80)).astype(np.float64)
    noisy = np.clip(clean + rng.normal(0, 25, clean.shape), 0, 255)
    noisy[rng.rand(*clean.shape) < 0.002] = 0  # a few dark specks, far from the digit too
    out = DigitNormalizer().transform([clean, noisy]).astype(int)
    assert max(ink_box(out[1], level=50)) == 20
    # Nearly every pixel far from the strokes is exactly 0.
    far = ~np.isin(np.arange(784), np.flatnonzero(out[0] > 0))
    assert (out[1][far] > 0).mean() < 0.02
    a, b = centre_of_mass(out[0]), centre_of_mass(out[1])
    assert np.hypot(a[0] - b[0], a[1] - b[1]) < 1


def test_threshold_is_settable():
    faint = drawn_digit((80, 80)).astype(np.float64)
    faint[:, 45:] = np.where(faint[:, 45:] < 128, 170, 255)  # right half drawn faintly
    high = DigitNormalizer(threshold=0.5).transform([faint])
    low = DigitNormalizer(threshold=0.2).transform([faint])
    assert (low > 0).sum() > (high > 0).sum()
    with pytest.raises(InvalidParameterError):
        DigitNormalizer(threshold=1.5).transform([faint])


def test_otsu_threshold_splits_two_populations():
    values = np.r_[np.full(500, 0.1), np.full(100, 0.8)]
    assert 0.1 <= otsu_threshold(values) < 0.8


def test_deskew_reduces_skew():
    slanted = drawn_digit((80, 80), slant=0.5, width=5)
    slanted = np.asarray(Image.fromarray(slanted).transform(
        (80, 80), Image.Transform.AFFINE, (1, 0.4, -16, 0, 1, 0), fillcolor=255
    ))
    plain = frame_image(slanted)
    straight = frame_image(slanted, deskew_digit=True)
    assert abs(skew(straight)) < 0.3 * abs(skew(plain))
    assert max(ink_box(straight > 0.01)) == 20


def test_mnist_digits_come_back_nearly_unchanged(mnist_sample):
    X, _ = mnist_sample
    out = DigitNormalizer().transform(X[:200])
    same = np.abs(out.astype(int) - X[:200].astype(int)) <= 64
    assert same.mean() > 0.97
    for row in out[:50]:
        cy, cx = centre_of_mass(row)
        assert abs(cy - CENTRE) <= 1 and abs(cx - CENTRE) <= 1


# --------------------------------------------------------------------------- inputs
def test_inputs_flat_stack_list_paths_agree(tmp_path):
    images = [drawn_digit((60, 40)), drawn_digit((28, 28), width=2), drawn_digit((100, 130))]
    paths = []
    for i, image in enumerate(images):
        paths.append(tmp_path / f"digit{i}.png")
        Image.fromarray(image).save(paths[-1])
    jpeg = tmp_path / "digit0.jpg"
    Image.fromarray(images[0]).convert("RGB").save(jpeg, quality=95)
    from_list = DigitNormalizer().transform(images)
    assert from_list.shape == (3, 784)
    np.testing.assert_array_equal(DigitNormalizer().transform(paths), from_list)
    np.testing.assert_array_equal(DigitNormalizer().transform([str(p) for p in paths]), from_list)
    np.testing.assert_array_equal(
        DigitNormalizer().transform(np.array([str(p) for p in paths])), from_list
    )
    from_jpeg = DigitNormalizer().transform([jpeg])
    assert max(ink_box(from_jpeg)) == 20
    assert np.abs(np.subtract(centre_of_mass(from_jpeg), centre_of_mass(from_list[0]))).max() < 1
    assert np.abs(from_jpeg.astype(int) - from_list[:1]).mean() < 10
    square = images[1]
    np.testing.assert_array_equal(DigitNormalizer().transform(square[None]), from_list[1:2])
    np.testing.assert_array_equal(
        DigitNormalizer().transform(square.reshape(1, -1)), from_list[1:2]
    )
    wide = images[2]
    np.testing.assert_array_equal(
        DigitNormalizer(image_shape=wide.shape).transform(wide.reshape(1, -1)), from_list[2:]
    )
    # Mixed: an array and a path.
    np.testing.assert_array_equal(
        DigitNormalizer().transform([images[0], paths[1]]), from_list[:2]
    )


def test_sklearn_load_digits_rows_are_read_as_8x8():
    from sklearn.datasets import load_digits

    digits = load_digits()
    out = DigitNormalizer().transform(digits.data[:20])
    assert out.shape == (20, 784)
    assert all(max(ink_box(row)) == 20 for row in out)


def test_float_output_keeps_the_levels():
    image = drawn_digit()
    as_uint8 = DigitNormalizer().transform([image])
    as_float = DigitNormalizer(dtype="float32").transform([image])
    assert as_float.dtype == np.float32
    np.testing.assert_array_equal(np.rint(as_float).astype(np.uint8), as_uint8)


# ------------------------------------------------------------------ scikit-learn API
def test_set_output_pandas_and_feature_names():
    pd = pytest.importorskip("pandas")
    normalizer = DigitNormalizer().set_output(transform="pandas")
    out = normalizer.fit_transform([drawn_digit(), drawn_digit(dark=False)])
    assert isinstance(out, pd.DataFrame)
    assert out.shape == (2, 784)
    assert list(out.columns[:3]) == ["pixel_0_0", "pixel_0_1", "pixel_0_2"]
    assert out.columns[-1] == "pixel_27_27"
    from skmnist import fetch_mnist  # noqa: F401  (the same names as the data set's)
    from skmnist.datasets import _FEATURE_NAMES

    assert list(DigitNormalizer().get_feature_names_out()) == _FEATURE_NAMES


def test_clone_get_params_pickle():
    normalizer = DigitNormalizer(ink="dark", threshold=0.3, deskew=True, errors="zero")
    copy = clone(normalizer)
    assert copy.get_params() == normalizer.get_params()
    assert set(normalizer.get_params()) == {
        "ink", "threshold", "deskew", "image_shape", "dtype", "errors"
    }
    image = drawn_digit()
    restored = pickle.loads(pickle.dumps(normalizer))
    np.testing.assert_array_equal(restored.transform([image]), normalizer.transform([image]))


def test_transform_without_fit_and_fit_records_flat_width():
    image = drawn_digit((28, 28), width=2)
    normalizer = DigitNormalizer()
    out = normalizer.transform([image])  # stateless
    assert normalizer.fit(image.reshape(1, -1)).n_features_in_ == 784
    np.testing.assert_array_equal(normalizer.transform([image]), out)
    assert not hasattr(DigitNormalizer().fit([image]), "n_features_in_")


def test_pipeline_with_pixel_scaler_and_a_classifier(mnist_sample):
    X, y = mnist_sample
    # A nearest-neighbour reader: what is tested is the framing, not the classifier (a
    # logistic regression cost 10 s a fit here).
    model = make_pipeline(DigitNormalizer(), PixelScaler(), KNeighborsClassifier(3))
    model.fit(X[:1000], y[:1000])
    # The same digits, shrunk, moved, inverted: still read as the model was trained.
    moved = [
        255 - np.pad(image.reshape(28, 28), ((20, 0), (0, 30)))
        for image in X[1000:1100]
    ]
    plain = make_pipeline(PixelScaler(), KNeighborsClassifier(3)).fit(X[:1000], y[:1000])
    assert model.score(moved, y[1000:1100]) > 0.8  # 0.92; 0.04 unframed
    assert plain.score(np.array(moved)[:, 20:, :28].reshape(100, -1), y[1000:1100]) < 0.3


def test_invalid_parameters():
    image = drawn_digit()
    for params in ({"ink": "black"}, {"threshold": 0}, {"dtype": "int16"}, {"errors": "skip"}):
        with pytest.raises(InvalidParameterError):
            DigitNormalizer(**params).transform([image])
    with pytest.raises(ValueError, match="image_shape"):
        DigitNormalizer(image_shape=(10, 10)).transform(image.reshape(1, -1))


# ------------------------------------------------------------------------ bad input
def bad_inputs(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    truncated = tmp_path / "truncated.png"
    Image.fromarray(drawn_digit()).save(tmp_path / "full.png")
    truncated.write_bytes((tmp_path / "full.png").read_bytes()[:200])
    return {
        "no such file": tmp_path / "missing.png",
        "not an image file": text,
        "unreadable image": truncated,
        "is a directory": tmp_path,
        "too small": np.zeros((3, 10), np.uint8),
        "blank": np.full((30, 30), 200, np.uint8),
        "NaN": np.full((30, 30), np.nan),
        "fully transparent": np.zeros((30, 30, 4), np.uint8),
        "channels": np.zeros((30, 30, 7), np.uint8),
        "empty": np.zeros((0, 5)),
    }


def test_every_bad_image_raises_naming_it(tmp_path):
    good = drawn_digit()
    for reason, bad in bad_inputs(tmp_path).items():
        with pytest.raises(FramingError, match=reason) as info:
            DigitNormalizer().transform([good, bad])
        assert str(info.value).startswith("image 1")
        if not isinstance(bad, np.ndarray):
            assert str(bad) in str(info.value)


@pytest.mark.parametrize("level", [255, 0, 128])
def test_a_blank_page_is_called_blank_without_a_polarity(level):
    # a white page once read "no light ink differs": the wrong polarity for white paper
    with pytest.raises(FramingError) as info:
        DigitNormalizer().transform([np.full((40, 40), level, np.uint8)])
    message = str(info.value)
    assert "the image is blank: no ink differs from the paper" in message
    assert "light" not in message and "dark" not in message


def test_wrong_dtype_raises_type_error_naming_the_image():
    with pytest.raises(TypeError, match="image 0: pixels must be real numbers"):
        DigitNormalizer().transform([np.full((30, 30), "a")])
    with pytest.raises(TypeError, match="image 1.*complex"):
        DigitNormalizer().transform([drawn_digit(), np.ones((30, 30), complex)])


def test_errors_zero_keeps_the_others_and_warns(tmp_path):
    bad = bad_inputs(tmp_path)
    good = drawn_digit()
    batch = [good, bad["no such file"], good, bad["blank"], np.full((30, 30), "a"), good]
    with pytest.warns(UserWarning, match="3 of 6 images could not be framed") as record:
        out = DigitNormalizer(errors="zero").transform(batch)
    message = str(record[0].message)
    assert "image 1" in message and "missing.png" in message
    assert "image 3" in message and "blank" in message and "image 4" in message
    np.testing.assert_array_equal(~out.any(axis=1), [False, True, False, True, True, False])
    reference = DigitNormalizer().transform([good])
    np.testing.assert_array_equal(out[[0, 2, 5]], np.repeat(reference, 3, axis=0))


def test_no_warning_when_all_images_are_good():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DigitNormalizer(errors="zero").transform([drawn_digit()])


@pytest.mark.parametrize(
    "X, match",
    [
        ("digit.png", "pass a list"),
        ([], "no images"),
        (np.zeros((0, 784)), "no images"),
        (np.zeros(784), "2-D array"),
        (np.zeros((2, 30)), "not square"),
    ],
)
def test_bad_collections(X, match):
    with pytest.raises((ValueError, TypeError), match=match):
        DigitNormalizer().transform(X)


def test_sparse_input_is_refused():
    from scipy import sparse

    with pytest.raises(TypeError, match="sparse"):
        DigitNormalizer().transform(sparse.csr_matrix(np.ones((2, 784))))
