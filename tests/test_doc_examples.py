"""Every code block of the README and the user guide runs, by one mechanism.

Each ```python block of ``README.md`` and ``docs/user_guide/*.md`` runs, the blocks of one page
in order in one fresh namespace (a page's later blocks use what its earlier ones made), in a
temporary working folder. Each ```bash / ```console block either runs (cheap commands: shell
lines, ``skmnist`` commands that answer at once) or is listed in ``EXEMPT`` with the reason it
does not; a block neither run nor exempt fails :func:`test_every_shell_block_is_run_or_exempt`.

The pages' examples are written small enough to run in seconds (the embedded sample, a few
epochs); a page that reads the official MNIST files is in ``FULL_MNIST`` and runs with the
``full_mnist`` marker (CI sets ``SKMNIST_DATA``). Together they take minutes: slow.
"""

import contextlib
import io
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs" / "user_guide").glob("*.md"))]

# Pages whose Python blocks read the official MNIST files from the data home.
FULL_MNIST = {"docs/user_guide/datasets.md"}

# Shell blocks that do not run here, by page and first line, with the reason.
EXEMPT = {
    ("README.md", "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/skmnist run"):
        "installs the package: CI's .ci/run does exactly this on a clean clone",
    ("README.md", 'python3 -m venv .venv && .venv/bin/pip install ".[test]" && .venv/bin/'
                  "python -m pytest -q"):
        "installs the package and runs this test suite: .ci/run",
    ("README.md", '.venv/bin/pip install ".[docs]" && .venv/bin/python -m sphinx -W '
                  "--keep-going -b html docs docs/_build/html"):
        "builds this documentation: .ci/run",
    ("README.md", "skmnist run --full --data-home /path/to/mnist"):
        "the whole study on full MNIST (half an hour on 2 cores); tests/test_cli.py runs "
        "--full with one epoch",
    ("docs/user_guide/analysis.md", "skmnist run                    # the embedded 5,000/1,000 "
                                    "sample"):
        "each line trains the whole study (a minute to half an hour); .ci/run runs "
        "'skmnist run', tests/test_cli.py every option",
    ("docs/user_guide/datasets.md", "# the full-MNIST tests run too"):
        "runs this test suite and the study on full MNIST: .ci/run",
    ("docs/user_guide/getting_started.md", "python3 -m venv .venv && .venv/bin/pip install ."):
        "installs the package and runs the study: .ci/run",
    ("docs/user_guide/getting_started.md", '.venv/bin/pip install ".[test,docs]"'):
        "installs the extras, runs this test suite and builds the docs: .ci/run",
    ("docs/user_guide/own_digits.md",
     "$ skmnist predict scan_7.png canvas.png logo.png --model skmnist-output/model.joblib"):
        "needs a model saved by 'skmnist run' (a minute); the page's Python example reads "
        "the same kind of files, tests/test_cli_predict.py checks the command's lines",
    ("docs/user_guide/shipped_model.md", "skmnist predict my_digit.png another.jpg"):
        "reads a person's files; tests/test_digit_images.py runs skmnist predict with the "
        "shipped model on such files and checks every line",
    ("docs/user_guide/shipped_model.md", "SKMNIST_DATA=/path/to/mnist python "
                                         "tools/train_pretrained.py"):
        "trains the shipped model on full MNIST (half an hour on 2 cores)",
    ("docs/user_guide/serving.md", 'pip install "skmnist[serve]"'):
        "installs an extra and starts a server; tests/test_serve.py runs skmnist serve "
        "against a real client, .ci/run in a serving install",
    ("docs/user_guide/serving.md", "curl -F image=@digit.png http://127.0.0.1:8000/predict"):
        "needs a running server; tests/test_serve.py sends every one of these request forms",
    ("docs/user_guide/serving.md", "pip install -r requirements/serve.txt   # numpy, scipy, "
                                   "scikit-learn, joblib, pillow,"):
        "builds a serving install: .ci/run builds one and checks it",
    ("docs/user_guide/prediction_sets.md", "SKMNIST_DATA=/path/to/mnist nice -n 19 python "
                                           "benchmarks/bench_conformal.py --seeds 5"):
        "a benchmark on full MNIST (minutes)",
    ("docs/user_guide/performance.md", "export SKMNIST_DATA=/path/to/mnist"):
        "benchmarks on full MNIST, minutes to hours each; .ci/run runs bench_peers.py --quick",
    ("docs/user_guide/performance.md", "SKMNIST_DATA=/path/to/mnist python "
                                       "benchmarks/bench_inference.py   # --repeats 31 "
                                       "(default)"):
        "a benchmark on full MNIST (minutes)",
    ("docs/user_guide/scaling.md", 'pip install "skmnist[dask]"'):
        "installs an extra (the test environment has it)",
    ("docs/user_guide/scaling.md", "dask scheduler &                         # tcp://<host>:"
                                   "8786"):
        "starts servers and the study on full MNIST; tests/test_dask.py runs the study on a "
        "local cluster",
    ("docs/user_guide/scaling.md", "python benchmarks/bench_fit_memory.py                  "
                                   "# --fits 50 --epochs 10"):
        "a benchmark of 50 fits (an hour)",
}

_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def _relative(page):
    return page.relative_to(REPO).as_posix()


def blocks(page, languages):
    """The code blocks of ``page`` in ``languages``, in order: (language, code)."""
    text = page.read_text(encoding="utf-8")
    return [(lang, code) for lang, code in _BLOCK.findall(text) if lang in languages]


def _python_pages():
    for page in PAGES:
        if blocks(page, {"python"}):
            marks = [pytest.mark.slow]
            if _relative(page) in FULL_MNIST:
                marks.append(pytest.mark.full_mnist)
            yield pytest.param(page, id=_relative(page), marks=marks)


def _shell_blocks():
    for page in PAGES:
        for lang, code in blocks(page, {"bash", "console"}):
            yield _relative(page), lang, code


def test_the_blocks_are_found():
    # A change of the pages' markup that hid their blocks must not pass as zero tests.
    python = {_relative(p): len(blocks(p, {"python"})) for p in PAGES}
    assert python["README.md"] >= 3 and python["docs/user_guide/own_digits.md"] >= 1
    assert sum(python.values()) >= 20
    assert len(list(_shell_blocks())) >= 15


def test_every_shell_block_is_run_or_exempt():
    found = set()
    for page, lang, code in _shell_blocks():
        key = (page, code.splitlines()[0])
        found.add(key)
        if key not in EXEMPT:
            assert _runnable(lang, code), f"{page}: neither run nor exempt: {key[1]!r}"
    stale = set(EXEMPT) - found
    assert not stale, f"exemptions for blocks that no longer exist: {stale}"


def _commands(lang, code):
    """The commands of a shell block: a console block's ``$`` lines, a bash block's lines."""
    lines = code.splitlines()
    if lang == "console":
        return [ln[2:] for ln in lines if ln.startswith("$ ")]
    return [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


# Commands cheap enough to run here: searching the sources, the command line's answers.
_CHEAP = re.compile(r"^(grep |skmnist( run| predict)? --(help|version))")


def _runnable(lang, code):
    commands = _commands(lang, code)
    return bool(commands) and all(_CHEAP.match(c) for c in commands)


@pytest.mark.parametrize(
    "page, lang, code",
    [block for block in _shell_blocks() if (block[0], block[2].splitlines()[0]) not in EXEMPT],
)
def test_shell_block_runs(page, lang, code):
    # The console script of the Python running the tests, found first on the PATH.
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep
           + os.environ.get("PATH", "")}
    for command in _commands(lang, code):
        done = subprocess.run(["bash", "-c", command], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (page, command, done.stderr[-2000:])


@pytest.mark.parametrize("page", list(_python_pages()))
def test_python_blocks_run(page, tmp_path, monkeypatch, request):
    if _relative(page) in FULL_MNIST:
        request.getfixturevalue("mnist_data_home")  # skips (fails in CI) without the files
    monkeypatch.chdir(tmp_path)
    # The page's namespace is a module that pickle can find: a page that defines a class and
    # pickles its instances (extending.md) works as it would in a script.
    module = types.ModuleType("skmnist_doc_example")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    for number, (_, code) in enumerate(blocks(page, {"python"}), start=1):
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(compile(code, f"{_relative(page)} block {number}", "exec"), namespace)
            except Exception as exc:
                raise AssertionError(
                    f"{_relative(page)}, Python block {number} fails: "
                    f"{type(exc).__name__}: {exc}\n{code}"
                ) from exc
    check = CHECKS.get(_relative(page))
    if check is not None:
        check(namespace)


def _check_readme(ns):
    """What the README's Quickstart says it does, on the objects it leaves behind."""
    import numpy as np

    assert ns["search"].best_score_ > 0.85
    assert ns["search"].score(ns["X_test"], ns["y_test"]) > 0.85
    proba = ns["model"].predict_proba(ns["X_test"][:3])
    assert proba.shape == (3, 10) and np.allclose(proba.sum(axis=1), 1)
    assert os.path.isfile("digits.joblib") and os.path.isfile("digits.skops")
    u = ns["mdn"].predict_uncertainty(ns["Z"])
    # the keys the Quickstart's comment names
    for key in ("entropy", "novelty", "aleatoric_variance", "multimodality_variance"):
        assert key in u and u[key].shape == (5,)


def _check_own_digits(ns):
    """The page's example reads the files and arrays it made, one digit each."""
    assert len(ns["from_files"]) == 2 and len(ns["from_arrays"]) == 2


# Checks run after a page's blocks, in their namespace.
CHECKS = {"README.md": _check_readme, "docs/user_guide/own_digits.md": _check_own_digits}
