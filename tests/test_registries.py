"""The registries that declare a study step and a network once, and what reads them.

A study step is one entry of the study's step registry: ``STEPS``, the progress lines, the
sections' titles, the dispatch and the fits trained ahead on a Dask scheduler all come from it.
A network is one entry of ``NETWORKS``: the command line's ``--model``, the study's ``model``
and the skops loader's trusted types all come from it.
"""

import dataclasses

import pytest
from _internals import NETWORKS, STEP_REGISTRY, StudyContext, independent_fits

from skmnist import study
from skmnist.cli import _build_parser
from skmnist.persistence import trusted_types

SETTINGS = dict(epochs=1, batch_size=20, learning_rate=1e-3, learning_rate_schedule="constant",
                conv_filters=(), l2=0.0, study_l2=0.01, n_components=3, random_state=0,
                verbose=0)


def _context(model="fcn"):
    return StudyContext(None, None, {**SETTINGS, "model": model}, lambda line: None)


def _run_options():
    parser = _build_parser()
    return {action.dest: action for action in parser.commands["run"]._actions}


# --------------------------------------------------------------------------------------------
# networks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(NETWORKS))
def test_each_network_names_its_class_and_is_trusted(name):
    network = NETWORKS[name]
    cls = network.estimator_class()
    assert f"{cls.__module__}.{cls.__qualname__}" == network.estimator
    assert network.estimator in trusted_types()
    # the study passes each of its own settings to the class under the same name
    assert set(network.settings) <= set(cls().get_params())


def test_the_command_line_and_the_study_offer_the_registered_networks():
    model = _run_options()["model"]
    assert model.choices == list(NETWORKS) and model.default == next(iter(NETWORKS))
    for name, network in NETWORKS.items():
        assert f"{name} ({network.description})" in model.help
        pipeline = _context().pipeline(name)
        assert type(pipeline[-1]) is network.estimator_class()
    with pytest.raises(ValueError, match="model must be 'fcn' or 'mdn'; got 'svm'"):
        study.run_study(None, None, model="svm")


def test_a_network_added_to_the_registry_reaches_the_command_line(monkeypatch):
    extra = dataclasses.replace(NETWORKS["fcn"], name="wide", description="a wider softmax")
    monkeypatch.setitem(NETWORKS, "wide", extra)
    model = _run_options()["model"]
    assert "wide" in model.choices and "wide (a wider softmax)" in model.help
    assert type(_context().pipeline("wide")[-1]).__name__ == "FCNClassifier"


# --------------------------------------------------------------------------------------------
# study steps
# --------------------------------------------------------------------------------------------


def test_steps_and_their_titles_come_from_the_registry():
    assert study.STEPS == tuple(step.name for step in STEP_REGISTRY)
    assert len(set(study.STEPS)) == len(study.STEPS)
    options = _run_options()
    assert options["steps"].default == ",".join(study.STEPS)
    description = _build_parser().commands["run"].description
    numbered = ", ".join(f"{i} {step.title.lower()}" for i, step in enumerate(STEP_REGISTRY, 1))
    assert numbered in description


@pytest.mark.parametrize(
    "chosen, model, expected",
    [
        (["data"], "fcn", []),
        (["network"], "mdn", ["fcn"]),
        (["errors", "evaluation"], "fcn", ["fcn"]),
        (["evaluation"], "mdn", ["mdn"]),
        (["data", "mdn"], "fcn", ["fcn", "mdn"]),
        (["regularization"], "fcn",
         ["fcn", "regularization: L2 0.01", "regularization: no L2"]),
        (list(study.STEPS), "mdn",
         ["fcn", "mdn", "regularization: L2 0.01", "regularization: no L2"]),
    ],
)
def test_the_independent_fits_are_what_the_chosen_steps_declare(chosen, model, expected):
    jobs = independent_fits(_context(model), chosen)
    assert list(jobs) == expected
    for name in set(expected) & set(NETWORKS):
        assert jobs[name][0] == NETWORKS[name].label
