"""Import TensorFlow and Keras (and, on first use, TensorFlow Probability) quietly.

TensorFlow's C++ runtime writes informational lines (oneDNN notices, "could not find cuda
drivers", absl start-up warnings) straight to the process's stderr file descriptor while its
shared libraries load.  ``TF_CPP_MIN_LOG_LEVEL`` no longer silences all of them, so the import
happens once, here, with file descriptor 2 pointed at ``/dev/null``.  Python-level errors are
raised after stderr is restored, so a broken installation still reports itself.

Set ``SKMNIST_TF_LOGS=1`` to see TensorFlow's start-up messages.

Thread pools.  TensorFlow sizes its intra-op (one kernel's work split over threads) and
inter-op (independent kernels at once) pools to every core of the machine, and both can be set
only before its runtime starts.  Several TensorFlow processes on one machine (a Dask cluster,
joblib's ``n_jobs``) then each run as many threads as there are cores and oversubscribe them.
The pools are sized here, right after the import, by :func:`thread_pool_size`:
``SKMNIST_NUM_THREADS`` if set (``0``: TensorFlow's own default), else ``OMP_NUM_THREADS``, the
variable that process pools already set for their workers (Dask's nanny sets 1, joblib's loky
backend ``cores // n_jobs``), else TensorFlow's default.
"""

import contextlib
import os
import re
import sys
import warnings

__all__ = ["tf", "keras", "thread_pool_size"]  # and, on first use, tfp and tfd (below)

# TensorFlow's inter-op pool runs independent kernels at once; the training step of these
# networks is a chain of kernels, so a second thread is all it ever uses (one more would only
# wait).  None lets TensorFlow size it.
_MAX_INTER_OP_THREADS = 2


@contextlib.contextmanager
def _silenced_stderr_fd():
    if os.environ.get("SKMNIST_TF_LOGS"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters, some notebooks)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
with _silenced_stderr_fd(), warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402

    # Device discovery (cuInit and friends) logs its own failures on machines without a
    # GPU; run it now, while those lines go nowhere, rather than at the first fit.
    tf.config.list_physical_devices()

tf.get_logger().setLevel("ERROR")


def __getattr__(name):
    """``tfp`` and ``tfd`` (TensorFlow Probability and its distributions), imported on first
    use: only the mixture head's continuous objective needs them, and the import costs about
    a second of every process that trains (measured by ``benchmarks/bench_train.py``)."""
    if name not in ("tfp", "tfd"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _silenced_stderr_fd(), warnings.catch_warnings():
        # TensorFlow Probability checks TensorFlow's version with distutils, which warns.
        warnings.simplefilter("ignore", DeprecationWarning)
        import tensorflow_probability as tfp

        tfd = tfp.distributions  # TFP loads lazily: trigger it here, inside the filters
    globals().update(tfp=tfp, tfd=tfd)
    return globals()[name]


def thread_pool_size(environ=None):
    """The intra-op thread count this process should give TensorFlow, or None for its default.

    ``SKMNIST_NUM_THREADS`` wins (``0`` means TensorFlow's default), then ``OMP_NUM_THREADS``.
    An ``SKMNIST_NUM_THREADS`` that is not a non-negative integer is an error naming it (a typo
    must not silently leave the pools oversubscribed); an ``OMP_NUM_THREADS`` that is not is
    other libraries' business and is ignored here.

    Parameters
    ----------
    environ : mapping, default=None
        The environment to read (``os.environ`` when None).

    Returns
    -------
    int or None

    Examples
    --------
    >>> from skmnist._tf import thread_pool_size
    >>> thread_pool_size({"OMP_NUM_THREADS": "1"})
    1
    >>> thread_pool_size({"SKMNIST_NUM_THREADS": "0", "OMP_NUM_THREADS": "1"}) is None
    True
    """
    environ = os.environ if environ is None else environ
    for name in ("SKMNIST_NUM_THREADS", "OMP_NUM_THREADS"):
        value = environ.get(name, "").strip()
        if not value:
            continue
        # OpenMP allows a list ("4,2": per nesting level); the outermost level is the one.
        first = value.split(",")[0].strip()
        if not re.fullmatch(r"\d+", first):
            if name == "OMP_NUM_THREADS":
                return None
            raise ValueError(
                f"{name}={value!r} is not a number of threads; set a non-negative integer "
                "(0: TensorFlow's default) or unset it."
            )
        return int(first) or None
    return None


def _size_thread_pools():
    threads = thread_pool_size()
    if threads is None:
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(
            min(threads, _MAX_INTER_OP_THREADS)
        )
    except RuntimeError:
        # TensorFlow was imported and ran an operation before skmnist was imported: its pools
        # are fixed now.  Say so only when the user asked skmnist for a size.
        if os.environ.get("SKMNIST_NUM_THREADS"):
            warnings.warn(
                "SKMNIST_NUM_THREADS is ignored: TensorFlow's runtime had started before "
                "skmnist was imported; import skmnist first or set the pools with "
                "tf.config.threading.",
                RuntimeWarning,
                stacklevel=2,
            )


_size_thread_pools()
