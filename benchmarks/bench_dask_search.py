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
the time is the search's wall time.  Every variant must find the same ``best_params_`` and
scores (the fits are seeded).  Run: ``python benchmarks/bench_dask_search.py [--repeat 2]``.
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


def search_once(n_workers, env, X, y, repeat):
    import joblib
    from distributed import Client, LocalCluster
    from sklearn.model_selection import GridSearchCV

    from skmnist import FCNClassifier

    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, env=env) as cluster, Client(cluster) as client:
        pools = sorted(set(client.run(_import_tensorflow).values()))
        seconds, scores = [], None
        for _ in range(repeat):
            search = GridSearchCV(
                FCNClassifier(epochs=3, random_state=0), GRID, cv=2, n_jobs=-1, refit=False
            )
            start = time.perf_counter()
            with joblib.parallel_backend("dask"):
                search.fit(X, y)
            seconds.append(round(time.perf_counter() - start, 2))
            scores = search.cv_results_["mean_test_score"].tolist()
    return {"thread_pools_intra_inter": pools, "seconds": seconds,
            "best_seconds": min(seconds), "best_params": search.best_params_,
            "mean_test_scores": scores}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="searches per variant")
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
        "note": "2 shared cores with other jobs running: wall times are noisy; variants run "
        "back to back in one session and each is the best of --repeat searches.",
        "variants": {},
    }
    for name, (n_workers, env) in variants.items():
        run = search_once(n_workers, env, X, y, args.repeat)
        results["variants"][name] = run
        report(f"{name}: search wall time (best of {args.repeat})",
               f"{run['best_seconds']:.1f} s   pools {run['thread_pools_intra_inter']}")
    runs = list(results["variants"].values())
    assert all(r["best_params"] == runs[0]["best_params"] for r in runs)
    assert all(np.array_equal(r["mean_test_scores"], runs[0]["mean_test_scores"]) for r in runs)
    one = results["variants"]["1 worker"]["best_seconds"]
    for run in results["variants"].values():
        run["speedup_vs_1_worker"] = round(one / run["best_seconds"], 2)
    results["cpu_count"] = os.cpu_count()
    save("dask_search", results)


if __name__ == "__main__":
    main()
