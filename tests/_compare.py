"""What a saved model must still compute after loading, for tests that compare before/after.

Imported as a top-level module (``tests/`` is on ``sys.path``, see ``conftest.py``); its
source is also sent to fresh interpreters (``inspect.getsource``), so it imports nothing.
"""


def loaded_values(model, X):
    """What a fitted pipeline (a transformer, then an skmnist network) computes, by name.

    The probabilities, every field of ``predict_uncertainty`` (novelty included), labels
    drawn with a fixed seed and, for a mixture density network, its mixture's parameters and
    drawn values: everything a loaded model must give back as it was saved.
    """
    values = {"proba": model.predict_proba(X)}
    clf, Z = model[-1], model[:-1].transform(X) if len(model) > 1 else X
    for key, value in clf.predict_uncertainty(Z).items():
        values[f"uncertainty_{key}"] = value
    if hasattr(clf, "mixture_params"):
        for key, value in clf.mixture_params(Z).items():
            values[f"mixture_{key}"] = value
        values["sample_values"] = clf.sample_values(Z, 3, random_state=0)
    values["sample"] = clf.sample(Z, 3, random_state=0)
    return values
