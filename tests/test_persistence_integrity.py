"""Damaged, altered and foreign model files: refused at load with one clear error, never a
model that predicts differently from the one saved; other versions warn (persistence.md)."""

import io
import os
import pickle
import warnings
import zipfile

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from PIL import Image
from sklearn.exceptions import InconsistentVersionWarning as SklearnVersionWarning
from sklearn.pipeline import make_pipeline

from skmnist import FCNClassifier, MDNClassifier, PixelScaler
from skmnist.cli import main
from skmnist.persistence import (
    InconsistentVersionWarning,
    ModelFileError,
    dump,
    load,
    load_model,
)

LEGACY = os.path.join(os.path.dirname(__file__), "data")


@pytest.fixture(scope="module")
def fitted(mnist):
    X, y, _, _ = mnist
    return make_pipeline(PixelScaler(), FCNClassifier((16,), epochs=1, random_state=0)).fit(
        X[:600], y[:600]
    )


@pytest.fixture(scope="module")
def files(fitted, tmp_path_factory):
    """The fitted pipeline saved with joblib and as a skops file."""
    folder = tmp_path_factory.mktemp("models")
    joblib.dump(fitted, folder / "digits.joblib")
    dump(fitted, folder / "digits.skops")
    return folder / "digits.joblib", folder / "digits.skops"


class _Saved:
    """Pickles as ``cls`` with ``state`` exactly: a file written with an edited state (the
    estimator's own __getstate__ would compute a fresh integrity record)."""

    def __init__(self, cls, state):
        self.cls, self.state = cls, state

    def __reduce__(self):
        return object.__new__, (self.cls,), self.state


def _edited(estimator, edit):
    """``estimator`` as it pickles with its saved state changed by ``edit(state)``."""
    state = pickle.loads(pickle.dumps(estimator.__getstate__()))  # a deep copy
    edit(state)
    return _Saved(type(estimator), state)


def _edited_bytes(estimator, edit):
    return pickle.dumps(_edited(estimator, edit))


def _write(folder, name, data):
    path = folder / name
    path.write_bytes(data)
    return path


def _flip(data, start, n=64):
    return data[:start] + bytes(b ^ 0xFF for b in data[start : start + n]) + data[start + n :]


# ------------------------------------------------------------------ damaged files
def test_truncated_and_random_files_are_one_clear_error(files, tmp_path):
    data = files[0].read_bytes()
    rng = np.random.default_rng(0)
    for name, broken in [
        ("truncated.joblib", data[: len(data) // 2]),
        ("short.joblib", data[:100]),
        ("random.joblib", rng.bytes(5000)),
        ("empty.joblib", b""),
    ]:
        path = _write(tmp_path, name, broken)
        with pytest.raises(ModelFileError, match=f"cannot load a model from '{path}'"):
            load_model(path)
    with pytest.raises(ModelFileError, match="no such file|No such file"):
        load_model(tmp_path / "missing.joblib")


def test_flipped_bytes_in_the_keras_archive_are_refused_at_load(fitted, files, tmp_path):
    # Before: the file loaded and predicted, then failed with BadZipFile when model_ was used.
    data = files[0].read_bytes()
    start = data.index(b"PK\x03\x04") + 3000  # inside the archive's stored weights
    path = _write(tmp_path, "flipped.joblib", _flip(data, start))
    with pytest.raises(ModelFileError, match="digest of its Keras model archive does not match"):
        joblib.load(path)
    with pytest.raises(ModelFileError, match=f"'{path}'.*Keras model archive"):
        load_model(path)


@pytest.mark.parametrize("Estimator", [FCNClassifier, MDNClassifier])
def test_changed_weights_of_the_numpy_network_are_refused(Estimator, mnist, tmp_path):
    # Before: 1,000 changed weights loaded silently (accuracy 0.575 instead of 0.931).
    X, y, _, _ = mnist
    est = Estimator((16,), epochs=1, random_state=0).fit(X[:400] / 255, y[:400])

    def change_weights(state):
        kernel = state["_network"].layers[0][1].kernel
        kernel.flat[:1000] += 0.5

    path = _write(tmp_path, "changed.pkl", _edited_bytes(est, change_weights))
    with pytest.raises(ModelFileError,
                       match="digest of its NumPy network's weights does not match"):
        with open(path, "rb") as f:
            pickle.load(f)
    with pytest.raises(ModelFileError, match=f"'{path}'.*NumPy network"):
        load_model(path)
    # the unedited state loads: what is checked is the change, not the mechanism
    assert_array_equal(
        pickle.loads(_edited_bytes(est, lambda state: None)).predict_proba(X[:20] / 255),
        est.predict_proba(X[:20] / 255),
    )


def test_changed_classes_and_novelty_are_refused(fitted):
    est = fitted[-1]

    def relabel(state):
        state["classes_"] = state["classes_"][::-1].copy()

    def shift_novelty(state):
        state["_novelty"].shift_ += 1

    for edit, part in [(relabel, "its classes"), (shift_novelty, "its novelty statistics")]:
        with pytest.raises(ModelFileError, match=part):
            pickle.loads(_edited_bytes(est, edit))


def test_changed_weights_inside_a_skops_file_are_refused(files, fitted, mnist, tmp_path):
    """The same check guards skops files: an array rewritten with a valid zip checksum."""
    data = files[1].read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    largest = max((n for n in members if n.endswith(".npy")), key=lambda n: len(members[n]))
    array = np.load(io.BytesIO(members[largest]))
    array.flat[:10] += 1  # the first kernel: 784 x 16 float32
    buffer = io.BytesIO()
    np.save(buffer, array)
    members[largest] = buffer.getvalue()
    rewritten = io.BytesIO()
    with zipfile.ZipFile(rewritten, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    path = _write(tmp_path, "changed.skops", rewritten.getvalue())
    with pytest.raises(ModelFileError, match="damaged or was altered"):
        load(path)
    with pytest.raises(ModelFileError, match=f"'{path}'.*damaged or was altered"):
        load_model(path)


def test_load_model_reads_both_formats_as_saved(files, fitted, mnist):
    X_test = mnist[2][:50]
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # same versions, a record: not a word
            loaded = load_model(path)
        assert_array_equal(loaded.predict_proba(X_test), fitted.predict_proba(X_test))


def test_a_joblib_file_given_to_the_skops_loader_says_so(files):
    with pytest.raises(ModelFileError, match="this is a joblib/pickle file; load it with "
                       "joblib.load or skmnist.persistence.load_model"):
        load(files[0])
    with open(files[0], "rb") as f:  # a file object: read from where it stands, left there
        with pytest.raises(ModelFileError, match="joblib/pickle"):
            load(f)
        assert f.tell() == 0


# ------------------------------------------------------------------ versions
@pytest.mark.parametrize(
    "package, category",
    [("sklearn", SklearnVersionWarning), ("skmnist", InconsistentVersionWarning)],
)
def test_a_file_from_other_versions_warns(fitted, mnist, package, category):
    est = fitted[-1]

    def older(state):
        state["_skmnist_integrity"][package] = "0.0.1"

    with pytest.warns(category) as record:
        loaded = pickle.loads(_edited_bytes(est, older))
    assert len(record) == 1 and "0.0.1" in str(record[0].message)
    assert_array_equal(loaded.predict_proba(mnist[2][:20]), est.predict_proba(mnist[2][:20]))


def test_a_damaged_integrity_record_is_refused(fitted):
    def drop(state):
        del state["_skmnist_integrity"]["sha256"]["_network"]

    with pytest.raises(ModelFileError, match="integrity record is unreadable"):
        pickle.loads(_edited_bytes(fitted[-1], drop))


@pytest.mark.parametrize("name", ["fcn", "mdn"])
def test_files_of_skmnist_0_1_load_with_a_warning_that_they_cannot_be_checked(name):
    expected = np.load(os.path.join(LEGACY, "legacy_0.1.0_expected.npz"))
    with pytest.warns(InconsistentVersionWarning, match="without an integrity record"):
        est = load_model(os.path.join(LEGACY, f"legacy_0.1.0_{name}.joblib"))
    # (0.1 predicted through TensorFlow; the NumPy copy agrees within float32 rounding)
    assert_allclose(est.predict_proba(expected["X"]), expected[f"{name}_proba"],
                    rtol=1e-5, atol=1e-6)
    # saved again, it carries a record and loads without a word
    again = pickle.dumps(est)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_array_equal(pickle.loads(again).predict_proba(expected["X"]),
                           est.predict_proba(expected["X"]))


# ------------------------------------------------------------------ the command line
@pytest.fixture(scope="module")
def digit_files(mnist, tmp_path_factory):
    X = mnist[2]
    folder = tmp_path_factory.mktemp("digits")
    paths = []
    for i in range(4):
        path = folder / f"digit{i}.png"
        Image.fromarray(X[i].reshape(28, 28)).save(path)
        paths.append(str(path))
    return paths


def _printed(capsys):
    """{file: (digit, probability text)} of what ``skmnist predict`` printed."""
    lines = capsys.readouterr().out.splitlines()
    result = {}
    for line in lines:
        head, tail = line.split(" (probability ", 1)
        path, digit = head.rsplit(": ", 1)
        result[path] = (int(digit), tail.split(",")[0].rstrip(")"))
    return result


def test_predict_reads_skops_files_and_prints_predict_proba(files, fitted, digit_files,
                                                             capsys):
    from skmnist import DigitNormalizer

    X = DigitNormalizer().transform(digit_files)
    proba = fitted.predict_proba(np.rint(X).astype(np.uint8))
    printed = {}
    for path in files:  # the joblib file and the skops file: the same lines
        assert main(["predict", *digit_files, "--model", str(path)]) == 0
        printed[path.suffix] = _printed(capsys)
    assert printed[".skops"] == printed[".joblib"]
    for row, path in enumerate(digit_files):
        digit, probability = printed[".skops"][path]
        assert digit == fitted.classes_[proba[row].argmax()]
        assert probability == f"{proba[row].max():.3f}"  # the probability predict_proba gives


def test_predict_with_a_damaged_model_is_one_line(files, digit_files, tmp_path, capsys):
    data = files[0].read_bytes()
    for name, broken in [("truncated.joblib", data[: len(data) // 2]),
                         ("flipped.joblib", _flip(data, data.index(b"PK\x03\x04") + 3000)),
                         ("truncated.skops", files[1].read_bytes()[:2000])]:
        path = _write(tmp_path, name, broken)
        assert main(["predict", digit_files[0], "--model", str(path)]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.startswith(f"skmnist: error: cannot load a model from '{path}'")
        assert len(captured.err.splitlines()) == 1 and "Traceback" not in captured.err


def test_predict_with_a_model_of_other_versions_warns_in_one_line(fitted, digit_files,
                                                                   tmp_path, capsys):
    def older(state):
        state["_skmnist_integrity"]["skmnist"] = "0.0.1"

    # the pipeline as skmnist run saves it, its classifier's saved state edited
    pipeline = pickle.loads(pickle.dumps(fitted))
    pipeline.steps[-1] = (pipeline.steps[-1][0], _edited(fitted[-1], older))
    path = tmp_path / "older.joblib"
    path.write_bytes(pickle.dumps(pipeline))
    assert main(["predict", digit_files[0], "--model", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"skmnist: warning: {path}: This FCNClassifier was saved by "
                          "skmnist 0.0.1")
    assert len(err.splitlines()) == 1
