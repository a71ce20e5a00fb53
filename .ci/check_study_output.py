"""Check the folder written by the README's main command, ``skmnist run``, as a user gets it.

Run by ``.ci/run`` from the folder where ``skmnist run`` ran (outside the repository, with
the installed package): ``python check_study_output.py skmnist-output``. Exits non-zero with a
message naming what is wrong.
"""

import json
import os
import re
import sys
import tempfile
from pathlib import Path

import joblib

from skmnist import load_mnist_sample

STEPS = ("Data", "Network", "Error analysis", "Regularization", "Mixture density network",
         "Evaluation")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def main(folder):
    folder = Path(folder)
    expected = ["index.html", "metrics.json", "classification_report.txt", "model.joblib"]
    missing = [name for name in expected if not (folder / name).is_file()]
    assert not missing, f"skmnist run wrote no {missing} in {folder}"

    html = (folder / "index.html").read_text(encoding="utf-8")
    for number, title in enumerate(STEPS, start=1):
        assert re.search(rf"<h2[^>]*>\s*{number}\. {title}", html), f"no step {number} {title}"
    # Self-contained: every figure is embedded, nothing is fetched.
    assert html.count("data:image/png;base64,") >= 6, "fewer than six embedded figures"
    assert not re.search(r"""(src|href)=["']https?://""", html), "the report links out"

    figures = sorted(folder.glob("*.png"))
    assert len(figures) >= 6, f"only {len(figures)} PNG figures"
    for figure in figures:
        assert figure.read_bytes()[:8] == PNG_SIGNATURE, f"{figure.name} is not a PNG"

    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics["steps"]) == {
        "data", "network", "errors", "regularization", "mdn", "evaluation"
    }, metrics["steps"]
    assert metrics["model_saved"] is True
    assert metrics["test_accuracy"] >= metrics["min_accuracy"] >= 0.9, metrics["test_accuracy"]

    # The saved model is a DigitNormalizer in front of the evaluated pipeline: that pipeline
    # (model[1:]) scores what the report says on the sample; the whole reads image files and
    # offers predict_uncertainty.
    model = joblib.load(folder / "model.joblib")
    assert type(model).__name__ == "DigitPipeline", type(model)
    assert type(model[0]).__name__ == "DigitNormalizer", model.steps
    X_test, y_test = load_mnist_sample("test", return_X_y=True)
    accuracy = float((model[1:].predict(X_test) == y_test).mean())
    assert abs(accuracy - metrics["test_accuracy"]) < 1e-9, (accuracy, metrics["test_accuracy"])
    with tempfile.TemporaryDirectory() as tmp:
        from PIL import Image

        paths = []
        for i in range(20):
            path = os.path.join(tmp, f"digit{i}.png")
            Image.fromarray(255 - X_test[i].reshape(28, 28)).resize((84, 84)).save(path)
            paths.append(path)
        read = model.predict(paths)
        assert (read == y_test[:20]).mean() >= 0.8, (read, y_test[:20])
        novelty = model.predict_uncertainty(paths)["novelty"]
        assert novelty.shape == (20,) and (novelty < 0.99).mean() >= 0.8, novelty
    report = (folder / "classification_report.txt").read_text(encoding="utf-8")
    assert f"{accuracy:.4f}" in report or f"{accuracy:.2f}" in report, report
    print(f"skmnist run output checked: {len(figures)} figures, test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "skmnist-output")
