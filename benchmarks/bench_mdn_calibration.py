"""Where the MDN's probabilities fall behind the softmax's, measured one variable at a time.

Fits :class:`~skmnist.FCNClassifier` and variants of :class:`~skmnist.MDNClassifier` on full
MNIST (official split, same ``random_state``, same epochs) and scores their ``predict_proba``
on the test set with :func:`skmnist.metrics.classification_summary`.

* ``fcn``: the softmax network's defaults; ``mdn``: the MDN's defaults as the package has them
  now (the head's mean columns start with a zero kernel,
  :class:`~skmnist._mixture.MixtureHeadKernel`, and the components with scale 0.1,
  :func:`~skmnist._mixture.default_init_sigma`);
* ``mdn_previous_default``: the MDN as it was before (Glorot uniform kernel over the whole
  head, the same draws for the other columns; initial scale 0.3);
* every other ``mdn_*`` variant changes one thing against ``mdn_previous_default`` (or, for
  ``mdn_zero_kernel_*``, against it with the mean and scale columns' kernel zero): the
  head's initialization (initial scale, kernel of the mean or scale columns, logit columns
  drawn as the softmax head's), ``sigma_floor``, ``n_components``, the learning-rate
  schedule.  ``fcn_constant_lr`` is the softmax network without the cosine schedule.

The ``--confirm`` variants (``fcn``, ``mdn``, ``mdn_previous_default``,
``mdn_zero_mean_kernel``) run with every seed of
``--seeds`` and are averaged over them too; the others with the first seed only.
Post-hoc rows rescale a fitted model's outputs without retraining:

* ``+T``: temperature scaling of the class log-probabilities (``softmax(log p / T)``), the
  same for both networks;
* ``+sigma-T``: the MDN's own analogue, every component scale multiplied by ``t``;
* ``pure bins``: every component's mass moved into the bin its mean lies in (no leakage to
  neighbouring digits): what the Gaussian bins cost or give.

Temperatures are cross-fitted on the test set (fitted on one half by NLL, applied to the
other, and the other way round), so no test image is scored by a temperature fitted on it.

Fitted models' test outputs are cached (``--cache``, default under ``/tmp``), so a rerun only
fits what it has not fitted yet.  Prints a table (variant, accuracy, NLL, Brier, AURC, ECE,
fit time) and saves ``benchmarks/results/mdn_calibration.json``.

    SKMNIST_DATA=../shared/data/mnist python benchmarks/bench_mdn_calibration.py \
        [--variants fcn mdn ...] [--seeds 0 1 2] [--epochs 20] [--quick]

Fit times are wall-clock seconds on a shared machine: compare them within one run only.
"""

import argparse
import os
import sys
import time

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_ndtr, logsumexp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import load_full_mnist, machine, report, save  # noqa: E402

#: name -> (network, estimator parameters, head/loss options of the benchmark subclass)
VARIANTS = {
    "fcn": ("fcn", {}, {}),
    "fcn_constant_lr": ("fcn", {"learning_rate_schedule": "constant"}, {}),
    # the package's default: mean columns of the head's kernel zero (MixtureHeadKernel),
    # initial scale 0.1 (default_init_sigma with K = n_classes)
    "mdn": ("mdn", {}, {"package_default": True}),
    # the default before it: Glorot uniform over all 3K columns, initial scale 0.3; the
    # variants below change one thing against this one
    "mdn_previous_default": ("mdn", {}, {}),
    "mdn_constant_lr": ("mdn", {"learning_rate_schedule": "constant"}, {}),
    "mdn_init_sigma_0.1": ("mdn", {}, {"init_sigma": 0.1}),
    "mdn_init_sigma_0.5": ("mdn", {}, {"init_sigma": 0.5}),
    "mdn_sigma_floor_1e-3": ("mdn", {"sigma_floor": 1e-3}, {}),
    "mdn_sigma_floor_0.05": ("mdn", {"sigma_floor": 0.05}, {}),
    "mdn_k5": ("mdn", {"n_components": 5}, {}),
    "mdn_k20": ("mdn", {"n_components": 20}, {}),
    "mdn_zero_mean_scale_kernel": ("mdn", {}, {"mean_kernel": 0.0, "scale_kernel": 0.0}),
    "mdn_zero_mean_kernel": ("mdn", {}, {"mean_kernel": 0.0}),
    "mdn_zero_scale_kernel": ("mdn", {}, {"scale_kernel": 0.0}),
    # both changes, built by the subclass: the same network as "mdn" (checked bit for bit on
    # the embedded sample), so the two share their cache
    "mdn_zero_mean_kernel_init_sigma_0.1": ("mdn", {}, {"mean_kernel": 0.0, "init_sigma": 0.1}),
    # the package's default head with the original network's 5 components (whose initial
    # scale stays 0.3 x spacing)
    "mdn_zero_mean_kernel_k5": ("mdn", {"n_components": 5}, {"mean_kernel": 0.0}),
    # the package's default with 20 components (initial scale 0.1 too, as K >= n_classes)
    "mdn_default_k20": ("mdn", {"n_components": 20}, {"package_default": True}),
    # the density objective: the package's (random kernel and initial scale 0.3 kept, the
    # same network as before), before, and from the discretized objective's initial 0.1
    "mdn_density": ("mdn", {"objective": "density"}, {"package_default": True}),
    "mdn_previous_default_density": ("mdn", {"objective": "density"}, {}),
    "mdn_density_init_sigma_0.1": ("mdn", {"objective": "density"}, {"init_sigma": 0.1}),
    # zero mean and scale columns and the small initial scale
    "mdn_zero_kernel_init_sigma_0.1": (
        "mdn", {}, {"mean_kernel": 0.0, "scale_kernel": 0.0, "init_sigma": 0.1}),
}

#: the variants fitted with every seed (the others with the first seed only)
CONFIRM = ["fcn", "mdn", "mdn_previous_default", "mdn_zero_mean_kernel"]


def previous_init_sigma(n_components, n_classes, sigma_floor):
    """The initial scale the package used before (0.3 for one component per class)."""
    span = float(n_classes - 1)
    spacing = span / (n_components - 1) if n_components > 1 else span / 2.0
    return max(0.3 * max(spacing, 1.0), 2.0 * float(sigma_floor))


def make_estimator(name, seed, epochs):
    """The estimator of variant ``name``: a skmnist network or the benchmark's MDN subclass."""
    from skmnist import FCNClassifier, MDNClassifier
    from skmnist._mixture import initial_head_bias
    from skmnist._tf import keras
    from skmnist.heads import MixtureHead

    class VariantHead(MixtureHead):
        """The mixture head with the initialization of ``opts`` (see VariantMDN)."""

        opts = {}

        def build(self, x, n_classes, seed):
            opts = self.opts
            k = self.n_components
            floor = self.sigma_floor
            init_sigma = opts.get("init_sigma", previous_init_sigma(k, n_classes, floor))
            bias = initial_head_bias(k, n_classes, floor, init_sigma)
            fan_in = int(x.shape[-1])
            # the default head's kernel (Glorot uniform of the whole Dense(3K), same seed) ...
            kernel = np.array(keras.initializers.GlorotUniform(seed=seed)((fan_in, 3 * k)))
            if opts.get("logit_kernel_fan_out") == "classes":
                # ... or the logit columns drawn as the softmax head's Dense(n_classes) is
                kernel[:, :k] = np.array(
                    keras.initializers.GlorotUniform(seed=seed)((fan_in, k)))
            # the mean and raw-scale columns' kernel multiplied (0: every input starts from
            # the same mixture, the bias)
            kernel[:, k : 2 * k] *= opts.get("mean_kernel", 1.0)
            kernel[:, 2 * k :] *= opts.get("scale_kernel", 1.0)
            return keras.layers.Dense(
                3 * k,
                kernel_initializer=keras.initializers.Constant(kernel.astype(np.float32)),
                bias_initializer=keras.initializers.Constant(bias),
                name="mixture",
            )(x)

    class VariantMDN(MDNClassifier):
        """MDNClassifier whose head initialization is set by ``_bench`` options.

        Without options: the head as it was before :class:`~skmnist._mixture.MixtureHeadKernel`
        and the initial scale 0.1 for K >= n_classes: Glorot uniform over all ``3 K`` columns
        (the same draws) and :func:`previous_init_sigma`.
        """

        def make_head(self):
            head = VariantHead(self.n_components, self.sigma_floor, self.objective)
            head.opts = getattr(self, "_bench", {})
            return head

    network, params, opts = VARIANTS[name]
    if network == "fcn":
        cls = FCNClassifier
    else:
        cls = MDNClassifier if opts.get("package_default") else VariantMDN
    est = cls(random_state=seed, epochs=epochs, **params)
    est._bench = dict(opts)
    return est


# ------------------------------------------------------------------ the mixture in float64
def mixture_log_proba(weights, means, scales, n_classes, pure=False):
    """Class log-probabilities of 1-D Gaussian mixtures (float64 reference of the package's).

    ``pure=True`` puts each component's whole weight on the bin its mean rounds to.
    """
    log_w = np.log(np.clip(weights, 1e-300, None))
    if pure:
        bins = np.clip(np.rint(means), 0, n_classes - 1).astype(int)
        out = np.full((weights.shape[0], n_classes), -np.inf)
        for c in range(n_classes):
            masked = np.where(bins == c, log_w, -np.inf)
            out[:, c] = logsumexp(masked, axis=1)
        return np.maximum(out, np.log(1e-300))
    k = np.arange(n_classes, dtype=np.float64)
    lo = (k - 0.5)[None, None, :]
    hi = (k + 0.5)[None, None, :]
    mu, s = means[..., None], scales[..., None]
    za, zb = (lo - mu) / s, (hi - mu) / s
    za = np.where(k[None, None, :] == 0, -np.inf, za)
    zb = np.where(k[None, None, :] == n_classes - 1, np.inf, zb)
    # mass = Phi(zb) - Phi(za), mirrored to the left tail where the bin lies right of the mean
    flip = (za + zb) > 0
    a = np.where(flip, -zb, za)
    b = np.where(flip, -za, zb)
    lb, la = log_ndtr(b), log_ndtr(a)
    with np.errstate(divide="ignore"):
        log_mass = lb + np.log1p(-np.exp(np.minimum(la - lb, 0.0)))
    log_mass = np.maximum(log_mass, -700.0)
    log_p = logsumexp(log_w[..., None] + log_mass, axis=1)
    return log_p - logsumexp(log_p, axis=1, keepdims=True)


# ------------------------------------------------------------------ post-hoc temperatures
def _halves(n, seed=0):
    order = np.random.default_rng(seed).permutation(n)
    return order[: n // 2], order[n // 2 :]


def _nll_idx(log_p, y):
    return -np.mean(log_p[np.arange(len(y)), y])


def cross_fit(make_log_p, y):
    """Fit a one-parameter rescaling on each test half by NLL and apply it to the other."""
    out, fitted = None, []
    for fit_rows, apply_rows in (_halves(len(y)), _halves(len(y))[::-1]):
        def objective(log_t, rows=fit_rows):
            return _nll_idx(make_log_p(np.exp(log_t), rows), y[rows])

        res = minimize_scalar(objective, bounds=(np.log(0.05), np.log(20.0)), method="bounded",
                              options={"xatol": 1e-4})
        t = float(np.exp(res.x))
        fitted.append(t)
        part = make_log_p(t, apply_rows)
        if out is None:
            out = np.empty((len(y), part.shape[1]))
        out[apply_rows] = part
    return out, fitted


def temperature_log_p(log_p):
    def make(t, rows):
        z = log_p[rows] / t
        return z - logsumexp(z, axis=1, keepdims=True)
    return make


def sigma_temperature_log_p(weights, means, scales, n_classes):
    def make(t, rows):
        return mixture_log_proba(weights[rows], means[rows], scales[rows] * t, n_classes)
    return make


# ------------------------------------------------------------------ fitting, with a cache
def fit_or_load(name, seed, epochs, data, cache):
    path = os.path.join(cache, f"{name}_seed{seed}_ep{epochs}.npz")
    if os.path.exists(path):
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    X, y, X_test, _ = data
    est = make_estimator(name, seed, epochs)
    start = time.perf_counter()
    est.fit(X, y)
    out = {"fit_s": np.float64(time.perf_counter() - start),
           "log_proba": np.log(np.clip(est.predict_proba(X_test), 1e-300, None))}
    if hasattr(est, "mixture_params"):
        p = est.mixture_params(X_test)
        out.update(weights=p.weights, means=p.means, scales=p.scales)
    os.makedirs(cache, exist_ok=True)
    np.savez(path, **out)
    return out


def scores(y_test, log_p, fit_s=None):
    from skmnist.metrics import classification_summary

    s = classification_summary(y_test, y_prob=np.exp(log_p), labels=np.arange(10))
    row = {k: s[k] for k in ("accuracy", "nll", "brier", "aurc", "ece")}
    # where the probability not on the label goes: to the numerically neighbouring digits
    # (where a Gaussian bin leaks) or to the others
    p = np.exp(log_p)
    rows = np.arange(len(y_test))
    neighbours = np.zeros_like(p, dtype=bool)
    for step in (-1, 1):
        c = y_test + step
        ok = (c >= 0) & (c < p.shape[1])
        neighbours[rows[ok], c[ok]] = True
    row["mass_on_neighbour_digits"] = float(np.mean(np.sum(p * neighbours, axis=1)))
    row["mass_off_label"] = float(np.mean(1.0 - p[rows, y_test]))
    row["fit_s"] = None if fit_s is None else round(float(fit_s), 1)
    return row


def mixture_facts(out, y_test):
    """What the mixture is for, measured: component scales, leakage and multimodality."""
    w, mu, s = out["weights"], out["means"], out["scales"]
    top = w.argmax(axis=1)
    rows = np.arange(len(w))
    sorted_w = np.sort(w, axis=1)
    pred = out["log_proba"].argmax(axis=1)
    var_alea = np.sum(w * s**2, axis=1)
    mean = np.sum(w * mu, axis=1)
    var_multi = np.sum(w * (mu - mean[:, None]) ** 2, axis=1)
    # second-heaviest component on another digit than the heaviest
    second = np.argsort(w, axis=1)[:, -2]
    other_digit = np.rint(mu[rows, second]) != np.rint(mu[rows, top])
    from sklearn.metrics import roc_auc_score

    err = pred != y_test
    # how far the components' means moved from where they started (digit k for K = 10)
    start = np.linspace(0.0, 9.0, mu.shape[1]) if mu.shape[1] > 1 else np.array([4.5])
    drift = np.abs(mu - start)
    return {
        "median_component_mean_drift": float(np.median(drift)),
        "p90_component_mean_drift": float(np.percentile(drift, 90)),
        # the component carrying most weight, for the images predicted as each digit: one
        # component per digit (10 distinct), or components shared between digits
        "top_component_per_predicted_digit": [
            int(np.bincount(top[pred == d], minlength=mu.shape[1]).argmax())
            if np.any(pred == d) else -1 for d in range(out["log_proba"].shape[1])
        ],
        "median_top_scale": float(np.median(s[rows, top])),
        "share_top_scale_gt_0.2": float(np.mean(s[rows, top] > 0.2)),
        "share_second_weight_gt_0.05_other_digit": float(
            np.mean((sorted_w[:, -2] > 0.05) & other_digit)
        ),
        "mean_aleatoric_variance": float(var_alea.mean()),
        "mean_multimodality_variance": float(var_multi.mean()),
        "error_auroc_total_variance": float(roc_auc_score(err, var_alea + var_multi)),
        "error_auroc_multimodality_variance": float(roc_auc_score(err, var_multi)),
    }


def evaluate(name, seed, out, y_test):
    """Rows of the table for one fitted model: as fitted, plus its post-hoc rescalings."""
    rows = {}
    log_p = out["log_proba"]
    rows[name] = scores(y_test, log_p, out["fit_s"])
    cal, t = cross_fit(temperature_log_p(log_p), y_test)
    rows[f"{name} +T"] = {**scores(y_test, cal), "temperatures": t}
    if "weights" in out:
        n_classes = log_p.shape[1]
        w, mu, s = out["weights"], out["means"], out["scales"]
        ref = mixture_log_proba(w, mu, s, n_classes)
        # the float64 reference agrees with predict_proba (float32) to rounding
        rows[name]["max_abs_diff_reference"] = float(
            np.max(np.abs(np.exp(ref) - np.exp(log_p))))
        cal, t = cross_fit(sigma_temperature_log_p(w, mu, s, n_classes), y_test)
        rows[f"{name} +sigma-T"] = {**scores(y_test, cal), "temperatures": t}
        rows[f"{name} pure bins"] = scores(y_test, mixture_log_proba(w, mu, s, n_classes, True))
        rows[name]["mixture"] = mixture_facts(out, y_test)
    return rows


def seed_means(table, seeds):
    """Every row's metrics averaged over the seeds it was run with (all of ``seeds``)."""
    out = {}
    for key in dict.fromkeys(k.rsplit(" [seed", 1)[0] for k in table):
        rows = [table.get(f"{key} [seed {s}]") for s in seeds]
        if any(r is None for r in rows):
            continue
        out[key] = {m: float(np.mean([r[m] for r in rows]))
                    for m in ("accuracy", "nll", "brier", "aurc", "ece")}
        fits = [r["fit_s"] for r in rows if r.get("fit_s") is not None]
        out[key]["fit_s"] = float(np.mean(fits)) if fits else None
    return out


def targets(table, seeds):
    """The issue's target per seed: NLL and AURC within 10% of the FCN's, accuracy >= 98.0%."""
    out = {}
    for name in ("mdn", "mdn_previous_default", "mdn_zero_mean_kernel"):
        for seed in seeds:
            fcn, mdn = table.get(f"fcn [seed {seed}]"), table.get(f"{name} [seed {seed}]")
            if fcn is None or mdn is None:
                continue
            t = {"nll_ratio": mdn["nll"] / fcn["nll"], "aurc_ratio": mdn["aurc"] / fcn["aurc"],
                 "brier_ratio": mdn["brier"] / fcn["brier"], "accuracy": mdn["accuracy"]}
            t["met"] = bool(t["nll_ratio"] <= 1.1 and t["aurc_ratio"] <= 1.1
                            and t["accuracy"] >= 0.98)
            out.setdefault(name, {})[seed] = t
    return out


def print_table(table):
    head = f"{'variant':<44}{'acc':>8}{'NLL':>8}{'Brier':>8}{'AURC':>9}{'ECE':>7}{'fit s':>7}"
    print("\n" + head + "\n" + "-" * len(head))
    for key, r in table.items():
        fit = "" if r.get("fit_s") is None else f"{r['fit_s']:.0f}"
        print(f"{key:<44}{100 * r['accuracy']:>7.2f}%{r['nll']:>8.4f}{r['brier']:>8.4f}"
              f"{r['aurc']:>9.5f}{100 * r['ece']:>6.2f}%{fit:>7}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4],
                        help="random_state values of the --confirm variants; the other "
                             "variants run with the first one only")
    parser.add_argument("--confirm", nargs="*", default=CONFIRM, choices=list(VARIANTS),
                        help="variants run with every seed")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--cache", default="/tmp/skmnist_mdn_calibration")
    parser.add_argument("--quick", action="store_true", help="2 epochs, fcn and mdn only")
    parser.add_argument("--name", default="mdn_calibration", help="results file name")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.variants, args.seeds = 2, ["fcn", "mdn"], args.seeds[:1]

    data = load_full_mnist()
    y_test = data[3].astype(int)
    results = {"machine": machine(), "epochs": args.epochs, "seeds": args.seeds,
               "confirmed_on_every_seed": args.confirm,
               "variants": {v: {"network": VARIANTS[v][0], "params": VARIANTS[v][1],
                                "head_options": VARIANTS[v][2]} for v in args.variants},
               "table": {}}
    for seed in args.seeds:
        for name in args.variants:
            if seed != args.seeds[0] and name not in args.confirm:
                continue
            out = fit_or_load(name, seed, args.epochs, data, args.cache)
            rows = evaluate(name, seed, out, y_test)
            for key, row in rows.items():
                results["table"][f"{key} [seed {seed}]"] = row
            report(f"{name} seed {seed}: acc / NLL / AURC",
                   f"{rows[name]['accuracy']:.4f} / {rows[name]['nll']:.4f} / "
                   f"{rows[name]['aurc']:.5f}")
    print_table(results["table"])
    if len(args.seeds) > 1:
        results["seed_means"] = seed_means(results["table"], args.seeds)
        print(f"\nMeans over seeds {args.seeds}:")
        print_table(results["seed_means"])
    results["targets"] = targets(results["table"], args.seeds)
    for name, rows in results["targets"].items():
        for seed, t in rows.items():
            report(f"{name} vs fcn, seed {seed}: NLL / AURC ratio, accuracy, met",
                   f"{t['nll_ratio']:.3f} / {t['aurc_ratio']:.3f}, {t['accuracy']:.4f}, "
                   f"{t['met']}")
    save(args.name if not args.quick else f"{args.name}_quick", results)


if __name__ == "__main__":
    main()
