"""Device memory for a model: its weights in one flat device array, and work buffers.

The host stays the reference between calls: `DeviceParameters.upload` copies every weight in
(trainable ones first, in the order of the host's flat buffer, then the frozen ones) and
`download` copies the trainable ones back into the host's flat buffer, which the layers'
weights are views of, and the frozen ones into their host arrays: training may change
non-trainable weights too (BatchNormalization's moving statistics).

`upload` sends nothing when the host weights are those of the last transfer, so a predict or
evaluate called inside fit (by a callback) computes with the device's newer weights instead
of overwriting them with the host's older ones; weights the host did change (set_weights)
are sent.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from ..parameters import FlatParameters, trainable_weights

#: "no bias" and "no mask" on the device (the kernels test the length, as on the CPU)
EMPTY = cuda.device_array(0, np.float32)
EMPTY2 = cuda.device_array((0, 0), np.float32)
EMPTY3 = cuda.device_array((0, 0, 0), np.float32)


def rows(a):
    """A contiguous array as 2-D (rows, last axis), without copying."""
    last = a.shape[a.ndim - 1]  # device shapes refuse negative indices
    return a.reshape(a.size // last, last)


class Buffers:
    """Device arrays reused across batches of the same shape (the twin of Layer.buffer)."""

    def __init__(self):
        self._arrays: dict[str, object] = {}

    def __call__(self, key: str, shape: tuple, dtype=np.float32):
        shape = tuple(int(d) for d in shape)
        array = self._arrays.get(key)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = self._arrays[key] = cuda.device_array(shape, dtype)
        return array

    def upload(self, key: str, host: np.ndarray):
        """A device copy of `host` in the buffer named `key`."""
        array = self(key, host.shape, host.dtype)
        array.copy_to_device(host)
        return array


class DeviceParameters:
    """Every weight of `layers` in one device array, and their gradients in another."""

    def __init__(self, layers, flat: FlatParameters):
        trainable = trainable_weights(layers)
        ids = {id(w) for w in trainable}
        self._frozen = [w for layer in layers for w in layer.weights if id(w) not in ids]
        self.trainable_size = flat.size
        ordered = [*trainable, *self._frozen]
        total = sum(w.value.size for w in ordered)
        self._staging = np.empty(total, np.float32)
        self._synced: np.ndarray | None = None  # the host weights as of the last transfer
        self.values = cuda.device_array(total, np.float32)
        self.grads = cuda.to_device(np.zeros(total, np.float32))
        self._views: dict[int, tuple] = {}
        offset = 0
        for w in ordered:
            n = w.value.size
            shape = w.value.shape
            self._views[id(w)] = (self.values[offset : offset + n].reshape(shape),
                                  self.grads[offset : offset + n].reshape(shape))
            offset += n

    def weights_of(self, layer) -> list[tuple]:
        """(value, grad) device views of each weight of `layer`, in its order."""
        return [self._views[id(w)] for w in layer.weights]

    @property
    def trainable_values(self):
        return self.values[: self.trainable_size]

    @property
    def trainable_grads(self):
        return self.grads[: self.trainable_size]

    def upload(self, flat: FlatParameters) -> None:
        staged = self._staging
        staged[: self.trainable_size] = flat.values
        offset = self.trainable_size
        for w in self._frozen:
            staged[offset : offset + w.value.size] = w.value.reshape(-1)
            offset += w.value.size
        if self._synced is not None and np.array_equal(staged, self._synced):
            return
        if staged.size:
            self.values.copy_to_device(staged)
        self._synced = staged.copy()

    def download(self, flat: FlatParameters) -> None:
        if self.trainable_size:
            self.trainable_values.copy_to_host(flat.values)
        if self._frozen:
            frozen = self._staging[self.trainable_size :]
            self.values[self.trainable_size :].copy_to_host(frozen)
            offset = 0
            for w in self._frozen:
                w.value[...] = frozen[offset : offset + w.value.size].reshape(w.value.shape)
                offset += w.value.size
        if self._synced is not None:
            self._synced[: self.trainable_size] = flat.values
            self._synced[self.trainable_size :] = self._staging[self.trainable_size :]
