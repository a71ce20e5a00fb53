"""The ``skmnist run`` command, end to end on the embedded sample."""

import json
import os
import subprocess
import sys

import joblib
import numpy as np
import pytest

from skmnist.cli import main
from skmnist.datasets import load_mnist_sample


def test_run_trains_reports_and_saves(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["run", "--epochs", "2", "--output", str(out), "--quiet", "--random-state", "0"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "Test accuracy:" in printed
    assert "precision" in printed and "recall" in printed and "f1-score" in printed
    assert "loss:" not in printed  # --quiet hides per-epoch lines

    assert sorted(os.listdir(out)) == ["classification_report.txt", "metrics.json", "model.joblib"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_train"] == 5000 and metrics["n_test"] == 1000
    assert metrics["epochs"] == 2

    # The saved pipeline takes raw uint8 images and reproduces the reported accuracy.
    model = joblib.load(out / "model.joblib")
    X_test, y_test = load_mnist_sample("test", return_X_y=True)
    accuracy = float(np.mean(model.predict(X_test) == y_test))
    assert accuracy == pytest.approx(metrics["test_accuracy"])
    assert f"{accuracy:.4f}" in printed
    assert accuracy > 0.8


def test_run_shows_progress_by_default(tmp_path, capsys):
    rc = main(["run", "--epochs", "1", "--output", str(tmp_path)])
    assert rc == 0
    assert "loss:" in capsys.readouterr().out  # a Keras line per epoch


def test_run_mdn(tmp_path, capsys):
    rc = main(
        ["run", "--model", "mdn", "--n-components", "3", "--epochs", "2", "--quiet",
         "--output", str(tmp_path)]
    )
    assert rc == 0
    model = joblib.load(tmp_path / "model.joblib")
    assert type(model[-1]).__name__ == "MDNClassifier"
    assert model[-1].n_components == 3


def test_help_explains_every_option():
    result = subprocess.run(
        [sys.executable, "-m", "skmnist", "run", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for option in ["--model", "--full", "--data-home", "--no-download", "--epochs",
                   "--batch-size", "--learning-rate", "--learning-rate-schedule", "--l2",
                   "--n-components",
                   "--random-state", "--output", "--quiet"]:
        assert option in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--epochs", "0"], "--epochs"),
        (["run", "--learning-rate", "-1"], "--learning-rate"),
        (["run", "--model", "svm"], "invalid choice"),
        (["run", "--learning-rate-schedule", "step"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_full_without_files_and_no_download_fails_clearly(tmp_path, capsys):
    rc = main(["run", "--full", "--no-download", "--data-home", str(tmp_path / "empty"),
               "--output", str(tmp_path / "out")])
    assert rc == 1
    err = capsys.readouterr().err
    assert err.startswith("skmnist: error:")
    assert "train-images-idx3-ubyte.gz" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.full_mnist
def test_run_full_mnist_one_epoch(mnist_data_home, tmp_path, capsys):
    rc = main(["run", "--full", "--no-download", "--data-home", mnist_data_home,
               "--epochs", "1", "--quiet", "--output", str(tmp_path)])
    assert rc == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["n_train"] == 60000 and metrics["n_test"] == 10000
    assert metrics["test_accuracy"] > 0.93
