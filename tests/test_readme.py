"""The README's Quickstart runs as written, in a fresh interpreter outside the repository."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def quickstart_code():
    """The Python blocks of the README's Quickstart section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_the_quickstart_is_found():
    blocks = quickstart_code()
    # The search, the skops round trip and the mixture density network: if the README's
    # layout changes so that they are no longer found, the test below must not pass empty.
    assert len(blocks) == 3
    assert "GridSearchCV" in blocks[0] and "skmnist.persistence" in blocks[1]
    assert "MDNClassifier" in blocks[2]


@pytest.mark.slow
def test_the_quickstart_runs(tmp_path):
    # What the user would see is checked on the objects the Quickstart leaves behind.
    checks = textwrap.dedent(
        """
        import os
        import numpy as np
        assert search.best_score_ > 0.85, search.best_score_
        assert search.score(X_test, y_test) > 0.85
        proba = model.predict_proba(X_test[:3])
        assert proba.shape == (3, 10) and np.allclose(proba.sum(axis=1), 1)
        assert os.path.isfile("digits.joblib") and os.path.isfile("digits.skops")
        assert np.array_equal(model.predict(X_test), search.best_estimator_.predict(X_test))
        u = mdn.predict_uncertainty(Z)
        assert set(u) >= {"entropy", "novelty"} and u["novelty"].shape == (5,)
        print("QUICKSTART-OK")
        """
    )
    code = "\n".join(quickstart_code()) + checks
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "QUICKSTART-OK" in done.stdout
    # The Quickstart prints the best parameters and the test score, then three rows of
    # probabilities; TensorFlow's start-up noise must not be among what it prints.
    assert "fcnclassifier__l2" in done.stdout
    assert "tensorflow" not in done.stderr.lower(), done.stderr[-2000:]
