"""Device executor of Embedding: the index check and gather forward, the scatter-add into
the table's gradient backward (kernels/cuda/embedding.py).

A value outside [0, input_dim) is found on the device; its DataError is the layer's own
(the CPU layer checks the input again on the host and raises it, naming the value and its
position), so both devices word it alike.
"""

from __future__ import annotations

import numpy as np

from kernels.cuda.embedding import embedding_backward, embedding_forward, embedding_indices

from ..layers.embedding import Embedding
from .executor import Executor


class EmbeddingExecutor(Executor):
    def forward(self, x, training):
        layer = self.layer
        flat = x.reshape(x.size)
        ids = self.buffer("ids", (x.size,), np.int32)
        if embedding_indices(flat, layer.input_dim, ids, self.buffer("first_bad", (1,), np.int32)) >= 0:
            layer.forward(x.copy_to_host())  # raises the layer's DataError
        y = self.buffer("y", (x.size, layer.output_dim))
        embedding_forward(ids, self.weights[0][0], y)
        self._ids, self._x_shape = ids, x.shape
        return y.reshape(*x.shape, layer.output_dim)

    def backward(self, dy, need_dx):
        embedding_backward(self._ids, dy.reshape(self._ids.size, self.layer.output_dim), self.weights[0][1])
        if not need_dx:
            return None
        dx = self.buffer("dx", self._x_shape)
        dx[:] = 0.0
        return dx


EXECUTORS = {Embedding: EmbeddingExecutor}
