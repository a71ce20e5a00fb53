"""Data-parallel training under a tf.distribute strategy (``strategy=``).

Logical devices can only be configured before TensorFlow starts, so the multi-device test
runs in a fresh interpreter with the CPU split into two logical devices.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import skmnist
from skmnist import FCNClassifier

PACKAGE_PARENT = os.path.dirname(os.path.dirname(skmnist.__file__))  # the skmnist under test

TWO_CPU_DEVICES = textwrap.dedent(
    """
    import json, pickle
    from skmnist._tf import tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from skmnist import FCNClassifier, MDNClassifier, PixelScaler, load_mnist_sample
    X, y = load_mnist_sample(return_X_y=True)
    Xt, yt = load_mnist_sample("test", return_X_y=True)
    scaler = PixelScaler()
    X, Xt = scaler.fit_transform(X[:2000]), scaler.transform(Xt)
    out = {}
    for cls in (FCNClassifier, MDNClassifier):
        one = cls((64,), epochs=4, random_state=0).fit(X, y[:2000])
        two = cls((64,), epochs=4, random_state=0, strategy="mirrored").fit(X, y[:2000])
        again = pickle.loads(pickle.dumps(two)).set_params(warm_start=True, epochs=1)
        again.fit(X, y[:2000])
        out[cls.__name__] = {
            "replicas": two.model_.distribute_strategy.num_replicas_in_sync,
            "replicas_after_pickle": again.model_.distribute_strategy.num_replicas_in_sync,
            "single": one.score(Xt, yt), "mirrored": two.score(Xt, yt),
        }
    print(json.dumps(out))
    """
)


@pytest.mark.slow
def test_mirrored_training_on_two_devices_matches_one_device():
    done = subprocess.run([sys.executable, "-c", TWO_CPU_DEVICES], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": PACKAGE_PARENT})
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for name, r in results.items():
        assert r["replicas"] == 2, name  # the batch really was split over two devices
        assert r["replicas_after_pickle"] == 2, name  # and training continues there
        # the same data in another reduction order: accuracy within noise of one device
        assert abs(r["mirrored"] - r["single"]) < 0.03, (name, r)
        assert r["mirrored"] > 0.6, (name, r)


def test_strategy_callable_must_return_a_strategy(data):
    X, y, _, _ = data
    with pytest.raises(TypeError, match="tf.distribute.Strategy"):
        FCNClassifier((4,), epochs=1, strategy=lambda: "gpu").fit(X, y)


def test_strategy_must_be_known(data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match="strategy"):
        FCNClassifier((4,), epochs=1, strategy="tpu").fit(X, y)


def test_default_strategy_callable(data):
    """Any tf.distribute strategy, through a callable (clone-safe)."""
    from sklearn.base import clone

    from skmnist._tf import tf

    X, y, X_test, _ = data
    clf = FCNClassifier((8,), epochs=1, random_state=0, strategy=tf.distribute.get_strategy)
    clf = clone(clf).fit(X, y)
    assert clf.predict_proba(X_test).shape == (len(X_test), 10)


def test_strategy_callable_is_called_and_its_scope_used(data):
    """The model is built in the scope of the strategy the callable returns.

    (The default strategy, above, is also what a model built outside any scope gets: a
    callable that was never called would pass there.)
    """
    from sklearn.base import clone

    from skmnist._tf import tf

    X, y, _, _ = data
    made = []

    def one_cpu():  # a function: clone keeps it, and so its record of calls
        made.append(tf.distribute.OneDeviceStrategy("/cpu:0"))
        return made[-1]

    clf = clone(FCNClassifier((8,), epochs=1, random_state=0, strategy=one_cpu)).fit(X, y)
    assert len(made) == 1
    assert clf.model_.distribute_strategy is made[0]
