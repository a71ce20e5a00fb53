"""The ``skmnist run`` command: the study end to end on the embedded sample, and its failures."""

import dataclasses
import json
import os
import re
import subprocess
import sys

import joblib
import numpy as np
import pytest

from skmnist.cli import main
from skmnist.datasets import load_mnist_sample

# Small networks and few epochs: what is tested is the command, not the accuracy.
FAST = ["--epochs", "2", "--random-state", "0"]
ALL_FILES = {
    "index.html", "metrics.json", "classification_report.txt", "model.joblib",
    "digits.png", "confusion_matrix.png", "misclassified.png", "regularization.png",
    "mdn_samples.png", "fcn_vs_mdn.png", "first_predictions.png",
}


# Seeded networks already trained by an earlier study of the session are not trained again.
pytestmark = pytest.mark.usefixtures("study_fits_once")


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, study_fits_once):
    """One default study (all six steps, 2 epochs), its output folder and what it printed."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("study") / "report"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        rc = main(["run", "--epochs", "2", "--random-state", "0", "--min-accuracy", "0.5",
                   "--output", str(out)])
    return rc, out, buffer.getvalue()


def test_run_writes_every_step_of_the_report(full_run):
    rc, out, printed = full_run
    assert rc == 0
    assert set(os.listdir(out)) == ALL_FILES
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics["steps"]) == [
        "data", "network", "errors", "regularization", "mdn", "evaluation"
    ]
    # The keys of the single-model run stay where scripts read them.
    for key in ("model", "data", "n_train", "n_test", "epochs", "test_accuracy",
                "fit_seconds", "params"):
        assert key in metrics
    assert metrics["n_train"] == 5000 and metrics["n_test"] == 1000 and metrics["epochs"] == 2
    assert metrics["params"]["epochs"] == 2 and metrics["params"]["random_state"] == 0
    assert metrics["model_saved"] is True
    steps = metrics["steps"]
    assert steps["network"]["architecture"] == "784-400-20-10"
    assert set(steps["regularization"]["runs"]) == {"L2 0.01", "no L2"}
    assert steps["regularization"]["runs"]["L2 0.01"]["l2"] == 0.01
    assert steps["mdn"]["n_components"] == 10
    assert set(steps["mdn"]["comparison"]) == {"FCN", "MDN"}
    # Progress: one line per step with its time.
    for number, title in enumerate(
        ["Data", "Network", "Error analysis", "Regularization", "Mixture density network",
         "Evaluation"], start=1,
    ):
        assert f"[{number}/6] {title} ..." in printed
    assert len(re.findall(r"done in \d+\.\d s", printed)) == 6
    assert "loss:" not in printed  # Keras's epoch lines only with --verbose


def test_saved_model_reproduces_the_reported_numbers(full_run):
    _, out, printed = full_run
    metrics = json.loads((out / "metrics.json").read_text())
    # The saved model is the evaluated pipeline behind a DigitNormalizer (for image files):
    # the evaluated pipeline itself, model[1:], scores what the report says.
    model = joblib.load(out / "model.joblib")
    assert type(model).__name__ == "DigitPipeline" and type(model[0]).__name__ == "DigitNormalizer"
    X_test, y_test = load_mnist_sample("test", return_X_y=True)
    predicted = model[1:].predict(X_test)
    accuracy = float(np.mean(predicted == y_test))
    assert accuracy == pytest.approx(metrics["test_accuracy"])
    assert f"Test accuracy: {accuracy:.4f}" in printed
    errors = metrics["steps"]["errors"]
    assert errors["n_errors"] == int(np.sum(predicted != y_test))
    from sklearn.metrics import confusion_matrix

    assert metrics["steps"]["evaluation"]["confusion_matrix"] == (
        confusion_matrix(y_test, predicted).tolist()
    )
    report = (out / "classification_report.txt").read_text()
    assert "precision" in report and "f1-score" in report and f"{accuracy:.4f}" in report


def test_report_page_holds_every_section_and_headline(full_run):
    _, out, _ = full_run
    page = (out / "index.html").read_text()
    metrics = json.loads((out / "metrics.json").read_text())
    for section in metrics["steps"]:
        assert f'<section id="{section}">' in page
    assert f"{metrics['test_accuracy']:.2%}" in page
    # Figures are embedded (the page works alone) and also written beside it.
    assert page.count('src="data:image/png;base64,') == 7
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert (out / "digits.png").read_bytes().startswith(b"\x89PNG")


@pytest.fixture(scope="module")
def network_run(tmp_path_factory):
    """The network step alone, with convolutions and --verbose: its output folder, what it
    printed and its exit status."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("network") / "r"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        rc = main(["run", "--steps", "network", "--conv-filters", "4,8", "--epochs", "1",
                   "--verbose", "--output", str(out)])
    return rc, out, buffer.getvalue()


def test_verbose_shows_keras_epoch_lines(network_run):
    rc, _, printed = network_run
    assert rc == 0
    assert "loss:" in printed


def test_steps_by_number_and_quiet(tmp_path, capsys):
    out = tmp_path / "r"
    rc = main(["run", "--steps", "1,3", *FAST, "--quiet", "--output", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "[1/" not in printed  # --quiet: no progress lines
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics["steps"]) == ["data", "errors"]
    # No evaluation step: nothing judged, nothing saved.
    assert "model_saved" not in metrics and "test_accuracy" not in metrics
    assert not (out / "model.joblib").exists()


def test_model_below_threshold_is_not_saved_and_exit_says_so(tmp_path, capsys):
    out = tmp_path / "r"
    # (the default study's network, FAST: no network of a few epochs is right on every one of
    # the 1,000 test images, and study_fits_once has it trained already)
    rc = main(["run", "--steps", "evaluation", *FAST, "--min-accuracy", "1.0",
               "--output", str(out)])
    captured = capsys.readouterr()
    assert rc == 3
    assert "model not saved" in captured.err and "--min-accuracy 1" in captured.err
    assert not (out / "model.joblib").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model_saved"] is False and metrics["min_accuracy"] == 1.0
    assert "NOT saved" in (out / "index.html").read_text()


def test_a_model_exactly_at_the_threshold_is_saved(tmp_path, monkeypatch):
    """--min-accuracy is reached by an equal accuracy (">=", as its help says)."""
    import matplotlib
    from sklearn.pipeline import make_pipeline

    import skmnist.study as study
    from skmnist import FCNClassifier, PixelScaler

    matplotlib.use("Agg")
    train, test = load_mnist_sample("train"), load_mnist_sample("test")
    fitted = make_pipeline(PixelScaler(), FCNClassifier((16,), epochs=1, random_state=0))
    fitted.fit(train.data, train.target)
    # every run below judges this one network: its accuracy is known exactly (and with no
    # network to train, no run needs TensorFlow's warm-up fit)
    monkeypatch.setattr(study, "_timed_fit", lambda model, X, y: (fitted, 0.0))
    monkeypatch.setattr(study._Context, "warm_up", lambda ctx: None)
    accuracy = study.run_study(train, test, steps=["evaluation"], min_accuracy=0).test_accuracy
    assert 0.5 < accuracy < 1
    assert study.run_study(train, test, steps=["evaluation"], min_accuracy=accuracy).keep_model
    above = np.nextafter(accuracy, 1)
    assert not study.run_study(train, test, steps=["evaluation"], min_accuracy=above).keep_model
    # and the command: the same threshold as an option saves the model and exits 0
    out = tmp_path / "r"
    rc = main(["run", "--steps", "evaluation", "--min-accuracy", repr(float(accuracy)),
               "--quiet", "--output", str(out)])
    assert rc == 0 and (out / "model.joblib").exists()
    assert json.loads((out / "metrics.json").read_text())["test_accuracy"] == accuracy


def test_run_with_convolutions(network_run):
    rc, out, _ = network_run
    assert rc == 0
    network = json.loads((out / "metrics.json").read_text())["steps"]["network"]
    assert network["architecture"] == "784-400-20-10 with convolutions 4-8"
    assert "conv_1 (Conv2D)" in (out / "index.html").read_text()  # the Keras summary


def test_run_mdn_evaluates_and_saves_the_mdn_with_the_options_given(tmp_path):
    out = tmp_path / "r"
    rc = main(["run", "--model", "mdn", "--steps", "evaluation", "--n-components", "3",
               "--epochs", "2", "--random-state", "3", "--batch-size", "250",
               "--learning-rate", "0.002", "--learning-rate-schedule", "constant",
               "--l2", "0.0005", "--min-accuracy", "0", "--quiet", "--output", str(out)])
    assert rc == 0
    model = joblib.load(out / "model.joblib")
    assert type(model[-1]).__name__ == "MDNClassifier"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "mdn" and metrics["epochs"] == 2
    # The parameters metrics.json records are the options given, and those of the saved
    # model; the options not given keep the estimator's defaults.
    given = {"n_components": 3, "epochs": 2, "random_state": 3, "batch_size": 250,
             "learning_rate": 0.002, "learning_rate_schedule": "constant", "l2": 0.0005}
    for name, value in given.items():
        assert metrics["params"][name] == value, name
        assert model[-1].get_params()[name] == value, name
    from skmnist import MDNClassifier

    defaults = MDNClassifier().get_params()
    for name in ("hidden_layer_sizes", "sigma_floor", "objective", "dropout"):
        assert metrics["params"][name] == json.loads(json.dumps(defaults[name])), name
    assert metrics["n_train"] == 5000 and model[-1].n_iter_ == 2


def test_rerun_replaces_a_previous_report(tmp_path):
    out = tmp_path / "r"
    assert main(["run", "--steps", "data", "--quiet", "--output", str(out)]) == 0
    (out / "stale.png").write_bytes(b"old figure")
    assert main(["run", "--steps", "data", "--quiet", "--output", str(out)]) == 0
    assert sorted(os.listdir(out)) == ["digits.png", "index.html", "metrics.json"]
    assert [p for p in os.listdir(tmp_path) if p.startswith(".skmnist")] == []


def test_folder_with_other_files_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    rc = main(["run", "--output", str(tmp_path)])
    assert rc == 1
    err = capsys.readouterr().err
    assert err.startswith("skmnist: error:") and "notes.txt" in err
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_output_that_cannot_be_a_folder_fails_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(["run", "--output", str(blocker / "report")])
    captured = capsys.readouterr()
    assert rc == 1
    assert captured.err.startswith("skmnist: error:")
    assert "Data ..." not in captured.out  # nothing ran


def test_output_that_cannot_be_created_names_the_folder_given(tmp_path, capsys):
    # /proc passes the access check but refuses new folders: the message must name the
    # folder the user gave, not the temporary one beside it
    if not os.path.isdir("/proc"):
        pytest.skip("needs Linux's /proc")
    rc = main(["run", "--steps", "data", "--output", "/proc/skmnist-report"])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("skmnist: error: cannot create the report folder "
                          "'/proc/skmnist-report'")
    assert ".skmnist-report-" not in err and len(err.splitlines()) == 1


def test_failed_step_leaves_no_report(tmp_path, capsys, monkeypatch):
    import skmnist.study as study

    def broken(ctx):
        raise ValueError("step exploded")

    step = study._STEPS_BY_NAME["errors"]
    monkeypatch.setitem(study._STEPS_BY_NAME, "errors", dataclasses.replace(step, function=broken))
    out = tmp_path / "r"
    rc = main(["run", "--steps", "data,errors", "--output", str(out)])
    assert rc == 1
    assert capsys.readouterr().err.strip() == "skmnist: error: step exploded"
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def _previous_report(folder):
    """A report folder as an earlier run left it; returns its files' contents."""
    folder.mkdir()
    files = {"index.html": "<p>the previous report</p>", "metrics.json": '{"previous": 1}',
             "model.joblib": "previous model"}
    for name, text in files.items():
        (folder / name).write_text(text)
    return files


@pytest.mark.parametrize("moment", ["[1/2] Data ...", "Epoch 2/"])
def test_ctrl_c_stops_the_run_at_once_and_keeps_the_previous_report(tmp_path, moment):
    """Ctrl-C before or during training: exit 130 within 2 s, one line, nothing written.

    (Before, the estimator's fit swallowed the interrupt and the study went on to report,
    judge and save the half-trained network.)
    """
    import signal
    import time

    import skmnist

    out = tmp_path / "report"
    previous = _previous_report(out)
    env = dict(os.environ, PYTHONUNBUFFERED="1",
               PYTHONPATH=os.path.dirname(os.path.dirname(skmnist.__file__)))
    process = subprocess.Popen(
        [sys.executable, "-m", "skmnist", "run", "--steps", "data,network", "--epochs", "50",
         "--verbose", "--min-accuracy", "0", "--output", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    try:
        for line in process.stdout:  # Keras's "Epoch 2/50" once the first epoch is done
            if line.startswith(moment):
                break
        else:
            pytest.fail(f"the run ended before {moment!r}: {process.stderr.read()}")
        process.send_signal(signal.SIGINT)
        sent = time.perf_counter()
        _, err = process.communicate(timeout=60)
        elapsed = time.perf_counter() - sent
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert elapsed < 2, elapsed
    assert err == (
        "skmnist: interrupted; no report written (the previous report, if any, is "
        "unchanged)\n"
    )
    assert sorted(os.listdir(out)) == sorted(previous)
    for name, text in previous.items():
        assert (out / name).read_text() == text
    assert os.listdir(tmp_path) == ["report"]  # no staging folder left behind


def test_interrupted_fit_stops_the_study(monkeypatch):
    """run_study raises KeyboardInterrupt when a fit it started was interrupted."""
    from _internals import keras
    from sklearn.pipeline import make_pipeline

    import skmnist.study as study
    from skmnist import FCNClassifier, PixelScaler

    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

    def pipeline(ctx, name):
        return make_pipeline(PixelScaler(), FCNClassifier((4,), epochs=2,
                                                           callbacks=[Interrupt()]))

    monkeypatch.setattr(study._Context, "pipeline", pipeline)
    train, test = load_mnist_sample("train"), load_mnist_sample("test")
    with pytest.raises(KeyboardInterrupt):
        study.run_study(train, test, steps=["evaluation"], min_accuracy=0)


def test_help_shows_each_default_once_and_never_an_empty_one():
    from skmnist.cli import _build_parser

    parser = _build_parser()
    for name, command in parser.commands.items():
        text = command.format_help()
        for empty in ("(default: None)", "(default: ())", "(default: False)",
                      "(default: [])", "(default: )"):
            assert empty not in text, (name, empty)
        for action in command._actions:
            if action.help:
                help_text = command._get_formatter()._get_help_string(action)
                assert help_text.count("(default:") <= 1, (name, action.dest)
    run_help = " ".join(parser.commands["run"].format_help().split())
    assert "(default: 20)" in run_help and "(default: skmnist-output)" in run_help
    assert "(default: 0.0)" in run_help  # a zero is a real default, not an empty one
    assert "(default: 0.95 with --full" in run_help


def test_help_explains_every_option():
    result = subprocess.run(
        [sys.executable, "-m", "skmnist", "run", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for option in ["--steps", "--model", "--full", "--data-home", "--no-download", "--epochs",
                   "--batch-size", "--learning-rate", "--learning-rate-schedule",
                   "--conv-filters", "--l2", "--study-l2", "--n-components", "--random-state",
                   "--min-accuracy", "--output", "--scheduler", "--verbose", "--quiet"]:
        assert option in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--epochs", "0"], "--epochs"),
        (["run", "--batch-size", "0"], "--batch-size"),
        (["run", "--batch-size", "-5"], "--batch-size"),
        (["run", "--batch-size", "2.5"], "--batch-size"),
        (["run", "--batch-size", "many"], "--batch-size"),
        (["run", "--learning-rate", "-1"], "--learning-rate"),
        (["run", "--learning-rate", "nan"], "--learning-rate"),
        (["run", "--learning-rate", "inf"], "--learning-rate"),
        (["run", "--l2", "-0.1"], "--l2"),
        (["run", "--l2", "nan"], "--l2"),
        (["run", "--l2", "inf"], "--l2"),
        (["run", "--l2", "strong"], "--l2"),
        (["run", "--study-l2", "-1"], "--study-l2"),
        (["run", "--study-l2", "nan"], "--study-l2"),
        (["run", "--n-components", "0"], "--n-components"),
        (["run", "--n-components", "-3"], "--n-components"),
        (["run", "--n-components", "2.5"], "--n-components"),
        (["run", "--n-components", "ten"], "--n-components"),
        (["run", "--min-accuracy", "nan"], "--min-accuracy"),
        (["run", "--min-accuracy", "1.5"], "--min-accuracy"),
        (["run", "--steps", "data,plots"], "unknown step 'plots'"),
        (["run", "--steps", "7"], "unknown step '7'"),
        (["run", "--conv-filters", "32,x"], "--conv-filters"),
        (["run", "--conv-filters", "0"], "--conv-filters"),
        (["run", "--verbose", "--quiet"], "exclude each other"),
        (["run", "--model", "svm"], "invalid choice"),
        (["run", "--learning-rate-schedule", "step"], "invalid choice"),
        (["run", "--unknown-option"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--output", str(tmp_path / "r")] if argv[0] == "run" else argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    # a command's error comes with that command's usage, not the top level's
    assert err.startswith("usage: skmnist run " if argv[0] == "run" else "usage: skmnist ")
    assert message in err
    assert not (tmp_path / "r").exists()  # refused before anything ran


def test_value_error_in_a_run_exits_1_with_a_message_not_a_traceback(tmp_path):
    # A corrupt data file is a ValueError raised deep inside the run (fetch_mnist's
    # checksum): the command prints one clean line and exits with status 1.
    home = tmp_path / "home"
    home.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (home / name).write_bytes(b"not MNIST")
    result = subprocess.run(
        [sys.executable, "-m", "skmnist", "run", "--full", "--no-download", "--data-home",
         str(home), "--quiet", "--output", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("skmnist: error: ")
    assert "MD5 checksum mismatch" in result.stderr and "-ubyte.gz" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_full_without_files_and_no_download_fails_clearly(tmp_path, capsys):
    rc = main(["run", "--full", "--no-download", "--data-home", str(tmp_path / "empty"),
               "--output", str(tmp_path / "out")])
    assert rc == 1
    err = capsys.readouterr().err
    assert err.startswith("skmnist: error:")
    assert "train-images-idx3-ubyte.gz" in err
    # the command line's words, not fetch_mnist's parameters
    assert "drop --no-download" in err and "--data-home" in err
    assert "download_if_missing" not in err and "data_home" not in err
    assert not (tmp_path / "out").exists()
    assert [p for p in os.listdir(tmp_path) if p.startswith(".skmnist")] == []


@pytest.mark.full_mnist
def test_run_full_mnist(mnist_data_home, tmp_path, capsys):
    out = tmp_path / "r"
    rc = main(["run", "--full", "--no-download", "--data-home", mnist_data_home,
               "--epochs", "2", "--quiet", "--output", str(out)])
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_train"] == 60000 and metrics["n_test"] == 10000
    assert metrics["min_accuracy"] == 0.95  # the original's threshold with --full
    assert metrics["test_accuracy"] > 0.95 and metrics["model_saved"] is True
    assert metrics["steps"]["mdn"]["test_accuracy"] > 0.93
    assert set(os.listdir(out)) == ALL_FILES


def _browser():
    """Paths of Chromium and ChromeDriver (Debian's packages), or skip/fail saying why."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = (
        "headless Chromium and ChromeDriver are needed to check the report in a browser "
        "(Debian: apt-get install chromium chromium-driver)"
    )
    if os.environ.get("SKMNIST_REQUIRE_BROWSER"):
        pytest.fail(f"SKMNIST_REQUIRE_BROWSER is set but {message}")  # CI installs them
    pytest.skip(message)


def test_report_renders_in_a_real_browser(full_run, tmp_path):
    chromium, chromedriver = _browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    _, out, _ = full_run
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,2000",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        browser.get((out / "index.html").as_uri())
        images = browser.execute_script(
            "return Array.from(document.images).map("
            "img => [img.complete, img.naturalWidth, img.naturalHeight, img.alt]);"
        )
        text = browser.find_element("tag name", "body").text
        browser.save_screenshot(str(tmp_path / "report.png"))
    finally:
        browser.quit()

    assert len(images) == 7
    for complete, width, height, alt in images:
        assert complete and width > 0 and height > 0, f"figure not decoded: {alt}"
    metrics = json.loads((out / "metrics.json").read_text())
    steps = metrics["steps"]
    headline = [
        f"{metrics['test_accuracy']:.2%}",
        f"{steps['evaluation']['f1_macro']:.2%}",
        f"{steps['mdn']['test_accuracy']:.2%}",
        f"{steps['network']['test_loss']:.4f}",
        f"{metrics['n_train']:,}",
    ]
    for number in headline:
        assert number in text, number
    for title in ("1. Data", "2. Network", "3. Error analysis", "4. Regularization",
                  "5. Mixture density network", "6. Evaluation"):
        assert title in text
    assert (tmp_path / "report.png").stat().st_size > 10_000
