"""Conformal prediction sets: ``calibrate`` / ``predict_set`` on the networks and a pipeline.

The split-conformal arithmetic is checked first on synthetic probabilities with a known
answer (through :class:`ConformalMixin` on a stub whose inputs *are* its log-probabilities),
then end to end on the embedded MNIST sample, after joblib and skops round trips, in a fresh
process without TensorFlow, in a pipeline and on the command line.
"""

import io
import math

import joblib
import numpy as np
import pytest
from _internals import ConformalMixin, conformal_quantile
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import KNeighborsClassifier

from skmnist import FCNClassifier, PixelScaler
from skmnist.metrics import mean_set_size, set_coverage_score
from skmnist.pipeline import make_digit_pipeline


class Stub(ConformalMixin, ClassifierMixin, BaseEstimator):
    """A "classifier" whose inputs are its class log-probabilities."""

    def __init__(self, n_classes=2):
        self.n_classes = n_classes
        self.classes_ = np.arange(n_classes)

    def fit(self, X, y):
        return self

    def __sklearn_is_fitted__(self):
        return True

    def predict_log_proba(self, X):
        return np.asarray(X, dtype=np.float64)


def dirichlet_rows(rng, n, n_classes=4, concentration=0.5):
    """Log-probabilities from a Dirichlet and labels drawn from them (exchangeable rows)."""
    proba = rng.dirichlet(np.full(n_classes, concentration), size=n)
    proba = np.maximum(proba, 1e-30)
    proba /= proba.sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > np.cumsum(proba, axis=1)).sum(axis=1)
    return np.log(proba), np.minimum(y, n_classes - 1)


def covered(y_set, y):
    return y_set[np.arange(len(y)), y]


# ------------------------------------------------------------------ the threshold


def test_quantile_is_the_kth_score_and_infinite_past_n():
    scores = np.arange(1, 20) / 20.0  # n = 19, scores 0.05 .. 0.95
    # k = ceil(20 * 0.9) = 18: the 18th smallest
    assert conformal_quantile(scores[::-1], 0.1) == pytest.approx(0.9)
    # k = 20 * 0.95 = 19 = n exactly: the largest score, still finite
    assert conformal_quantile(scores, 0.05) == pytest.approx(0.95)
    # k = ceil(20 * 0.96) = 20 > n: every class enters
    assert conformal_quantile(scores, 0.04) == math.inf
    # (n + 1)(1 - alpha) a hair above a whole number in floating point (10 * 0.3 =
    # 3.0000000000000004) must not add a rank
    assert conformal_quantile(np.arange(1, 10) / 10, 0.7) == pytest.approx(0.3)
    # a single calibration row cannot certify anything below alpha = 0.5
    assert conformal_quantile([0.2], 0.4) == math.inf
    assert conformal_quantile([0.2], 0.5) == pytest.approx(0.2)


def test_alpha_past_the_calibration_gives_every_class():
    rng = np.random.default_rng(0)
    log_proba, y = dirichlet_rows(rng, 19)
    model = Stub(4).calibrate(log_proba, y)
    test, _ = dirichlet_rows(rng, 50)
    for method in ("lac", "aps", "raps"):
        assert model.predict_set(test, 0.04, method=method).all()  # k = 20 > 19
        assert not model.predict_set(test, 0.05, method="lac").all()  # k = 19


def test_ties_at_the_threshold_are_in_the_set():
    # every calibration row alike: all scores tie, q is their common value, and a test row
    # with the same probabilities has its true class (score == q) in the set
    row = np.log([[0.6, 0.3, 0.1]])
    model = Stub(3).calibrate(np.repeat(row, 30, axis=0), np.ones(30, dtype=int))
    y_set = model.predict_set(row, 0.1)
    assert y_set.tolist() == [[True, True, False]]  # 1 - p <= 1 - 0.3 for classes 0 and 1
    aps = model.predict_set(row, 0.1, method="aps")
    assert aps.tolist() == [[True, True, False]]


def test_class_conditional_with_a_class_absent_from_calibration():
    # one class only in the calibration rows: the others have no threshold to certify and
    # enter every set; class 0 gets its own threshold
    rng = np.random.default_rng(1)
    log_proba, _ = dirichlet_rows(rng, 200, 3)
    model = Stub(3).calibrate(log_proba, np.zeros(200, dtype=int))
    y_set = model.predict_set(log_proba, 0.1, class_conditional=True)
    assert y_set[:, 1:].all()
    assert 0.88 <= y_set[:, 0].mean() <= 0.95  # 1 - alpha of the class-0 calibration rows


# ------------------------------------------------------------------ coverage, known answer


def test_lac_coverage_is_k_over_n_plus_one():
    """With continuous exchangeable scores the expected coverage is exactly k / (n + 1).

    Two classes, the true class's probability uniform: the LAC score 1 - p is uniform, so
    over calibration draws the coverage of a fresh row is exactly ``k / (n + 1)``.
    """
    rng = np.random.default_rng(2)
    n, alpha, repeats, n_test = 19, 0.1, 3000, 20
    k = math.ceil((n + 1) * (1 - alpha))  # 18: expected coverage 0.9 exactly
    hits = []
    for _ in range(repeats):
        p_true = rng.random(n + n_test)
        log_proba = np.log(np.column_stack([p_true, 1 - p_true]))
        y = np.zeros(n + n_test, dtype=int)
        model = Stub(2).calibrate(log_proba[:n], y[:n])
        hits.append(covered(model.predict_set(log_proba[n:], alpha), y[n:]).mean())
    # the mean over 3000 draws of a coverage whose sd is ~0.06: within 0.005 (~4.5 sd)
    assert np.mean(hits) == pytest.approx(k / (n + 1), abs=0.005)


@pytest.mark.parametrize("method, randomized", [
    ("lac", False), ("aps", False), ("raps", False), ("aps", True), ("raps", True),
])
@pytest.mark.parametrize("class_conditional", [False, True])
def test_coverage_guarantee_on_exchangeable_rows(method, randomized, class_conditional):
    rng = np.random.default_rng(3)
    n, alpha, repeats = 200, 0.1, 60
    coverage, sizes = [], []
    for r in range(repeats):
        log_proba, y = dirichlet_rows(rng, n + 500)
        model = Stub(4).calibrate(log_proba[:n], y[:n])
        y_set = model.predict_set(log_proba[n:], alpha, method=method, randomized=randomized,
                                  random_state=r, class_conditional=class_conditional)
        coverage.append(covered(y_set, y[n:]).mean())
        sizes.append(y_set.sum(axis=1))
        if method != "lac" and not randomized:
            assert y_set.any(axis=1).all()  # never empty
    # 30,000 test rows over 60 calibrations: the mean coverage's sd is ~0.003
    assert np.mean(coverage) >= 1 - alpha - 0.01
    if method == "lac" or randomized:  # exact up to 1 / (n + 1) (per class: ~4 / n)
        assert np.mean(coverage) <= 1 - alpha + (0.04 if class_conditional else 0.015)


def test_sets_are_top_ranked_prefixes_and_deterministic_contains_randomized():
    rng = np.random.default_rng(4)
    log_proba, y = dirichlet_rows(rng, 600, 6)
    model = Stub(6).calibrate(log_proba[:300], y[:300])
    test = log_proba[300:]
    order = np.argsort(-test, axis=1, kind="stable")
    for method in ("aps", "raps"):
        fixed = model.predict_set(test, 0.1, method=method)
        ranked = np.take_along_axis(fixed, order, axis=1)
        # a prefix of the ranking: once out, every lower class is out
        assert (np.diff(ranked.astype(int), axis=1) <= 0).all()
        rand = model.predict_set(test, 0.1, method=method, randomized=True, random_state=0)
        assert not (rand & ~fixed).any()
        # the same draw, the same sets
        again = model.predict_set(test, 0.1, method=method, randomized=True, random_state=0)
        assert (rand == again).all()
    # the RAPS penalty keeps low-ranked classes out: its sets are no larger than APS's
    aps = model.predict_set(test, 0.1, method="aps").sum()
    raps = model.predict_set(test, 0.1, method="raps", penalty=0.5, k_reg=1).sum()
    assert raps <= aps


def test_smaller_alpha_gives_larger_sets():
    rng = np.random.default_rng(5)
    log_proba, y = dirichlet_rows(rng, 1000)
    model = Stub(4).calibrate(log_proba[:500], y[:500])
    for method in ("lac", "aps", "raps"):
        sets = [model.predict_set(log_proba[500:], a, method=method) for a in (0.2, 0.1, 0.05)]
        assert not (sets[0] & ~sets[1]).any() and not (sets[1] & ~sets[2]).any()


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize("kwargs, error, match", [
    ({"alpha": 0}, ValueError, r"alpha must be in \(0, 1\), got 0"),
    ({"alpha": 1.0}, ValueError, r"alpha must be in \(0, 1\)"),
    ({"alpha": float("nan")}, ValueError, r"alpha must be in \(0, 1\)"),
    ({"alpha": "0.1"}, TypeError, "alpha must be a float in \\(0, 1\\), got str"),
    ({"alpha": True}, TypeError, "got bool"),
    ({"method": "naive"}, ValueError, r"method must be one of \['lac', 'aps', 'raps'\]"),
    ({"method": "raps", "penalty": -1}, ValueError, "penalty must be a non-negative"),
    ({"method": "raps", "k_reg": 1.5}, ValueError, "k_reg must be a non-negative int"),
    ({"class_conditional": "yes"}, TypeError, "class_conditional must be a bool"),
    ({"randomized": True}, ValueError, "randomized=True applies to method='aps' and 'raps'"),
])
def test_invalid_parameters_are_named(kwargs, error, match):
    log_proba, y = dirichlet_rows(np.random.default_rng(6), 50)
    model = Stub(4).calibrate(log_proba, y)
    kwargs = {"alpha": 0.1, **kwargs}
    with pytest.raises(error, match=match):
        model.predict_set(log_proba, **kwargs)


def test_calibrate_checks_labels_and_lengths():
    log_proba, y = dirichlet_rows(np.random.default_rng(7), 50)
    with pytest.raises(ValueError, match=r"y contains labels \[7\] not seen in classes_"):
        Stub(4).calibrate(log_proba, np.where(y == 0, 7, y))
    with pytest.raises(ValueError, match="different numbers of samples: 50 and 49"):
        Stub(4).calibrate(log_proba, y[:-1])


# ------------------------------------------------------------------ metrics


def test_set_metrics():
    y_set = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 0]], dtype=bool)
    assert set_coverage_score(["a", "b", "b", "b"], y_set, labels=["a", "b", "c"]) == 0.75
    assert set_coverage_score([0, 1, 1, 1], y_set, average="macro") == pytest.approx(5 / 6)
    assert mean_set_size(y_set) == 1.25
    assert mean_set_size(y_set.astype(int)) == 1.25
    with pytest.raises(ValueError, match="y_set must be boolean"):
        mean_set_size(np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="2-D boolean array"):
        set_coverage_score([0], [True, False])
    with pytest.raises(ValueError, match="different numbers of samples: 3 and 4"):
        set_coverage_score([0, 1, 1], y_set)


# ------------------------------------------------------------------ the networks


@pytest.fixture(scope="module")
def scaled(mnist):
    X, y, X_test, y_test = mnist
    scale = PixelScaler()
    return scale.transform(X), y, scale.transform(X_test), y_test


@pytest.fixture(scope="module")
def network(scaled):
    """A small FCN fitted with early stopping: its 600 validation rows calibrate it."""
    X, y, _, _ = scaled
    return FCNClassifier((64,), epochs=6, early_stopping=True, validation_fraction=0.2,
                         random_state=0).fit(X[:3000], y[:3000])


def binomial_tolerance(alpha, n_cal, n_test):
    """Four standard deviations of the coverage measured on n_test rows after calibrating
    on n_cal (the calibration's own spread is a Beta of variance ~alpha(1-alpha)/n_cal)."""
    return 4 * math.sqrt(alpha * (1 - alpha) * (1 / n_cal + 1 / n_test))


@pytest.mark.parametrize("alpha", [0.02, 0.05, 0.1])
@pytest.mark.parametrize("method", ["lac", "aps"])
def test_early_stopping_calibrates_on_its_validation_rows(network, scaled, alpha, method):
    _, _, X_test, y_test = scaled
    y_set = network.predict_set(X_test, alpha, method=method)
    assert y_set.shape == (len(X_test), 10) and y_set.dtype == bool
    coverage = set_coverage_score(y_test, y_set, labels=network.classes_)
    tol = binomial_tolerance(alpha, 600, len(X_test))
    assert coverage >= 1 - alpha - tol
    if method == "lac":
        assert coverage <= 1 - alpha + 1 / 601 + tol


def test_calibrate_on_held_out_rows(scaled):
    X, y, X_test, y_test = scaled
    clf = FCNClassifier((32,), epochs=3, random_state=0).fit(X[:3000], y[:3000])
    with pytest.raises(NotFittedError, match=r"not calibrated .* calibrate\(X_cal, y_cal\) .*"
                       r"early_stopping=True"):
        clf.predict_set(X_test[:5])
    clf.calibrate(X[3000:], y[3000:])  # 2,000 rows it did not train on
    y_set = clf.predict_set(X_test, 0.05)
    coverage = set_coverage_score(y_test, y_set, labels=clf.classes_)
    tol = binomial_tolerance(0.05, 2000, len(X_test))
    assert 0.95 - tol <= coverage <= 0.95 + 1 / 2001 + tol
    # the predicted class is in every non-empty LAC set (it has the smallest score)
    predicted = np.searchsorted(clf.classes_, clf.predict(X_test))
    nonempty = y_set.any(axis=1)
    assert covered(y_set, predicted)[nonempty].all()


def test_early_stopping_on_a_dataframe_calibrates_quietly(scaled, recwarn):
    pd = pytest.importorskip("pandas")
    X, y, _, _ = scaled
    frame = pd.DataFrame(X[:600], columns=[f"pixel{i}" for i in range(X.shape[1])])
    clf = FCNClassifier((8,), epochs=1, early_stopping=True, random_state=0).fit(frame, y[:600])
    assert not [w for w in recwarn if "feature names" in str(w.message)]
    assert clf.predict_set(frame.iloc[:3], 0.2).shape == (3, 10)


def test_a_new_fit_drops_the_calibration(scaled):
    X, y, _, _ = scaled
    clf = FCNClassifier((16,), epochs=2, early_stopping=True, random_state=0,
                        warm_start=True).fit(X[:1000], y[:1000])
    clf.predict_set(X[:3])
    clf.fit(X[:1000], y[:1000])  # warm start: the network may have trained on these rows
    with pytest.raises(NotFittedError, match="not calibrated"):
        clf.predict_set(X[:3])
    clf.calibrate(X[1000:1500], y[1000:1500]).partial_fit(X[:500], y[:500])
    with pytest.raises(NotFittedError, match="not calibrated"):
        clf.predict_set(X[:3])
    # repeated rows (integer weights) may sit on both sides of the split: no calibration
    weighted = FCNClassifier((16,), epochs=1, early_stopping=True, random_state=0).fit(
        X[:1000], y[:1000], sample_weight=np.full(1000, 2))
    with pytest.raises(NotFittedError):
        weighted.predict_set(X[:3])


def test_mdn_predict_set(scaled):
    from skmnist import MDNClassifier

    X, y, X_test, y_test = scaled
    mdn = MDNClassifier((32,), n_components=3, epochs=2, random_state=0).fit(X[:1500], y[:1500])
    y_set = mdn.calibrate(X[1500:2500], y[1500:2500]).predict_set(X_test, 0.1, method="raps")
    assert y_set.any(axis=1).all()
    tol = binomial_tolerance(0.1, 1000, len(X_test))
    assert set_coverage_score(y_test, y_set, labels=mdn.classes_) >= 0.9 - tol


# ------------------------------------------------------------------ persistence, pipelines


def test_joblib_and_skops_round_trips(network, scaled, tmp_path):
    from skmnist.persistence import dump, load

    _, _, X_test, _ = scaled
    expected = network.predict_set(X_test, 0.05, method="aps")
    joblib.dump(network, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    assert (loaded.predict_set(X_test, 0.05, method="aps") == expected).all()
    pytest.importorskip("skops")
    dump(network, tmp_path / "m.skops")
    assert (load(tmp_path / "m.skops").predict_set(X_test, 0.05, method="aps")
            == expected).all()


def test_fresh_process_predicts_sets_without_tensorflow(network, scaled, tmp_path, run_python):
    _, _, X_test, _ = scaled
    np.save(tmp_path / "X.npy", X_test[:50])
    joblib.dump(network, tmp_path / "m.joblib")
    np.save(tmp_path / "expected.npy", network.predict_set(X_test[:50], 0.1))
    result = run_python(
        """
        import sys, joblib, numpy as np
        model = joblib.load(sys.argv[1])
        sets = model.predict_set(np.load(sys.argv[2]), 0.1)
        assert (sets == np.load(sys.argv[3])).all()
        assert "tensorflow" not in sys.modules, "predict_set imported TensorFlow"
        print("ok")
        """,
        tmp_path / "m.joblib", tmp_path / "X.npy", tmp_path / "expected.npy",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_pipeline_predict_set(network, mnist):
    X, y, X_test, _ = mnist
    pipe = make_digit_pipeline(PixelScaler(), network)
    expected = network.predict_set(PixelScaler().transform(X_test), 0.05)
    assert (pipe.predict_set(X_test, 0.05) == expected).all()
    assert (pipe.predict_set(X_test, alpha=0.05, method="raps")
            == network.predict_set(PixelScaler().transform(X_test), 0.05, method="raps")).all()
    # calibrate through the pipeline: raw pixels in, the network calibrated on scaled ones
    clone = joblib.load(io.BytesIO(_dumps(network)))
    pipe = make_digit_pipeline(PixelScaler(), clone).calibrate(X[3000:4000], y[3000:4000])
    assert clone.__dict__["_conformal"]["y"].shape == (1000,)
    assert not hasattr(make_digit_pipeline(PixelScaler(), KNeighborsClassifier()),
                       "predict_set")


def _dumps(obj):
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    return buffer.getvalue()


def test_display(network, scaled):
    import matplotlib

    matplotlib.use("Agg")
    from skmnist.plotting import PredictionSetDisplay

    _, _, X_test, y_test = scaled
    disp = PredictionSetDisplay.from_estimator(network, X_test, y_test, alphas=[0.2, 0.05])
    assert disp.coverage_line_.get_xdata().tolist() == [0.05, 0.2]  # sorted by alpha
    coverage = disp.coverage_line_.get_ydata()
    assert coverage[0] > coverage[1]
    assert disp.axes_.shape == (1, 2)
    assert disp.size_line_.get_ydata()[0] >= disp.size_line_.get_ydata()[1]
    assert "lac" in disp.coverage_line_.get_label()
    again = PredictionSetDisplay.from_estimator(network, X_test, y_test, method="aps",
                                                ax=disp.axes_)
    assert again.figure_ is disp.figure_
    assert again.target_line_ is disp.target_line_  # drawn once per Axes
    with pytest.raises(ValueError, match="alphas must be"):
        PredictionSetDisplay.from_estimator(network, X_test, y_test, alphas=[0, 0.1])
    with pytest.raises(TypeError, match="needs a classifier with predict_set"):
        PredictionSetDisplay.from_estimator(
            KNeighborsClassifier().fit(X_test, y_test), X_test, y_test)
    matplotlib.pyplot.close("all")


# ------------------------------------------------------------------ the command line

def _set_of(line):
    """The digits of the line's set, read with skmnist predict's line format (tests of
    test_cli_predict parse every line with it)."""
    from test_cli_predict import LINE

    m = LINE.match(line)
    assert m and "set {" in line, line
    return [int(d) for d in (m["set"] or "").split(", ") if d]


def test_cli_prints_the_set(network, mnist, tmp_path):
    from PIL import Image

    from skmnist.cli import _build_parser, predict

    _, _, X_test, y_test = mnist
    paths = []
    for i in range(4):
        path = tmp_path / f"d{i}.png"
        Image.fromarray(X_test[i].reshape(28, 28)).save(path)
        paths.append(str(path))
    model = tmp_path / "model.joblib"
    joblib.dump(make_digit_pipeline(PixelScaler(), network), model)

    def run(*extra):
        out, err = io.StringIO(), io.StringIO()
        args = _build_parser().parse_args(["predict", *paths, "--model", str(model), *extra])
        return predict(args, out=out, err=err), out.getvalue(), err.getvalue()

    rc, out, err = run("--alpha", "0.2")
    assert rc == 0, err
    lines = out.splitlines()
    assert len(lines) == 4
    for line in lines:
        digits = _set_of(line)
        assert digits == sorted(set(digits))
    # the default alpha (0.05) has sets at least as large as alpha=0.2's
    _, out_default, _ = run()
    for small, large in zip(lines, out_default.splitlines()):
        assert set(_set_of(small)) <= set(_set_of(large))
    # an uncalibrated model shows no set, and says what to do when one is asked for
    joblib.dump(make_digit_pipeline(PixelScaler(), FCNClassifier((8,), epochs=1,
                random_state=0).fit(PixelScaler().transform(X_test), y_test)), model)
    rc, out, _ = run()
    assert rc == 0 and ", set" not in out
    rc, _, err = run("--alpha", "0.1")
    assert rc == 2 and "calibrate(X_cal, y_cal)" in err
