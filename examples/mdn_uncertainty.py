"""The mixture density network: probabilities, samples and uncertainty (embedded sample).

    python examples/mdn_uncertainty.py
"""

import numpy as np

from skmnist import MDNClassifier, PixelScaler, load_mnist_sample

X_train, y_train = load_mnist_sample("train", return_X_y=True)
X_test, y_test = load_mnist_sample("test", return_X_y=True)
scaler = PixelScaler()
Z_train, Z_test = scaler.fit_transform(X_train), scaler.transform(X_test)

mdn = MDNClassifier(n_components=10, epochs=15, random_state=0).fit(Z_train, y_train)
print(f"test accuracy: {mdn.score(Z_test, y_test):.4f}")

u = mdn.predict_uncertainty(Z_test)
order = np.argsort(u.entropy)
print("most certain test digits:  ", y_test[order[:10]])
print("least certain test digits: ", y_test[order[-10:]])
print("their predictions:         ", mdn.predict(Z_test[order[-10:]]))

i = order[-1]
params = mdn.mixture_params(Z_test[i : i + 1])
print(f"\nmost uncertain digit (label {y_test[i]}): mixture")
for w, m, s in zip(params.weights[0], params.means[0], params.scales[0]):
    print(f"  weight {w:.3f}  mean {m:6.2f}  sd {s:.2f}")
draws = mdn.sample(Z_test[i : i + 1], n_samples=2000, random_state=0)[0]
counts, edges = np.histogram(draws, bins=np.arange(-0.5, 10.5))
print("histogram of 2000 samples over the digit value:", counts)
