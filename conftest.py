"""Shared by the test suite (tests/) and the docstring examples (skmnist/, --doctest-modules).

Only what both need lives here: where the official MNIST files are, and the rule that a test
needing them is skipped (with the reason) when they are absent, but fails in CI, which sets
``SKMNIST_REQUIRE_FULL_MNIST``.
"""

import os

import pytest

_MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

# Docstring examples that read the official files from the data home.
_FULL_MNIST_DOCTESTS = {"skmnist.datasets.fetch_mnist"}


def require_full_mnist():
    """The data home holding the four official files; skip (or fail in CI) without them.

    Resolved like ``fetch_mnist`` does (``SKMNIST_DATA``, else ``~/skmnist_data``; the files
    may sit directly in it or in its ``mnist/`` subfolder).
    """
    from skmnist.datasets import get_data_home

    home = get_data_home()
    folders = (home, os.path.join(home, "mnist"))
    missing = [
        name
        for name in _MNIST_FILES
        if not any(os.path.isfile(os.path.join(folder, name)) for folder in folders)
    ]
    if missing:
        if os.environ.get("SKMNIST_REQUIRE_FULL_MNIST"):
            pytest.fail(f"SKMNIST_REQUIRE_FULL_MNIST is set but {missing} are not in {home!r}")
        pytest.skip(
            f"official MNIST files not found in data home {home!r} (missing "
            f"{', '.join(missing)}); set SKMNIST_DATA to the folder holding them to run the "
            "full-MNIST tests"
        )
    return home


@pytest.fixture(scope="session")
def mnist_data_home():
    """The data home with the official MNIST files, for ``full_mnist`` tests."""
    return require_full_mnist()


def pytest_collection_modifyitems(config, items):
    # Tests on the official files train or read 70,000 images: slow by nature.
    for item in items:
        if item.get_closest_marker("full_mnist"):
            item.add_marker(pytest.mark.slow)


def pytest_runtest_setup(item):
    if isinstance(item, pytest.DoctestItem) and item.name in _FULL_MNIST_DOCTESTS:
        require_full_mnist()
