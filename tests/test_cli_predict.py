"""``skmnist predict IMAGE...``: digits in image files read by a saved model."""

import io
import re

import joblib
import numpy as np
import pytest
from PIL import Image
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from skmnist import DigitNormalizer, FCNClassifier, PixelScaler
from skmnist.cli import main, predict
from skmnist.datasets import load_mnist_sample


@pytest.fixture(scope="module")
def sample():
    return load_mnist_sample(return_X_y=True)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, sample):
    """A tiny FCN pipeline, as ``skmnist run`` saves it, fitted on the embedded sample."""
    X, y = sample
    model = make_pipeline(
        PixelScaler(), FCNClassifier((64,), epochs=3, random_state=0)
    ).fit(X[:2000], y[:2000])
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    joblib.dump(model, path)
    return path


@pytest.fixture(scope="module")
def images(tmp_path_factory, sample):
    """Test digits of the sample, re-drawn as a user's files: larger, dark on white, offset."""
    X, y = sample
    folder = tmp_path_factory.mktemp("images")
    paths, labels = [], []
    for i, index in enumerate(range(3000, 3008)):
        digit = 255 - X[index].reshape(28, 28)
        canvas = np.pad(np.kron(digit, np.ones((3, 3), np.uint8)), ((10, 40), (30, 5)),
                        constant_values=255)
        path = folder / f"digit{i}.{'png' if i % 2 else 'jpg'}"
        Image.fromarray(canvas).convert("RGB" if i % 2 else "L").save(path)
        paths.append(str(path))
        labels.append(int(y[index]))
    return paths, labels


def run_predict(argv):
    out, err = io.StringIO(), io.StringIO()
    from skmnist.cli import _build_parser

    rc = predict(_build_parser().parse_args(["predict", *argv]), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


LINE = re.compile(
    r"^(?P<path>.+): (?P<digit>\d+) \(probability (?P<proba>[0-9.]+)"
    r"(?:, novelty (?P<novelty>[0-9.]+)(?P<flag>: does not look like a handwritten digit)?)?"
    r"(?:, set \{(?P<set>\d+(?:, \d+)*)?\})?"  # a calibrated model's prediction set
    r"\)(?P<notes>(?:; [^;]+)*)$"
)


def parse(printed, novelty=False):
    """{path: (digit, probability)} (and the novelty and its flag with novelty=True)."""
    out = {}
    for line in filter(None, printed.splitlines()):
        m = LINE.match(line)
        assert m, line
        value = (int(m["digit"]), float(m["proba"]))
        if novelty:
            value += (None if m["novelty"] is None else float(m["novelty"]), bool(m["flag"]))
        out[m["path"]] = value
    return out


def test_predicts_every_file(model_path, images, sample):
    paths, labels = images
    rc, printed, err = run_predict([*paths, "--model", str(model_path)])
    assert rc == 0 and err == ""
    result = parse(printed)
    assert list(result) == paths  # one line per file, in order
    assert all(0 < p <= 1 for _, p in result.values())
    # A tiny model (3 epochs on 2,000 digits): far above chance (0.8 of 8) is what matters.
    correct = sum(result[p][0] == label for p, label in zip(paths, labels))
    assert correct >= 4
    # The same as normalizing and predicting in Python.
    model = joblib.load(model_path)
    expected = model.predict(DigitNormalizer().transform(paths))
    assert [d for d, _ in result.values()] == expected.tolist()


def test_bad_files_are_reported_and_the_others_predicted(model_path, images, tmp_path):
    paths, _ = images
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((40, 40), 255, np.uint8)).save(blank)
    missing = str(tmp_path / "missing.png")
    argv = [paths[0], missing, str(text), paths[1], str(blank), "--model", str(model_path)]
    rc, printed, err = run_predict(argv)
    assert rc == 3
    assert list(parse(printed)) == [paths[0], paths[1]]
    assert f"{missing}: no such file" in err
    assert f"{text}: not an image file" in err
    assert f"{blank}: the image is blank" in err


def test_missing_or_bad_model(images, tmp_path, monkeypatch, capsys):
    paths, _ = images
    rc, printed, err = run_predict([paths[0], "--model", str(tmp_path / "none.joblib")])
    assert rc == 1 and printed == "" and "no model file" in err
    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"not a pickle")
    rc, printed, err = run_predict([paths[0], "--model", str(garbage)])
    assert rc == 1 and "cannot load a model" in err
    joblib.dump({"not": "a model"}, tmp_path / "dict.joblib")
    rc, printed, err = run_predict([paths[0], "--model", str(tmp_path / "dict.joblib")])
    assert rc == 1 and "not a fitted classifier" in err


def test_the_shipped_model_is_the_default(images, tmp_path, monkeypatch):
    # No --model: the model that ships inside the package reads the images, wherever the
    # command runs (no skmnist-output/ folder needed), and agrees with load_pretrained.
    from skmnist import load_pretrained

    paths, labels = images
    monkeypatch.chdir(tmp_path)
    rc, printed, err = run_predict(list(paths))
    assert rc == 0, err
    lines = parse(printed)
    assert list(lines) == list(paths)
    predicted = np.array([lines[p][0] for p in paths])
    assert (predicted == labels).mean() >= 0.9
    proba = load_pretrained().predict_proba(list(paths))
    for row, path in enumerate(paths):
        assert lines[path][1] == pytest.approx(proba[row].max(), abs=5e-4)


def test_a_pipeline_with_its_own_normalizer_frames_with_its_settings(sample, images, tmp_path):
    X, y = sample
    paths, labels = images
    model = make_pipeline(DigitNormalizer(ink="dark"), PixelScaler(), KNeighborsClassifier(3))
    # Trained on the sample turned dark-on-light, so its normalizer must force "dark".
    model.fit(255 - X[:1000].reshape(-1, 28, 28), y[:1000])
    joblib.dump(model, tmp_path / "m.joblib")
    rc, printed, _ = run_predict([*paths, "--model", str(tmp_path / "m.joblib")])
    assert rc == 0
    assert [d for d, _ in parse(printed).values()] == model.predict(paths).tolist()
    # The command line's --ink overrides the model's: forced light ink reads the paper.
    rc, printed, err = run_predict([*paths, "--model", str(tmp_path / "m.joblib"),
                                    "--ink", "light"])
    assert [d for d, _ in parse(printed).values()] != model.predict(paths).tolist() or rc == 3


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["predict"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["predict", "x.png", "--threshold", "2"])
    assert info.value.code == 2
    assert "otsu" in capsys.readouterr().err


def test_says_when_an_image_does_not_look_like_a_digit(model_path, images, tmp_path):
    paths, _ = images
    # a checkerboard: framed like a digit, nothing like one
    noise = tmp_path / "checkerboard.png"
    board = np.kron(np.indices((6, 6)).sum(axis=0) % 2, np.ones((15, 15))) * 255
    Image.fromarray(board.astype(np.uint8)).save(noise)
    rc, printed, err = run_predict([*paths, str(noise), "--model", str(model_path)])
    assert rc == 0, err
    result = parse(printed, novelty=True)
    assert all(0 <= novelty <= 1 for _, _, novelty, _ in result.values())
    assert result[str(noise)][3]  # flagged: novelty above 0.99
    assert result[str(noise)][2] > 0.99
    assert sum(flag for _, _, _, flag in result.values()) <= 2  # the digits mostly are not
