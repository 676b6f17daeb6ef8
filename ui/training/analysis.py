"""What the results view shows, computed in the worker from the trained model's predictions
(pure numpy: the GUI thread only draws the arrays it is handed)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CLASSIFIER_LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy")
WORST_COUNT = 8


@dataclass
class RunResults:
    """The final logs, and for classifiers a confusion matrix and the worst-predicted samples
    (index, true, predicted, probability of the true class); for regression, predicted against
    true values of the first output."""

    source: str
    logs: dict = field(default_factory=dict)
    class_names: list[str] = field(default_factory=list)
    confusion: np.ndarray | None = None
    worst: list[tuple[int, str, str, float]] = field(default_factory=list)
    true_values: np.ndarray | None = None
    predicted_values: np.ndarray | None = None


def class_names(dataset, count: int) -> list[str]:
    if dataset.class_labels:
        names = {index: str(label) for label, index in dataset.class_labels.items()}
        return [names.get(i, str(i)) for i in range(count)]
    return [str(i) for i in range(count)]


def true_classes(y: np.ndarray) -> np.ndarray:
    """Class indices from integer labels, one-hot rows, or 0/1 floats."""
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] > 1:
        return y.reshape(len(y), -1).argmax(axis=1)
    return np.rint(y.reshape(len(y))).astype(np.int64)


def analyse(loss: str, dataset, predictions: np.ndarray, logs: dict, source: str) -> RunResults:
    results = RunResults(source=source, logs=dict(logs))
    if dataset.y is None:
        return results
    scores = predictions.reshape(len(predictions), -1)
    if loss in CLASSIFIER_LOSSES:
        binary = scores.shape[1] == 1
        count = 2 if binary else scores.shape[1]
        probabilities = np.hstack([1.0 - scores, scores]) if binary else scores
        truth = np.clip(true_classes(dataset.y), 0, count - 1)
        predicted = probabilities.argmax(axis=1)
        matrix = np.zeros((count, count), dtype=np.int64)
        np.add.at(matrix, (truth, predicted), 1)
        results.class_names = class_names(dataset, count)
        results.confusion = matrix
        p_true = probabilities[np.arange(len(truth)), truth]
        names = results.class_names
        results.worst = [(int(i), names[truth[i]], names[predicted[i]], float(p_true[i]))
                         for i in np.argsort(p_true, kind="stable")[:WORST_COUNT]]
    else:
        results.true_values = np.asarray(dataset.y, dtype=np.float32).reshape(len(scores), -1)[:, 0].copy()
        results.predicted_values = scores[:, 0].astype(np.float32, copy=True)
    return results
