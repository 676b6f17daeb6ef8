"""The model's trainable weights gathered into one flat vector (and gradients into another).

An optimizer step is then one kernel call over two flat arrays, whatever the number of
layers: per-batch overhead is what dominates small models. Each weight's `.value` and `.grad`
become views into the flat buffers, so layers keep reading and writing them as before.
"""

from __future__ import annotations

import numpy as np

from .layers.base import Layer


def trainable_weights(layers: list[Layer]):
    return [w for layer in layers if layer.trainable for w in layer.weights if w.trainable]


class FlatParameters:
    """Flat float32 buffers behind every trainable weight of `layers`."""

    def __init__(self, layers: list[Layer]):
        weights = trainable_weights(layers)
        self.key = self.key_of(layers)
        size = sum(w.value.size for w in weights)
        self.values = np.empty(size, dtype=np.float32)
        self.grads = np.zeros(size, dtype=np.float32)
        offset = 0
        for w in weights:
            n = w.value.size
            value = self.values[offset : offset + n].reshape(w.value.shape)
            value[...] = w.value
            w.value = value
            w.grad = self.grads[offset : offset + n].reshape(w.value.shape)
            offset += n

    @staticmethod
    def key_of(layers: list[Layer]) -> tuple:
        """Identifies the set of trainable weights; a different key means rebuild."""
        return tuple(id(w) for w in trainable_weights(layers))

    @property
    def size(self) -> int:
        return self.values.size
