"""Figures for digit classifiers, as scikit-learn-style ``Display`` objects.

Each class holds the data of one kind of figure and follows scikit-learn's visualization API
(:class:`sklearn.metrics.ConfusionMatrixDisplay`,
:class:`sklearn.inspection.PartialDependenceDisplay`): the constructor stores the data,
:meth:`plot` draws it, stores the figure and the matplotlib artists as attributes ending in
``_`` and returns the display, and the class methods ``from_estimator`` /
``from_predictions`` (``from_images``, ``from_estimators``) compute the data and call
:meth:`plot`.

- :class:`DigitGridDisplay`: a grid of digit images with titles (the first images of a
  dataset, or the misclassified ones, with true and predicted labels).
- :class:`TrainingCurvesDisplay`: per-epoch training (and validation) curves from
  ``history_``, one panel per metric, several estimators per panel (e.g. with and without an
  L2 penalty).
- :class:`MixtureSamplesDisplay`: for a mixture density network
  (:class:`skmnist.MDNClassifier`), the share of values drawn from each input's mixture that
  falls on each digit, with the mixture's density as a line on its own axis.
- :class:`ReliabilityDisplay`: a top-label reliability diagram with the expected calibration
  error, an interval per bin and the number of samples per bin.
- :class:`RiskCoverageDisplay`: selective risk against coverage with its area (AURC).
- :class:`PredictionSetDisplay`: coverage and mean size of conformal prediction sets
  against the error rate ``alpha``.

Estimators can be fitted skmnist classifiers or :class:`~sklearn.pipeline.Pipeline` objects
ending in one (e.g. ``make_pipeline(PixelScaler(), FCNClassifier())``).

Displays with one panel store ``ax_`` and ``figure_``; displays with a grid of panels store
``axes_`` (an ndarray of Axes of shape ``(n_rows, n_cols)``, or the shape of the Axes
passed) and ``figure_``, and their
``plot`` accepts ``ax=None`` (a new figure), an array-like of Axes (one per panel) or a single
Axes whose area is divided into the grid (then stored as ``bounding_ax_``).

Each Display is defined in a module of its own (``_digit_grid``, ``_training_curves``,
``_mixture_samples``, ``_reliability``, ``_risk_coverage``, ``_prediction_sets``), as in
scikit-learn's ``sklearn/metrics/_plot``; what they share (Axes and panel grids, the checks
of their inputs) is in ``_common``. Import them from here.

matplotlib is imported only when a figure is drawn, and importing this module does not
import TensorFlow. Nothing here calls ``plt.show()``.

See Also
--------
sklearn.metrics.ConfusionMatrixDisplay : The confusion matrix heatmap
    (``ConfusionMatrixDisplay.from_estimator(clf, X, y)`` works with skmnist classifiers).
skmnist.metrics : The numbers behind the reliability and risk-coverage figures.
"""

from ._digit_grid import DigitGridDisplay
from ._mixture_samples import MixtureSamplesDisplay
from ._prediction_sets import PredictionSetDisplay
from ._reliability import ReliabilityDisplay
from ._risk_coverage import RiskCoverageDisplay
from ._training_curves import TrainingCurvesDisplay

__all__ = [
    "DigitGridDisplay",
    "MixtureSamplesDisplay",
    "PredictionSetDisplay",
    "ReliabilityDisplay",
    "RiskCoverageDisplay",
    "TrainingCurvesDisplay",
]
