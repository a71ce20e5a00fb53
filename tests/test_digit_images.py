"""A person's digit images: real files (EXIF, frames, transparency, bad files), the image's own
novelty, DigitPipeline, the shipped model and the warnings for pixels on the wrong scale."""

import io
import pickle
import warnings

import numpy as np
import pytest
from _internals import STATISTICS, FramingError, ImageNovelty, frame_image, read_image
from PIL import Image
from sklearn.pipeline import make_pipeline

from skmnist import (
    DigitNormalizer,
    DigitPipeline,
    FCNClassifier,
    PixelScaler,
    load_mnist_sample,
    load_pretrained,
    make_digit_pipeline,
)
from skmnist.exceptions import PixelScaleWarning


@pytest.fixture(scope="module")
def sample():
    X, y = load_mnist_sample("test", return_X_y=True)
    return X, y


def _displayed():
    """An asymmetric picture: every one of the eight orientations differs."""
    image = np.full((40, 30), 255, np.uint8)
    image[5:35, 5:9] = 0  # a long bar on the left
    image[5:9, 5:20] = 0  # a short bar at the top
    image[30:34, 22:26] = 90  # a grey square at the bottom right
    return image


# Stored = displayed under the inverse of what EXIF orientation N asks a viewer to do.
_STORE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation, tmp_path):
    displayed = Image.fromarray(_displayed())
    stored = displayed if orientation == 1 else displayed.transpose(_STORE[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.png"
    stored.save(path, exif=exif.tobytes())
    notes = []
    read = read_image(path, notes=notes)
    np.testing.assert_array_equal(read, _displayed())
    assert bool(notes) == (orientation != 1)
    if orientation != 1:
        assert notes == [f"EXIF orientation {orientation} applied"]


def test_a_rotated_phone_photo_is_read_upright(tmp_path):
    # A "7" stored sideways and tagged as phones do: read as shown, as the upright file.
    canvas = Image.new("L", (300, 400), 235)
    from PIL import ImageDraw

    ImageDraw.Draw(canvas).line([(60, 80), (240, 80), (130, 340)], fill=20, width=22)
    exif = Image.Exif()
    exif[0x0112] = 6
    canvas.rotate(90, expand=True).convert("RGB").save(
        tmp_path / "tagged.jpg", exif=exif.tobytes(), quality=95
    )
    canvas.convert("RGB").save(tmp_path / "upright.jpg", quality=95)
    framed = DigitNormalizer().transform([str(tmp_path / "tagged.jpg"),
                                          str(tmp_path / "upright.jpg")]).astype(float)
    # the same digit within JPEG noise (a sideways 7 would share little ink with it)
    assert _overlap(*framed) > 0.9


def _overlap(a, b):
    """Cosine similarity of two framed images: 1 for the same ink."""
    return float((a * b).sum() / np.sqrt((a**2).sum() * (b**2).sum()))


def test_multi_frame_file_reads_its_first_frame(tmp_path):
    first, second = _displayed(), 255 - _displayed()
    path = tmp_path / "anim.gif"
    Image.fromarray(first).save(path, save_all=True, append_images=[Image.fromarray(second)])
    notes = []
    read = read_image(path, notes=notes)
    np.testing.assert_array_equal(np.asarray(Image.fromarray(read).convert("L")), first)
    assert notes == ["2 frames: the first is read"]
    framed = DigitNormalizer().frame([str(path)])
    assert framed.notes == {0: ["2 frames: the first is read"]}


def test_transparency_is_composited_on_paper(tmp_path):
    # Dark strokes on a transparent background frame as the same strokes on white paper.
    ink = _displayed() < 128
    rgba = np.zeros((*ink.shape, 4), np.uint8)
    rgba[..., 3] = np.where(ink, 255, 0)
    Image.fromarray(rgba).save(tmp_path / "clear.png")
    white = np.where(ink, 0, 255).astype(np.uint8)
    np.testing.assert_allclose(
        DigitNormalizer().transform([str(tmp_path / "clear.png")]).astype(float),
        DigitNormalizer().transform([white]).astype(float), atol=1,
    )


def test_16_bit_cmyk_and_small_files(tmp_path):
    digit = _displayed()
    Image.fromarray(digit.astype(np.uint16) * 257).save(tmp_path / "deep.png")
    assert read_image(tmp_path / "deep.png").dtype == np.float32
    Image.fromarray(digit).convert("CMYK").save(tmp_path / "print.jpg", quality=95)
    framed = DigitNormalizer().transform([str(tmp_path / "deep.png"), digit]).astype(float)
    assert np.abs(framed[0] - framed[1]).max() <= 1
    printed = read_image(tmp_path / "print.jpg")  # CMYK becomes RGB, the same picture
    assert printed.shape == (*digit.shape, 3)
    assert np.corrcoef(printed.mean(axis=2).ravel(), digit.ravel())[0, 1] > 0.98
    Image.new("L", (1, 1), 0).save(tmp_path / "dot.png")
    with pytest.raises(FramingError, match="too small to hold a digit: 1x1"):
        frame_image(read_image(tmp_path / "dot.png"))


def test_decompression_bombs_and_damaged_files_are_refused(tmp_path, monkeypatch):
    import skmnist._framing as framing

    Image.fromarray(_displayed()).save(tmp_path / "ok.png")
    monkeypatch.setattr(framing, "MAX_PIXELS", 1000)
    with pytest.raises(FramingError, match="refused: 30x40 pixels is more than the 1,000"):
        read_image(tmp_path / "ok.png")
    monkeypatch.undo()
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.png").write_bytes(b"hello")
    framed = DigitNormalizer().frame(
        [str(tmp_path / "cut.png"), str(tmp_path / "text.png"), str(tmp_path / "ok.png")]
    )
    assert set(framed.errors) == {0, 1}
    assert "unreadable image" in framed.errors[0]
    assert "not an image file" in framed.errors[1]
    assert np.isnan(framed.statistics[:2]).all() and np.isfinite(framed.statistics[2]).all()
    assert framed.data[2].any() and not framed.data[:2].any()


# ------------------------------------------------------------------ the image's own novelty
def test_image_novelty_ranks_against_its_calibration():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(2000, len(STATISTICS))) * 0.1 + 0.5
    model = ImageNovelty().fit(reference, random_state=0)
    scores = model.score(reference[:1000])
    assert 0.3 < np.median(scores) < 0.7
    assert np.mean(scores > 0.99) < 0.03
    far = reference[:5] + 5.0
    far[:, 1] = 0.0  # low separability: novel; (high would not be)
    assert (model.score(far) == 1.0).all()
    nan_row = np.full((1, len(STATISTICS)), np.nan)
    assert model.score(nan_row)[0] == 1.0
    again = ImageNovelty.from_arrays(model.to_arrays())
    np.testing.assert_array_equal(again.score(reference[:50]), model.score(reference[:50]))
    arrays = model.to_arrays()
    arrays["statistics"] = np.array(["something", "else"])
    with pytest.raises(ValueError, match="other framing statistics"):
        ImageNovelty.from_arrays(arrays)


def test_shipped_image_novelty_tells_digits_from_other_pictures(sample):
    import matplotlib.cbook

    X, _ = sample
    normalizer = DigitNormalizer()
    digits = [x.reshape(28, 28) for x in X[:200]] + [255 - x.reshape(28, 28) for x in X[:200]]
    pipe = make_digit_pipeline(normalizer, PixelScaler(), _Constant())
    digit_novelty = pipe.predict_uncertainty(digits)["image_novelty"]
    assert np.mean(digit_novelty > 0.99) <= 0.02
    rng = np.random.default_rng(0)
    photo = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    others = [str(photo)] + [rng.integers(0, 256, (90, 120), dtype=np.uint8) for _ in range(20)]
    other_novelty = pipe.predict_uncertainty(others)["image_novelty"]
    assert (other_novelty > 0.99).all()


def _in_colour(digit, pen, paper=(250, 246, 235), jpeg=True):
    """An MNIST digit (light on dark, 0-255) written in a pen of colour ``pen`` on tinted
    paper, three times larger, under light that fades to one side, as a phone's JPEG."""
    ink = np.kron(digit.reshape(28, 28) / 255.0, np.ones((3, 3)))[..., None]
    rgb = np.array(paper, float) * (1 - ink) + np.array(pen, float) * ink
    rgb *= np.linspace(1.0, 0.85, rgb.shape[1])[None, :, None]  # uneven light
    image = np.clip(rgb, 0, 255).astype(np.uint8)
    if jpeg:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=80)
        image = np.asarray(Image.open(io.BytesIO(buffer.getvalue())))
    return image


def _logo(rng):
    """A made-up logo: shapes of several colours and a word on a light background."""
    from PIL import ImageDraw

    canvas = Image.new("RGB", (160, 110), (235, 230, 215))
    draw = ImageDraw.Draw(canvas)
    for _ in range(3):
        x, y = rng.integers(0, 100), rng.integers(0, 60)
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse((x, y, x + 50, y + 40), fill=colour)
    draw.text((20, 85), "Acme", fill=(0, 0, 0))
    return np.asarray(canvas)


def test_colour_statistic_tells_one_pen_from_many_colours(sample):
    X, _ = sample
    colour = STATISTICS.index("colour")
    # grey images have no colour; neither has a grey picture stored as RGB
    grey = 255 - X[0].reshape(28, 28)
    assert frame_image(grey, statistics=True)[1][colour] == 0.0
    assert frame_image(np.stack([grey] * 3, -1), statistics=True)[1][colour] < 1e-6
    # a pen of any colour on paper: its blends, uneven light and JPEG lie near one line
    pens = [(20, 40, 160), (150, 20, 30), (10, 10, 10), (30, 110, 40)]
    digits = [frame_image(_in_colour(X[i], pens[i % 4]), statistics=True)[1][colour]
              for i in range(20)]
    rng = np.random.default_rng(0)
    logos = [frame_image(_logo(rng), statistics=True)[1][colour] for _ in range(10)]
    from sklearn.datasets import load_sample_image

    photo = load_sample_image("flower.jpg")
    crops = [frame_image(photo[r : r + 90, c : c + 120], statistics=True)[1][colour]
             for r, c in [(0, 0), (150, 200), (300, 400), (100, 500)]]
    assert max(digits) < min(logos) and max(digits) < min(crops)


def test_shipped_image_novelty_reads_coloured_pens_and_flags_logos(sample):
    X, _ = sample
    pipe = make_digit_pipeline(DigitNormalizer(), PixelScaler(), _Constant())
    pens = [(20, 40, 160), (150, 20, 30), (10, 10, 10), (30, 110, 40)]
    digits = [_in_colour(X[i], pens[i % 4]) for i in range(100)]
    assert np.mean(pipe.predict_uncertainty(digits)["image_novelty"] > 0.99) <= 0.03
    rng = np.random.default_rng(1)
    logos = [_logo(rng) for _ in range(20)]
    assert np.mean(pipe.predict_uncertainty(logos)["image_novelty"] > 0.99) >= 0.9


class _Constant:
    """A stand-in final step without predict_uncertainty: image novelty alone."""

    classes_ = np.arange(10)

    def fit(self, X, y=None):
        return self

    def predict_proba(self, X):
        return np.full((len(X), 10), 0.1)


# ------------------------------------------------------------------ DigitPipeline
@pytest.fixture(scope="module")
def small_reader(sample):
    X, y = load_mnist_sample("train", return_X_y=True)
    return make_digit_pipeline(
        DigitNormalizer(), PixelScaler(),
        FCNClassifier((64,), epochs=3, random_state=0),
    ).fit(X[:2000], y[:2000])


def test_digit_pipeline_novelty_is_the_larger_of_image_and_network(small_reader, sample):
    X, _ = sample
    rng = np.random.default_rng(1)
    images = [255 - x.reshape(28, 28) for x in X[:30]] + [
        rng.integers(0, 256, (64, 64), dtype=np.uint8) for _ in range(5)
    ]
    u = small_reader.predict_uncertainty(images)
    assert {"novelty", "image_novelty", "network_novelty", "entropy"} <= set(u)
    np.testing.assert_array_equal(u["novelty"], np.maximum(u["image_novelty"],
                                                           u["network_novelty"]))
    assert (u["novelty"][30:] > 0.99).all()
    # the network's novelty is the final estimator's, on the framed digits
    Z = small_reader[:-1].transform(images)
    np.testing.assert_allclose(u["network_novelty"],
                               small_reader[-1].predict_uncertainty(Z)["novelty"])


def test_digit_pipeline_reads_paths_and_arrays_alike(small_reader, sample, tmp_path):
    X, y = sample
    paths = []
    for i in range(10):
        paths.append(str(tmp_path / f"d{i}.png"))
        Image.fromarray(255 - X[i].reshape(28, 28)).resize((56, 56)).save(paths[-1])
    arrays = [np.asarray(Image.open(p)) for p in paths]
    np.testing.assert_array_equal(small_reader.predict(paths), small_reader.predict(arrays))
    assert isinstance(small_reader, DigitPipeline)
    # a plain Pipeline has no predict_uncertainty; the digit pipeline built from it has
    plain = make_pipeline(*[step for _, step in small_reader.steps])
    assert not hasattr(plain, "predict_uncertainty")


def test_digit_pipeline_survives_pickling_and_cloning(small_reader, sample):
    from sklearn.base import clone

    X, _ = sample
    again = pickle.loads(pickle.dumps(small_reader))
    images = [x.reshape(28, 28) for x in X[:20]]
    np.testing.assert_array_equal(again.predict_proba(images), small_reader.predict_proba(images))
    assert type(clone(small_reader)) is DigitPipeline


# ------------------------------------------------------------------ the shipped model
def test_the_shipped_model_reads_digits_and_flags_a_photograph(sample):
    import matplotlib.cbook

    X, y = sample
    model = load_pretrained()
    assert isinstance(model, DigitPipeline)
    assert (model.predict(X[:500]) == y[:500]).mean() >= 0.99
    photo = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    assert model.predict_uncertainty([str(photo)])["novelty"][0] > 0.99
    assert load_pretrained() is not model  # a new one at every call


@pytest.mark.slow
def test_the_shipped_model_needs_no_tensorflow(run_python):
    result = run_python(
        """
        import sys
        from skmnist import load_mnist_sample, load_pretrained
        X, y = load_mnist_sample("test", return_X_y=True)
        model = load_pretrained()
        print(float((model.predict(X[:100]) == y[:100]).mean()))
        print("tensorflow" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    accuracy, imported = result.stdout.split()
    assert float(accuracy) >= 0.98 and imported == "False"
    assert result.stderr == ""


def test_a_damaged_shipped_model_is_refused(monkeypatch):
    import skmnist.pretrained as pretrained

    info = pretrained.pretrained_info()
    monkeypatch.setattr(pretrained, "pretrained_info", lambda: {**info, "sha256": "0" * 64})
    with pytest.raises(ValueError, match="is damaged: its SHA-256 is"):
        pretrained.load_pretrained()


def test_the_shipped_pickle_may_only_name_skmnist_and_numpy_types():
    import os

    from skmnist.pretrained import _build

    with pytest.raises(pickle.UnpicklingError, match="may not name posix.system|may not name"):
        _build(pickle.dumps({"format": 1, "x": os.system}))


@pytest.mark.slow
def test_the_shipped_network_can_be_trained_further(sample):
    # Shipped as its NumPy copy: the Keras model is rebuilt from it, with the same outputs,
    # and training resumes from it.
    from scipy.special import softmax

    X, y = sample
    network = load_pretrained()[-1]
    Z = PixelScaler().fit_transform(X[:64])
    before = network.predict_proba(Z)
    logits = np.asarray(network.model_(Z, training=False))
    np.testing.assert_allclose(softmax(logits, axis=1), before, atol=1e-4)
    network.partial_fit(Z, y[:64])
    assert network.n_iter_ == load_pretrained()[-1].n_iter_ + 1
    assert not np.array_equal(network.predict_proba(Z), before)


@pytest.mark.full_mnist
def test_the_shipped_model_accuracy_on_mnist_test(mnist_data_home):
    from skmnist import fetch_mnist
    from skmnist.pretrained import pretrained_info

    test = fetch_mnist("test", data_home=mnist_data_home)
    accuracy = float((load_pretrained().predict(test.data) == test.target).mean())
    assert accuracy >= 0.995
    assert accuracy == pytest.approx(pretrained_info()["accuracy"]["mnist_test"], abs=1e-4)


# ------------------------------------------------------------------ pixels on the wrong scale
def _pixel_warnings(record):
    return [w for w in record if issubclass(w.category, PixelScaleWarning)]


def test_fitting_a_network_on_raw_pixels_warns(sample):
    X, y = sample
    with pytest.warns(PixelScaleWarning, match=r"raw pixel values.*PixelScaler"):
        FCNClassifier((8,), epochs=1, random_state=0).fit(X[:200], y[:200])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf = FCNClassifier((8,), epochs=1, random_state=0).fit(X[:200] / 255.0, y[:200])
        clf.predict(X[:5] / 255.0)
    assert not _pixel_warnings(record)
    with pytest.warns(PixelScaleWarning, match="fitted on values up to 1"):
        clf.predict(X[:5].astype(np.float32))


def test_pixelscaler_warns_on_pixels_already_scaled(sample):
    X, _ = sample
    with pytest.warns(PixelScaleWarning, match=r"already scaled.*max_value=1\.0"):
        PixelScaler().fit(X[:10]).transform(X[:10] / 255.0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        PixelScaler().fit_transform(X[:10])
        PixelScaler(max_value=1.0).fit_transform(X[:10] / 255.0)
    assert not _pixel_warnings(record)


def test_a_saved_pipeline_given_scaled_pixels_warns(sample):
    X, y = sample
    pipe = make_pipeline(PixelScaler(), FCNClassifier((8,), epochs=1, random_state=0))
    pipe.fit(X[:200], y[:200])
    buffer = io.BytesIO()
    pickle.dump(pipe, buffer)
    loaded = pickle.loads(buffer.getvalue())
    with pytest.warns(PixelScaleWarning):
        loaded.predict(X[:5] / 255.0)


# ------------------------------------------------------------------ the command line
def _typed(text, size=(160, 100)):
    import os

    import matplotlib
    from PIL import ImageDraw, ImageFont

    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")
    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).text((20, 10), text, font=ImageFont.truetype(path, 60), fill=0)
    return image


def test_side_by_side_counts_separate_tall_marks():
    side = STATISTICS.index("side_by_side")
    counts = {text: frame_image(np.asarray(_typed(text)), statistics=True)[1][side]
              for text in ("12", "5", "4", "83", "7")}
    assert counts == {"12": 2, "5": 1, "4": 1, "83": 2, "7": 1}


def test_skmnist_predict_answers_flags_and_refuses_to_guess(tmp_path, capsys):
    import matplotlib.cbook

    from skmnist.cli import main

    _typed("12").save(tmp_path / "twelve.png")
    _typed("7", size=(90, 100)).save(tmp_path / "seven.png")
    photo = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    files = [str(tmp_path / "seven.png"), str(photo), str(tmp_path / "twelve.png"),
             str(tmp_path / "blank.png")]
    assert main(["predict", *files]) == 3  # the blank page could not be read as a digit
    out, err = capsys.readouterr()
    seven, face, twelve = out.splitlines()
    assert seven.startswith(f"{files[0]}: 7 (probability ") and "does not look" not in seven
    assert face.startswith(f"{files[1]}: ") and "does not look like a handwritten digit" in face
    assert twelve == (f"{files[2]}: no single digit: 2 marks side by side (several digits?); "
                      "crop one digit per image")
    assert err.strip() == (f"skmnist: error: {files[3]}: the image is blank: no ink differs "
                           "from the paper (contrast 0.0 of 255 grey levels)")
