"""The Keras callbacks every fit installs: divergence detection and the cosine schedule."""

import math

import numpy as np

from ._tf import keras


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop training at the first batch whose loss is NaN or infinite and remember where."""

    def __init__(self):
        super().__init__()
        self.diverged_at = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            # With steps_per_execution > 1 Keras reports the last step of the execution,
            # which may lie past the epoch's end: clamp it to the epoch's last batch.
            steps = self.params.get("steps") if self.params else None
            self.diverged_at = (self._epoch, batch if not steps else min(batch, steps - 1))
            self.model.stop_training = True

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch


class CosineDecay(keras.callbacks.Callback):
    """Cosine decay of the learning rate over the epochs of one fit call, set per epoch.

    Epoch ``e`` of ``n`` trains at ``base * (1 + cos(pi * e / n)) / 2``: the full rate first,
    a small one last.  The rate is set back to ``base`` when training ends, so a later
    ``fit`` with ``warm_start`` (or ``partial_fit``, one epoch: the full rate) starts from it.
    """

    def __init__(self, base, epochs):
        super().__init__()
        self.base, self.epochs = float(base), int(epochs)

    def on_epoch_begin(self, epoch, logs=None):
        factor = 0.5 * (1.0 + math.cos(math.pi * epoch / self.epochs))
        self.model.optimizer.learning_rate.assign(self.base * factor)

    def on_train_end(self, logs=None):
        self.model.optimizer.learning_rate.assign(self.base)


class LastEpochState(keras.callbacks.Callback):
    """Remember the state after the last completed epoch, to go back to if training stops.

    Keeps a copy of the model's and the optimizer's variables as training began and after
    every completed epoch (a few MB for MNIST networks, copied once per epoch), and the logs
    of the completed epochs.  :meth:`restore` puts the model back to that state: what an
    interrupted ``fit`` keeps (see ``BaseKerasClassifier._fit``).
    """

    def __init__(self):
        super().__init__()
        self.logs = {}
        self.completed = 0
        self._state = None

    def _save(self):
        optimizer = self.model.optimizer
        self._state = (
            [v.numpy() for v in self.model.variables],
            [v.numpy() for v in optimizer.variables] if optimizer is not None else [],
        )

    def on_train_begin(self, logs=None):
        self._save()

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.logs.setdefault(key, []).append(value)
        self.completed += 1
        self._save()

    def restore(self):
        """Set the model's (and its optimizer's) variables back to the last saved state."""
        if self._state is None:
            return
        weights, optimizer_state = self._state
        for variable, value in zip(self.model.variables, weights):
            variable.assign(value)
        optimizer = self.model.optimizer
        if optimizer is not None and len(optimizer.variables) == len(optimizer_state):
            for variable, value in zip(optimizer.variables, optimizer_state):
                variable.assign(value)
