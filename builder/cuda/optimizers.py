"""The optimizer step on the device: the host optimizer's rule (its settings, iteration
count, learning rate schedule and per-step scalars) driving the kernels of
kernels/cuda/optimizers.py over the flat device parameters.

The per-step scalars repeat builder/optimizers.py's `_update` methods, which call the CPU
kernels directly; the slots live on the device during fit and are copied back into the host
optimizer by `download` (so `get_state`, saving and the next fit see them).
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from kernels.cuda import optimizers as K

from .. import optimizers as host
from ..optimizers import _global_clip_scale
from .arrays import EMPTY


def _sgd(opt, slots, params, grads, scale, clip, lr, step):
    K.sgd_update(params, grads, scale, clip, lr, opt.momentum, opt.nesterov, slots.get("momentum", EMPTY))


def _rmsprop(opt, slots, params, grads, scale, clip, lr, step):
    K.rmsprop_update(params, grads, scale, clip, lr, opt.rho, opt.epsilon, opt.momentum, opt.centered,
                     slots["velocity"], slots.get("average_gradient", EMPTY), slots.get("momentum", EMPTY))


def _adagrad(opt, slots, params, grads, scale, clip, lr, step):
    K.adagrad_update(params, grads, scale, clip, lr, opt.epsilon, slots["accumulator"])


def _adam(opt, slots, params, grads, scale, clip, lr, step):
    alpha = lr * math.sqrt(1.0 - opt.beta_2 ** step) / (1.0 - opt.beta_1 ** step)
    K.adam_update(params, grads, scale, clip, alpha, opt.beta_1, opt.beta_2, opt.epsilon, opt.amsgrad,
                  slots["momentum"], slots["velocity"], slots.get("velocity_hat", EMPTY))


def _adadelta(opt, slots, params, grads, scale, clip, lr, step):
    K.adadelta_update(params, grads, scale, clip, lr, opt.rho, opt.epsilon, slots["accumulated_grad"],
                      slots["accumulated_delta_var"])


def _adamax(opt, slots, params, grads, scale, clip, lr, step):
    K.adamax_update(params, grads, scale, clip, lr, opt.beta_1, opt.beta_2, opt.epsilon, 1.0 - opt.beta_1 ** step,
                    slots["momentum"], slots["norm"])


def _nadam(opt, slots, params, grads, scale, clip, lr, step):
    u_t = opt.beta_1 * (1.0 - 0.5 * 0.96 ** step)
    u_next = opt.beta_1 * (1.0 - 0.5 * 0.96 ** (step + 1))
    opt.u_product *= u_t
    m_coef = u_next / (1.0 - opt.u_product * u_next)
    g_coef = (1.0 - u_t) / (1.0 - opt.u_product)
    K.nadam_update(params, grads, scale, clip, lr, opt.beta_1, opt.beta_2, opt.epsilon, m_coef, g_coef,
                   1.0 - opt.beta_2 ** step, slots["momentum"], slots["velocity"])


UPDATES = {
    host.SGD: _sgd, host.RMSprop: _rmsprop, host.Adagrad: _adagrad, host.Adam: _adam,
    host.Adadelta: _adadelta, host.Adamax: _adamax, host.Nadam: _nadam,
}


class DeviceOptimizer:
    """`optimizer` (built for the flat size) stepping the flat device parameters."""

    def __init__(self, optimizer, params, grads):
        self.optimizer = optimizer
        self._update = UPDATES[type(optimizer)]
        self.params, self.grads = params, grads
        self.slots = {name: cuda.to_device(slot) for name, slot in optimizer._slots.items()}
        self._norm = cuda.device_array(1, np.float64)

    def apply(self) -> None:
        opt = self.optimizer
        scale = 1.0
        if opt.global_clipnorm is not None:
            K.squared_norm(self.grads, self._norm)
            scale = _global_clip_scale(float(self._norm.copy_to_host()[0]), opt.global_clipnorm)
        self._update(opt, self.slots, self.params, self.grads, scale, opt.clipvalue or 0.0,
                     opt.current_learning_rate(), opt.iterations + 1)
        opt.iterations += 1

    def download(self) -> None:
        for name, slot in self.slots.items():
            slot.copy_to_host(self.optimizer._slots[name])
