"""A model's life on the device: its executors, parameters and optimizer, and the few points
where data crosses between host and device.

The host is the reference between calls: every fit/evaluate/predict call starts with
`upload` (the host weights in, when they changed since the last transfer), and fit ends each
epoch with `download` (weights and optimizer slots out) before the epoch-end callbacks run,
then `upload`s again after them, since a callback may read, save or replace the weights
(EarlyStopping, ModelCheckpoint). Per batch, only the input goes in and the output and its
gradient cross (the loss and the metrics run on the host). A batch-level callback therefore
reads the host weights of the last epoch's end (its predict or evaluate computes with the
device's current ones), and weights it sets are overwritten at the epoch's end.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .arrays import Buffers, DeviceParameters
from .optimizers import DeviceOptimizer
from .registry import check_supported, executor_for


def _key(model) -> tuple:
    """Identifies the layers and their weights: a different key means a new session."""
    return tuple((id(layer), *(id(w) for w in layer.weights)) for layer in model._layers)


def session_for(model) -> "DeviceSession":
    """The model's device session, rebuilt when its layers or weights changed since the last."""
    session = model._cuda_session
    if session is None or session.key != _key(model) or session.flat is not model.flat_parameters():
        session = DeviceSession(model)
        model._cuda_session = session
    return session


class DeviceSession:
    def __init__(self, model):
        check_supported(model._layers, model.optimizer)
        self.key = _key(model)
        self.flat = model.flat_parameters()
        self.params = DeviceParameters(model._layers, self.flat)
        self.executors = [executor_for(layer, self.params) for layer in model._layers]
        self.optimizer: DeviceOptimizer | None = None
        self._buffers = Buffers()
        self._host: dict[tuple, np.ndarray] = {}

    # -- host <-> device --------------------------------------------------------------------
    def upload(self) -> None:
        """The host weights into the device array."""
        self.params.upload(self.flat)

    def start_training(self, optimizer) -> None:
        """Bind the (built) host optimizer: its slots go to the device."""
        self.optimizer = DeviceOptimizer(optimizer, self.params.trainable_values, self.params.trainable_grads)

    def download(self) -> None:
        """The trained weights and optimizer slots back to the host."""
        self.params.download(self.flat)
        if self.optimizer is not None:
            self.optimizer.download()

    def _to_host(self, array) -> np.ndarray:
        host = self._host.get(array.shape)
        if host is None:
            host = self._host[array.shape] = cuda.pinned_array(array.shape, dtype=np.float32)
        array.copy_to_host(host)
        return host

    # -- compute ----------------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool):
        y = self._buffers.upload("x", x)
        for executor in self.executors:
            y = executor.forward(y, training)
        return y

    def infer(self, x: np.ndarray) -> np.ndarray:
        """The model's output for the batch x, on the host (a buffer reused by the next call)."""
        return self._to_host(self.forward(x, False))

    def train_batch(self, model, run, flat, xb, yb) -> None:
        """training._train_batch on the device: forward, the loss on the host, backward,
        one optimizer kernel."""
        y_pred = self._to_host(self.forward(xb, True))
        grad = self._buffers.upload("grad", run.loss_and_grad(yb, y_pred))
        executors = self.executors
        for i in range(len(executors) - 1, -1, -1):
            grad = executors[i].backward(grad, i > 0)
        self.optimizer.apply()
