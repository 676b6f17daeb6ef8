"""The optimizer step on the device: the host optimizer's rule (its settings, iteration
count, learning rate schedule and per-step scalars) driving the kernels of
kernels/cuda/optimizers.py over the flat device parameters.

Each optimizer's `_update` (builder/optimizers.py) computes its per-step scalars and calls
the kernel module it is given, here kernels.cuda.optimizers; the slots live on the device
during fit and are copied back into the host optimizer by `download` (so `get_state`, saving
and the next fit see them).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from kernels.cuda import optimizers as K

from .. import optimizers as host
from ..optimizers import _global_clip_scale
from .arrays import EMPTY


SUPPORTED = frozenset(host.OPTIMIZERS.values())
"""Every optimizer runs on the device: each one's `_update` takes the kernel module."""


class DeviceOptimizer:
    """`optimizer` (built for the flat size) stepping the flat device parameters."""

    def __init__(self, optimizer, params, grads):
        self.optimizer = optimizer
        self.params, self.grads = params, grads
        self.slots = {name: cuda.to_device(slot) for name, slot in optimizer._slots.items()}
        self._norm = cuda.device_array(1, np.float64)

    def apply(self) -> None:
        opt = self.optimizer
        scale = 1.0
        if opt.global_clipnorm is not None:
            K.squared_norm(self.grads, self._norm)
            scale = _global_clip_scale(float(self._norm.copy_to_host()[0]), opt.global_clipnorm)
        opt._update(K, self._slot, self.params, self.grads, scale, opt.clipvalue or 0.0,
                    opt.current_learning_rate(), opt.iterations + 1)
        opt.iterations += 1

    def _slot(self, name: str):
        return self.slots.get(name, EMPTY)

    def download(self) -> None:
        for name, slot in self.slots.items():
            slot.copy_to_host(self.optimizer._slots[name])
