"""Loss functions with Keras 3's names, numerics and reduction.

A `Loss` answers three questions: its value on a batch (`loss(y_true, y_pred)`, the mean of
the per-sample losses, Keras's "sum_over_batch_size"), the value and gradient the training
loop needs (`value_and_grad`, one Numba kernel writing into a buffer the model owns), and how
user targets become the float32 array the kernels read (`prepare_targets`, which turns every
mismatch into a DataError naming it).

The module-level functions (`categorical_crossentropy(y_true, y_pred)`, ...) return
per-sample losses in numpy, like `keras.losses.*`; `get` accepts them as identifiers.
A custom loss subclasses `Loss` and implements `call` (per-sample losses) and `gradient`.
"""

from __future__ import annotations

import numpy as np

from kernels import losses as K

from .errors import ConfigError, DataError
from .layers.base import format_shape, snake_case

EPSILON = np.float32(K.EPSILON)


# --- Per-sample losses (numpy, float32), the Keras functional API -------------------------


def as_float_pair(y_true, y_pred):
    """float32 arrays of equal rank, squeezing or expanding a trailing 1 as Keras does."""
    y_pred = np.asarray(y_pred, dtype=np.float32)
    y_true = np.asarray(y_true, dtype=np.float32)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0] if y_pred.ndim != 1 else y_true
        y_pred = y_pred[:, None] if y_pred.ndim == 1 else y_pred
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_pred = y_pred[..., 0] if y_true.ndim != 1 else y_pred
        y_true = y_true[:, None] if y_true.ndim == 1 else y_true
    return y_true, y_pred


def _log_probabilities(y_pred, from_logits):
    if from_logits:
        shifted = y_pred - y_pred.max(axis=-1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    q = y_pred / y_pred.sum(axis=-1, keepdims=True)
    return np.log(np.clip(q, EPSILON, np.float32(1) - EPSILON))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    y_true, y_pred = as_float_pair(y_true, y_pred)
    if label_smoothing:
        spread = np.float32(label_smoothing / y_true.shape[-1])
        y_true = y_true * np.float32(1 - label_smoothing) + spread
    return -(y_true * _log_probabilities(y_pred, from_logits)).sum(axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    y_pred = np.asarray(y_pred, dtype=np.float32)
    labels = np.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    log_p = _log_probabilities(y_pred, from_logits)
    return -np.take_along_axis(log_p, labels.astype(np.int64)[..., None], axis=-1)[..., 0]


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    y_true, y_pred = as_float_pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * np.float32(1 - label_smoothing) + np.float32(0.5 * label_smoothing)
    if from_logits:
        bce = np.maximum(y_pred, 0) - y_pred * y_true + np.log1p(np.exp(-np.abs(y_pred)))
    else:
        p = np.clip(y_pred, EPSILON, np.float32(1) - EPSILON)
        bce = -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
    return bce.mean(axis=-1)


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = as_float_pair(y_true, y_pred)
    return np.square(y_true - y_pred).mean(axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = as_float_pair(y_true, y_pred)
    return np.abs(y_true - y_pred).mean(axis=-1)


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = as_float_pair(y_true, y_pred)
    error = y_pred - y_true
    delta = np.float32(delta)
    quadratic = np.float32(0.5) * np.square(error)
    linear = delta * np.abs(error) - np.float32(0.5) * delta * delta
    return np.where(np.abs(error) <= delta, quadratic, linear).mean(axis=-1)


def kl_divergence(y_true, y_pred):
    y_true, y_pred = as_float_pair(y_true, y_pred)
    t = np.clip(y_true, EPSILON, 1)
    p = np.clip(y_pred, EPSILON, 1)
    return (t * np.log(t / p)).sum(axis=-1)


def hinge(y_true, y_pred):
    y_true, y_pred = as_float_pair(y_true, y_pred)
    if np.all((y_true == 0) | (y_true == 1)):
        y_true = 2 * y_true - 1
    return np.maximum(1 - y_true * y_pred, 0).mean(axis=-1)


def poisson(y_true, y_pred):
    y_true, y_pred = as_float_pair(y_true, y_pred)
    return (y_pred - y_true * np.log(y_pred + EPSILON)).mean(axis=-1)


# --- Target preparation -------------------------------------------------------------------


def _numeric_targets(y, name, source) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise DataError(f"{name}: {source} must hold numbers, got values of type {y.dtype}")
    if y.ndim == 0 or y.size == 0:
        raise DataError(f"{name}: {source} is empty or a scalar (shape {y.shape})")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise DataError(f"{name}: {source} contains NaN or infinite values")
    return y


def _check_inner_dims(y, expected, name, source, output_shape):
    """Every dim after the batch must match `expected` (None matches anything)."""
    for got, want in zip(y.shape[1:], expected):
        if want is not None and got != want:
            raise DataError(
                f"{name}: {source} has shape {y.shape} but the model's output is "
                f"{format_shape(output_shape)}"
            )


def _looks_like_class_ids(y) -> bool:
    return y.dtype.kind in "iub" or bool(np.all(y == np.round(y)))


# --- Loss classes -------------------------------------------------------------------------


class Loss:
    """Base of every loss. Subclass it for a custom loss and implement:

    - `call(y_true, y_pred)`: numpy per-sample losses (the mean over the last axis, or any
      reduction of it), shape y_pred.shape[:-1];
    - `gradient(y_true, y_pred)`: d call(...)[i] / d y_pred[i], shape y_pred.shape; the
      batch-mean's gradient is this divided by the number of per-sample losses.
    """

    name = "loss"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = snake_case(cls.__name__)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def gradient(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement gradient(y_true, y_pred)")

    def __call__(self, y_true, y_pred) -> float:
        return float(np.mean(self.call(y_true, y_pred), dtype=np.float64))

    def value_and_grad(self, y_true, y_pred, grad) -> float:
        """The batch-mean loss; writes its gradient with respect to y_pred into `grad`."""
        values = np.asarray(self.call(y_true, y_pred))
        grad[...] = np.asarray(self.gradient(y_true, y_pred)) / values.size
        return float(np.mean(values, dtype=np.float64))

    def prepare_targets(self, y, output_shape, source="y") -> np.ndarray:
        """`y` as a float32 C-contiguous array shaped like the model's output (batch first).

        A target missing only a trailing axis of size 1 gains it, as Keras expands it.
        """
        y = _numeric_targets(y, self.name, source)
        if y.ndim == len(output_shape) - 1 and output_shape[-1] == 1:
            y = y[..., None]
        if y.ndim != len(output_shape):
            raise DataError(
                f"{self.name}: {source} has {y.ndim} dims (shape {y.shape}) but the model's "
                f"output {format_shape(output_shape)} has {len(output_shape)}"
            )
        _check_inner_dims(y, output_shape[1:], self.name, source, output_shape)
        return np.ascontiguousarray(y, dtype=np.float32)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _flat(a):
    return a.reshape(-1)


def _rows(a, width):
    return a.reshape(-1, width)


def _checked_grad(grad, y_true, y_pred, sparse=False):
    """`grad`, once it is sure the kernel can write through it and reads only what exists.

    The kernels index without bounds checks, so the sizes are checked here (cheaply).
    """
    if grad.shape != y_pred.shape or not grad.flags.c_contiguous or grad.dtype != np.float32:
        raise ValueError(
            f"grad must be a float32 C-contiguous buffer of shape {y_pred.shape}, "
            f"got {grad.dtype} {grad.shape}"
        )
    expected = y_pred.size // y_pred.shape[-1] if sparse else y_pred.size
    if y_true.size != expected:
        raise ValueError(
            f"prepared targets of shape {y_true.shape} do not fit predictions of shape "
            f"{y_pred.shape}: pass them through prepare_targets first"
        )
    return grad


def _check_smoothing(cls_name, label_smoothing):
    if not 0.0 <= label_smoothing <= 1.0:
        raise ConfigError(
            f"{cls_name}: invalid label_smoothing={label_smoothing!r}: expected a value in [0, 1]"
        )
    return float(label_smoothing)


class _OneHotWidth:
    """Mixin for losses over class distributions: explains targets of the wrong width."""

    def prepare_targets(self, y, output_shape, source="y"):
        y = _numeric_targets(y, self.name, source)
        units, rank = output_shape[-1], len(output_shape)
        missing_axis = y.ndim == rank - 1 and units != 1
        if units is not None and (missing_axis or (y.ndim == rank and y.shape[-1] != units)):
            hint = f"one-hot encode the targets to width {units}"
            if (missing_axis or y.shape[-1] == 1) and _looks_like_class_ids(y):
                hint = f"they look like class ids: use sparse_categorical_crossentropy, or {hint}"
            raise DataError(
                f"{self.name}: {source} has shape {y.shape} but the model outputs {units} "
                f"units per sample: {hint}"
            )
        return super().prepare_targets(y, output_shape, source)


class CategoricalCrossentropy(_OneHotWidth, Loss):
    """Cross-entropy between one-hot (or soft) targets and class probabilities or logits."""

    name = "categorical_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing(type(self).__name__, label_smoothing)

    def call(self, y_true, y_pred):
        return categorical_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing)

    def value_and_grad(self, y_true, y_pred, grad):
        width = y_pred.shape[-1]
        kernel = (
            K.categorical_crossentropy_logits if self.from_logits else K.categorical_crossentropy
        )
        g = _rows(_checked_grad(grad, y_true, y_pred), width)
        return float(kernel(_rows(y_true, width), _rows(y_pred, width), self.label_smoothing, g))

    def get_config(self):
        return {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy with targets given as integer class ids."""

    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        return sparse_categorical_crossentropy(y_true, y_pred, self.from_logits)

    def value_and_grad(self, y_true, y_pred, grad):
        width = y_pred.shape[-1]
        kernel = (
            K.sparse_categorical_crossentropy_logits
            if self.from_logits
            else K.sparse_categorical_crossentropy
        )
        g = _rows(_checked_grad(grad, y_true, y_pred, sparse=True), width)
        return float(kernel(_flat(y_true), _rows(y_pred, width), g))

    def prepare_targets(self, y, output_shape, source="y"):
        """Class ids shaped like the output without its class axis; (n, 1) becomes (n,)."""
        y = _numeric_targets(y, self.name, source)
        classes = output_shape[-1]
        if y.ndim == len(output_shape) and y.shape[-1] == 1:
            y = y[..., 0]
        if y.ndim != len(output_shape) - 1:
            hint = ""
            if y.ndim == len(output_shape):
                hint = ": it looks one-hot; use categorical_crossentropy for one-hot targets"
            raise DataError(
                f"{self.name}: {source} has shape {y.shape} but integer class ids of shape "
                f"(n{', ...' if len(output_shape) > 2 else ''}) or (n, 1) are expected for "
                f"the output {format_shape(output_shape)}{hint}"
            )
        _check_inner_dims(y, output_shape[1:-1], self.name, source, output_shape)
        if not _looks_like_class_ids(y):
            bad = y[y != np.round(y)].flat[0].item()
            raise DataError(f"{self.name}: {source} must hold integer class ids, found {bad!r}")
        low, high = y.min().item(), y.max().item()
        if classes is not None and (low < 0 or high >= classes):
            bad = low if low < 0 else high
            raise DataError(
                f"{self.name}: {source} holds class id {bad!r}, outside [0, {classes}) for a "
                f"model with {classes} output units"
            )
        return np.ascontiguousarray(y, dtype=np.float32)

    def get_config(self):
        return {"from_logits": self.from_logits}


class BinaryCrossentropy(Loss):
    """Cross-entropy of independent 0/1 targets, averaged over the last axis."""

    name = "binary_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing(type(self).__name__, label_smoothing)

    def call(self, y_true, y_pred):
        return binary_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing)

    def value_and_grad(self, y_true, y_pred, grad):
        kernel = K.binary_crossentropy_logits if self.from_logits else K.binary_crossentropy
        g = _flat(_checked_grad(grad, y_true, y_pred))
        return float(kernel(_flat(y_true), _flat(y_pred), self.label_smoothing, g))

    def get_config(self):
        return {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


class _ElementwiseLoss(Loss):
    """A loss whose batch mean is the mean of one kernel over every element."""

    _function = None
    _kernel = None

    def call(self, y_true, y_pred):
        return type(self)._function(y_true, y_pred)

    def value_and_grad(self, y_true, y_pred, grad):
        g = _flat(_checked_grad(grad, y_true, y_pred))
        return float(type(self)._kernel(_flat(y_true), _flat(y_pred), g))


class MeanSquaredError(_ElementwiseLoss):
    name = "mean_squared_error"
    _function = mean_squared_error
    _kernel = K.mean_squared_error


class MeanAbsoluteError(_ElementwiseLoss):
    name = "mean_absolute_error"
    _function = mean_absolute_error
    _kernel = K.mean_absolute_error


class Hinge(_ElementwiseLoss):
    """Hinge loss for labels in {-1, 1}; a batch of {0, 1} labels is mapped onto them."""

    name = "hinge"
    _function = hinge
    _kernel = K.hinge


class Poisson(_ElementwiseLoss):
    name = "poisson"
    _function = poisson
    _kernel = K.poisson


class Huber(Loss):
    """Quadratic for errors up to `delta`, linear beyond."""

    name = "huber"

    def __init__(self, delta=1.0):
        if not delta > 0:
            raise ConfigError(f"Huber: invalid delta={delta!r}: expected a value > 0")
        self.delta = float(delta)

    def call(self, y_true, y_pred):
        return huber(y_true, y_pred, self.delta)

    def value_and_grad(self, y_true, y_pred, grad):
        g = _flat(_checked_grad(grad, y_true, y_pred))
        return float(K.huber(_flat(y_true), _flat(y_pred), self.delta, g))

    def get_config(self):
        return {"delta": self.delta}


class KLDivergence(_OneHotWidth, Loss):
    """Kullback-Leibler divergence of predicted from target distributions (last axis)."""

    name = "kl_divergence"

    def call(self, y_true, y_pred):
        return kl_divergence(y_true, y_pred)

    def value_and_grad(self, y_true, y_pred, grad):
        width = y_pred.shape[-1]
        g = _rows(_checked_grad(grad, y_true, y_pred), width)
        return float(K.kl_divergence(_rows(y_true, width), _rows(y_pred, width), g))


# --- Lookup and serialization -------------------------------------------------------------

LOSS_CLASSES = {
    cls.__name__: cls
    for cls in (
        CategoricalCrossentropy,
        SparseCategoricalCrossentropy,
        BinaryCrossentropy,
        MeanSquaredError,
        MeanAbsoluteError,
        Huber,
        KLDivergence,
        Hinge,
        Poisson,
    )
}
_BY_NAME = {cls.name: cls for cls in LOSS_CLASSES.values()}
_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "MSE": "mean_squared_error",
    "MAE": "mean_absolute_error",
    "KLD": "kl_divergence",
}
LOSS_NAMES = tuple(_BY_NAME) + tuple(_ALIASES)
_BY_FUNCTION = {
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    huber: Huber,
    kl_divergence: KLDivergence,
    hinge: Hinge,
    poisson: Poisson,
}


def get(identifier) -> Loss:
    """A Loss from a name ("mse"), a Loss instance or class, one of this module's functions,
    or a serialized dict."""
    if isinstance(identifier, Loss):
        _require_gradient(type(identifier))
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        _require_gradient(identifier)
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name in _BY_NAME:
            return _BY_NAME[name]()
        raise ConfigError(f"unknown loss {identifier!r}: expected one of {', '.join(LOSS_NAMES)}")
    if identifier in _BY_FUNCTION:
        return _BY_FUNCTION[identifier]()
    if callable(identifier):
        raise ConfigError(
            f"loss {getattr(identifier, '__name__', identifier)!r}: a custom loss needs its "
            "gradient: subclass builder.losses.Loss and implement call(y_true, y_pred) "
            "(per-sample losses) and gradient(y_true, y_pred)"
        )
    raise ConfigError(f"invalid loss {identifier!r}: expected one of {', '.join(LOSS_NAMES)}")


def _require_gradient(cls):
    """A loss trains through its own value_and_grad or through call and gradient."""
    has_numpy_gradient = cls.call is not Loss.call and cls.gradient is not Loss.gradient
    if cls.value_and_grad is Loss.value_and_grad and not has_numpy_gradient:
        raise ConfigError(
            f"loss {cls.__name__}: a custom Loss must implement both call(y_true, y_pred) and "
            "gradient(y_true, y_pred)"
        )


def serialize(loss: Loss) -> dict:
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> Loss:
    """The Loss `serialize` described; custom classes come from `custom_objects`."""
    classes = {**LOSS_CLASSES, **(custom_objects or {})}
    class_name = config.get("class_name") if isinstance(config, dict) else None
    if not isinstance(class_name, str) or class_name not in classes:
        raise ConfigError(
            f"cannot rebuild loss {class_name!r}: not a built-in loss; pass its class in "
            "custom_objects to reload a custom loss"
        )
    settings = config.get("config", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"cannot rebuild loss {class_name}: its config must be a mapping, got {settings!r}")
    try:
        return classes[class_name].from_config(dict(settings))
    except TypeError as exc:
        raise ConfigError(f"cannot rebuild loss {class_name}: {exc}") from exc
