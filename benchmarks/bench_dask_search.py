"""How a hyperparameter search scales on Dask: 1 worker, 2 workers, sized or oversubscribed.

One ``GridSearchCV`` (FCNClassifier, 4 candidates x 2 folds = 8 fits, no refit) on the
embedded sample, run under ``joblib.parallel_backend("dask")`` on a ``LocalCluster`` of worker
processes with one task thread each:

``1 worker``
    the search's fits one after another in one process (TensorFlow sized to 1 thread).
``2 workers, sized``
    two fits at once; Dask's nanny sets ``OMP_NUM_THREADS=1`` in its workers and skmnist
    sizes TensorFlow's thread pools from it (1 intra-op, 1 inter-op thread per worker).
``2 workers, oversubscribed``
    the same with ``SKMNIST_NUM_THREADS=0`` in the workers: TensorFlow's default pools, as
    many threads as cores in each worker.

The cluster is started and every worker has imported TensorFlow before the clock starts;
the time is the search's wall time, its median over ``--repeat`` searches run in
interleaved rounds.  Every variant must find the same ``best_params_`` and scores (the
fits are seeded).
Run: ``python benchmarks/bench_dask_search.py [--repeat 3]``.
Results: ``benchmarks/results/dask_search.json``.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, report, save  # noqa: E402

GRID = {"hidden_layer_sizes": [(64,), (128,)], "l2": [0.0, 1e-3]}


def _import_tensorflow():
    from skmnist._tf import tf

    return (tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads())


def _search():
    from sklearn.model_selection import GridSearchCV

    from skmnist import FCNClassifier

    return GridSearchCV(
        FCNClassifier(epochs=3, random_state=0), GRID, cv=2, n_jobs=-1, refit=False
    )


def run_variants(variants, X, y, repeat):
    """Start every variant's cluster, then time its searches in interleaved rounds.

    Interleaving (round 1: every variant, round 2: every variant, ...) spreads the drift of a
    shared machine's load over the variants instead of charging it to whichever ran last.
    Idle workers use no CPU, so the clusters that wait do not slow the one that runs.
    """
    import contextlib

    import joblib
    from distributed import Client, LocalCluster

    results = {}
    with contextlib.ExitStack() as stack:
        clients = {}
        for name, (n_workers, env) in variants.items():
            cluster = stack.enter_context(LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True,
                dashboard_address=None, env=env,
            ))
            clients[name] = stack.enter_context(Client(cluster, set_as_default=False))
            pools = sorted(set(clients[name].run(_import_tensorflow).values()))
            results[name] = {"n_workers": n_workers, "env": env,
                             "thread_pools_intra_inter": pools, "seconds": []}
        for _ in range(repeat):
            for name, client in clients.items():
                search = _search()
                start = time.perf_counter()
                with joblib.parallel_backend("dask", client=client):
                    search.fit(X, y)
                results[name]["seconds"].append(round(time.perf_counter() - start, 2))
                results[name]["best_params"] = search.best_params_
                results[name]["mean_test_scores"] = search.cv_results_["mean_test_score"].tolist()
    for run in results.values():
        run["median_seconds"] = float(np.median(run["seconds"]))
        run["best_seconds"] = min(run["seconds"])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="searches per variant")
    parser.add_argument("--n-samples", type=int, default=5000)
    args = parser.parse_args()

    from skmnist import PixelScaler, load_mnist_sample

    X, y = load_mnist_sample(return_X_y=True)
    X, y = PixelScaler().fit_transform(X[: args.n_samples]), y[: args.n_samples]
    variants = {
        "1 worker": (1, {}),
        "2 workers, sized": (2, {}),
        "2 workers, oversubscribed": (2, {"SKMNIST_NUM_THREADS": "0"}),
    }
    results = {
        "machine": machine(),
        "search": {"estimator": "FCNClassifier(epochs=3, random_state=0)", "grid": GRID,
                   "cv": 2, "n_fits": 8, "n_samples": len(y)},
        "note": "Wall times on a shared machine are noisy: the variants' searches run in "
        "interleaved rounds in one session; compare medians within this file only.",
        "variants": {},
    }
    results["variants"] = run_variants(variants, X, y, args.repeat)
    for name, run in results["variants"].items():
        report(f"{name}: search wall time, median (best) of {args.repeat}",
               f"{run['median_seconds']:.1f} s ({run['best_seconds']:.1f} s)   "
               f"pools {run['thread_pools_intra_inter']}")
    runs = list(results["variants"].values())
    assert all(r["best_params"] == runs[0]["best_params"] for r in runs)
    assert all(np.array_equal(r["mean_test_scores"], runs[0]["mean_test_scores"]) for r in runs)
    one = results["variants"]["1 worker"]["median_seconds"]
    for run in results["variants"].values():
        run["speedup_vs_1_worker"] = round(one / run["median_seconds"], 2)
    results["cpu_count"] = os.cpu_count()
    save("dask_search", results)


if __name__ == "__main__":
    main()
