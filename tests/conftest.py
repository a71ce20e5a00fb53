import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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
        env = dict(os.environ)
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
