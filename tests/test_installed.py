"""The package as a user installs it: its files, its command, and where the tests import it.

The repository has a src layout, so ``python -m pytest`` from its root cannot import the
working tree by accident: the tests run against the installed package. CI installs it as a
user does (``pip install ".[test,docs]"``, not editable) and sets ``SKMNIST_REQUIRE_INSTALLED``,
under which the tests also check that every file of the package made it into the
installation (a module or data file missing from the packaging would fail here).
"""

import importlib.metadata
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import skmnist
from skmnist import load_mnist_sample

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "src" / "skmnist"


def _installed_script():
    """The ``skmnist`` console script installed beside the running interpreter."""
    script = shutil.which("skmnist", path=os.path.dirname(sys.executable))
    assert script is not None, f"no skmnist console script beside {sys.executable}"
    return script


def test_the_embedded_sample_ships_inside_the_package():
    data = resources.files("skmnist").joinpath("data")
    assert data.joinpath("mnist_sample.npz").is_file()
    assert data.joinpath("README.md").is_file()  # its license and provenance travel with it
    X, y = load_mnist_sample(return_X_y=True)
    assert X.shape == (5000, 784) and X.dtype == np.uint8
    assert np.array_equal(np.unique(y), np.arange(10))


def test_the_console_script_runs():
    script = _installed_script()
    done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"skmnist {skmnist.__version__}"
    done = subprocess.run([script, "run", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--steps" in done.stdout and "--min-accuracy" in done.stdout


def test_the_tests_run_against_the_installed_package():
    if not os.environ.get("SKMNIST_REQUIRE_INSTALLED"):
        pytest.skip(
            "set SKMNIST_REQUIRE_INSTALLED=1 after a non-editable install (pip install .) to "
            "check the installation against the source tree; CI does"
        )
    imported = Path(skmnist.__file__).resolve().parent
    assert imported != SOURCE.resolve(), f"skmnist was imported from the working tree {imported}"
    assert "site-packages" in imported.parts, f"skmnist is not an installed package: {imported}"
    distribution = importlib.metadata.distribution("skmnist")
    assert distribution.version == skmnist.__version__
    installed = {
        str(path).replace("\\", "/")
        for path in distribution.files
        if str(path).startswith("skmnist/") and "__pycache__" not in str(path)
    }
    # Every module and data file of the source tree, as git knows them, was installed.
    tracked = subprocess.run(
        ["git", "ls-files", "src/skmnist"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, "git lists no files under src/skmnist"
    expected = {path.removeprefix("src/") for path in tracked}
    missing = sorted(expected - installed)
    assert not missing, f"files of the source tree missing from the installed package: {missing}"
    # And the console script runs that installation, not another one.
    done = subprocess.run(
        [_installed_script(), "--version"], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == f"skmnist {distribution.version}"
