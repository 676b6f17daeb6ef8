"""The base of the device executors: one per layer, running its forward and backward on
device arrays, with the layer's own hyper-parameters and shape rules."""

from __future__ import annotations

from .arrays import Buffers, DeviceParameters


class Executor:
    """Runs `layer` on the device. `self.weights` holds (value, grad) device views of the
    layer's weights in its order; subclasses implement forward and backward like the layer's
    (backward writes the gradients in place and returns dx, or None when need_dx is False)."""

    def __init__(self, layer, params: DeviceParameters):
        self.layer = layer
        self.weights = params.weights_of(layer)
        self.buffer = Buffers()

    @classmethod
    def refusal(cls, layer) -> str | None:
        """Why this layer's settings cannot run on the device, or None when they can."""
        return None

    def forward(self, x, training: bool):
        raise NotImplementedError

    def backward(self, dy, need_dx: bool):
        raise NotImplementedError
