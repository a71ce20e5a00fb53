"""Every private skmnist name the test suite uses, imported in this one place.

The tests speak through the public API wherever a behaviour is observable there.  What must
test an internal (the mixture head's numerics, the data pipeline's canonical order and
batching, the pickled state's layout, memory alignment, the novelty model, the framing
numerics, TensorFlow's graph registry and thread pools) imports it from here, so that a
change of the package's internal layout is one edit in this file rather than a collection
error in every test module.  Test modules import it as ``from _internals import ...``
(``tests/`` is on ``sys.path`` under pytest's default import mode).

Code that runs in another interpreter (``run_python`` sources, Dask workers) cannot import
this module and names what it needs itself.
"""

from skmnist import _base as base
from skmnist import _fitted as fitted
from skmnist import _training_data as training_data
from skmnist._augmentation import STANDARD_AUGMENTATION, make_augmenter, resolve_augmentation
from skmnist._conformal import ConformalMixin, conformal_quantile
from skmnist._framing import (
    CENTRE,
    STATISTICS,
    FramingError,
    frame_image,
    frame_images,
    otsu_threshold,
    read_image,
    skew,
)
from skmnist._image_novelty import ImageNovelty
from skmnist._memory import aligned_empty, is_aligned
from skmnist._mixture import (
    DiscretizedMixtureNLL,
    MixtureAccuracy,
    MixtureDensityNLL,
    MixtureHeadKernel,
    build_mixture_head,
    class_log_proba,
    density_log_prob,
    initial_head_bias,
    label_log_proba,
    mixture_moments,
    sample_mixture,
    split_head,
)
from skmnist._networks import NETWORKS
from skmnist._novelty import MIN_ROWS, EntropyNovelty, NoveltyModel
from skmnist._outlier_exposure import make_outliers
from skmnist._outlier_exposure_loss import OutlierExposureLoss
from skmnist._parameters import SHARED_PARAMETERS
from skmnist._prediction import as_tensor
from skmnist._predictor import OUTPUTS, Predictor
from skmnist._tf import keras, tf, tfd, thread_pool_size
from skmnist._tracing import _registry as gradient_registry
from skmnist._training_data import training_rows
from skmnist.serve._batching import Batcher
from skmnist.serve._decode import Batch, RequestError, decode_image
from skmnist.study import _STEP_REGISTRY as STEP_REGISTRY
from skmnist.study import _Context as StudyContext
from skmnist.study import _independent_fits as independent_fits
from skmnist.study import _novelty_problem as novelty_problem

__all__ = [
    "OUTPUTS",
    "Predictor",
    "Batch",
    "Batcher",
    "ConformalMixin",
    "conformal_quantile",
    "CENTRE",
    "MIN_ROWS",
    "NETWORKS",
    "SHARED_PARAMETERS",
    "STATISTICS",
    "STANDARD_AUGMENTATION",
    "DiscretizedMixtureNLL",
    "EntropyNovelty",
    "RequestError",
    "FramingError",
    "ImageNovelty",
    "MixtureAccuracy",
    "MixtureDensityNLL",
    "MixtureHeadKernel",
    "NoveltyModel",
    "OutlierExposureLoss",
    "aligned_empty",
    "as_tensor",
    "base",
    "fitted",
    "build_mixture_head",
    "class_log_proba",
    "decode_image",
    "density_log_prob",
    "frame_image",
    "frame_images",
    "read_image",
    "gradient_registry",
    "initial_head_bias",
    "is_aligned",
    "keras",
    "label_log_proba",
    "make_augmenter",
    "make_outliers",
    "mixture_moments",
    "otsu_threshold",
    "resolve_augmentation",
    "sample_mixture",
    "skew",
    "split_head",
    "STEP_REGISTRY",
    "StudyContext",
    "independent_fits",
    "novelty_problem",
    "tf",
    "tfd",
    "thread_pool_size",
    "training_data",
    "training_rows",
]
