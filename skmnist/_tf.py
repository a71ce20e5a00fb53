"""Import TensorFlow, Keras and TensorFlow Probability quietly.

TensorFlow's C++ runtime writes informational lines (oneDNN notices, "could not find cuda
drivers", absl start-up warnings) straight to the process's stderr file descriptor while its
shared libraries load.  ``TF_CPP_MIN_LOG_LEVEL`` no longer silences all of them, so the import
happens once, here, with file descriptor 2 pointed at ``/dev/null``.  Python-level errors are
raised after stderr is restored, so a broken installation still reports itself.

Set ``SKMNIST_TF_LOGS=1`` to see TensorFlow's start-up messages.
"""

import contextlib
import os
import sys
import warnings

__all__ = ["tf", "keras", "tfp", "tfd"]


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
    # TensorFlow Probability checks TensorFlow's version with distutils, which warns.
    warnings.simplefilter("ignore", DeprecationWarning)
    import keras  # noqa: E402
    import tensorflow as tf  # noqa: E402
    import tensorflow_probability as tfp  # noqa: E402

    # Device discovery (cuInit and friends) logs its own failures on machines without a
    # GPU; run it now, while those lines go nowhere, rather than at the first fit.
    tf.config.list_physical_devices()
    tfd = tfp.distributions  # TFP loads lazily: trigger it here, inside the filters

tf.get_logger().setLevel("ERROR")
