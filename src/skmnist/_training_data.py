"""The training data pipeline: canonical row order, frequency weights, tf.data batches.

:func:`training_rows` decides *which* rows train and in what canonical order (so ``fit``
depends on the multiset of samples, not on the caller's row order); :func:`batches` turns
them into shuffled mini-batches for ``keras.Model.fit``, without copying large data sets into
TensorFlow.
"""

import numpy as np

from ._tf import tf

# Batches the input pipeline prepares ahead of training.
_PREFETCH_BATCHES = 4
# Batches gathered per call of the large-data generator (6,400 MNIST rows, 20 MB, at batch 200).
_GENERATOR_BATCHES = 32
# Seed of the fixed random projection that orders the training rows canonically.
_ORDER_SEED = 0

# Integer sample weights are expanded into repeated rows unless that would grow the
# training set beyond this factor; larger or fractional weights scale the loss instead.
_MAX_REPEAT_FACTOR = 4


def training_rows(X, y, sample_weight):
    """Return the training rows, as indices into ``X`` in a canonical order, and loss weights.

    Sample weights are frequency weights.  Integer weights (the common case: counts, 0 to
    drop a sample) become repeated row indices, so fitting with ``sample_weight=k`` is exactly
    fitting on ``k`` copies; other weights scale each sample's loss, rescaled to mean 1 so
    the effective learning rate does not depend on their overall scale.

    The indices are sorted by a fixed random projection of (features, label).  Mini-batch
    training depends on row order; sorting makes ``fit`` depend only on the *multiset* of
    training samples (and ``random_state``), never on how the caller happened to order them.
    Only indices move: the pixels are never copied for this.
    """
    rows = np.arange(len(X))
    if sample_weight is not None:
        total = float(sample_weight.sum(dtype=np.float64))
        if total <= 0:
            raise ValueError("Sample weights must contain at least one non-zero number.")
        integral = np.all(sample_weight == np.round(sample_weight))
        if integral and total <= _MAX_REPEAT_FACTOR * len(sample_weight):
            rows, sample_weight = np.repeat(rows, sample_weight.astype(np.int64)), None
        else:
            sample_weight = sample_weight * np.float32(len(sample_weight) / total)
    rng = np.random.RandomState(_ORDER_SEED)
    projection = rng.standard_normal((X.shape[1], 2)).astype(np.float32)
    keys = (X @ projection)[rows]
    return rows[np.lexsort((y[rows], keys[:, 1], keys[:, 0]))], sample_weight


# Training sets up to this size are copied into TensorFlow for batching; larger ones are
# batched from the NumPy arrays (see _batches).
_IN_GRAPH_BYTES = 32 * 2**20


def _shared_tensors(arrays):
    """The arrays as TensorFlow tensors, the first (the pixels) sharing its memory through
    DLPack; None when it cannot be shared (it must be aligned, writeable, C-ordered
    float32, as ``skmnist._prediction.as_tensor`` explains).  The others (labels, weights)
    are small and copied."""
    from ._prediction import as_tensor, can_share

    if not can_share(arrays[0]):
        return None
    return [as_tensor(arrays[0]), *(tf.convert_to_tensor(a) for a in arrays[1:])]


def batches(X, y, sample_weight, rows, batch_size, seed, augment=None):
    """A ``tf.data`` pipeline of mini-batches of ``rows``, reshuffled every epoch.

    Small training sets are copied into TensorFlow once and batches gathered there (Keras's
    own array adapter does the same): the fastest path, with no Python per batch.  For large
    ones that copy costs memory (about twice the data at its peak; the performance page of the
    user guide has the numbers).  They are gathered from the NumPy arrays by a generator instead,
    ``_GENERATOR_BATCHES`` batches at a time, in a background thread that ``prefetch`` keeps
    ahead of training.  Either way the shuffling is seeded by ``seed``, so a seeded fit is
    reproducible.

    ``tf.data``'s autotuning is off and the prefetch buffer fixed: with it on, the start of
    many epochs stalled with both cores idle (see the performance page of the user guide);
    the two stages need no tuning.

    ``augment`` (from :func:`skmnist._augmentation.make_augmenter`), when given, distorts
    each batch's pixels as a last stage, with a stateless seed per batch drawn from a
    ``Dataset.random`` stream of ``seed`` that is redrawn every epoch: fresh distortions each
    epoch, the same ones for the same seed, and no copy of the training set.
    """
    arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
    n_batches = -(-len(rows) // batch_size)
    if X.nbytes <= _IN_GRAPH_BYTES:
        tensors = [tf.convert_to_tensor(a) for a in arrays]
        dataset = (
            tf.data.Dataset.from_tensor_slices(rows.astype(np.int64))
            .shuffle(len(rows), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size)
            .map(lambda i: tuple(tf.gather(t, i) for t in tensors))
        )
    else:
        rng = np.random.RandomState(seed)

        chunk = batch_size * _GENERATOR_BATCHES
        shared = _shared_tensors(arrays)

        def order():
            order = rows[rng.permutation(len(rows))]
            for start in range(0, len(order), chunk):
                yield order[start : start + chunk]

        if shared is not None:
            # Only the row indices pass through Python; TensorFlow gathers each batch's
            # pixels from the arrays' own memory (no copy of the training set, no pixel
            # copied under the GIL).  The batches are those of the path below.
            dataset = tf.data.Dataset.from_generator(
                order, output_signature=tf.TensorSpec((None,), tf.int64)
            ).rebatch(batch_size)
            dataset = dataset.map(lambda i: tuple(tf.gather(t, i) for t in shared))
        else:
            signature = tuple(
                tf.TensorSpec((None, *a.shape[1:]), tf.as_dtype(a.dtype)) for a in arrays
            )

            def generate():
                for index in order():
                    yield tuple(a[index] for a in arrays)

            # The generator gathers many batches per call (a call per batch cost ~0.15 s of
            # a 0.85 s MNIST epoch in Python and GIL hand-offs); rebatch cuts them up in C++.
            dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
            dataset = dataset.rebatch(batch_size)
        # The generator's length is unknown to tf.data; Keras needs it for its step loop.
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(n_batches))
    if augment is not None:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip(dataset, seeds).map(
            lambda data, batch_seed: (augment(data[0], batch_seed), *data[1:])
        )
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(_PREFETCH_BATCHES).with_options(options)
