"""The study's report folder: a self-contained HTML page, its figures, tables and numbers.

:func:`write_report` turns a :class:`~skmnist.study.StudyResult` into a folder holding

- ``index.html``: a banner first when the run is degraded (:attr:`StudyResult.warnings
  <skmnist.study.StudyResult>`), every section of the study with its figures embedded (PNG
  data URIs), its tables and its preformatted text, then the run itself: every setting, the
  library versions, the machine and the command that reproduces it; one file that reads the
  same when moved, with no network resource and no JavaScript;
- one PNG per figure beside it;
- ``metrics.json``: every number on the page (and more), for scripts;
- ``classification_report.txt``: scikit-learn's report of the evaluated model;
- ``model.joblib``: the evaluated pipeline, only when it reached the accuracy threshold.

:class:`ReportFolder` makes the folder appear whole or not at all: everything is written into
a temporary folder beside the destination, which replaces the destination only at the end.
"""

import base64
import html
import json
import os
import platform
import shlex
import shutil
import tempfile
import time

from ._io import current_umask

__all__ = ["ReportFolder", "environment", "metrics_record", "reproduce_command", "write_report"]

#: Width in CSS pixels at which the page shows a figure at most (``main``'s 1,100 px less its
#: padding and the section's): figures are drawn to be read at this width.
CONTENT_WIDTH_PX = 980

# The libraries whose versions decide a run's numbers: name -> module.
_LIBRARIES = {
    "skmnist": "skmnist", "numpy": "numpy", "scikit-learn": "sklearn",
    "tensorflow": "tensorflow", "keras": "keras", "matplotlib": "matplotlib",
}

# Files a report folder holds besides its figures: a destination holding anything else is
# not a previous report, and is never replaced.
_REPORT_FILES = {"index.html", "metrics.json", "classification_report.txt", "model.joblib"}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0; color: #1f2328; background: #f6f8fa; line-height: 1.5; }
header { background: #0d3b66; color: white; padding: 1.5rem 2rem; }
header h1 { margin: 0 0 .3rem 0; font-size: 1.8rem; }
header p { margin: 0; opacity: .9; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 2rem 3rem; }
.cards { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1.2rem 0; }
.card { background: white; border: 1px solid #d0d7de; border-radius: 8px; padding: .8rem 1.2rem;
        min-width: 9rem; }
.card .value { font-size: 1.6rem; font-weight: 600; }
.card .label { color: #57606a; font-size: .9rem; }
.card.bad .value { color: #b42318; }
.card.good .value { color: #1a7f37; }
nav ol { columns: 2; background: white; border: 1px solid #d0d7de; border-radius: 8px;
         padding: .8rem 2.5rem; }
section { background: white; border: 1px solid #d0d7de; border-radius: 8px;
          padding: .5rem 1.5rem 1.2rem; margin: 1.5rem 0; }
section h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
.time { color: #57606a; font-size: .85rem; font-weight: normal; float: right; }
figure { margin: 1rem 0; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { color: #57606a; font-size: .9rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .7rem; text-align: right; }
th { background: #f0f3f6; }
td:first-child, th:first-child { text-align: left; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: .8rem; overflow-x: auto;
      font-size: .82rem; line-height: 1.3; }
.verdict { padding: .6rem 1rem; border-radius: 6px; font-weight: 600; }
.verdict.good { background: #dafbe1; color: #1a7f37; }
.verdict.bad { background: #ffebe9; color: #b42318; }
pre.command { white-space: pre-wrap; overflow-wrap: anywhere; }
table.facts td { text-align: left; }
.banner { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 8px;
          padding: .6rem 1.2rem; margin: 1.2rem 0; }
.banner h2 { margin: .2rem 0; font-size: 1.15rem; color: #7d4e00; }
.banner ul { margin: .3rem 0; }
footer { color: #57606a; font-size: .85rem; text-align: center; padding-bottom: 2rem; }
"""


class ReportFolder:
    """A report folder that appears whole at ``path``, or not at all.

    Creating it checks, before any training, that the destination can be written: its parent
    must be writable, and an existing destination must be empty or a previous report (it is
    then replaced by :meth:`commit`). Files go into :attr:`staging`, a temporary folder beside
    the destination.

    Parameters
    ----------
    path : str or path-like
        The destination folder.

    Raises
    ------
    ValueError
        When the destination exists and is not a folder, or holds files that are not part of
        a report.
    OSError
        When the destination's parent cannot be created or written.

    Examples
    --------
    >>> import os, tempfile
    >>> from skmnist.report import ReportFolder
    >>> parent = tempfile.mkdtemp()
    >>> folder = ReportFolder(os.path.join(parent, "report"))
    >>> with open(os.path.join(folder.staging, "index.html"), "w") as f:
    ...     _ = f.write("<p>done</p>")
    >>> os.path.exists(os.path.join(parent, "report"))  # nothing there until commit
    False
    >>> folder.commit()
    >>> os.listdir(os.path.join(parent, "report"))
    ['index.html']
    """

    def __init__(self, path):
        self.path = os.path.abspath(os.fspath(path))
        if os.path.exists(self.path):
            if not os.path.isdir(self.path):
                raise ValueError(f"output {path!r} exists and is not a folder.")
            foreign = [
                name for name in os.listdir(self.path)
                if name not in _REPORT_FILES and not name.endswith(".png")
            ]
            if foreign:
                raise ValueError(
                    f"output folder {path!r} holds files that are not part of a report "
                    f"({', '.join(sorted(foreign)[:3])}); choose an empty or new folder."
                )
        parent = os.path.dirname(self.path)
        os.makedirs(parent, exist_ok=True)
        if not os.access(parent, os.W_OK | os.X_OK):
            raise PermissionError(f"cannot write to {parent!r}: permission denied.")
        try:
            self.staging = tempfile.mkdtemp(prefix=".skmnist-report-", dir=parent)
        except OSError as exc:
            # e.g. /proc passes the access check but holds no new folder: name the folder
            # the user chose, not the temporary one beside it
            raise type(exc)(
                f"cannot create the report folder {os.fspath(path)!r}: "
                f"{exc.strerror or exc}."
            ) from None

    def commit(self):
        """Move the finished report to the destination, replacing a previous one."""
        previous = None
        if os.path.exists(self.path):
            previous = tempfile.mkdtemp(
                prefix=".skmnist-previous-", dir=os.path.dirname(self.path)
            )
            os.replace(self.path, os.path.join(previous, "report"))
        try:
            os.chmod(self.staging, 0o777 & ~current_umask())  # mkdtemp makes 0700
            os.replace(self.staging, self.path)
        except BaseException:
            # a failure or a Ctrl-C between the two moves: put the previous report back
            if previous is not None and not os.path.exists(self.path):
                os.replace(os.path.join(previous, "report"), self.path)
                shutil.rmtree(previous, ignore_errors=True)
            raise
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)

    def discard(self):
        """Remove the staging folder (after a failure): the destination is left as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)


def environment():
    """The library versions and the machine of this process, as a dict of strings.

    A library this process has imported gives its module's ``__version__`` (what ran); the
    others their installed distribution's metadata, so nothing is imported (a report of the
    ``data`` step alone does not start TensorFlow); a library found neither way is
    ``"not installed"``.

    Returns
    -------
    environment : dict
        ``{"versions": {library: version}, "python": ..., "platform": ..., "machine": ...,
        "cpu_count": ...}``.

    Examples
    --------
    >>> from skmnist.report import environment
    >>> env = environment()
    >>> sorted(env)
    ['cpu_count', 'machine', 'platform', 'python', 'versions']
    >>> "scikit-learn" in env["versions"]
    True
    """
    import sys
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name, module in _LIBRARIES.items():
        found = getattr(sys.modules.get(module), "__version__", None)
        if found is None:
            try:
                found = version(name)
            except PackageNotFoundError:
                found = "not installed"
        versions[name] = str(found)
    return {
        "versions": versions,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def reproduce_command(result, data_args=()):
    """The ``skmnist run`` command line that reruns the study of ``result``.

    Every setting is written out, defaults included, so the command means the same when a
    later version changes a default. The data is what ``data_args`` says (the command line's
    own ``--full``, ``--data-home``, ...); without them, the embedded sample.

    Parameters
    ----------
    result : StudyResult
        What :func:`skmnist.study.run_study` returned.
    data_args : sequence of str, default=()
        The data options of the run, as command-line arguments.

    Returns
    -------
    command : str
        A shell command line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skmnist import load_mnist_sample
    >>> from skmnist.report import reproduce_command
    >>> from skmnist.study import run_study
    >>> result = run_study(load_mnist_sample("train"), load_mnist_sample("test"), steps=["data"])
    >>> reproduce_command(result).split(" --model")[0]
    'skmnist run --steps data'
    """
    settings = result.settings
    args = ["skmnist", "run", *data_args, "--steps", ",".join(s.key for s in result.sections)]
    for key in ("model", "epochs", "batch_size", "learning_rate", "learning_rate_schedule",
                "conv_filters", "l2", "study_l2", "n_components", "random_state",
                "min_accuracy"):
        value = settings[key]
        if value is None:  # an unseeded run_study call: the command line has no such value
            continue
        if key == "conv_filters":
            value = ",".join(str(int(f)) for f in value)
        elif isinstance(value, float):
            value = repr(value)  # every digit: the rerun gets the same float
        args += [f"--{key.replace('_', '-')}", str(value)]
    if settings.get("verbose"):
        args.append("--verbose")
    return shlex.join(args)


def metrics_record(result, *, total_seconds=None):
    """Every number of a study as a JSON-serialisable dict (the report's ``metrics.json``).

    The top level keeps the keys of a single training run (``model``, ``data``, ``n_train``,
    ``n_test``, ``epochs``, ``test_accuracy``, ``fit_seconds``, ``params``) for the evaluated
    model, when the ``evaluation`` step ran; ``steps`` holds each step's numbers and
    ``seconds`` its wall time.

    Parameters
    ----------
    result : StudyResult
        What :func:`skmnist.study.run_study` returned.
    total_seconds : float, default=None
        Wall time of the whole run, recorded as ``total_seconds``.

    Returns
    -------
    record : dict

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skmnist import load_mnist_sample
    >>> from skmnist.report import metrics_record
    >>> from skmnist.study import run_study
    >>> result = run_study(load_mnist_sample("train"), load_mnist_sample("test"), steps=["data"])
    >>> record = metrics_record(result)
    >>> record["n_train"], list(record["steps"])
    (5000, ['data'])
    """
    record = {
        "model": result.model_kind,
        "data": result.dataset,
        "n_train": result.n_train,
        "n_test": result.n_test,
        "epochs": result.settings["epochs"],
        "settings": dict(result.settings),
    }
    if result.model is not None:
        evaluation = result.section("evaluation").numbers
        record["test_accuracy"] = evaluation["accuracy"]
        record["fit_seconds"] = evaluation["fit_seconds"]
        record["min_accuracy"] = result.settings["min_accuracy"]
        record["model_saved"] = result.keep_model
        record["params"] = {
            k: v for k, v in result.model[-1].get_params().items() if k != "callbacks"
        }
    record["steps"] = {s.key: s.numbers for s in result.sections}
    record["seconds"] = {s.key: round(s.seconds, 2) for s in result.sections}
    record["warnings"] = list(result.warnings)
    if result.warmup_seconds is not None:
        record["warmup_seconds"] = round(result.warmup_seconds, 2)
    if total_seconds is not None:
        record["total_seconds"] = round(total_seconds, 2)
    record["environment"] = environment()
    return record


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_report(result, folder, *, total_seconds=None, dpi=110, data_args=()):
    """Write the report of a study into ``folder`` (which must exist); return its files.

    Figures are saved as PNG beside ``index.html`` and embedded in it, then closed. The model
    is written (``model.joblib``) only when ``result.keep_model`` is true.

    Parameters
    ----------
    result : StudyResult
        What :func:`skmnist.study.run_study` returned.
    folder : str or path-like
        An existing folder, typically :attr:`ReportFolder.staging`.
    total_seconds : float, default=None
        Wall time of the run, shown on the page and recorded in ``metrics.json``.
    dpi : int, default=110
        Resolution of the PNG figures.
    data_args : sequence of str, default=()
        The run's data options as command-line arguments (``skmnist run`` passes its own
        ``--full``, ``--data-home``, ...), for the command that reproduces the run.

    Returns
    -------
    files : list of str
        The names of the files written, ``index.html`` first.

    Examples
    --------
    >>> import matplotlib, tempfile
    >>> matplotlib.use("Agg")
    >>> from skmnist import load_mnist_sample
    >>> from skmnist.report import write_report
    >>> from skmnist.study import run_study
    >>> result = run_study(load_mnist_sample("train"), load_mnist_sample("test"), steps=["data"])
    >>> write_report(result, tempfile.mkdtemp())
    ['index.html', 'digits.png', 'metrics.json']
    """
    import matplotlib.pyplot as plt

    folder = os.fspath(folder)
    files = []
    images = {}
    for section in result.sections:
        for stem, _, figure in section.figures:
            name = f"{stem}.png"
            path = os.path.join(folder, name)
            figure.savefig(path, dpi=dpi)
            plt.close(figure)
            with open(path, "rb") as f:
                images[stem] = base64.b64encode(f.read()).decode("ascii")
            files.append(name)

    record = metrics_record(result, total_seconds=total_seconds)
    record["command"] = reproduce_command(result, data_args)
    with open(os.path.join(folder, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2, default=_json_default)
    files.append("metrics.json")

    if result.model is not None:
        evaluation = result.section("evaluation").numbers
        _write_text(
            os.path.join(folder, "classification_report.txt"),
            f"{result.dataset}, {result.model_kind.upper()}, test accuracy "
            f"{evaluation['accuracy']:.4f}\n\n{evaluation['classification_report']}",
        )
        files.append("classification_report.txt")
        if result.keep_model:
            import joblib

            from .pipeline import as_digit_pipeline

            # The evaluated pipeline behind a DigitNormalizer: the saved model reads a
            # person's image files too, and offers predict_uncertainty (model[1:] is the
            # evaluated pipeline itself, which scores what the report says).
            joblib.dump(as_digit_pipeline(result.model), os.path.join(folder, "model.joblib"))
            files.append("model.joblib")

    _write_text(
        os.path.join(folder, "index.html"),
        _render(result, images, total_seconds, record["command"], record["environment"]),
    )
    return ["index.html", *files]


# ------------------------------------------------------------------------------------ HTML
def _e(value):
    return html.escape(str(value), quote=True)


def _cards(result, total_seconds):
    cards = [
        ("data", f"{result.n_train:,} / {result.n_test:,}", "training / test images", ""),
    ]
    if result.model is not None:
        ev = result.section("evaluation").numbers
        cards += [
            ("accuracy", f"{ev['accuracy']:.2%}",
             f"test accuracy ({result.model_kind.upper()})", ""),
            ("f1", f"{ev['f1_macro']:.2%}", "F1 (macro)", ""),
            ("saved", "saved" if result.keep_model else "not saved",
             f"model (threshold {ev['min_accuracy']:.0%})",
             "good" if result.keep_model else "bad"),
        ]
    # The other network's accuracy, when a step trained it.
    for key, kind in (("network", "fcn"), ("mdn", "mdn")):
        section = result.section(key)
        if section is not None and (result.model is None or kind != result.model_kind):
            value = f"{section.numbers['test_accuracy']:.2%}"
            cards.append((key, value, f"{kind.upper()} test accuracy", ""))
    if total_seconds is not None:
        cards.append(("time", f"{total_seconds:.0f} s", "run time", ""))
    return "\n".join(
        f'<div class="card {cls}" id="card-{key}"><div class="value">{_e(value)}</div>'
        f'<div class="label">{_e(label)}</div></div>'
        for key, value, label, cls in cards
    )


def _table(caption, header, rows, css_class=None):
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    attribute = "" if css_class is None else f' class="{_e(css_class)}"'
    return (
        f"<table{attribute}><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>\n{body}\n</tbody></table>"
    )


def _render_section(number, section, images, result):
    parts = [
        f'<section id="{_e(section.key)}">',
        f'<h2>{number}. {_e(section.title)} '
        f'<span class="time">{section.seconds:.1f} s</span></h2>',
        f"<p>{_e(section.text)}</p>",
    ]
    if section.key == "evaluation":
        good = result.keep_model
        parts.append(
            f'<p class="verdict {"good" if good else "bad"}">'
            + (
                "Model saved to model.joblib."
                if good
                else "Model NOT saved: its test accuracy is below the threshold."
            )
            + "</p>"
        )
    for caption, header, rows in section.tables:
        parts.append(_table(caption, header, rows))
    for stem, caption, _ in section.figures:
        parts.append(
            f'<figure><img src="data:image/png;base64,{images[stem]}" alt="{_e(caption)}">'
            f'<figcaption>{_e(caption)} ({_e(stem)}.png)</figcaption></figure>'
        )
    for caption, text in section.preformatted:
        parts.append(f"<h3>{_e(caption)}</h3><pre>{_e(text)}</pre>")
    parts.append("</section>")
    return "\n".join(parts)


def _banner(result):
    """The degraded run's banner (empty for a full, clean run)."""
    if not result.warnings:
        return ""
    items = "".join(f"<li>{_e(w)}</li>" for w in result.warnings)
    return (
        '<div class="banner" id="degraded" role="alert"><h2>This run is degraded</h2>'
        f"<ul>{items}</ul></div>"
    )


def _run_section(number, result, command, env):
    """The run itself: every setting, the evaluated network's parameters, the versions, the
    machine and the command that reproduces it."""
    settings = dict(result.settings)
    settings["conv_filters"] = ",".join(str(f) for f in settings["conv_filters"]) or "none"
    rows = [["data", result.dataset], ["training / test images",
                                       f"{result.n_train:,} / {result.n_test:,}"],
            ["steps", ", ".join(s.key for s in result.sections)]]
    rows += [[key, value] for key, value in settings.items()]
    if result.warmup_seconds is not None:
        rows.append(["warm-up fit (not in fit times)", f"{result.warmup_seconds:.1f} s"])
    parts = [
        '<section id="run">',
        f"<h2>{number}. The run</h2>",
        "<p>What produced the numbers above: the study's settings, the evaluated network's "
        "parameters, the libraries and the machine. The command reruns the study with "
        "every setting spelled out.</p>",
        f'<h3>Command</h3><pre class="command" id="command">{_e(command)}</pre>',
        _table("Study settings", ["setting", "value"], rows, "facts"),
    ]
    if result.model is not None:
        params = result.model[-1].get_params()
        parts.append(_table(
            f"Parameters of the evaluated {type(result.model[-1]).__name__}",
            ["parameter", "value"],
            [[key, repr(value)] for key, value in sorted(params.items())], "facts",
        ))
    parts.append(_table(
        "Libraries", ["library", "version"],
        [["python", env["python"]], *env["versions"].items()], "facts",
    ))
    parts.append(_table(
        "Machine", ["property", "value"],
        [["platform", env["platform"]], ["architecture", env["machine"]],
         ["CPU count", env["cpu_count"]]], "facts",
    ))
    parts.append("</section>")
    return "\n".join(parts)


def _render(result, images, total_seconds, command, env):
    from . import __version__

    toc = "".join(
        f'<li><a href="#{_e(s.key)}">{_e(s.title)}</a></li>' for s in result.sections
    ) + '<li><a href="#run">The run</a></li>'
    sections = "\n".join(
        _render_section(i, s, images, result) for i, s in enumerate(result.sections, start=1)
    )
    sections += "\n" + _run_section(len(result.sections) + 1, result, command, env)
    settings = result.settings
    subtitle = (
        f"{result.dataset}: {settings['epochs']} epochs, batch {settings['batch_size']}, "
        f"learning rate {settings['learning_rate']:g} ({settings['learning_rate_schedule']}), "
        f"random state {settings['random_state']}"
    )
    stamp = time.strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>skmnist digit study: {_e(result.dataset)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>Handwritten-digit study</h1>
<p>{_e(subtitle)}</p>
</header>
<main>
{_banner(result)}
<div class="cards">
{_cards(result, total_seconds)}
</div>
<nav><ol>{toc}</ol></nav>
{sections}
</main>
<footer>Written by skmnist {_e(__version__)} on {_e(stamp)}.</footer>
</body>
</html>
"""
