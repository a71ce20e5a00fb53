"""Quickstart: a Pipeline tuned by GridSearchCV and persisted with joblib (embedded sample).

    python examples/quickstart.py
"""

import os
import tempfile

import joblib
from sklearn.metrics import classification_report
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skmnist import FCNClassifier, PixelScaler, load_mnist_sample

X_train, y_train = load_mnist_sample("train", return_X_y=True)
X_test, y_test = load_mnist_sample("test", return_X_y=True)

pipe = make_pipeline(PixelScaler(), FCNClassifier(epochs=10, random_state=0))
search = GridSearchCV(
    pipe,
    {"fcnclassifier__l2": [0.0, 1e-4], "fcnclassifier__learning_rate": [1e-3, 3e-3]},
    cv=3,
    n_jobs=2,
)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"cross-validated accuracy: {search.best_score_:.4f}")
print(classification_report(y_test, search.predict(X_test), digits=4))

path = os.path.join(tempfile.mkdtemp(), "digits.joblib")
joblib.dump(search.best_estimator_, path)  # the Keras model travels inside the pickle
model = joblib.load(path)
print("reloaded model, first test probabilities:", model.predict_proba(X_test[:1]).round(3))
