"""Metrics with Keras 3's names and semantics, accumulated over the batches of an epoch.

A `Metric` sees one batch at a time (`update_state`, with the targets as the loss prepared
them) and reports the running mean (`result`). Accuracies count hits with Numba kernels; the
error and cross-entropy metrics average the per-sample values of `builder.losses`.
`get` resolves "accuracy" the way Keras 3's compile step does, from the shapes involved.
"""

from __future__ import annotations

import numpy as np

from kernels import metrics as K

from . import losses
from .errors import ConfigError, DataError
from .losses import (
    as_float_pair,
    binary_crossentropy,
    categorical_crossentropy,
    mean_absolute_error,
    mean_squared_error,
)

# --- Per-sample metric functions (numpy), the Keras functional API ------------------------


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 for every element where (y_pred > threshold) equals y_true, else 0.0."""
    y_true, y_pred = as_float_pair(y_true, y_pred)
    return ((y_pred > threshold).astype(np.float32) == y_true).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float32)


def _sparse_labels(y_true, y_pred):
    labels = np.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    return labels


def sparse_categorical_accuracy(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    labels = _sparse_labels(y_true, y_pred)
    return (labels == np.argmax(y_pred, axis=-1)).astype(np.float32)


def _in_top_k(labels, scores, k):
    target = np.take_along_axis(scores, labels.astype(np.int64)[..., None], axis=-1)
    return ((scores > target).sum(axis=-1) < k).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_pred = np.asarray(y_pred)
    return _in_top_k(np.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_pred = np.asarray(y_pred)
    return _in_top_k(_sparse_labels(y_true, y_pred), y_pred, k)


# --- Metric classes -----------------------------------------------------------------------


def _kernel_array(a):
    return np.ascontiguousarray(a, dtype=np.float32)


class Metric:
    """A running mean over batches: `_batch` returns one batch's (sum, count)."""

    name = "metric"

    def __init__(self, name=None):
        if name is not None:
            self.name = name
        self.reset_state()

    def reset_state(self):
        self._total = 0.0
        self._count = 0

    def update_state(self, y_true, y_pred):
        total, count = self._batch(y_true, y_pred)
        self._total += total
        self._count += count

    def result(self) -> float:
        return self._total / self._count if self._count else 0.0

    def _batch(self, y_true, y_pred) -> tuple[float, int]:
        raise NotImplementedError(f"{type(self).__name__} must implement _batch or update_state")

    def _mismatch(self, y_true, y_pred, expected):
        return DataError(
            f"{self.name}: targets of shape {np.shape(y_true)} do not fit predictions of shape "
            f"{np.shape(y_pred)} ({expected})"
        )

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class BinaryAccuracy(Metric):
    """The fraction of elements where (y_pred > threshold) equals the 0/1 target."""

    name = "binary_accuracy"

    def __init__(self, threshold=0.5, name=None):
        self.threshold = float(threshold)
        super().__init__(name)

    def _batch(self, y_true, y_pred):
        y_true, y_pred = as_float_pair(y_true, y_pred)
        if y_true.shape != y_pred.shape:
            raise self._mismatch(y_true, y_pred, "expected the same shape")
        flat_true, flat_pred = _kernel_array(y_true).reshape(-1), _kernel_array(y_pred).reshape(-1)
        return float(K.binary_accuracy_count(flat_true, flat_pred, self.threshold)), y_pred.size

    def get_config(self):
        return {"name": self.name, "threshold": self.threshold}


class _RowsMetric(Metric):
    """A metric over rows (samples or time steps) of class scores."""

    sparse = False

    def _row_views(self, y_true, y_pred):
        y_pred = _kernel_array(y_pred)
        width = y_pred.shape[-1]
        if self.sparse:
            labels = _sparse_labels(y_true, y_pred)
            if labels.shape != y_pred.shape[:-1]:
                raise self._mismatch(y_true, y_pred, "expected one class id per row")
            return _kernel_array(labels).reshape(-1), y_pred.reshape(-1, width)
        if np.shape(y_true) != y_pred.shape:
            raise self._mismatch(y_true, y_pred, "expected one-hot targets of the same shape")
        return _kernel_array(y_true).reshape(-1, width), y_pred.reshape(-1, width)


class CategoricalAccuracy(_RowsMetric):
    name = "categorical_accuracy"

    def _batch(self, y_true, y_pred):
        t, p = self._row_views(y_true, y_pred)
        return float(K.categorical_accuracy_count(t, p)), p.shape[0]


class SparseCategoricalAccuracy(_RowsMetric):
    name = "sparse_categorical_accuracy"
    sparse = True

    def _batch(self, y_true, y_pred):
        labels, p = self._row_views(y_true, y_pred)
        return float(K.sparse_categorical_accuracy_count(labels, p)), p.shape[0]


class TopKCategoricalAccuracy(_RowsMetric):
    """The fraction of rows whose target class is among the k highest scores."""

    name = "top_k_categorical_accuracy"

    def __init__(self, k=5, name=None):
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ConfigError(f"{type(self).__name__}: invalid k={k!r}: expected an integer >= 1")
        self.k = int(k)
        super().__init__(name)

    def _batch(self, y_true, y_pred):
        t, p = self._row_views(y_true, y_pred)
        if self.sparse:
            if t.size and (t.min() < 0 or t.max() >= p.shape[1]):
                raise DataError(f"{self.name}: class ids must lie in [0, {p.shape[1]})")
            hits = K.sparse_top_k_categorical_accuracy_count(t, p, self.k)
        else:
            hits = K.top_k_categorical_accuracy_count(t, p, self.k)
        return float(hits), p.shape[0]

    def get_config(self):
        return {"name": self.name, "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    name = "sparse_top_k_categorical_accuracy"
    sparse = True


class _MeanOf(Metric):
    """The mean of a per-sample function of `builder.losses` over every sample seen."""

    _function = None

    def _batch(self, y_true, y_pred):
        t, p = as_float_pair(y_true, y_pred)
        if t.shape != p.shape:
            raise self._mismatch(y_true, y_pred, "expected the same shape")
        values = type(self)._function(t, p)
        return float(values.sum(dtype=np.float64)), values.size


class MeanSquaredError(_MeanOf):
    name = "mean_squared_error"
    _function = mean_squared_error


class MeanAbsoluteError(_MeanOf):
    name = "mean_absolute_error"
    _function = mean_absolute_error


class BinaryCrossentropy(_MeanOf):
    name = "binary_crossentropy"
    _function = binary_crossentropy


class CategoricalCrossentropy(_MeanOf):
    name = "categorical_crossentropy"
    _function = categorical_crossentropy


class CustomMetric(Metric):
    """A user function fn(y_true, y_pred) -> scalar per batch, averaged over samples."""

    def __init__(self, name, fn):
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"custom_metric: invalid name={name!r}: expected an identifier")
        if not callable(fn):
            raise ConfigError(f"custom_metric {name!r}: fn must be callable, got {fn!r}")
        self.fn = fn
        super().__init__(name)

    def _batch(self, y_true, y_pred):
        value = float(np.mean(self.fn(y_true, y_pred)))
        samples = len(y_pred)
        return value * samples, samples


def custom_metric(name: str, fn) -> CustomMetric:
    """A metric from fn(y_true, y_pred) -> scalar on numpy arrays of one batch.

    Its result is the mean of the batch values weighted by batch size. It is saved by name
    only: reloading it needs the function again (`deserialize(..., custom_objects=)`).
    """
    return CustomMetric(name, fn)


# --- Lookup and serialization -------------------------------------------------------------

METRIC_CLASSES = {
    cls.__name__: cls
    for cls in (
        BinaryAccuracy,
        CategoricalAccuracy,
        SparseCategoricalAccuracy,
        TopKCategoricalAccuracy,
        SparseTopKCategoricalAccuracy,
        MeanSquaredError,
        MeanAbsoluteError,
        BinaryCrossentropy,
        CategoricalCrossentropy,
    )
}
_BY_NAME = {cls.name: cls for cls in METRIC_CLASSES.values()}
_BY_NAME.update(mse=MeanSquaredError, mae=MeanAbsoluteError)
_BY_FUNCTION = {
    binary_accuracy: BinaryAccuracy,
    categorical_accuracy: CategoricalAccuracy,
    sparse_categorical_accuracy: SparseCategoricalAccuracy,
    top_k_categorical_accuracy: TopKCategoricalAccuracy,
    sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
}
_ACCURACY = ("accuracy", "acc")
METRIC_NAMES = _ACCURACY + tuple(_BY_NAME)


def _loss_name(loss):
    if loss is None or isinstance(loss, losses.Loss):
        return getattr(loss, "name", None)
    try:
        return losses.get(loss).name
    except ConfigError:
        return None


def _accuracy(identifier, loss, y_true_shape, y_pred_shape) -> Metric:
    """Keras 3's choice among binary, sparse categorical and categorical accuracy."""
    if y_pred_shape is None:
        raise ConfigError(
            f"metric {identifier!r} needs the shapes of the targets and predictions to choose "
            "between binary, categorical and sparse categorical accuracy"
        )
    loss_name = _loss_name(loss)
    if y_pred_shape[-1] == 1 or loss_name == "binary_crossentropy":
        return BinaryAccuracy(name=identifier)
    sparse = loss_name == "sparse_categorical_crossentropy" or (
        y_true_shape is not None
        and (
            len(y_true_shape) < len(y_pred_shape)
            or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1)
        )
    )
    if sparse:
        return SparseCategoricalAccuracy(name=identifier)
    return CategoricalAccuracy(name=identifier)


def get(identifier, loss=None, y_true_shape=None, y_pred_shape=None) -> Metric:
    """A Metric from a name, a Metric, one of the metric functions, a custom function or a
    serialized dict. "accuracy"/"acc" depend on the loss and shapes (batch first)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() in _ACCURACY:
            return _accuracy(identifier, loss, y_true_shape, y_pred_shape)
        if identifier in _BY_NAME:
            return _BY_NAME[identifier](name=identifier)
        raise ConfigError(
            f"unknown metric {identifier!r}: expected one of {', '.join(METRIC_NAMES)}, or a "
            "function wrapped with custom_metric(name, fn)"
        )
    if identifier in _BY_FUNCTION:
        return _BY_FUNCTION[identifier]()
    if callable(identifier):
        name = getattr(identifier, "__name__", "")
        if not name.isidentifier():
            raise ConfigError(
                f"metric {identifier!r} has no usable name: wrap it with custom_metric(name, fn)"
            )
        return CustomMetric(name, identifier)
    raise ConfigError(f"invalid metric {identifier!r}: expected one of {', '.join(METRIC_NAMES)}")


def check_identifier(identifier) -> None:
    """Raise ConfigError at compile time for an identifier `get` could never resolve
    ("accuracy" itself waits for the shapes of the data)."""
    if isinstance(identifier, str) and identifier.lower() in _ACCURACY:
        return
    get(identifier)


def serialize(identifier):
    """A JSON-ready form of a compile-time metric identifier.

    Names stay names ("accuracy" is resolved again from the data's shapes), built-in metric
    functions become their names, Metric instances become class and settings, and custom
    metrics keep only their name.
    """
    if isinstance(identifier, str):
        check_identifier(identifier)
        return identifier
    if isinstance(identifier, dict):
        return identifier
    metric = get(identifier)
    if identifier in _BY_FUNCTION:
        return metric.name
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def _saved_by_name(name) -> ConfigError:
    return ConfigError(
        f"metric {name!r} is not built in: a custom metric is saved by name only; pass its "
        f"function as custom_objects={{{name!r}: fn}} to reload it"
    )


def deserialize(config, custom_objects: dict | None = None):
    """The identifier `serialize` described: a name (checked) or a Metric. Custom metrics
    need their function (or Metric class) in `custom_objects`, under the metric's name (or
    class name)."""
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        if config in custom_objects:
            return get(custom_objects[config])
        if config.lower() not in _ACCURACY and config not in _BY_NAME:
            raise _saved_by_name(config)
        return config
    class_name = config.get("class_name") if isinstance(config, dict) else None
    settings = config.get("config", {}) if isinstance(config, dict) else None
    if not isinstance(class_name, str) or not isinstance(settings, dict):
        raise ConfigError(f"cannot rebuild metric {config!r}: expected a name or "
                          "{'class_name': ..., 'config': {...}}")
    settings = dict(settings)
    if class_name == "CustomMetric":
        name = settings.get("name")
        if not isinstance(name, str) or name not in custom_objects:
            raise _saved_by_name(name)
        found = custom_objects[name]
        return found if isinstance(found, Metric) else CustomMetric(name, found)
    cls = METRIC_CLASSES.get(class_name) or custom_objects.get(class_name)
    if cls is None:
        raise ConfigError(
            f"cannot rebuild metric {class_name!r}: not a built-in metric; pass its class in "
            "custom_objects to reload a custom metric"
        )
    try:
        return cls.from_config(settings)
    except TypeError as exc:
        raise ConfigError(f"cannot rebuild metric {class_name}: {exc}") from exc
