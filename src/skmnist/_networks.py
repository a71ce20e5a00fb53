"""The networks that the command line, the study and the skops loader know, by name.

One entry per network: ``skmnist run --model`` offers its name, the study builds it from its
settings (:func:`skmnist.study.run_study`'s ``model``), and :func:`skmnist.persistence.load`
trusts its class. Adding a network to all three is one entry in :data:`NETWORKS`.

The classes are named by their import path and imported only when asked for
(:meth:`Network.estimator_class`), so reading the registry imports no estimator module (nor
TensorFlow): ``skmnist run --help`` stays fast.
"""

import importlib
from dataclasses import dataclass

__all__ = ["NETWORKS", "Network"]


@dataclass(frozen=True)
class Network:
    """A network the command line and the study know by name.

    Attributes
    ----------
    name : str
        The name on the command line (``--model``) and in the study (``model=``).
    label : str
        How the study's progress lines and the report name it.
    description : str
        What it is, in a few words, for the command line's help.
    estimator : str
        The import path of its estimator class, ``"module.Class"``.
    settings : tuple of str
        The study settings passed to the estimator besides the shared ones (``epochs``,
        ``batch_size``, ...), under the same names.
    """

    name: str
    label: str
    description: str
    estimator: str
    settings: tuple = ("l2",)

    def estimator_class(self):
        """The estimator class, imported on first use."""
        module, _, name = self.estimator.rpartition(".")
        return getattr(importlib.import_module(module), name)


#: The networks by name, in the order the command line lists them (the first is the default).
NETWORKS = {
    network.name: network
    for network in (
        Network("fcn", "FCN", "softmax", "skmnist.fcn.FCNClassifier"),
        Network(
            "mdn", "MDN", "mixture density", "skmnist.mdn.MDNClassifier",
            settings=("l2", "n_components"),
        ),
    )
}
