"""The training loop: a plain function driven by callbacks, knowing nothing of threads.

`fit` checks the data against the model once, then runs batches through forward, loss,
metrics, backward and one optimizer kernel over the flat parameters. `model.stop_training`
is checked after every batch, so a caller (the studio's Stop button) ends a run within one.
A model compiled for device="cuda" runs the same loop with its batches handed to a device
session (builder/cuda); the CPU path is chosen once per call and is unchanged.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import metrics as metrics_module
from .callbacks import CallbackList, History
from .errors import DataError, SeqStudioError
from .progress import Progbar, ProgbarLogger
from .random import global_rng
from .threads import compute_lock, limit_in_kernel_blas


# -- data checks ---------------------------------------------------------------------------
def as_input_array(x, name: str = "x") -> np.ndarray:
    """x as a float32 C-contiguous array, or a DataError naming what is wrong with it."""
    try:
        array = np.asarray(x)
    except (ValueError, TypeError) as err:
        raise DataError(f"{name} cannot be read as an array: {err}") from None
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise DataError(f"{name} must be numeric, got an array of {array.dtype}")
    if array.ndim == 0:
        raise DataError(f"{name} must have a batch dimension, got a scalar")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        row = int(np.argwhere(~np.isfinite(array.reshape(len(array), -1)))[0][0])
        raise DataError(f"{name} contains NaN or infinite values (first at sample {row}); SeqStudio never trains on them")
    return array


def _prepare(model, x, y=None, name: str = "x"):
    """Build the model for x if needed and check x (and y) against it; returns arrays."""
    limit_in_kernel_blas()
    x = as_input_array(x, name)
    if model.input_shape is None:
        model.build((None, *x.shape[1:]))
    else:
        model.build()
    expected = model.input_shape
    if x.ndim == 1 and len(expected) == 2 and expected[1] == 1:
        x = x.reshape(-1, 1)
    if tuple(x.shape[1:]) != tuple(expected[1:]):
        raise DataError(
            f"{name} has samples of shape {tuple(x.shape[1:])} but the model expects {tuple(expected[1:])} "
            f"(input shape {_shape_text(expected)})"
        )
    if y is None:
        return x, None
    if model.loss is None:
        raise SeqStudioError("the model is not compiled: call compile(optimizer, loss) first")
    y_name = "y" if name == "x" else name.replace("x", "y", 1)
    y = model.loss.prepare_targets(np.asarray(y), model.output_shape, source=y_name)
    if len(y) != len(x):
        raise DataError(f"{name} has {len(x)} samples but {y_name} has {len(y)}")
    return x, y


def _shape_text(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _batch_size(model, batch_size, n: int) -> int:
    fixed = model.input_shape[0]
    if fixed is not None:
        if batch_size is not None and batch_size != fixed:
            raise DataError(f"batch_size={batch_size} differs from the model's fixed batch size {fixed}")
        if n % fixed:
            raise DataError(
                f"the model has a fixed batch size of {fixed} (stateful layers need whole batches), "
                f"but the data has {n} samples, not a multiple of {fixed}"
            )
        return fixed
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise DataError(f"invalid batch_size={batch_size!r}: expected a positive integer")
    return int(batch_size)


# -- one batch -------------------------------------------------------------------------------
class _Run:
    """What one fit/evaluate call reuses across batches: metrics, buffers, running means."""

    def __init__(self, model, y_shape):
        self.model = model
        self.metrics = resolved_metrics(model, y_shape)
        self.grad_buffers: dict[tuple, np.ndarray] = {}
        self.batch_buffers: dict[tuple, np.ndarray] = {}
        self.reset()

    def reset(self):
        self.loss_sum = 0.0
        self.seen = 0
        for metric in self.metrics:
            metric.reset_state()

    def gather(self, key: str, source: np.ndarray, index: np.ndarray) -> np.ndarray:
        shape = (len(index), *source.shape[1:])
        buf = self.batch_buffers.get((key, shape))
        if buf is None:
            buf = self.batch_buffers[(key, shape)] = np.empty(shape, dtype=source.dtype)
        np.take(source, index, axis=0, out=buf)
        return buf

    def loss_and_grad(self, y_true, y_pred) -> float:
        grad = self.grad_buffers.get(y_pred.shape)
        if grad is None:
            grad = self.grad_buffers[y_pred.shape] = np.empty(y_pred.shape, dtype=np.float32)
        loss = float(self.model.loss.value_and_grad(y_true, y_pred, grad))
        self.loss_sum += loss * len(y_pred)
        self.seen += len(y_pred)
        for metric in self.metrics:
            metric.update_state(y_true, y_pred)
        return grad

    def logs(self, prefix: str = "") -> dict:
        logs = {prefix + m.name: float(m.result()) for m in self.metrics}
        logs[prefix + "loss"] = self.loss_sum / max(self.seen, 1)
        return logs


def resolved_metrics(model, y_shape) -> list:
    """The compiled metric identifiers resolved for these targets (cached per shape)."""
    key = (tuple(y_shape[1:]), tuple(model.output_shape[1:]))
    cache = getattr(model, "_metric_cache", None)
    if cache is None or cache[0] != key or cache[1] is not model.metric_identifiers:
        resolved = [metrics_module.get(i, model.loss, y_shape, model.output_shape) for i in model.metric_identifiers]
        model._metric_cache = cache = (key, model.metric_identifiers, resolved)
    return cache[2]


def forward(model, x: np.ndarray, training: bool) -> np.ndarray:
    for layer in model._layers:
        x = layer.forward(x, training)
    return x


def backward(model, grad: np.ndarray) -> None:
    layers = model._layers
    for i in range(len(layers) - 1, -1, -1):
        grad = layers[i].backward(grad, i > 0)


def _train_batch(model, run: _Run, flat, xb, yb) -> None:
    y_pred = forward(model, xb, True)
    grad = run.loss_and_grad(yb, y_pred)
    backward(model, grad)
    model.optimizer.apply(flat.values, flat.grads)


def _device_session(model):
    """The CUDA session of a model compiled for device="cuda" (weights uploaded), or None
    for the CPU, whose loop stays as it is."""
    if model.device == "cpu":
        return None
    from .cuda import session_for

    session = session_for(model)
    session.upload()
    return session


def _require_compiled(model) -> None:
    if not model.compiled:
        raise SeqStudioError("the model is not compiled: call compile(optimizer, loss) before training")


# -- public loops ----------------------------------------------------------------------------
def _serialised(function):
    """Run `function` holding the compute lock: kernels are entered by one thread at a time."""

    @functools.wraps(function)
    def locked(*args, **kwargs):
        with compute_lock:
            return function(*args, **kwargs)

    return locked


@_serialised
def fit(model, x, y, batch_size=None, epochs=1, verbose=1, validation_data=None, validation_split=0.0,
        shuffle=True, callbacks=None, initial_epoch=0):
    _require_compiled(model)
    x, y = _prepare(model, x, y)
    if not 0.0 <= float(validation_split) < 1.0:
        raise DataError(f"invalid validation_split={validation_split!r}: expected 0 <= split < 1")
    val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise DataError("validation_data must be a pair (x_val, y_val)")
        val = _prepare(model, validation_data[0], validation_data[1], name="x_val")
    elif validation_split:
        split_at = int(math.ceil(len(x) * (1.0 - validation_split)))
        if split_at == len(x) or split_at == 0:
            raise DataError(f"validation_split={validation_split} leaves no samples on one side of {len(x)}")
        x, val = x[:split_at], (x[split_at:], y[split_at:])
        y = y[:split_at]
    batch = _batch_size(model, batch_size, len(x))
    if val is not None:
        _batch_size(model, batch, len(val[0]))
    steps = math.ceil(len(x) / batch)
    history = History()
    user_callbacks = list(callbacks or [])
    chain = [*user_callbacks, history] + ([ProgbarLogger(verbose)] if verbose else [])
    cbs = CallbackList(chain, model, {"epochs": int(epochs), "steps": steps, "verbose": verbose})
    flat = model.flat_parameters()
    model.optimizer.build(flat.size)
    session = _device_session(model)
    train_batch = _train_batch
    if session is not None:
        session.start_training(model.optimizer)
        train_batch = session.train_batch
    run = _Run(model, y.shape)
    model.stop_training = False
    rng = global_rng()
    cbs.on_train_begin()
    for epoch in range(int(initial_epoch), int(epochs)):
        run.reset()
        cbs.on_epoch_begin(epoch)
        order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        for step in range(steps):
            index = order[step * batch : (step + 1) * batch]
            cbs.on_train_batch_begin(step)
            train_batch(model, run, flat, run.gather("x", x, index), run.gather("y", y, index))
            cbs.on_train_batch_end(step, run.logs())
            if model.stop_training:
                break
        logs = run.logs()
        if val is not None:
            logs.update(_evaluate_arrays(model, val[0], val[1], batch, session=session).logs("val_"))
        if session is not None:
            session.download()  # the epoch-end callbacks see (and may replace) the trained weights
        cbs.on_epoch_end(epoch, logs)
        if session is not None:
            session.upload()
        if model.stop_training:
            break
    cbs.on_train_end()
    model.history = history
    return history


def _evaluate_arrays(model, x, y, batch: int, callbacks=None, session=None) -> _Run:
    run = _Run(model, y.shape)
    steps = math.ceil(len(x) / batch)
    index = np.arange(len(x))
    for step in range(steps):
        part = index[step * batch : (step + 1) * batch]
        xb = run.gather("x", x, part)
        y_pred = forward(model, xb, False) if session is None else session.infer(xb)
        run.loss_and_grad(run.gather("y", y, part), y_pred)
        if callbacks is not None:
            callbacks(step + 1, steps, run.logs())
    return run


def _results(run: _Run):
    logs = run.logs()
    loss = logs.pop("loss")
    return loss if not logs else [loss, *logs.values()]


@_serialised
def evaluate(model, x, y, batch_size=None, verbose=1):
    _require_compiled(model)
    x, y = _prepare(model, x, y)
    batch = _batch_size(model, batch_size, len(x))
    bar = Progbar(math.ceil(len(x) / batch), verbose) if verbose else None
    progress = (lambda done, total, logs: bar.update(done, logs, final=done == total)) if bar else None
    return _results(_evaluate_arrays(model, x, y, batch, progress, _device_session(model)))


@_serialised
def predict(model, x, batch_size=None, verbose=0) -> np.ndarray:
    x, _ = _prepare(model, x)
    batch = _batch_size(model, batch_size, len(x))
    out = np.empty((len(x), *model.output_shape[1:]), dtype=np.float32)
    bar = Progbar(math.ceil(len(x) / batch), verbose) if verbose else None
    session = _device_session(model)
    for step, start in enumerate(range(0, len(x), batch)):
        xb = x[start : start + batch]
        out[start : start + batch] = forward(model, xb, False) if session is None else session.infer(xb)
        if bar:
            bar.update(step + 1, {}, final=start + batch >= len(x))
    return out


@_serialised
def train_on_batch(model, x, y):
    """One update on one batch; returns that batch's loss (and metrics)."""
    _require_compiled(model)
    x, y = _prepare(model, x, y)
    _batch_size(model, len(x), len(x))
    flat = model.flat_parameters()
    model.optimizer.build(flat.size)
    run = _Run(model, y.shape)
    session = _device_session(model)
    if session is None:
        _train_batch(model, run, flat, x, y)
    else:
        session.start_training(model.optimizer)
        session.train_batch(model, run, flat, x, y)
        session.download()
    return _results(run)


@_serialised
def test_on_batch(model, x, y):
    _require_compiled(model)
    x, y = _prepare(model, x, y)
    _batch_size(model, len(x), len(x))
    return _results(_evaluate_arrays(model, x, y, len(x), session=_device_session(model)))


@_serialised
def predict_on_batch(model, x) -> np.ndarray:
    x, _ = _prepare(model, x)
    _batch_size(model, len(x), len(x))
    session = _device_session(model)
    return (forward(model, x, False) if session is None else session.infer(x)).copy()
