"""Device executors of Conv1D and Conv2D: im2col + the tiled product (kernels/cuda/conv.py).

Conv1D runs the 2-D kernels on (batch, 1, steps, channels) views, as on the CPU; the column
matrix is a work buffer of (batch * output pixels, taps * channels).
"""

from __future__ import annotations

import math

from kernels.cuda.conv import conv_backward, conv_forward

from ..layers.convolutional import Conv1D, Conv2D
from .arrays import EMPTY
from .executor import Executor


def as_4d(x):
    """(batch, steps, channels) as (batch, 1, steps, channels); 4-D arrays unchanged."""
    return x if x.ndim == 4 else x.reshape(x.shape[0], 1, x.shape[1], x.shape[2])


class ConvExecutor(Executor):
    def _kernel_rows(self, array, channels):
        return array.reshape(math.prod(self.layer.kernel_size) * channels, self.layer.filters)

    def forward(self, x, training):
        layer = self.layer
        x4 = as_4d(x)
        n, channels = x4.shape[0], x4.shape[3]
        out_h, out_w, window = layer._window(tuple(x.shape))
        shape = (n, out_h, out_w, layer.filters)
        z, y = self.buffer("z", shape), self.buffer("y", shape)
        cols = self.buffer("cols", (n * out_h * out_w, math.prod(layer.kernel_size) * channels))
        bias = self.weights[1][0] if layer.use_bias else EMPTY
        conv_forward(x4, self._kernel_rows(self.weights[0][0], channels), bias, layer._act, window, cols, z, y)
        self._x_shape, self._x4, self._z, self._y, self._cols, self._window = x.shape, x4, z, y, cols, window
        return y.reshape(n, *shape[3 - layer.RANK :])

    def backward(self, dy, need_dx):
        layer = self.layer
        channels = self._x4.shape[3]
        kernel, dkernel = self.weights[0]
        dz = self.buffer("dz", self._z.shape)
        dx = self.buffer("dx", self._x4.shape) if need_dx else None
        conv_backward(
            self._x4, self._kernel_rows(kernel, channels), self._z, self._y, layer._act, self._window, self._cols,
            dy.reshape(self._z.shape), dz, self._kernel_rows(dkernel, channels),
            self.weights[1][1] if layer.use_bias else EMPTY, dx,
        )
        return None if dx is None else dx.reshape(self._x_shape)


EXECUTORS = {Conv1D: ConvExecutor, Conv2D: ConvExecutor}
