"""The served model: loading it, framing images for it and answering for each image.

Images are framed exactly as ``skmnist predict`` frames them: with the settings of the
model's own :class:`~skmnist.DigitNormalizer` when it is a pipeline that starts with one,
else with a default ``DigitNormalizer()``; the model (without that first step) then gets
MNIST's 784 grey levels.  Nothing here imports TensorFlow: skmnist networks predict from
their NumPy copy.
"""

import os
import warnings

import numpy as np

from .._framing import FIELD, FramingError, frame_image
from .._image_novelty import combined_novelty
from .._parameters import NOVELTY_FLAG

#: Points of the regular grid on which the mixture's density is given, over the class
#: range (each component's mean is added to it).
DENSITY_POINTS = 201
_FRAMING_DEFAULTS = {"ink": "auto", "threshold": "otsu", "deskew": False}


def load_model(path):
    """The model saved at ``path``: a skops file (a zip archive) or a joblib/pickle file.

    Parameters
    ----------
    path : str or path-like
        The file.  A joblib or pickle file runs code when loaded: load only files you trust.
        A skops file is loaded with :func:`skmnist.persistence.load` (skmnist's own types
        only).

    Returns
    -------
    model : object
        What the file holds (checked by :class:`ServedModel`).
    """
    from ..persistence import load_model as load_file

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"no model file at {path!r}")
    return load_file(path)  # skops or joblib, every failure one ModelFileError naming path


def load_default_model():
    """The model shipped with skmnist, and its description (a dict)."""
    from ..pretrained import load_pretrained, pretrained_info

    return load_pretrained(), pretrained_info()


def served_model(path=None):
    """The :class:`ServedModel` of the file at ``path``, or of the shipped model when None.

    Raises ``ValueError`` (no such file, not a model, no shipped model) or ``TypeError``
    (not a fitted classifier).
    """
    if path is None:
        model, info = load_default_model()
        return ServedModel(model, source="skmnist's shipped model", info=info)
    return ServedModel(load_model(path), source=os.path.basename(os.fspath(path)))


def _json_scalar(value):
    return value.item() if isinstance(value, np.generic) else value


def _json_safe(value):
    """``value`` as JSON can hold it: numbers, strings, lists, dicts; anything else its repr."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray) and value.size <= 100:
        return _json_safe(value.tolist())
    value = _json_scalar(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


class ServedModel:
    """A fitted classifier behind the server: frames images and answers for each one.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted classifier with ``predict_proba`` and ``classes_`` that takes MNIST's 784
        grey levels, or a pipeline whose first step is a :class:`~skmnist.DigitNormalizer`
        (then its framing settings are used).
    source : str, default=None
        Where the model came from (a file name), for ``GET /model``.
    info : dict, default=None
        What is known of the model's training (accuracy, data), for ``GET /model``.
    """

    def __init__(self, model, *, source=None, info=None):
        from sklearn.pipeline import Pipeline

        from ..preprocessing import DigitNormalizer

        if not (hasattr(model, "predict_proba") and hasattr(model, "classes_")):
            raise TypeError(
                f"the model is a {type(model).__name__}, not a fitted classifier with "
                "predict_proba and classes_"
            )
        self.model, self.source = model, source
        self.info = info if info is not None else getattr(model, "info_", None)
        self.framing = dict(_FRAMING_DEFAULTS)
        rest = model
        if isinstance(model, Pipeline) and isinstance(model.steps[0][1], DigitNormalizer):
            params = model.steps[0][1].get_params()
            self.framing = {name: params[name] for name in _FRAMING_DEFAULTS}
            rest = model[1:]
        # The steps before the classifier, and the classifier: the uncertainty and mixture
        # methods are the final estimator's.
        if isinstance(rest, Pipeline):
            self._before, self.classifier = (rest[:-1] if len(rest) > 1 else None), rest[-1]
        else:
            self._before, self.classifier = None, rest
        self.classes = [_json_scalar(c) for c in model.classes_]
        self.has_mixture = hasattr(self.classifier, "mixture_params")
        self.has_novelty = self._novelty_available()

    def _novelty_available(self):
        """Whether the classifier reports novelty (probed once, on a blank digit, here
        rather than per request: a model without novelty statistics warns on every call)."""
        if not hasattr(self.classifier, "predict_uncertainty"):
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                return "novelty" in self.classifier.predict_uncertainty(
                    self._features(np.zeros((1, FIELD * FIELD), np.uint8))
                )
            except (ValueError, TypeError):
                return False

    def _features(self, X):
        return X if self._before is None else self._before.transform(X)

    def frame(self, image):
        """One raw image (array) as MNIST's 784 grey levels (uint8), as ``skmnist predict``
        frames it, and the image's framing statistics; raises ``FramingError`` for an image
        without a digit."""
        framed, statistics = frame_image(
            image, ink=self.framing["ink"], threshold=self.framing["threshold"],
            deskew_digit=self.framing["deskew"], statistics=True,
        )
        return np.rint(framed.reshape(-1) * 255).astype(np.uint8), statistics

    def frame_all(self, images):
        """Frame raw images: the rows of those holding a digit (uint8, or None when none
        does), their indices, ``{index: message}`` for the others, and the image novelty of
        each framed one (see :class:`skmnist.DigitPipeline`)."""
        from .._image_novelty import shipped_image_novelty

        rows, stats, good, errors = [], [], [], {}
        for index, image in enumerate(images):
            try:
                row, statistics = self.frame(image)
            except (FramingError, TypeError) as exc:
                errors[index] = f"image {index}: {exc}"
                continue
            rows.append(row)
            stats.append(statistics)
            good.append(index)
        if not rows:
            return None, good, errors, None
        return np.stack(rows), good, errors, shipped_image_novelty().score(np.stack(stats))

    def answer(self, batch, *, include_image=False):
        """The answer for each image of a :class:`~skmnist.serve._decode.Batch`.

        Parameters
        ----------
        batch : Batch
            Raw images to frame, or pixel rows already framed.
        include_image : bool, default=False
            Add each image's 784 framed grey levels (``"image"``): what the model saw.

        Returns
        -------
        results : list of dict
            Per image, in order: ``digit``, ``probability`` (the digit's),
            ``probabilities`` (in the order of ``classes``), ``novelty`` and ``novel``
            (``novelty`` above 0.99; both None for a model without novelty), ``mixture``
            for a mixture density network (its weights, means and scales, and its density
            on a grid over the classes); or ``{"error": message}`` for an image that holds
            no digit.
        """
        X, good, errors, image_novelty = self.rows(batch)
        predicted = self.predict_rows(X) if X is not None else []
        return self.merge(len(batch), X, good, errors, predicted, include_image=include_image,
                          image_novelty=image_novelty)

    def rows(self, batch):
        """The model's input rows of a batch, the indices they answer, framing errors and
        the images' own novelty (None for pixel rows, already framed)."""
        if batch.pixels is not None:
            return batch.pixels, list(range(len(batch))), {}, None
        return self.frame_all(batch.images)

    @staticmethod
    def merge(n, X, good, errors, predicted, *, include_image=False, image_novelty=None):
        """The ``n`` results in order: the predictions of rows ``X`` (answering the images
        ``good``) and the framing ``errors``.  With ``image_novelty``, each result's
        ``novelty`` is the larger of the network's (``network_novelty``) and the image's
        (``image_novelty``), as :meth:`skmnist.DigitPipeline.predict_uncertainty` reports."""
        results = [{"error": errors[i]} if i in errors else None for i in range(n)]
        for row, (index, result) in enumerate(zip(good, predicted)):
            if include_image:
                result = {**result, "image": np.rint(X[row]).astype(np.uint8).tolist()}
            if image_novelty is not None:
                image = float(image_novelty[row])
                network = result.get("novelty")
                novelty = float(combined_novelty(network, image))
                result = {**result, "network_novelty": network, "image_novelty": image,
                          "novelty": novelty, "novel": bool(novelty > NOVELTY_FLAG)}
            results[index] = result
        return results

    def predict_rows(self, X):
        """The answer (a dict) for each row of MNIST-framed grey levels ``X``."""
        Z = self._features(X)
        proba = np.asarray(self.classifier.predict_proba(Z), dtype=np.float64)
        best = proba.argmax(axis=1)
        novelty = self.classifier.predict_uncertainty(Z)["novelty"] if self.has_novelty else None
        mixture = self._mixture(Z) if self.has_mixture else None
        results = []
        for row in range(len(X)):
            result = {
                "digit": self.classes[best[row]],
                "probability": float(proba[row, best[row]]),
                "probabilities": proba[row].tolist(),
                "novelty": None if novelty is None else float(novelty[row]),
                "novel": None if novelty is None else bool(novelty[row] > NOVELTY_FLAG),
            }
            if mixture is not None:
                result["mixture"] = {key: values[row].tolist() for key, values in mixture.items()}
            results.append(result)
        return results

    def _mixture(self, Z):
        """The mixture's parameters and its density on a grid over the class range (the
        digit value, in units of the class index)."""
        params = self.classifier.mixture_params(Z)
        weights, means, scales = (np.asarray(params[k], np.float64)
                                  for k in ("weights", "means", "scales"))
        lo, hi = -0.5, len(self.classes) - 0.5
        # A regular grid, plus each component's mean: a narrow peak between two grid points
        # would otherwise be drawn far lower than it is, or not at all.
        grid = np.sort(np.concatenate([
            np.broadcast_to(np.linspace(lo, hi, DENSITY_POINTS), (len(means), DENSITY_POINTS)),
            np.clip(means, lo, hi),
        ], axis=1), axis=1)
        z = (grid[:, :, np.newaxis] - means[:, np.newaxis, :]) / scales[:, np.newaxis, :]
        density = (weights[:, np.newaxis, :] * np.exp(-0.5 * z**2)
                   / (scales[:, np.newaxis, :] * np.sqrt(2 * np.pi))).sum(axis=2)
        return {"weights": weights, "means": means, "scales": scales, "x": grid,
                "density": density}

    def describe(self):
        """What ``GET /model`` reports: classes, skmnist's version, the model's steps and
        parameters, its framing, and what is known of its training."""
        from sklearn.pipeline import Pipeline

        from .. import __version__

        steps = (
            [type(step).__name__ for _, step in self.model.steps]
            if isinstance(self.model, Pipeline) else [type(self.model).__name__]
        )
        try:
            params = self.classifier.get_params(deep=False)
        except AttributeError:  # not a scikit-learn estimator
            params = {}
        return {
            "skmnist_version": __version__,
            "source": self.source,
            "type": type(self.model).__name__,
            "steps": steps,
            "classifier": {"type": type(self.classifier).__name__,
                           "params": _json_safe(params)},
            "classes": self.classes,
            "framing": _json_safe(self.framing),
            "novelty": self.has_novelty,
            "mixture": self.has_mixture,
            "info": _json_safe(self.info) if self.info is not None else None,
        }
