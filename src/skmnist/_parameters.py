"""The networks' parameters and their defaults, declared once (no TensorFlow import here).

:class:`skmnist.BaseKerasClassifier` generates every network's ``__init__`` from these
declarations; the command line, the study and :func:`skmnist.fcn.make_fcn_model` read their
defaults from here too.
"""

#: The parameters every skmnist network shares, with their defaults, in signature order
#: (``hidden_layer_sizes`` positional, the rest keyword-only).  Declared here only.
SHARED_PARAMETERS = {
    "hidden_layer_sizes": (400, 20),
    "conv_filters": (),
    "kernel_size": 3,
    "pool_size": 2,
    "image_shape": (28, 28),
    "activation": "relu",
    "l2": 0.0,
    "dropout": 0.0,
    "optimizer": "adam",
    "learning_rate": 1e-3,
    "learning_rate_schedule": "cosine",
    "batch_size": 200,
    "epochs": 20,
    "early_stopping": False,
    "validation_fraction": 0.1,
    "n_iter_no_change": 10,
    "class_weight": None,
    "augmentation": None,
    "outlier_exposure": None,
    "warm_start": False,
    "random_state": None,
    "verbose": 0,
    "callbacks": None,
    "steps_per_execution": 32,
    "jit_compile": "auto",
    "strategy": None,
}

#: The mixture density head's own parameters (:class:`skmnist.MDNClassifier`).
MDN_PARAMETERS = {"n_components": 10, "sigma_floor": 1e-2, "objective": "discretized"}

#: Novelty above this flags an input as unlike the digits the model learned (about 1% of
#: ordinary digits score higher; see the user guide's novelty page): the line that
#: ``skmnist predict``, the server and :class:`skmnist.DigitPipeline`'s users draw.
NOVELTY_FLAG = 0.99
