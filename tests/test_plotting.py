"""Tests of skmnist.plotting: what each display draws, and its errors."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from skmnist.metrics import (  # noqa: E402
    area_under_risk_coverage,
    calibration_bins,
    expected_calibration_error,
    risk_coverage_curve,
)
from skmnist.plotting import (  # noqa: E402
    DigitGridDisplay,
    MixtureSamplesDisplay,
    ReliabilityDisplay,
    RiskCoverageDisplay,
    TrainingCurvesDisplay,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fcn(fitted_on_sample):
    """An FCN fitted on the data's 500 training images (the session's: test_stress.py
    predicts with it)."""
    from skmnist import FCNClassifier

    return fitted_on_sample(FCNClassifier, hidden_layer_sizes=(16,), epochs=2, random_state=0)


@pytest.fixture(scope="module")
def fcn_es(data):
    """An FCN with early stopping: its history_ has val_loss and val_accuracy."""
    from skmnist import FCNClassifier

    X, y, _, _ = data
    return FCNClassifier(
        hidden_layer_sizes=(16,), epochs=3, early_stopping=True, random_state=0
    ).fit(X, y)


@pytest.fixture(scope="module")
def fcn_pipe(mnist):
    """A Pipeline taking raw uint8 pixels."""
    from skmnist import FCNClassifier, PixelScaler

    X, y, _, _ = mnist
    return make_pipeline(
        PixelScaler(), FCNClassifier(hidden_layer_sizes=(16,), epochs=2, random_state=0)
    ).fit(X[:500], y[:500])


@pytest.fixture(scope="module")
def mdn(data):
    from skmnist import MDNClassifier

    X, y, _, _ = data
    return MDNClassifier(
        hidden_layer_sizes=(16,), n_components=3, epochs=2, random_state=0
    ).fit(X, y)


def _color(artist):
    return to_rgba(artist.get_color())


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------


def test_import_needs_neither_matplotlib_nor_tensorflow(run_python):
    result = run_python(
        """
        import sys
        import skmnist.plotting
        print(sorted(m for m in ("matplotlib", "tensorflow", "keras") if m in sys.modules))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# DigitGridDisplay
# --------------------------------------------------------------------------------------------


def test_digit_grid_from_images_draws_the_first_images_with_labels(mnist):
    X, y, _, _ = mnist
    disp = DigitGridDisplay.from_images(X, y, n_images=7, n_cols=5)
    assert disp.axes_.shape == (2, 5)
    assert len(disp.images_) == 7
    for i, (panel, image) in enumerate(zip(disp.axes_.ravel(), disp.images_)):
        np.testing.assert_array_equal(image.get_array(), X[i].reshape(28, 28))
        assert image.axes is panel
        assert panel.get_title() == str(y[i])
        assert list(panel.get_xticks()) == [] and list(panel.get_yticks()) == []
    assert disp.titles_ == [str(v) for v in y[:7]]
    assert [a.axison for a in disp.axes_.ravel()[7:]] == [False, False, False]
    assert disp.figure_ is disp.axes_[0, 0].figure
    assert disp.bounding_ax_ is None


def test_digit_grid_from_images_3d_float_no_labels(data):
    X = data[0][:3].reshape(3, 28, 28)
    disp = DigitGridDisplay.from_images(X)
    assert disp.axes_.shape == (1, 3)
    assert disp.titles_ == ["", "", ""]
    assert all(a.get_title() == "" for a in disp.axes_.ravel())
    np.testing.assert_array_equal(disp.images_[2].get_array(), X[2])


def test_digit_grid_from_images_other_image_shape():
    X = np.arange(2 * 12, dtype=np.float64).reshape(2, 12)
    disp = DigitGridDisplay.from_images(X, image_shape=(3, 4))
    np.testing.assert_array_equal(disp.images_[1].get_array(), X[1].reshape(3, 4))


def test_digit_grid_from_predictions_misclassified(mnist):
    X, y, _, _ = mnist
    y_pred = y[:30].copy()
    wrong = [2, 5, 11]
    y_pred[wrong] = (y_pred[wrong] + 1) % 10
    disp = DigitGridDisplay.from_predictions(X[:30], y[:30], y_pred)
    assert len(disp.images_) == 3
    assert disp.axes_.shape == (1, 3)
    for image, i in zip(disp.images_, wrong):
        np.testing.assert_array_equal(image.get_array(), X[i].reshape(28, 28))
    assert disp.titles_ == [f"true {y[i]} / pred {y_pred[i]}" for i in wrong]
    for panel in disp.axes_.ravel():
        assert _color(panel.title) == to_rgba("red")

    disp = DigitGridDisplay.from_predictions(X[:30], y[:30], y_pred, n_images=2)
    assert len(disp.images_) == 2


def test_digit_grid_from_predictions_all_marks_wrong_in_red(mnist):
    X, y, _, _ = mnist
    y_pred = y[:8].copy()
    y_pred[3] = (y_pred[3] + 1) % 10
    disp = DigitGridDisplay.from_predictions(X[:8], y[:8], y_pred, kind="all", n_images=6)
    assert len(disp.images_) == 6
    assert disp.titles_ == [f"pred {y_pred[i]} / true {y[i]}" for i in range(6)]
    colors = [_color(a.title) for a in disp.axes_.ravel()[:6]]
    assert colors == [to_rgba("red") if i == 3 else to_rgba("black") for i in range(6)]


def test_digit_grid_from_estimator_pipeline_on_raw_pixels(fcn_pipe, mnist):
    _, _, X_test, y_test = mnist
    X, y = X_test[:100], y_test[:100]
    y_pred = fcn_pipe.predict(X)
    wrong = np.flatnonzero(y_pred != y)[:4]
    assert wrong.size > 0
    disp = DigitGridDisplay.from_estimator(fcn_pipe, X, y, n_images=4)
    assert disp.titles_ == [f"true {y[i]} / pred {y_pred[i]}" for i in wrong]
    np.testing.assert_array_equal(disp.images_[0].get_array(), X[wrong[0]].reshape(28, 28))

    disp = DigitGridDisplay.from_estimator(fcn_pipe, X, y, kind="all", n_images=10)
    assert disp.titles_ == [f"pred {y_pred[i]} / true {y[i]}" for i in range(10)]


def test_digit_grid_on_given_axes(mnist):
    X, y, _, _ = mnist
    fig, axes = plt.subplots(2, 3)
    disp = DigitGridDisplay.from_images(X, y, n_images=4, ax=axes)
    assert disp.figure_ is fig
    assert disp.axes_.shape == (2, 3)
    assert all(a is b for a, b in zip(disp.axes_.ravel(), axes.ravel()))
    assert [a.axison for a in axes.ravel()] == [True] * 4 + [False] * 2
    assert disp.images_[3].axes is axes[1, 0]

    fig, axes = plt.subplots(1, 3)
    disp = DigitGridDisplay.from_images(X, n_images=2, ax=list(axes))
    assert disp.axes_.shape == (3,)
    assert [a.axison for a in axes] == [True, True, False]


def test_digit_grid_splits_a_single_axes(mnist):
    X, y, _, _ = mnist
    fig, ax = plt.subplots(figsize=(8, 4))
    disp = DigitGridDisplay.from_images(X, y, n_images=6, n_cols=3, ax=ax)
    assert disp.bounding_ax_ is ax
    assert not ax.axison
    assert disp.figure_ is fig
    assert disp.axes_.shape == (2, 3)
    box = ax.get_position()
    for panel in disp.axes_.ravel():
        assert panel is not ax and panel.figure is fig
        p = panel.get_position()
        assert box.x0 - 1e-9 <= p.x0 and p.x1 <= box.x1 + 1e-9
        assert box.y0 - 1e-9 <= p.y0 and p.y1 <= box.y1 + 1e-9
    with pytest.raises(ValueError, match="already used"):
        DigitGridDisplay.from_images(X, y, n_images=6, ax=ax)


def test_digit_grid_splits_an_add_axes_axes(mnist):
    X, _, _, _ = mnist
    fig = plt.figure()
    ax = fig.add_axes([0.1, 0.1, 0.8, 0.4])
    disp = DigitGridDisplay.from_images(X, n_images=4, n_cols=2, ax=ax)
    assert disp.axes_.shape == (2, 2)
    for panel in disp.axes_.ravel():
        p = panel.get_position()
        assert 0.1 - 1e-9 <= p.y0 and p.y1 <= 0.5 + 1e-9


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_images": 0}, ValueError, "n_images must be an int >= 1"),
        ({"n_images": 2.5}, ValueError, "n_images"),
        ({"n_cols": 0}, ValueError, "n_cols must be an int >= 1"),
        ({"image_shape": (27, 28)}, ValueError, "Cannot reshape"),
        ({"image_shape": (28,)}, ValueError, "image_shape"),
        ({"ax": "axes"}, TypeError, "ax must be"),
    ],
)
def test_digit_grid_from_images_errors(mnist, kwargs, error, match):
    X, y, _, _ = mnist
    with pytest.raises(error, match=match):
        DigitGridDisplay.from_images(X[:5], y[:5], **kwargs)


def test_digit_grid_input_errors(mnist):
    X, y, _, _ = mnist
    with pytest.raises(ValueError, match="different numbers of samples: 5 and 4"):
        DigitGridDisplay.from_images(X[:5], y[:4])
    with pytest.raises(ValueError, match="Cannot reshape"):
        DigitGridDisplay.from_images(X[:5, :700])
    with pytest.raises(ValueError, match="empty"):
        DigitGridDisplay.from_images(X[:0])
    with pytest.raises(ValueError, match="shape"):
        DigitGridDisplay.from_images(X[0])
    with pytest.raises(TypeError, match="numeric"):
        DigitGridDisplay.from_images(np.array([["a"] * 784]))
    with pytest.raises(ValueError, match="at least 5 Axes"):
        DigitGridDisplay.from_images(X[:5], ax=plt.subplots(1, 2)[1])
    with pytest.raises(ValueError, match="different numbers of samples"):
        DigitGridDisplay.from_predictions(X[:5], y[:5], y[:3])
    with pytest.raises(TypeError, match="same type"):
        DigitGridDisplay.from_predictions(X[:5], y[:5].astype(str), y[:5])
    with pytest.raises(ValueError, match="kind must be"):
        DigitGridDisplay.from_predictions(X[:5], y[:5], y[:5], kind="wrong")
    with pytest.raises(ValueError, match="no misclassified digits"):
        DigitGridDisplay.from_predictions(X[:5], y[:5], y[:5])
    with pytest.raises(ValueError, match="titles has 1 entries for 2 images"):
        DigitGridDisplay(X[:2].reshape(2, 28, 28), titles=["a"]).plot()


def test_digit_grid_from_estimator_errors(fcn, data):
    from skmnist import FCNClassifier

    _, _, X, y = data
    with pytest.raises(NotFittedError):
        DigitGridDisplay.from_estimator(FCNClassifier(), X, y)
    with pytest.raises(ValueError, match=r"not in the estimator's classes_.*\[11\]"):
        DigitGridDisplay.from_estimator(fcn, X[:3], np.array([1, 11, 2]))
    with pytest.raises(ValueError, match="different numbers of samples"):
        DigitGridDisplay.from_estimator(fcn, X[:3], y[:2])


# --------------------------------------------------------------------------------------------
# TrainingCurvesDisplay
# --------------------------------------------------------------------------------------------


def test_training_curves_draw_histories(fcn_es, fcn):
    disp = TrainingCurvesDisplay.from_estimators(
        [fcn_es, fcn], labels=["L2 0.01", "no L2"], colors=["red", "blue"]
    )
    assert disp.axes_.shape == (1, 2)
    for panel, metric in zip(disp.axes_.ravel(), ["accuracy", "loss"]):
        assert panel.get_xlabel() == "epoch"
        assert panel.get_ylabel() == metric
        assert panel.get_title() == metric.capitalize()
        assert [t.get_text() for t in panel.get_legend().get_texts()] == [
            "L2 0.01 (train)",
            "L2 0.01 (validation)",
            "no L2 (train)",
        ]
        for i, (est, color) in enumerate([(fcn_es, "red"), (fcn, "blue")]):
            train = disp.lines_[i, metric, "train"]
            assert train.axes is panel
            np.testing.assert_allclose(train.get_ydata(), est.history_[metric])
            np.testing.assert_array_equal(
                train.get_xdata(), np.arange(1, len(est.history_[metric]) + 1)
            )
            assert train.get_linestyle() == "-"
            assert _color(train) == to_rgba(color)
        val = disp.lines_[0, metric, "validation"]
        np.testing.assert_allclose(val.get_ydata(), fcn_es.history_["val_" + metric])
        assert val.get_linestyle() == "--"
        assert _color(val) == to_rgba("red")
        assert (1, metric, "validation") not in disp.lines_
    assert disp.figure_ is disp.axes_[0, 0].figure


def test_training_curves_single_estimator_default_labels(fcn, fcn_pipe):
    disp = TrainingCurvesDisplay.from_estimators(fcn_pipe, metrics="loss")
    assert disp.axes_.shape == (1, 1)
    line = disp.lines_[0, "loss", "train"]
    assert line.get_label() == "FCNClassifier (train)"
    np.testing.assert_allclose(line.get_ydata(), fcn_pipe[-1].history_["loss"])

    disp = TrainingCurvesDisplay.from_estimators([fcn, fcn_pipe])
    texts = [t.get_text() for t in disp.axes_[0, 0].get_legend().get_texts()]
    assert texts == ["FCNClassifier (1) (train)", "FCNClassifier (2) (train)"]
    assert _color(disp.lines_[0, "loss", "train"]) != _color(disp.lines_[1, "loss", "train"])


def test_training_curves_on_given_axes_and_bounding_axes(fcn_es):
    fig, axes = plt.subplots(2, 1)
    disp = TrainingCurvesDisplay.from_estimators(fcn_es, ax=axes)
    assert disp.axes_.shape == (2,)  # the shape of the Axes passed
    assert disp.lines_[0, "accuracy", "train"].axes is axes[0]
    assert disp.lines_[0, "loss", "validation"].axes is axes[1]

    fig, ax = plt.subplots()
    disp = TrainingCurvesDisplay.from_estimators(fcn_es, ax=ax)
    assert disp.bounding_ax_ is ax and not ax.axison
    assert disp.axes_.shape == (1, 2)
    assert disp.lines_[0, "loss", "train"].axes is disp.axes_[0, 1]


def test_training_curves_errors(fcn, data):
    from skmnist import FCNClassifier

    X, y, _, _ = data
    with pytest.raises(NotFittedError):
        TrainingCurvesDisplay.from_estimators([FCNClassifier()])
    dummy = DummyClassifier().fit(X, y)
    with pytest.raises(TypeError, match="DummyClassifier has no history_"):
        TrainingCurvesDisplay.from_estimators([fcn, dummy])
    with pytest.raises(ValueError, match="has no 'precision' values"):
        TrainingCurvesDisplay.from_estimators(fcn, metrics=("accuracy", "precision"))
    with pytest.raises(ValueError, match="labels has 1 entries for 2 estimators"):
        TrainingCurvesDisplay.from_estimators([fcn, fcn], labels=["a"])
    with pytest.raises(ValueError, match="colors has 1 entries for 2 histories"):
        TrainingCurvesDisplay.from_estimators([fcn, fcn], colors=["red"])
    with pytest.raises(ValueError, match="empty"):
        TrainingCurvesDisplay.from_estimators([])
    with pytest.raises(ValueError, match="metrics must be"):
        TrainingCurvesDisplay.from_estimators(fcn, metrics=())


# --------------------------------------------------------------------------------------------
# MixtureSamplesDisplay
# --------------------------------------------------------------------------------------------


def test_mixture_samples_draws_histograms_and_densities(mdn, data):
    _, _, X_test, y_test = data
    X, y = X_test[:6], y_test[:6]
    disp = MixtureSamplesDisplay.from_estimator(mdn, X, y, n_draws=500, random_state=0)
    assert disp.axes_.shape == (2, 5)
    assert [a.axison for a in disp.axes_.ravel()] == [True] * 6 + [False] * 4
    assert len(disp.histograms_) == len(disp.density_lines_) == len(disp.insets_) == 6
    assert len(disp.density_axes_) == 6

    draws = mdn.sample_values(X, n_draws=500, random_state=0)
    params = mdn.mixture_params(X)
    y_pred = mdn.predict(X)
    for i, panel in enumerate(disp.axes_.ravel()[:6]):
        # one bar per digit: the share of the draws in its interval (the first and last
        # digits take everything beyond), as predict_proba's classes
        bars = disp.histograms_[i]
        heights = np.array([p.get_height() for p in bars.patches])
        centres = np.array([p.get_x() + p.get_width() / 2 for p in bars.patches])
        np.testing.assert_allclose(centres, np.arange(10))
        digit = np.clip(np.floor(draws[i] + 0.5), 0, 9).astype(int)
        np.testing.assert_allclose(heights, np.bincount(digit, minlength=10) / 500)
        assert panel.get_ylabel() == ("share of draws" if i % 5 == 0 else "")

        # the density on its own axis, sharing the panel's x
        line = disp.density_lines_[i]
        assert line.axes is disp.density_axes_[i] and line.axes is not panel
        assert line.axes.get_xlim() == panel.get_xlim()
        x, density = line.get_xdata(), line.get_ydata()
        assert x[0] <= min(draws[i].min(), -0.5) and x[-1] >= max(draws[i].max(), 9.5)
        assert np.trapezoid(density, x) == pytest.approx(1.0, abs=1e-2)
        w, m, s = params.weights[i], params.means[i], params.scales[i]
        at = x[len(x) // 3]
        manual = np.sum(w * np.exp(-0.5 * ((at - m) / s) ** 2) / (s * np.sqrt(2 * np.pi)))
        assert density[len(x) // 3] == pytest.approx(manual)

        assert disp.true_lines_[i].get_xdata()[0] == y[i]  # classes_ are 0..9
        assert disp.true_lines_[i].get_linestyle() == "--"
        assert panel.get_title() == f"true {y[i]} / pred {y_pred[i]}"
        assert panel.get_xlabel() == "digit value"
        boundaries = sorted(
            ln.get_xdata()[0] for ln in panel.get_lines() if ln is not disp.true_lines_[i]
        )
        assert boundaries == [k + 0.5 for k in range(9)]

        inset = disp.insets_[i]
        np.testing.assert_array_equal(inset.get_images()[0].get_array(), X[i].reshape(28, 28))
    assert disp.figure_ is disp.axes_[0, 0].figure


def test_mixture_samples_inset_above_data(mdn, data):
    _, _, X_test, y_test = data
    disp = MixtureSamplesDisplay.from_estimator(mdn, X_test[:2], y_test[:2], n_draws=300)
    fig = disp.figure_
    fig.canvas.draw()
    for panel, inset, bars, line in zip(
        disp.axes_.ravel(), disp.insets_, disp.histograms_, disp.density_lines_
    ):
        # the data's highest points (bars, and the density on its own axis), in display
        # coordinates, are below the inset's bottom
        _, bars_px = panel.transData.transform((0, max(p.get_height() for p in bars.patches)))
        _, line_px = line.axes.transData.transform((0, line.get_ydata().max()))
        assert max(bars_px, line_px) < inset.get_window_extent().y0
        box, panel_box = inset.get_window_extent(), panel.get_window_extent()
        assert panel_box.x0 <= box.x0 and box.x1 <= panel_box.x1 + 1
        assert box.y1 <= panel_box.y1 + 1


def test_mixture_samples_without_y_and_without_images(mdn, data):
    _, _, X_test, _ = data
    disp = MixtureSamplesDisplay.from_estimator(
        mdn, X_test[:3], n_draws=100, show_images=False, n_cols=3
    )
    y_pred = mdn.predict(X_test[:3])
    assert [a.get_title() for a in disp.axes_.ravel()] == [f"pred {p}" for p in y_pred]
    assert disp.true_lines_ == [None] * 3
    assert disp.insets_ == [None] * 3
    # X not reshapeable to image_shape: no insets, no error
    disp = MixtureSamplesDisplay.from_estimator(mdn, X_test[:2], n_draws=100,
                                                image_shape=(27, 27))
    assert disp.insets_ == [None, None]


def test_mixture_samples_pipeline_n_images_and_given_axes(mdn, mnist, data):
    from skmnist import PixelScaler

    _, _, X_raw, y_raw = mnist
    pipe = make_pipeline(PixelScaler(), mdn)  # mdn is already fitted on scaled pixels
    fig, axes = plt.subplots(1, 2)
    disp = MixtureSamplesDisplay.from_estimator(
        pipe, X_raw[:10], y_raw[:10], n_draws=200, n_images=2, ax=axes
    )
    assert disp.axes_.shape == (2,) and disp.axes_[1] is axes[1]
    np.testing.assert_array_equal(
        disp.insets_[1].get_images()[0].get_array(), X_raw[1].reshape(28, 28)
    )
    fig, ax = plt.subplots()
    disp = MixtureSamplesDisplay.from_estimator(pipe, X_raw[:4], n_draws=50, n_cols=2, ax=ax)
    assert disp.bounding_ax_ is ax and disp.axes_.shape == (2, 2)


def test_mixture_samples_errors(mdn, fcn, fcn_pipe, data):
    from skmnist import MDNClassifier

    _, _, X, y = data
    with pytest.raises(TypeError, match="needs an MDNClassifier.*got FCNClassifier"):
        MixtureSamplesDisplay.from_estimator(fcn, X[:2])
    with pytest.raises(TypeError, match="needs an MDNClassifier.*got FCNClassifier"):
        MixtureSamplesDisplay.from_estimator(fcn_pipe, X[:2])
    with pytest.raises(NotFittedError):
        MixtureSamplesDisplay.from_estimator(MDNClassifier(), X[:2])
    with pytest.raises(ValueError, match="different numbers of samples"):
        MixtureSamplesDisplay.from_estimator(mdn, X[:2], y[:3])
    with pytest.raises(ValueError, match="not in the estimator's classes_"):
        MixtureSamplesDisplay.from_estimator(mdn, X[:2], np.array([3, 10]))
    with pytest.raises(ValueError, match="n_draws must be an int >= 1"):
        MixtureSamplesDisplay.from_estimator(mdn, X[:2], n_draws=0)
    with pytest.raises(ValueError, match="n_images must be an int >= 1"):
        MixtureSamplesDisplay.from_estimator(mdn, X[:2], n_images=0)
    with pytest.raises(ValueError, match="X is empty"):
        MixtureSamplesDisplay.from_estimator(mdn, X[:0])
    with pytest.raises(ValueError, match="densities must have shape"):
        MixtureSamplesDisplay(np.zeros((2, 5)), np.linspace(0, 1, 4), np.zeros((2, 3))).plot()


def test_mixture_samples_needs_the_mixture_methods(mdn, data):
    """An MDN is recognised by its public mixture_params and sample_values, not its class."""
    _, _, X, _ = data

    class MixtureParamsOnly(DummyClassifier):
        def mixture_params(self, X):
            return mdn.mixture_params(X)

    clf = MixtureParamsOnly().fit(X[:10], np.arange(10))
    with pytest.raises(TypeError, match="needs an MDNClassifier.*lacks sample_values"):
        MixtureSamplesDisplay.from_estimator(clf, X[:2])

    class AnyMixtureNetwork(MixtureParamsOnly):
        def sample_values(self, X, n_draws=1, random_state=None):
            return mdn.sample_values(X, n_draws=n_draws, random_state=random_state)

    clf = AnyMixtureNetwork().fit(X[:10], np.arange(10))
    disp = MixtureSamplesDisplay.from_estimator(clf, X[:2], n_draws=20)
    assert len(disp.histograms_) == 2


# --------------------------------------------------------------------------------------------
# ReliabilityDisplay
# --------------------------------------------------------------------------------------------


def test_reliability_from_predictions_draws_the_bins(fcn, data):
    _, _, X, y = data
    y_prob = fcn.predict_proba(X)
    disp = ReliabilityDisplay.from_predictions(y, y_prob, n_bins=10, name="net")
    bins = calibration_bins(y, y_prob, n_bins=10)
    keep = bins.count > 0
    assert not keep.all()  # the test covers skipping empty bins
    np.testing.assert_allclose(disp.line_.get_xdata(), bins.confidence[keep])
    np.testing.assert_allclose(disp.line_.get_ydata(), bins.accuracy[keep])
    ece = expected_calibration_error(y, y_prob, n_bins=10)
    assert disp.ece == pytest.approx(ece)
    assert disp.line_.get_label() == f"net (ECE {ece:.2%})"
    assert disp.line_.get_marker() == "o"
    ax = disp.ax_
    assert ax.get_xlabel() == "confidence" and ax.get_ylabel() == "accuracy"
    assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 1)
    (ref,) = [ln for ln in ax.get_lines() if ln is not disp.line_]
    assert ref.get_linestyle() == ":" and _color(ref) == to_rgba("grey")
    np.testing.assert_array_equal(ref.get_xdata(), [0, 1])
    np.testing.assert_array_equal(ref.get_ydata(), [0, 1])
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["perfectly calibrated", f"net (ECE {ece:.2%})"]
    assert disp.figure_ is ax.figure


def test_reliability_two_models_share_an_axes(fcn, mdn, data):
    _, _, X, y = data
    fig, ax = plt.subplots()
    first = ReliabilityDisplay.from_estimator(fcn, X, y, ax=ax)
    second = ReliabilityDisplay.from_estimator(mdn, X, y, ax=ax, color="black")
    assert first.ax_ is ax and second.ax_ is ax and second.figure_ is fig
    assert len(ax.get_lines()) == 3  # one diagonal, two curves
    assert _color(second.line_) == to_rgba("black")
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == "perfectly calibrated"
    assert texts[1].startswith("FCNClassifier (ECE ") and texts[2].startswith("MDNClassifier")
    ece = expected_calibration_error(y, mdn.predict_proba(X), labels=mdn.classes_)
    assert texts[2] == f"MDNClassifier (ECE {ece:.2%})"


def test_reliability_from_estimator_pipeline_and_string_labels(fcn_pipe, mnist):
    _, _, X, y = mnist
    disp = ReliabilityDisplay.from_estimator(fcn_pipe, X[:200], y[:200], n_bins=5, name="p")
    bins = calibration_bins(y[:200], fcn_pipe.predict_proba(X[:200]), n_bins=5)
    keep = bins.count > 0
    np.testing.assert_allclose(disp.line_.get_ydata(), bins.accuracy[keep])
    assert disp.line_.get_label().startswith("p (ECE ")

    y_true = np.array(["a", "b", "b"])
    disp = ReliabilityDisplay.from_predictions(
        y_true, [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], n_bins=2, labels=["a", "b"]
    )
    np.testing.assert_allclose(disp.line_.get_ydata(), [2 / 3])


def test_reliability_errors(fcn, data):
    from skmnist import FCNClassifier

    _, _, X, y = data
    with pytest.raises(NotFittedError):
        ReliabilityDisplay.from_estimator(FCNClassifier(), X, y)
    with pytest.raises(ValueError, match="different numbers of samples"):
        ReliabilityDisplay.from_estimator(fcn, X[:5], y[:4])
    with pytest.raises(ValueError, match="not in the estimator's classes_"):
        ReliabilityDisplay.from_estimator(fcn, X[:2], np.array([0, 12]))
    with pytest.raises(ValueError, match="different numbers of samples"):
        ReliabilityDisplay.from_predictions(y[:5], fcn.predict_proba(X[:4]))
    with pytest.raises(TypeError, match="ax must be"):
        ReliabilityDisplay.from_predictions(y[:5], fcn.predict_proba(X[:5]), ax=[1])


# --------------------------------------------------------------------------------------------
# RiskCoverageDisplay
# --------------------------------------------------------------------------------------------


def test_risk_coverage_from_predictions_draws_the_curve(fcn, data):
    _, _, X, y = data
    y_prob = fcn.predict_proba(X)
    disp = RiskCoverageDisplay.from_predictions(y, y_prob, name="net")
    coverage, risk, _ = risk_coverage_curve(y, y_prob)
    np.testing.assert_allclose(disp.line_.get_xdata(), coverage)
    np.testing.assert_allclose(disp.line_.get_ydata(), risk)
    aurc = area_under_risk_coverage(y, y_prob)
    assert disp.line_.get_label() == f"net (AURC {aurc:.4f})"
    ax = disp.ax_
    assert ax.get_xlabel() == "coverage" and ax.get_ylabel() == "risk (error rate)"
    assert ax.get_xlim() == (0, 1)
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= risk.max()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"net (AURC {aurc:.4f})"]
    assert disp.figure_ is ax.figure


def test_risk_coverage_from_estimator_shares_an_axes(fcn, mdn, data):
    _, _, X, y = data
    fig, ax = plt.subplots()
    first = RiskCoverageDisplay.from_estimator(fcn, X, y, ax=ax)
    second = RiskCoverageDisplay.from_estimator(mdn, X, y, ax=ax, linestyle="--")
    assert first.ax_ is ax and second.ax_ is ax and len(ax.get_lines()) == 2
    assert second.line_.get_linestyle() == "--"
    _, risk, _ = risk_coverage_curve(y, mdn.predict_proba(X), labels=mdn.classes_)
    np.testing.assert_allclose(second.line_.get_ydata(), risk)
    top = max(first.line_.get_ydata().max(), second.line_.get_ydata().max())
    assert ax.get_ylim()[1] >= top  # the later curve is not cut off
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0].startswith("FCNClassifier (AURC ")
    assert texts[1].startswith("MDNClassifier (AURC ")


def test_risk_coverage_errors(fcn, data):
    from skmnist import FCNClassifier

    _, _, X, y = data
    with pytest.raises(NotFittedError):
        RiskCoverageDisplay.from_estimator(FCNClassifier(), X, y)
    with pytest.raises(ValueError, match="different numbers of samples"):
        RiskCoverageDisplay.from_estimator(fcn, X[:5], y[:6])
    with pytest.raises(ValueError, match="not in the estimator's classes_"):
        RiskCoverageDisplay.from_estimator(fcn, X[:2], np.array([-1, 0]))
    with pytest.raises(ValueError, match="different numbers of samples"):
        RiskCoverageDisplay.from_predictions(y[:3], fcn.predict_proba(X[:4]))


def test_mixture_samples_display_from_arrays_bins_and_inset_corner():
    rng = np.random.RandomState(0)
    draws = np.vstack([rng.normal(2.0, 0.5, 400), rng.normal(7.0, 0.5, 400)])
    x = np.linspace(-0.5, 9.5, 201)
    density = np.exp(-0.5 * ((x - 2.0) / 0.5) ** 2) / (0.5 * np.sqrt(2 * np.pi))
    images = rng.rand(2, 28, 28)
    disp = MixtureSamplesDisplay(
        draws, x, np.vstack([density, density]), titles=["a", "b"],
        true_values=[9.0, 2.0], images=images,
    ).plot(bins=20, n_cols=2)
    assert [len(h.patches) for h in disp.histograms_] == [20, 20]
    for bars, row in zip(disp.histograms_, draws):  # the share of the draws in each bin
        heights = [p.get_height() for p in bars.patches]
        expected, _ = np.histogram(row, bins=np.linspace(-0.5, 9.5, 21))
        np.testing.assert_allclose(heights, expected / len(row))
    assert [a.get_title() for a in disp.axes_.ravel()] == ["a", "b"]
    np.testing.assert_allclose(disp.density_lines_[1].get_ydata(), density)
    disp.figure_.canvas.draw()
    for panel, inset, true in zip(disp.axes_.ravel(), disp.insets_, [9.0, 2.0]):
        # the inset keeps clear of the true-value line
        box = inset.get_window_extent()
        true_px, _ = panel.transData.transform((true, 0))
        assert not box.x0 <= true_px <= box.x1
    # bin edges given
    disp = MixtureSamplesDisplay(draws[:1], x, density[None], n_classes=3).plot(
        bins=[0, 1, 2, 3, 4]
    )
    assert len(disp.histograms_[0].patches) == 4
    assert disp.insets_ == [None] and disp.true_lines_ == [None]
    boundaries = [ln.get_xdata()[0] for ln in disp.axes_[0, 0].get_lines()]
    assert boundaries == [0.5, 1.5]
    with pytest.raises(ValueError, match="bins must be"):
        MixtureSamplesDisplay(draws[:1], x, density[None]).plot(bins=[1, 0])
