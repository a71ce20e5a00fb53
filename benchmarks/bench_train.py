"""Training beside the machine's limit: every contender's epoch against its compute bound.

The part of issue #25 that measures; nothing here changes the library.  One run, in order:

1. **The bound.**  The machine's own best float32 matrix-product rate, best of several
   timed blocks, with NumPy (its BLAS) and with TensorFlow (``tf.linalg.matmul``, eager),
   at the shapes that matter: the dense network's first-layer product at batch 200
   (200 x 784 x 400) and its weight gradient (784 x 200 x 400), the second convolution as
   an im2col product (200·14·14 x 288 x 64) and a large square product (the peak).  The
   bound rate is the best of them all.
2. **FLOPs per epoch**, counted from the network's layer shapes (:func:`network_layers`):
   each layer is a product of ``m`` multiply-adds per image (Dense ``a -> b``: ``a·b``;
   ``Conv2D`` with ``"same"`` padding on an ``h x w x c`` map into ``f`` filters of side
   ``k``: ``h·w·k²·c·f``, and ``MaxPooling2D(p, padding="same")`` makes the side
   ``ceil(h / p)``, as ``skmnist._trunk.make_conv_trunk`` builds it).  A training step
   runs, per layer, the forward product (``2m`` FLOPs per image), the weight gradient
   (``2m``) and, except for the first layer (whose input needs no gradient), the input
   gradient (``2m``)::

       FLOPs/epoch = n_train · (4·m_first + 6·Σ m_others)

   Dense 784-400-20-10 on 60,000 images: 78.2 GFLOP; with ``conv_filters=(32, 64)``
   1.81 TFLOP.  Biases, activations, pooling, the loss and the optimizer's update are left
   out (the largest, Adam's update, is about 12 FLOPs per weight per step: 1.2 GFLOP per
   dense epoch, 1.5% of its count; memory traffic is no part of this bound).  Outlier
   exposure trains on 1.5 times the rows, so its count is 1.5 times the plain one.
   **Bound** = FLOPs per epoch / the bound rate.
3. **Contenders**, each fitted in a fresh interpreter of its own (its peak memory, ``VmHWM``,
   is its own, and no fit inherits another's threads): skmnist ``FCNClassifier`` dense with
   its defaults, with ``augmentation="standard"``, with augmentation and
   ``outlier_exposure=0.5``, and with ``conv_filters=(32, 64)``; the same dense and
   convolutional networks in plain Keras ``model.fit`` (Adam 1e-3, batch 200; the dense one
   is ``bench_peers.build_network``); ``MLPClassifier((400, 20), batch_size=200)``
   (``bench_peers.make_contender``); and the same two networks in PyTorch (an eager loop:
   Adam 1e-3, batch 200, shuffled) where ``import torch`` works in the child (torch is no
   requirement of the project: ``--torch-path DIR`` adds a directory holding a CPU wheel's
   installation to the children's ``PYTHONPATH``).  Per contender: the first epoch
   (tracing and compilation included), the warm epoch (median of epochs 2..N; Keras and
   PyTorch time each epoch, ``MLPClassifier``, which has no callbacks, is timed as
   ``(fit(N) - fit(1)) / (N - 1)``), the whole ``fit`` call's wall time, the fixed cost per
   fit (``fit - N · warm epoch``), peak memory, test accuracy and the warm epoch's ratio to
   its bound.
4. **MLPClassifier after skmnist fits**, in one process per variant: ``MLPClassifier`` is
   timed fresh, after ``import skmnist`` (TensorFlow loaded), after three skmnist fits,
   after ``gc.collect()`` and after 5 idle seconds; every thread's CPU time
   (``/proc/self/task``) is read around each timing (who burns the cores while the MLP
   trains) and ``threadpoolctl.threadpool_info()`` before and after.  Variants set one
   thing in the child's environment to test a cause: TensorFlow's pools at one thread
   (``SKMNIST_NUM_THREADS=1``), OpenBLAS at one thread, ``OMP_WAIT_POLICY=passive``.

Targets (issue #25, for the optimisation to come): dense warm epoch <= 1.3x its bound;
fixed cost per fit <= 1 s; the whole default fit >= 1.5x faster than MLPClassifier's fit of
the same epochs; convolutional warm epoch <= 1.5x its bound and no slower than plain Keras;
augmentation and outlier exposure <= 1.3x the plain epoch; MLPClassifier after skmnist
fits within 1.1x of a fresh process.  The printed tables put each number beside its bound
or target.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_train.py [--epochs 20]
    python benchmarks/bench_train.py --quick [--torch-path DIR]

Full mode: full MNIST (60,000 / 10,000) from the data home, never downloaded; dense
contenders fit ``--epochs`` (default 20, FCNClassifier's default: its whole default fit),
convolutional ones ``--conv-epochs`` (default 5).  ``--quick`` (offline, a smoke run): the
embedded sample (5,000 / 1,000; under 10,000 rows skmnist does not compile with XLA, so its
numbers are not the full path's), 3 and 2 epochs.  Saves ``benchmarks/results/train.json``
(``train_quick.json``; ``--only`` a subset into ``train_only_....json``), after every
contender and every variant too: a run cut short keeps what it measured, its ``partial``
key saying how far it got (None once complete).  Every run records
the machine's load average: on a machine whose cores other processes use, its timings are
not the machine's limit.
"""

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from _common import epoch_timer, machine, report, result_name, save  # noqa: E402
from bench_peers import (  # noqa: E402
    CONTENDER_ENV,
    build_network,
    load_data,
    make_contender,
    peak_memory_mb,
)

BATCH = 200
HIDDEN = (400, 20)
CONV_FILTERS = (32, 64)
IMAGE_SHAPE = (28, 28)
OUTLIER_EXPOSURE = 0.5
OE_ROWS = 1.5  # outlier exposure adds half as many rows as the training set

# name: (label, network, what fits it)
CONTENDERS = {
    "fcn": ("FCNClassifier (defaults)", "dense", {}),
    "fcn_aug": ("FCNClassifier, augmentation", "dense", {"augmentation": "standard"}),
    "fcn_aug_oe": ("FCNClassifier, augmentation + outlier exposure", "dense",
                   {"augmentation": "standard", "outlier_exposure": OUTLIER_EXPOSURE}),
    "fcn_conv": ("FCNClassifier, conv_filters=(32, 64)", "conv",
                 {"conv_filters": CONV_FILTERS}),
    "keras": ("Keras model.fit, dense", "dense", None),
    "keras_conv": ("Keras model.fit, conv", "conv", None),
    "mlp": ("MLPClassifier((400, 20))", "dense", None),
    # bench_peers' variant: the same estimator with one OpenBLAS thread (CONTENDER_ENV)
    "mlp_1thread": ("MLPClassifier((400, 20)), 1 BLAS thread", "dense", None),
    "torch": ("PyTorch, dense", "dense", None),
    "torch_conv": ("PyTorch, conv", "conv", None),
}
PARTS = (*CONTENDERS, "after")

# The after-experiment's variants: the child's environment beyond the inherited one.
AFTER_VARIANTS = {
    "default": {},
    "tf_1_thread": {"SKMNIST_NUM_THREADS": "1"},
    "openblas_1_thread": {"OPENBLAS_NUM_THREADS": "1"},
    "omp_passive": {"OMP_WAIT_POLICY": "passive"},
}


# ------------------------------------------------------------------------------ FLOPs
def network_layers(conv_filters=(), hidden=HIDDEN, n_classes=10, image_shape=IMAGE_SHAPE,
                   kernel_size=3, pool_size=2):
    """Multiply-adds per image of each product layer, in order, as skmnist builds them:
    ``[(name, m), ...]``."""
    h, w, c = (*image_shape, 1)[:3]
    layers = []
    for i, filters in enumerate(conv_filters):
        layers.append((f"conv_{i}", h * w * kernel_size**2 * c * filters))
        h, w, c = math.ceil(h / pool_size), math.ceil(w / pool_size), filters
    dims = [h * w * c, *hidden, n_classes]
    layers += [(f"dense_{a}x{b}", a * b) for a, b in zip(dims, dims[1:])]
    return layers


def flops_per_image(layers):
    """Training FLOPs per image: forward and weight gradient of every layer, the input
    gradient of every layer but the first."""
    return 4 * layers[0][1] + 6 * sum(m for _, m in layers[1:])


def epoch_flops(network, n_train, rows=1.0):
    conv = CONV_FILTERS if network == "conv" else ()
    return flops_per_image(network_layers(conv)) * n_train * rows


# ------------------------------------------------------------------------------ the bound
# (name, m, k, n): an (m x k) by (k x n) float32 product
GEMM_SHAPES = (
    ("dense forward 200x784x400", BATCH, 784, 400),
    ("dense weight gradient 784x200x400", 784, BATCH, 400),
    ("conv_1 im2col 39200x288x64", BATCH * 14 * 14, 9 * 32, 64),
    ("square 2048", 2048, 2048, 2048),
)


def _best_rate(product, flops, repeats, block_s=0.1):
    """Best GFLOP/s of ``product()`` over ``repeats`` blocks of about ``block_s`` each."""
    product()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < block_s / 4:
        product()
        calls += 1
    per_block = max(1, int(calls * 4 * block_s / (time.perf_counter() - start)))
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(per_block):
            product()
        best = min(best, (time.perf_counter() - start) / per_block)
    return flops / best / 1e9


def child_bound(quick):
    """Best float32 product rates, NumPy then TensorFlow, in this fresh process."""
    from threadpoolctl import threadpool_info

    repeats = 3 if quick else 9
    rng = np.random.default_rng(0)
    out = {"numpy": {}, "tensorflow": {}, "repeats": repeats,
           "numpy_threadpools": [{k: p.get(k) for k in ("internal_api", "num_threads",
                                                         "version", "threading_layer")}
                                 for p in threadpool_info()]}
    operands = {}
    for name, m, k, n in GEMM_SHAPES:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        operands[name] = (a, b, 2 * m * k * n)
        out["numpy"][name] = _best_rate(lambda a=a, b=b: a @ b, 2 * m * k * n, repeats)
    from skmnist._tf import tf

    for name, (a, b, flops) in operands.items():
        ta, tb = tf.constant(a), tf.constant(b)
        out["tensorflow"][name] = _best_rate(
            lambda ta=ta, tb=tb: tf.linalg.matmul(ta, tb).numpy(), flops, repeats)
    out["gflops"] = max(max(out["numpy"].values()), max(out["tensorflow"].values()))
    return out


# ------------------------------------------------------------------------------ contenders
def build_conv_network(seed=0):
    """The convolutional network in plain Keras: ``make_conv_trunk``'s layers, then
    ``build_network``'s Dense ones (``import keras``, not skmnist's, as a user would)."""
    import keras

    x = inputs = keras.Input(shape=(IMAGE_SHAPE[0] * IMAGE_SHAPE[1],), dtype="float32")
    x = keras.layers.Reshape((*IMAGE_SHAPE, 1))(x)
    for filters in CONV_FILTERS:
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
        x = keras.layers.MaxPooling2D(2, padding="same")(x)
    features = keras.layers.Flatten()(x)
    dense = build_network(features.shape[-1], 10, HIDDEN, seed)
    return keras.Model(inputs, dense(features))


def torch_network(network):
    """The same networks in PyTorch (logits out; the loss applies the softmax)."""
    from torch import nn

    layers = []
    if network == "conv":
        layers.append(nn.Unflatten(1, (1, *IMAGE_SHAPE)))
        channels = 1
        for filters in CONV_FILTERS:
            layers += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU(),
                       nn.MaxPool2d(2, ceil_mode=True)]
            channels = filters
        layers.append(nn.Flatten())
    conv = CONV_FILTERS if network == "conv" else ()
    n_in = network_layers(conv)[len(conv)][1] // HIDDEN[0]  # the first Dense layer's inputs
    for units in HIDDEN:
        layers += [nn.Linear(n_in, units), nn.ReLU()]
        n_in = units
    layers.append(nn.Linear(n_in, 10))
    return nn.Sequential(*layers)


def fit_torch(network, X, y, epochs):
    """An eager PyTorch training loop; returns the model and every epoch's seconds."""
    import torch

    torch.manual_seed(0)
    model = torch_network(network)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(X))
        for i in range(0, len(X), BATCH):
            rows = order[i:i + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(X[rows]), y[rows]).backward()
            optimizer.step()
        seconds.append(round(time.perf_counter() - start, 3))
    return model, seconds


def _mlp_fit_seconds(X, y, epochs):
    from sklearn.exceptions import ConvergenceWarning

    est = make_contender("mlp", epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        est.fit(X, y)
    return est, time.perf_counter() - start


def child_fit(name, epochs, quick, data_home):
    """Fit one contender in this (fresh) process and measure it."""
    _, network, params = CONTENDERS[name]
    if name.startswith("fcn"):
        from skmnist._tf import keras
    elif name.startswith("keras"):
        import keras
    elif name.startswith("torch"):
        import torch  # noqa: F401  (imported before the clock starts, as Keras is)
    if name.startswith(("fcn", "keras")):
        keras.config.disable_interactive_logging()
    X, y, X_test, y_test = load_data(quick, data_home)
    out = {"n_train": len(X), "n_test": len(X_test), "epochs": epochs,
           "rss_before_fit_mb": peak_memory_mb()[0]}
    if name.startswith("mlp"):
        one_epoch = _mlp_fit_seconds(X, y, 1)[1]
        est, fit_s = _mlp_fit_seconds(X, y, epochs)
        warm = (fit_s - one_epoch) / max(1, est.n_iter_ - 1)
        seconds = [round(one_epoch, 3)]
        out["timing"] = "(fit(N epochs) - fit(1 epoch)) / (N - 1); first epoch: fit(1 epoch)"
        accuracy = est.score(X_test, y_test)
    else:
        if name.startswith("torch"):
            start = time.perf_counter()
            model, seconds = fit_torch(network, X, y, epochs)
            fit_s = time.perf_counter() - start
            with torch.no_grad():
                logits = model(torch.from_numpy(X_test)).numpy()
            out["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads()}
            out["timing"] = "median of epochs 2..N, timed in the training loop"
        else:
            timer = epoch_timer(keras)
            start = time.perf_counter()
            if name.startswith("fcn"):
                from skmnist import FCNClassifier

                est = FCNClassifier(epochs=epochs, random_state=0, callbacks=[timer],
                                    **params)
                est.fit(X, y)
                fit_s = time.perf_counter() - start
                out["jit_compile"] = bool(est.model_.jit_compile)
                logits = est.predict_proba(X_test)
            else:
                keras.utils.set_random_seed(0)
                if network == "dense":
                    model = make_contender("keras", epochs)
                else:
                    model = build_conv_network()
                    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                                  loss="sparse_categorical_crossentropy")
                model.fit(X, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer])
                fit_s = time.perf_counter() - start
                logits = model.predict(X_test, verbose=0)
            seconds = timer.seconds
            out["timing"] = "median of epochs 2..N, Keras callback"
        warm = float(np.median(seconds[1:]))
        accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
    out.update({
        "epochs_s": seconds, "first_epoch_s": seconds[0], "warm_epoch_s": warm,
        "fit_s": fit_s, "fixed_cost_s": fit_s - epochs * warm,
        # the fixed cost's two parts, less sensitive to one slow epoch than the difference
        # above: what the fit does outside its epochs (building, novelty fitting, ...) and
        # what the first epoch costs beyond a warm one (tracing, compiling)
        # (only where every epoch was timed: MLPClassifier's two figures are derived)
        "outside_epochs_s": fit_s - float(np.sum(seconds)) if len(seconds) == epochs else None,
        "first_epoch_excess_s": seconds[0] - warm if len(seconds) == epochs else None,
        "peak_rss_mb": peak_memory_mb()[0], "test_accuracy": float(accuracy),
        "threads_at_end": len(os.listdir("/proc/self/task")),
    })
    return out


# ------------------------------------------------------------------------------ after
def thread_times():
    """CPU seconds of every thread of this process and the seconds it waited, runnable, for
    a core (``schedstat``: what other threads, of this process or others, took from it):
    ``{tid: (name, cpu_s, waited_s)}``."""
    tick = os.sysconf("SC_CLK_TCK")
    times = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                waited = int(f.read().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):  # ended meanwhile, or no schedstat
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        times[tid] = (name, (int(fields[11]) + int(fields[12])) / tick, waited)
    return times


def cpu_by_thread(before, after):
    """CPU seconds spent and seconds waited for a core between two :func:`thread_times`, by
    thread name, busiest first; the main thread apart.  (Threads that name themselves
    nothing, OpenBLAS's workers among them, are called ``python``.)"""
    main = str(os.getpid())
    spent = {}
    for tid, (name, cpu, waited) in after.items():
        label = "main thread" if tid == main else name
        _, cpu0, waited0 = before.get(tid, (name, 0.0, 0.0))
        count, total, wait = spent.get(label, (0, 0.0, 0.0))
        spent[label] = (count + 1, total + cpu - cpu0, wait + waited - waited0)
    return {label: {"threads": n, "cpu_s": round(c, 2), "waited_for_a_core_s": round(w, 2)}
            for label, (n, c, w) in sorted(spent.items(), key=lambda kv: -kv[1][1])}


def _timed_mlp(X, y, epochs, repeats):
    """MLPClassifier's fit, ``repeats`` times: seconds per epoch (the best, and all), and
    where the process's CPU time went during the best one."""
    runs = []
    for _ in range(repeats):
        before, cpu0 = thread_times(), time.process_time()
        seconds = _mlp_fit_seconds(X, y, epochs)[1]
        runs.append((seconds / epochs, time.process_time() - cpu0,
                     cpu_by_thread(before, thread_times())))
    best = min(runs, key=lambda r: r[0])
    return {"epoch_s": best[0], "epochs_s_all": [round(r[0], 4) for r in runs],
            "cpu_over_wall": best[1] / (best[0] * epochs), "cpu_by_thread": best[2],
            "main_thread_waited_for_a_core_per_epoch_s":
                best[2]["main thread"]["waited_for_a_core_s"] / epochs,
            "threads": len(os.listdir("/proc/self/task")),
            "load_average": os.getloadavg()[0]}


def _after_sizes(quick):
    """MLPClassifier's epochs and repeats per timing, and the skmnist fits' epochs."""
    return (3, 2, 1) if quick else (3, 3, 2)


def child_mlp_fresh(quick, data_home):
    """The control: MLPClassifier timed as the after experiment times it, in a fresh process
    started right after that experiment's (the load of the machine then, without the fits)."""
    X, y, _, _ = load_data(quick, data_home)
    mlp_epochs, repeats, _ = _after_sizes(quick)
    return _timed_mlp(X, y, mlp_epochs, repeats)


def child_after(quick, data_home):
    """MLPClassifier fresh, after importing skmnist, after three skmnist fits, after
    ``gc.collect()``, after 5 idle seconds: all in this one process."""
    from threadpoolctl import threadpool_info

    X, y, _, _ = load_data(quick, data_home)
    mlp_epochs, repeats, fcn_epochs = _after_sizes(quick)

    def pools():
        return [{k: p.get(k) for k in ("internal_api", "prefix", "num_threads", "version")}
                for p in threadpool_info()]

    stages = {"fresh": _timed_mlp(X, y, mlp_epochs, repeats)}
    out = {"mlp_epochs": mlp_epochs, "repeats": repeats, "skmnist_fits": 3,
           "skmnist_fit_epochs": fcn_epochs, "threadpools_before": pools()}
    from skmnist import FCNClassifier

    stages["after import skmnist"] = _timed_mlp(X, y, mlp_epochs, repeats)
    before = thread_times()
    for seed in range(3):
        FCNClassifier(epochs=fcn_epochs, random_state=seed).fit(X, y)
    fits_cpu = cpu_by_thread(before, thread_times())
    # who keeps running once the fits have returned: one idle second, nothing asked of them
    before = thread_times()
    time.sleep(1)
    out["cpu_by_thread_idle_1s_after_fits"] = cpu_by_thread(before, thread_times())
    stages["after 3 skmnist fits"] = _timed_mlp(X, y, mlp_epochs, repeats)
    gc.collect()
    stages["after gc.collect()"] = _timed_mlp(X, y, mlp_epochs, repeats)
    time.sleep(5)
    stages["after 5 s idle"] = _timed_mlp(X, y, mlp_epochs, repeats)
    out["threadpools_after"] = pools()
    out["cpu_by_thread_during_fits"] = fits_cpu
    out["stages"] = stages
    fresh = stages["fresh"]["epoch_s"]
    out["ratio_to_fresh"] = {k: v["epoch_s"] / fresh for k, v in stages.items()}
    return out


# ------------------------------------------------------------------------------ the run
def run_child(args, *child, env=None):
    """This script's ``--child`` in a fresh interpreter; its JSON result."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", *child]
    cmd += ["--quick"] if args.quick else []
    cmd += ["--data-home", args.data_home] if args.data_home else []
    cmd += ["--epochs", str(args.epochs)]
    env = {**os.environ, **(env or {})}
    if args.torch_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [args.torch_path,
                                                          env.get("PYTHONPATH")]))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(child)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def torch_missing(args):
    """None where the children can import torch, else why not."""
    env = dict(os.environ)
    if args.torch_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [args.torch_path,
                                                          env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True,
                          text=True, env=env)
    if done.returncode == 0:
        return None
    return ("not installed: torch is no requirement of skmnist and is not importable here "
            f"({(done.stderr.strip().splitlines() or ['?'])[-1]}); install a CPU wheel "
            "into a directory of its own and pass --torch-path DIR")


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def markdown_tables(results):
    bound = results["bound"]
    lines = [f"Bound rate: {bound['gflops']:.0f} GFLOP/s (best float32 product, NumPy or "
             f"TensorFlow); load average {results['load_average_start']:.2f} at the start.",
             "",
             "| contender | epochs | GFLOP / epoch | bound (s) | warm epoch (s) | x bound "
             "| first epoch (s) | fixed cost (s) | outside epochs / first's excess (s) "
             "| whole fit (s) | peak MB | test accuracy | load average before / after |",
             "|" + "---|" * 13]
    for r in results["contenders"].values():
        if "skipped" in r:
            lines.append(f"| {r['label']} | {r['skipped']} |" + " |" * 11)
            continue
        lines.append(
            f"| {r['label']} | {r['epochs']} | {r['epoch_gflop']:.1f} | {r['bound_s']:.2f} "
            f"| {r['warm_epoch_s']:.2f} | {r['x_bound']:.2f} | {r['first_epoch_s']:.2f} "
            f"| {r['fixed_cost_s']:.2f} "
            f"| {_fmt(r.get('outside_epochs_s'), '.2f')} / "
            f"{_fmt(r.get('first_epoch_excess_s'), '.2f')} "
            f"| {r['fit_s']:.1f} | {r['peak_rss_mb']:.0f} "
            f"| {100 * r['test_accuracy']:.2f}% "
            "| {:.1f} / {:.1f} |".format(*r["load_average_before_after"]))
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for t in results["targets"]:
        met = "-" if t["met"] is None else "yes" if t["met"] else "no"
        lines.append(f"| {t['target']} | {_fmt(t['measured'], '.2f')} | {met} |")
    after = results.get("after")
    if after:
        stages = next(iter(after.values()))["stages"]
        lines += ["", "MLPClassifier's epoch (s) in one process, by stage (ratio to fresh; "
                  "seconds per epoch its main thread waited, runnable, for a core; the "
                  "machine's 1-minute load average after it), and in a fresh process started "
                  "just after it (the control):",
                  "", "| variant | " + " | ".join(stages) + " | control, fresh process | "
                  "after fits / control | TF threads' CPU during the MLP fit after fits (s) |",
                  "|---|" + "---|" * (len(stages) + 3)]
        for variant, a in after.items():
            cells = [f"{s['epoch_s']:.3f} ({a['ratio_to_fresh'][k]:.2f}x; "
                     f"{s['main_thread_waited_for_a_core_per_epoch_s']:.3f} waited; "
                     f"load {s['load_average']:.1f})" for k, s in a["stages"].items()]
            tf_cpu = sum(v["cpu_s"] for k, v in
                         a["stages"]["after 3 skmnist fits"]["cpu_by_thread"].items()
                         if k.startswith("tf_"))
            control = a["control_fresh_process_just_after"]
            cells += [f"{control['epoch_s']:.3f} (load {control['load_average']:.1f})",
                      f"{a['ratio_after_fits_to_control']:.2f}x", f"{tf_cpu:.2f}"]
            lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def evaluate_targets(c, after):
    """Each target of issue #25 beside its measure (None where a part was not run)."""

    def get(name, key):
        return c.get(name, {}).get(key)

    def ratio(a, b):
        return None if a is None or b is None else a / b

    fcn_fit, mlp_fit = get("fcn", "fit_s"), get("mlp", "fit_s")
    default = (after or {}).get("default", {})
    rows = [
        ("dense warm epoch / bound <= 1.3", get("fcn", "x_bound"), 1.3, "<="),
        ("fixed cost per fit (s) <= 1", get("fcn", "fixed_cost_s"), 1.0, "<="),
        ("MLPClassifier fit / whole default fit >= 1.5", ratio(mlp_fit, fcn_fit), 1.5, ">="),
        ("conv warm epoch / bound <= 1.5", get("fcn_conv", "x_bound"), 1.5, "<="),
        ("conv warm epoch / Keras conv's <= 1",
         ratio(get("fcn_conv", "warm_epoch_s"), get("keras_conv", "warm_epoch_s")), 1.0, "<="),
        ("augmentation epoch / plain epoch <= 1.3",
         ratio(get("fcn_aug", "warm_epoch_s"), get("fcn", "warm_epoch_s")), 1.3, "<="),
        ("augmentation + outlier exposure epoch / plain epoch <= 1.3",
         ratio(get("fcn_aug_oe", "warm_epoch_s"), get("fcn", "warm_epoch_s")), 1.3, "<="),
        ("augmentation + outlier exposure whole fit / plain fit <= 1.3",
         ratio(get("fcn_aug_oe", "fit_s"), fcn_fit), 1.3, "<="),
        ("MLPClassifier after 3 skmnist fits / fresh (same process, before them) <= 1.1",
         default.get("ratio_to_fresh", {}).get("after 3 skmnist fits"), 1.1, "<="),
        ("MLPClassifier after 3 skmnist fits / a fresh process just after <= 1.1",
         default.get("ratio_after_fits_to_control"), 1.1, "<="),
    ]
    return [{"target": label, "measured": value, "limit": limit,
             "met": None if value is None else value <= limit if op == "<=" else value >= limit}
            for label, value, limit, op in rows]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="embedded sample, 3 dense / 2 conv epochs, few repeats")
    parser.add_argument("--epochs", type=int, default=None,
                        help="dense contenders' epochs (default 20, FCNClassifier's; quick 3)")
    parser.add_argument("--conv-epochs", type=int, default=None,
                        help="convolutional contenders' epochs (default 5; quick 2)")
    parser.add_argument("--data-home", default=None,
                        help="MNIST files (default: SKMNIST_DATA or ~/skmnist_data)")
    parser.add_argument("--only", default=",".join(PARTS),
                        help="comma-separated parts (default: all): " + ",".join(PARTS))
    parser.add_argument("--after-variants", default=",".join(AFTER_VARIANTS),
                        help="variants of the after experiment: " + ",".join(AFTER_VARIANTS))
    parser.add_argument("--torch-path", default=None,
                        help="a directory holding torch (a CPU wheel installed with "
                        "pip install --target DIR), added to the children's PYTHONPATH")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.epochs = args.epochs or (3 if args.quick else 20)
    conv_epochs = args.conv_epochs or (2 if args.quick else 5)
    if min(args.epochs, conv_epochs) < 2:
        parser.error("epochs must be at least 2 (epoch 1 includes tracing)")

    if args.child:
        kind, *rest = args.child
        if kind == "bound":
            out = child_bound(args.quick)
        elif kind == "after":
            out = child_after(args.quick, args.data_home)
        elif kind == "mlp_fresh":
            out = child_mlp_fresh(args.quick, args.data_home)
        else:
            out = child_fit(rest[0], int(rest[1]), args.quick, args.data_home)
        print(json.dumps(out, default=float))
        return

    names = args.only.split(",")
    unknown = set(names) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}")
    started = time.perf_counter()
    results = {
        "machine": machine(),
        "quick": args.quick,
        "epochs": {"dense": args.epochs, "conv": conv_epochs},
        "load_average_start": os.getloadavg()[0],
        "note": ("Timings are the machine's limit only where the load average (recorded "
                 "around every fit) stayed under 1 on these cores; compare within this file."),
        "flops": {network: {"layers_macs_per_image": network_layers(conv),
                            "training_flops_per_image": flops_per_image(network_layers(conv))}
                  for network, conv in (("dense", ()), ("conv", CONV_FILTERS))},
    }
    print(f"{'embedded sample' if args.quick else 'full MNIST'}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    results["bound"] = bound = run_child(args, "bound")
    for library in ("numpy", "tensorflow"):
        for shape, rate in bound[library].items():
            report(f"{library}: {shape} (GFLOP/s)", f"{rate:.1f}")
    missing_torch = torch_missing(args) if any(n.startswith("torch") for n in names) else None
    contenders = results["contenders"] = {}
    for name in (n for n in CONTENDERS if n in names):
        label, network, _ = CONTENDERS[name]
        if name.startswith("torch") and missing_torch:
            contenders[name] = {"label": label, "skipped": missing_torch}
            report(f"{label}", missing_torch[:40])
            continue
        epochs = conv_epochs if network == "conv" else args.epochs
        load_before = os.getloadavg()[0]
        r = run_child(args, "fit", name, str(epochs), env=CONTENDER_ENV.get(name))
        r["load_average_before_after"] = [load_before, os.getloadavg()[0]]
        rows = OE_ROWS if name == "fcn_aug_oe" else 1.0
        r["epoch_gflop"] = epoch_flops(network, r["n_train"], rows) / 1e9
        r["bound_s"] = r["epoch_gflop"] / bound["gflops"]
        r["x_bound"] = r["warm_epoch_s"] / r["bound_s"]
        contenders[name] = {"label": label, **r}
        report(f"{label}: warm epoch (s) / bound (s)",
               f"{r['warm_epoch_s']:.2f} / {r['bound_s']:.2f} ({r['x_bound']:.1f}x)")
        report(f"{label}: first epoch / fixed cost / fit (s)",
               f"{r['first_epoch_s']:.2f} / {r['fixed_cost_s']:.2f} / {r['fit_s']:.1f}")
        if r.get("outside_epochs_s") is not None:
            report(f"{label}: outside the epochs / first epoch's excess (s)",
                   f"{r['outside_epochs_s']:.2f} / {r['first_epoch_excess_s']:.2f}")
        report(f"{label}: peak MB / test accuracy",
               f"{r['peak_rss_mb']:.0f} / {r['test_accuracy']:.4f}")
        # A long run cut short keeps what it measured, marked as partial (see below).
        save(result_name("train_quick" if args.quick else "train", names, PARTS),
             {**results, "partial": f"stopped before it finished: contenders up to {name!r}"},
             quiet=True)
    if "after" in names:
        results["after"] = {}
        for variant in args.after_variants.split(","):
            a = run_child(args, "after", env=AFTER_VARIANTS[variant])
            a["environment"] = AFTER_VARIANTS[variant]
            control = run_child(args, "mlp_fresh", env=AFTER_VARIANTS[variant])
            a["control_fresh_process_just_after"] = control
            a["ratio_after_fits_to_control"] = (
                a["stages"]["after 3 skmnist fits"]["epoch_s"] / control["epoch_s"])
            results["after"][variant] = a
            report(f"after ({variant}): MLP epoch ratio to fresh",
                   ", ".join(f"{k} {v:.2f}" for k, v in a["ratio_to_fresh"].items()))
            report(f"after ({variant}): after fits / a fresh process just after",
                   f"{a['ratio_after_fits_to_control']:.2f}")
            save(result_name("train_quick" if args.quick else "train", names, PARTS),
                 {**results, "partial": f"stopped before it finished: after {variant!r}"},
                 quiet=True)
    results["targets"] = evaluate_targets(contenders, results.get("after"))
    results["load_average_end"] = os.getloadavg()[0]
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["markdown"] = table = markdown_tables(results)
    print("\n" + table)
    print(f"\nTotal {results['seconds']:.0f} s; load average {results['load_average_end']:.2f}")
    results["partial"] = None
    save(result_name("train_quick" if args.quick else "train", names, PARTS), results)


if __name__ == "__main__":
    main()
