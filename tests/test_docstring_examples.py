"""The docstring examples of the installed package run as tests.

Every "Examples" section of skmnist's public docstrings is collected here from the package
the tests import (the installed one in CI), one test per docstring, so an example that no
longer runs or prints something else fails like any other test.
"""

import doctest
import importlib
import pkgutil

import pytest

import skmnist

# Docstring examples that read the official MNIST files from the data home.
FULL_MNIST_EXAMPLES = {"skmnist.datasets.fetch_mnist"}


def _docstring_examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    names = ["skmnist"] + [
        info.name
        for info in pkgutil.walk_packages(skmnist.__path__, "skmnist.")
        if info.name != "skmnist.__main__"  # importing it runs the command line
    ]
    for name in names:
        # DocTestFinder keeps the objects defined in the module itself (not re-exports).
        for test in finder.find(importlib.import_module(name), name):
            if not test.examples:
                continue
            marks = [pytest.mark.full_mnist] if test.name in FULL_MNIST_EXAMPLES else []
            yield pytest.param(test, id=test.name, marks=marks)


EXAMPLES = list(_docstring_examples())


def test_the_public_api_has_examples():
    # The estimators, transformers, datasets and Displays all document an example; losing the
    # collection (an import error, a renamed module) must not pass silently as zero tests.
    names = {param.id for param in EXAMPLES}
    for name in (
        "skmnist.fcn.FCNClassifier",
        "skmnist.mdn.MDNClassifier",
        "skmnist.preprocessing.PixelScaler",
        "skmnist.preprocessing.DigitNormalizer",
        "skmnist.datasets.load_mnist_sample",
        "skmnist.datasets.fetch_mnist",
    ):
        assert name in names


@pytest.mark.parametrize("example", EXAMPLES)
def test_docstring_example(example, request):
    if example.name in FULL_MNIST_EXAMPLES:
        request.getfixturevalue("mnist_data_home")
    report = []
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    # A copy of the globals: one example's names never leak into the next.
    example.globs = dict(example.globs)
    result = runner.run(example, out=report.append)
    assert result.failed == 0, "".join(report)
