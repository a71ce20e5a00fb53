"""A scikit-learn Pipeline for a person's digit images, with novelty that sees the image.

:class:`DigitPipeline` is a :class:`sklearn.pipeline.Pipeline` (every step, parameter and
method of one) that adds what a digit reader needs: :meth:`~DigitPipeline.predict_uncertainty`
(the final network's, so a saved pipeline offers it), and, when its first step is a
:class:`~skmnist.DigitNormalizer`, novelty that looks at the image itself and not only at the
28x28 digit that framing made of it (a photograph, noise or a printed word all come out of
framing as digit-shaped blobs).  :meth:`~DigitPipeline.read` does it all in one pass, for the
command line and the server.
"""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from sklearn.utils.metaestimators import available_if

from ._parameters import NOVELTY_FLAG
from .preprocessing import DigitNormalizer

__all__ = ["NOVELTY_FLAG", "DigitPipeline", "make_digit_pipeline"]


def _final_has(name):
    return lambda self: hasattr(self._final_estimator, name)


def _has_uncertainty(self):
    # the final network's, or at least the image's own when a DigitNormalizer frames it
    final = self._final_estimator
    return hasattr(final, "predict_uncertainty") or (
        self._normalizer() is not None and hasattr(final, "predict_proba")
    )


class DigitPipeline(Pipeline):
    """A Pipeline that reads digit images and says when an image is not a digit.

    Use it as any :class:`~sklearn.pipeline.Pipeline` (same parameters, ``fit``,
    ``predict``, ``predict_proba``, ``score``, ``set_params``, grid searches, joblib and
    skops).  It adds :meth:`predict_uncertainty` and :meth:`read`, and the final network's
    conformal prediction sets (:meth:`calibrate`, :meth:`predict_set`).  When the first step is a
    :class:`~skmnist.DigitNormalizer`, the novelty it reports is the larger of

    - the network's own novelty of the framed 28x28 digit (``network_novelty``), and
    - the image's novelty (``image_novelty``): how unlike images of handwritten digits the
      whole picture is, from what framing discards (background uniformity, how cleanly ink
      and paper separate, the share and pieces of ink, their box, the strokes' width),
      ranked among reference images of digits (``novelty > 0.99`` flags about 1% of them).

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        As for :class:`~sklearn.pipeline.Pipeline`; typically a
        :class:`~skmnist.DigitNormalizer`, a :class:`~skmnist.PixelScaler` and a network.
    memory, verbose, transform_input
        As for :class:`~sklearn.pipeline.Pipeline`.

    See Also
    --------
    make_digit_pipeline : Build one from its steps.
    skmnist.load_pretrained : The shipped, fitted DigitPipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist import DigitNormalizer, FCNClassifier, PixelScaler, load_mnist_sample
    >>> from skmnist.pipeline import make_digit_pipeline
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> pipe = make_digit_pipeline(
    ...     DigitNormalizer(), PixelScaler(),
    ...     FCNClassifier(hidden_layer_sizes=(64,), epochs=5, random_state=0))
    >>> pipe.fit(X[:2000], y[:2000]).score(X[3000:3500], y[3000:3500]) > 0.75
    True
    >>> noise = np.random.default_rng(0).integers(0, 256, size=(120, 90), dtype=np.uint8)
    >>> u = pipe.predict_uncertainty([noise])
    >>> bool(u["novelty"][0] > 0.99), bool(u["image_novelty"][0] > 0.99)
    (True, True)
    """

    def _normalizer(self):
        first = self.steps[0][1]
        return first if isinstance(first, DigitNormalizer) else None

    @available_if(_has_uncertainty)
    def predict_uncertainty(self, X):
        """Return the final network's uncertainty figures, with the image's novelty.

        Parameters
        ----------
        X : array-like or list of arrays or file paths
            What the first step takes (for a DigitNormalizer: images of any size, or paths
            of image files).

        Returns
        -------
        uncertainty : Bunch
            The final estimator's ``predict_uncertainty`` (``entropy``, ``max_proba``,
            ``novelty``, ...).  With a DigitNormalizer first, also ``image_novelty`` and
            ``network_novelty``, and ``novelty`` is the larger of the two (1 for an image that
            could not be framed).
        """
        return self.read(X).uncertainty

    def _transform_to_final(self, X):
        Xt = X
        for _, _, transform in self._iter(with_final=False):
            Xt = transform.transform(Xt)
        return Xt

    @available_if(_final_has("predict_set"))
    def predict_set(self, X, alpha=0.05, **params):
        """Return the final network's conformal prediction sets of ``X``.

        Parameters
        ----------
        X : array-like or list of arrays or file paths
            What the first step takes.
        alpha : float in (0, 1), default=0.05
            Error rate of the sets.
        **params
            The final estimator's further ``predict_set`` parameters (``method``,
            ``class_conditional``, ...).

        Returns
        -------
        y_set : ndarray of shape (n_samples, n_classes), bool
            See :meth:`skmnist.BaseKerasClassifier.predict_set`.
        """
        return self._final_estimator.predict_set(self._transform_to_final(X), alpha, **params)

    @available_if(_final_has("calibrate"))
    def calibrate(self, X, y):
        """Calibrate the final network's prediction sets on rows it did not train on.

        Parameters
        ----------
        X : array-like or list of arrays or file paths
            What the first step takes.
        y : array-like of shape (n_samples,)
            Their labels.

        Returns
        -------
        self : DigitPipeline
        """
        self._final_estimator.calibrate(self._transform_to_final(X), y)
        return self

    @available_if(_final_has("predict_proba"))
    def read(self, X):
        """Read each image: its probabilities and uncertainty, and what framing found.

        One framing pass for everything the command line and the server show.  Images that
        cannot be framed (blank, unreadable files) do not stop the others: they are listed in
        ``errors`` and their rows hold the prediction of an empty image.

        Parameters
        ----------
        X : array-like or list of arrays or file paths
            What the first step takes.

        Returns
        -------
        result : Bunch
            - ``proba``: ndarray (n_samples, n_classes), ``predict_proba``;
            - ``predicted``: ndarray (n_samples,), the most probable classes;
            - ``uncertainty``: Bunch, as :meth:`predict_uncertainty` returns (empty when
              the final estimator has no ``predict_uncertainty``);
            - ``framed``: ndarray (n_samples, 784) uint8 or None, the 28x28 images the
              network saw (None without a DigitNormalizer first);
            - ``statistics``: the images' framing statistics (or None);
            - ``errors``: dict of index to message; ``notes``: dict of index to list of
              messages (see :meth:`skmnist.DigitNormalizer.frame`).
        """
        normalizer = self._normalizer()
        framed = None
        if normalizer is not None:
            framed = normalizer.frame(X)
            Xt = framed.data
            rest = self.steps[1:-1]
        else:
            Xt, rest = X, self.steps[:-1]
        for _, step in rest:
            if step is not None and step != "passthrough":
                Xt = step.transform(Xt)
        final = self._final_estimator
        proba = final.predict_proba(Xt)
        uncertainty = Bunch()
        if hasattr(final, "predict_uncertainty"):
            import warnings

            with warnings.catch_warnings():
                # "novelty is unavailable": the image's novelty still stands in
                warnings.simplefilter("ignore", UserWarning)
                uncertainty = final.predict_uncertainty(Xt)
        if framed is not None:
            from ._image_novelty import combined_novelty, shipped_image_novelty

            image = shipped_image_novelty().score(framed.statistics)
            network = uncertainty.get("novelty")
            uncertainty["image_novelty"] = image
            if network is not None:
                uncertainty["network_novelty"] = network
            uncertainty["novelty"] = combined_novelty(network, image)
        return Bunch(
            proba=proba,
            predicted=self.classes_[np.argmax(proba, axis=1)],
            uncertainty=uncertainty,
            framed=None if framed is None else framed.data,
            statistics=None if framed is None else framed.statistics,
            errors={} if framed is None else framed.errors,
            notes={} if framed is None else framed.notes,
        )


def make_digit_pipeline(*steps, memory=None, verbose=False):
    """Build a :class:`DigitPipeline` from its steps, named as ``make_pipeline`` names them.

    Parameters
    ----------
    *steps : estimators
        The steps, e.g. ``DigitNormalizer(), PixelScaler(), FCNClassifier()``.
    memory, verbose
        As for :func:`sklearn.pipeline.make_pipeline`.

    Returns
    -------
    pipeline : DigitPipeline

    Examples
    --------
    >>> from skmnist import DigitNormalizer, FCNClassifier, PixelScaler
    >>> from skmnist.pipeline import make_digit_pipeline
    >>> make_digit_pipeline(DigitNormalizer(), PixelScaler(), FCNClassifier()).steps[0][0]
    'digitnormalizer'
    """
    from sklearn.pipeline import make_pipeline

    plain = make_pipeline(*steps, memory=memory, verbose=verbose)
    return DigitPipeline(plain.steps, memory=memory, verbose=verbose)


def as_digit_pipeline(model, **normalizer_params):
    """``model`` as a DigitPipeline that reads images: framed first when it does not frame.

    A DigitPipeline is returned as it is (its normalizer's parameters updated with
    ``normalizer_params``, given as not None); a plain Pipeline becomes one with the same
    steps; any other fitted classifier of MNIST's 784 pixels gets a DigitNormalizer in
    front.
    """
    from sklearn.base import clone

    params = {k: v for k, v in normalizer_params.items() if v is not None}
    if isinstance(model, Pipeline):
        steps = list(model.steps)
    else:
        steps = [(type(model).__name__.lower(), model)]
    if isinstance(steps[0][1], DigitNormalizer):
        if params:
            steps[0] = (steps[0][0], clone(steps[0][1]).set_params(**params))
    else:
        steps.insert(0, ("digitnormalizer", DigitNormalizer(**params)))
    if isinstance(model, DigitPipeline) and steps == model.steps:
        return model
    return DigitPipeline(steps)
