"""What the study's report says is what is true: its text, figures, tables and banner.

One small study (every step, 2 epochs, a threshold the model cannot reach) feeds most tests;
each test checks one claim of the page against the objects or numbers behind it.
"""

import json
import re
import shlex

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from skmnist import load_mnist_sample  # noqa: E402
from skmnist.report import CONTENT_WIDTH_PX, reproduce_command, write_report  # noqa: E402
from skmnist.study import STEPS, run_study  # noqa: E402

DPI = 110  # write_report's default: the PNGs' resolution
# Smallest text, in CSS pixels, that the page may show at its width (about 7.5 points).
MIN_TEXT_PX = 10


@pytest.fixture(scope="module")
def study(tmp_path_factory, study_fits_once):
    """Every step at 2 epochs; min_accuracy 0.99, which 2 epochs on 5,000 images miss."""
    train, test = load_mnist_sample("train"), load_mnist_sample("test")
    lines = []
    result = run_study(train, test, epochs=2, random_state=0, min_accuracy=0.99,
                       dataset="embedded MNIST sample", log=lines.append)
    # The figures as drawn, before write_report saves and closes them.
    figures = {stem: fig for s in result.sections for stem, _, fig in s.figures}
    for fig in figures.values():
        fig.canvas.draw()
    folder = tmp_path_factory.mktemp("report")
    write_report(result, folder, dpi=DPI)
    page = (folder / "index.html").read_text(encoding="utf-8")
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    return result, figures, page, metrics, lines


def _section_html(page, key):
    return re.search(rf'<section id="{key}">(.*?)</section>', page, re.S).group(1)


def test_text_and_figures_agree_on_the_digits_polarity(study):
    result, figures, page, _, _ = study
    data = _section_html(page, "data")
    assert "white digit on black" not in page
    # The grids draw ink (high values) dark: the reversed grey map, as the text says.
    for stem in ("digits", "misclassified", "first_predictions"):
        for image in figures[stem].findobj(matplotlib.image.AxesImage):
            assert image.get_cmap().name == "gray_r", stem
    assert "the figures draw the ink dark on white" in data


def test_every_figure_is_readable_at_the_page_width(study):
    _, figures, _, _, _ = study
    for stem, fig in figures.items():
        scale = min(1.0, CONTENT_WIDTH_PX / (fig.get_figwidth() * DPI))
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        smallest = min(t.get_fontsize() for t in texts) * DPI / 72 * scale
        assert smallest >= MIN_TEXT_PX, (stem, round(smallest, 1))


def test_mdn_figure_labels_its_axes_and_shows_bars_and_a_density_line(study):
    result, figures, _, _, _ = study
    fig = figures["mdn_samples"]
    panels = [ax for ax in fig.axes if ax.get_xlabel() == "digit value"]
    assert len(panels) == 10
    rows = sorted({round(ax.get_position().y0, 3) for ax in panels})
    assert len(rows) == 2  # two rows of five
    width_px = fig.get_figwidth() * DPI
    scale = min(1.0, CONTENT_WIDTH_PX / width_px)
    for panel in panels:
        # every panel's left axis is the share of draws; its twin (same x) the density
        twins = [ax for ax in fig.axes if ax is not panel and ax.bbox.bounds ==
                 panel.bbox.bounds and not ax.get_xlabel()]
        assert len(twins) == 1
        (line,) = [ln for ln in twins[0].get_lines()]
        assert len(line.get_xdata()) > 100  # a line over a grid, not a filled area
        assert not twins[0].patches
        bars = [p for p in panel.patches if p.get_height() > 0]
        assert bars and sum(p.get_height() for p in panel.patches) == pytest.approx(1.0)
        for bar in bars:  # visible: several pixels wide on the page
            x0, _ = panel.transData.transform((bar.get_x(), 0))
            x1, _ = panel.transData.transform((bar.get_x() + bar.get_width(), 0))
            assert (x1 - x0) * scale >= 5
    # the quantities are named on each row's outer panels
    by_row = {}
    for panel in panels:
        by_row.setdefault(round(panel.get_position().y0, 3), []).append(panel)
    for row in by_row.values():
        row.sort(key=lambda ax: ax.get_position().x0)
        assert row[0].get_ylabel() == "share of draws"
    density_labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel() == "density"]
    assert len(density_labels) == 2


def test_reliability_figure_carries_counts_and_intervals(study):
    result, figures, _, metrics, _ = study
    fig = figures["fcn_vs_mdn"]
    (counts_ax,) = [ax for ax in fig.axes if ax.get_ylabel() == "samples per bin"]
    steps = [p for p in counts_ax.patches if hasattr(p, "get_data")]
    assert len(steps) == 2  # FCN and MDN
    for step in steps:
        assert step.get_data().values.sum() == result.n_test
    (diagram,) = [ax for ax in fig.axes if ax.get_ylabel() == "accuracy"]
    intervals = diagram.collections
    assert len(intervals) == 2
    for collection, step in zip(intervals, steps):
        # one interval per non-empty bin
        assert len(collection.get_segments()) == np.count_nonzero(step.get_data().values)


def test_keras_summary_counts_the_network_only(study):
    result, _, _, metrics, _ = study
    (summary,) = [text for caption, text in result.section("network").preformatted
                  if caption == "Keras summary"]
    model = result.model[-1].model_
    assert "Total params" not in summary and "Optimizer" not in summary
    assert f"Parameters of the network: {model.count_params():,}" in summary
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert f"trainable: {trainable:,}" in summary
    assert metrics["steps"]["network"]["n_trainable_parameters"] == trainable


def test_confusion_matrix_and_classification_report_appear_once(study):
    _, _, page, _, _ = study
    figures = page.count("(confusion_matrix.png)")
    tables = page.count("<caption>Confusion matrix")
    assert figures + tables == 1
    # scikit-learn's report is the per-digit table, not also its text
    assert "macro avg" not in page
    assert page.count("<th>support</th>") == 1


def test_fit_times_leave_out_tensorflow_start_up(study):
    result, _, page, metrics, lines = study
    assert result.warmup_seconds > 0
    assert metrics["warmup_seconds"] == pytest.approx(result.warmup_seconds, abs=0.01)
    warm = next(i for i, line in enumerate(lines) if "warm-up" in line)
    first_fit = next(i for i, line in enumerate(lines) if "trained " in line)
    assert warm < first_fit
    assert "warm-up fit" in _section_html(page, "network")


def test_run_section_lists_settings_versions_machine_and_command(study):
    result, _, page, metrics, _ = study
    run = _section_html(page, "run")
    for key in result.settings:
        assert f"<td>{key}</td>" in run
    for library in ("skmnist", "numpy", "scikit-learn", "tensorflow", "keras"):
        assert f"<td>{library}</td>" in run
        assert library in metrics["environment"]["versions"]
    assert "<td>CPU count</td>" in run
    assert f"<td>epochs</td><td>{result.settings['epochs']}</td>" in run
    assert metrics["command"] in run.replace("&#x27;", "'").replace("&quot;", '"')


def test_reproduce_command_parses_back_to_the_settings(study):
    from skmnist.cli import _build_parser

    result = study[0]
    args = _build_parser().parse_args(shlex.split(reproduce_command(result))[1:])
    assert args.steps == list(STEPS)
    for key, value in result.settings.items():
        if key == "verbose":
            assert args.verbose == bool(value)
        else:
            assert getattr(args, key) == value, key
    assert not args.full
    args = _build_parser().parse_args(
        shlex.split(reproduce_command(result, ["--full", "--data-home", "/d"]))[1:]
    )
    assert args.full and args.data_home == "/d"


def test_degraded_run_says_so_in_a_banner_at_the_top(study):
    result, _, page, metrics, _ = study
    assert any("below the threshold" in w for w in result.warnings)
    assert metrics["warnings"] == result.warnings
    banner = page.index('id="degraded"')
    assert banner < page.index('<div class="cards">') < page.index("<section")
    for warning in result.warnings:
        assert warning.replace("'", "&#x27;") in page


def test_clean_run_has_no_banner(tmp_path):
    train, test = load_mnist_sample("train"), load_mnist_sample("test")
    result = run_study(train, test, steps=["data"])
    assert result.warnings == [] and result.warmup_seconds is None
    write_report(result, tmp_path)
    assert 'id="degraded"' not in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_fewer_epochs_and_missing_novelty_are_warnings(mnist):
    from _internals import StudyContext, novelty_problem
    from sklearn.utils import Bunch

    X, y, _, _ = mnist
    settings = dict(epochs=3, batch_size=20, learning_rate=1e-3,
                    learning_rate_schedule="constant", conv_filters=(), l2=0.0,
                    n_components=3, random_state=0, verbose=0)
    ctx = StudyContext(Bunch(data=X[:40], target=y[:40]), None, settings, lambda line: None)
    model = ctx.fitted("fcn")
    assert ctx.warnings == []
    ctx.check_epochs()
    assert ctx.warnings == []
    model[-1].n_iter_ = 2  # as a fit that stopped early leaves it
    ctx.check_epochs()
    assert ctx.warnings == ["FCN trained 2 of the 3 epochs asked (its fit stopped early)."]

    model.fit(X[:8], y[:8])  # too few rows for novelty statistics
    problem = novelty_problem(model, X[:1])
    assert problem and "8 samples" in problem
    model.fit(X[:40], y[:40])
    assert novelty_problem(model, X[:1]) is None
