"""Shared pieces of the benchmark scripts: data, timing callback, machine facts, JSON output.

Every result file says where its numbers came from: :func:`save` adds a ``provenance`` record
(the commit and whether the tree had uncommitted changes, skmnist's version, the date, the
exact command) beside the ``machine`` record that each script stores, and writes one run per
file (a script that runs a subset writes it under its own name: :func:`result_name`).
"""

import datetime
import json
import os
import shlex
import subprocess
import sys
import time

import numpy as np

from skmnist._io import atomic_file

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def load_full_mnist():
    """Full MNIST (official split) from the data home, scaled once to float32 in [0, 1]."""
    from skmnist import PixelScaler, fetch_mnist

    train, test = fetch_mnist("train"), fetch_mnist("test")
    scaler = PixelScaler()
    return (
        scaler.fit_transform(train.data), train.target,
        scaler.transform(test.data), test.target,
    )


def epoch_timer(keras=None):
    """A Keras callback recording the wall time of every epoch in ``.seconds``.

    ``keras``: the Keras module to subclass; by default skmnist's (which imports TensorFlow
    with skmnist's settings). A process that must not load skmnist's TensorFlow setup, as
    a peer library's in bench_peers.py, passes its own ``import keras``.
    """
    if keras is None:
        from skmnist._tf import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(round(time.perf_counter() - self._start, 3))

    return EpochTimer()


def epoch_summary(seconds):
    """First epoch (tracing/compilation included) and the median of the warm ones."""
    return {
        "first_epoch_s": seconds[0],
        "warm_epoch_median_s": float(np.median(seconds[1:])) if len(seconds) > 1 else None,
        "epochs_s": seconds,
    }


def grid_search(estimator, grid, X, y, X_test, y_test, cv=3):
    """Run ``GridSearchCV`` (accuracy, one process), report and summarize it for JSON."""
    from sklearn.model_selection import GridSearchCV

    start = time.perf_counter()
    search = GridSearchCV(estimator, grid, cv=cv, n_jobs=1).fit(X, y)
    summary = {
        "grid": grid,
        "cv": cv,
        "fixed_params": {
            k: v for k, v in estimator.get_params().items()
            if k in ("epochs", "l2") and k not in grid
        },
        "best_params": search.best_params_,
        "best_cv_accuracy": float(search.best_score_),
        "test_accuracy": search.score(X_test, y_test),
        "cv_results": {
            str(p): float(s)
            for p, s in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"])
        },
        "search_s": round(time.perf_counter() - start, 1),
    }
    report(f"GridSearchCV best {search.best_params_}: cv / test accuracy",
           f"{search.best_score_:.4f} / {summary['test_accuracy']:.4f}")
    return summary


def machine():
    """The machine and library versions a run measured (stored in every result file): the
    report's :func:`skmnist.report.environment`, with TensorFlow imported as skmnist does."""
    from skmnist._tf import tf  # noqa: F401  (the version of what the run imports)
    from skmnist.report import environment

    run_provenance()
    env = environment()
    versions = {k: v for k, v in env["versions"].items() if k != "skmnist"}
    return {"cpu_count": env["cpu_count"], "platform": env["platform"],
            "python": env["python"], **versions}


def _git(*args):
    """Output of ``git args`` in the repository, or None where there is no git checkout."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=os.path.dirname(RESULTS), capture_output=True, text=True,
            timeout=30, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def provenance():
    """Where a run's numbers came from: commit, dirty flag, version, date, command.

    ``dirty`` is True when tracked files (result files aside) differed from the commit when
    the run started (the numbers then belong to no commit exactly); ``command`` is the
    command line as run, from the repository root, with the data home when it was set.
    """
    import skmnist

    # Result files are outputs, not code: a run that follows another is not "dirty" for it.
    status = _git("status", "--porcelain", "--untracked-files=no", "--", ":(top)",
                  ":(top,exclude)benchmarks/results")
    root = os.path.dirname(os.path.dirname(RESULTS))
    command = shlex.join(["python", os.path.relpath(os.path.abspath(sys.argv[0]), root),
                          *sys.argv[1:]])
    if os.environ.get("SKMNIST_DATA"):
        command = f"SKMNIST_DATA={shlex.quote(os.environ['SKMNIST_DATA'])} {command}"
    return {
        "commit": _git("rev-parse", "HEAD"),
        "dirty": None if status is None else bool(status),
        "skmnist": skmnist.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
    }


# Taken once, at the run's start (machine() is called first by every script), before the run
# or an edit made while it runs can change the tree.
_PROVENANCE = None


def run_provenance():
    global _PROVENANCE
    if _PROVENANCE is None:
        _PROVENANCE = provenance()
    return _PROVENANCE


def result_name(base, chosen, every):
    """The file stem of a run of ``chosen`` of ``every`` part: ``base`` for all of them,
    ``{base}_only_{a}_{b}`` for a subset, so that a partial rerun never overwrites (or merges
    into) the file of a whole run."""
    chosen = list(chosen)
    if set(chosen) == set(every):
        return base
    return f"{base}_only_" + "_".join(chosen)


def save(name, results, quiet=False):
    """Write ``results`` (one run) to ``results/{name}.json`` with its provenance (``quiet``:
    without saying so, for a long run's interim saves)."""
    if "machine" not in results:
        results = {"machine": machine(), **results}
    results = {"provenance": run_provenance(), **results}
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{name}.json")
    with atomic_file(path, "w") as f:
        json.dump(results, f, indent=2, default=float)
    if not quiet:
        print(f"\nSaved {path}")
    return path


def report(title, value):
    print(f"{title:<58} {value}", flush=True)
