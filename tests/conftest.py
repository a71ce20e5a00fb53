"""Fixtures and rules shared by the test suite."""

import gc
import os
import subprocess
import sys
import textwrap

import pytest

import skmnist

# tests/_internals.py (every private skmnist name the tests use) is imported as a top-level
# module: tests/ is on sys.path under pytest's default ("prepend") import mode; this keeps it
# there under the others too.
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where the skmnist under test was imported from (the installed package in CI, the src/ folder
# of an editable install or a PYTHONPATH when developing): fresh interpreters get the same one.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(skmnist.__file__)))

# The official MNIST files, for the full-MNIST tests: a test needing them is skipped (with the
# reason) when they are absent, but fails in CI, which sets SKMNIST_REQUIRE_FULL_MNIST.

_MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

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


def pytest_collection_finish(session):
    # Collection imported TensorFlow, Keras, scikit-learn and matplotlib: several hundred
    # thousand long-lived objects that every full garbage collection would walk again
    # (about 5% of a run's time). Frozen, they are left out of the collections; nothing
    # created by a test is (see gc.freeze).
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    # Tests on the official files train or read 70,000 images: slow by nature.
    for item in items:
        if item.get_closest_marker("full_mnist"):
            item.add_marker(pytest.mark.slow)



# Shared by the network test modules: the embedded sample, and a small scaled slice of it.
@pytest.fixture(scope="module")
def mnist():
    from skmnist.datasets import load_mnist_sample

    X, y = load_mnist_sample(return_X_y=True)
    X_test, y_test = load_mnist_sample("test", return_X_y=True)
    return X, y, X_test, y_test


@pytest.fixture(scope="module")
def data(mnist):
    """500 training and 200 test images, scaled to float32 [0, 1]."""
    from skmnist.preprocessing import PixelScaler

    X, y, X_test, y_test = mnist
    scale = PixelScaler()
    return scale.transform(X[:500]), y[:500], scale.transform(X_test[:200]), y_test[:200]


@pytest.fixture(scope="session")
def run_python():
    """Run Python source in a fresh interpreter from the repository root; return the result.

    ``SKMNIST_TF_LOGS`` is dropped so the child is as quiet as a user's process.
    """

    def run(code, *args, timeout=240):
        env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT)
        env.pop("SKMNIST_TF_LOGS", None)
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,
            env=env,
        )

    return run


@pytest.fixture(autouse=True)
def _environment_restored():
    """Every test leaves os.environ as it found it.

    dask.distributed's nanny writes its workers' settings (OMP_NUM_THREADS=1, ...) into the
    environment of the process that starts a LocalCluster; fresh interpreters started by
    later tests would then run BLAS and TensorFlow single-threaded, whose float32 sums are
    ordered differently from the test process's, and bit-for-bit comparisons would fail.
    """
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def _study_fits():
    """Pipelines the studies of this session trained: hash -> (pickled fitted pipeline, s)."""
    return {}


@pytest.fixture(scope="module")
def study_fits_once(_study_fits):
    """While the module runs, skmnist.study trains each seeded pipeline once per session.

    The study's fits all go through ``skmnist.study._timed_fit``. The commands and studies of
    test_cli.py and test_report.py train the same networks many times over (the same
    settings, the same embedded sample); a fit with a fixed ``random_state`` is reproduced
    exactly by a second one (test_same_random_state_gives_identical_model, and for both
    networks test_novelty_pickles_and_is_deterministic), so the second gets an unpickled
    copy of the first's fitted pipeline (pickling keeps every prediction, test_fcn.py and
    test_mdn.py) and its fit time. The key is the unfitted
    pipeline (every parameter of every step) and the data: a study that asked for anything
    else trains anew. Unseeded fits, fits with callbacks and interrupted fits are never
    shared.
    """
    import pickle

    import joblib

    import skmnist.study as study

    train = study._timed_fit

    def timed_fit(model, X, y):
        network = model.steps[-1][1] if hasattr(model, "steps") else model
        if getattr(network, "random_state", None) is None or getattr(network, "callbacks", None):
            return train(model, X, y)
        key = joblib.hash((model, X, y))
        if key in _study_fits:
            blob, seconds = _study_fits[key]
            return pickle.loads(blob), seconds
        model, seconds = train(model, X, y)
        network = model.steps[-1][1] if hasattr(model, "steps") else model
        if not getattr(network, "interrupted_", False):
            _study_fits[key] = (pickle.dumps(model), seconds)
        return model, seconds

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(study, "_timed_fit", timed_fit)
        yield


@pytest.fixture(scope="session")
def fitted_on_sample():
    """``get(Estimator, n_rows=500, **params)``: ``Estimator(**params)`` fitted on the first
    ``n_rows`` images of the embedded sample scaled to [0, 1] (the rows of the ``data``
    fixture), trained once per session.

    For tests that only read the network (predict, export, draw it); a test that trains it
    further, or changes it otherwise, fits its own.
    """
    from skmnist.datasets import load_mnist_sample
    from skmnist.preprocessing import PixelScaler

    X, y = load_mnist_sample(return_X_y=True)
    fitted = {}

    def get(Estimator, n_rows=500, **params):
        key = (Estimator, n_rows, tuple(sorted(params.items())))
        if key not in fitted:
            fitted[key] = Estimator(**params).fit(PixelScaler().transform(X[:n_rows]),
                                                  y[:n_rows])
        return fitted[key]

    return get


@pytest.fixture(scope="session")
def fitted_by_activation(fitted_on_sample):
    """``get(Estimator, activation="relu")``: ``Estimator((24, 12), activation=activation,
    epochs=1, random_state=0)`` fitted on the first 300 scaled images of the embedded
    sample, trained once per session (see fitted_on_sample).

    Its NumPy, Keras and ONNX forward passes are compared in test_inference.py and
    test_onnx.py.
    """

    def get(Estimator, activation="relu"):
        return fitted_on_sample(Estimator, 300, hidden_layer_sizes=(24, 12),
                                activation=activation, epochs=1, random_state=0)

    return get
