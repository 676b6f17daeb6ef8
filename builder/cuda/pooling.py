"""Device executors of the pooling layers (windowed and global, max and average), with the
layers' own window rules; max pooling keeps the argmax of forward in an int32 buffer."""

from __future__ import annotations

import numpy as np

from kernels.cuda import pooling as K

from ..layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from .conv import as_4d
from .executor import Executor


class PoolingExecutor(Executor):
    def forward(self, x, training):
        shape, window = self.layer._window(tuple(x.shape))
        y = self.buffer("y", shape)
        x4 = as_4d(x)
        self._pool_forward(x4, window, y)
        self._x_shape, self._x4_shape, self._y4_shape, self._window = x.shape, x4.shape, shape, window
        return y.reshape(self.layer.compute_output_shape(tuple(x.shape)))

    def backward(self, dy, need_dx):
        if not need_dx:
            return None
        dx = self.buffer("dx", self._x4_shape)
        self._pool_backward(dy.reshape(self._y4_shape), dx)
        return dx.reshape(self._x_shape)


class MaxPoolingExecutor(PoolingExecutor):
    def _pool_forward(self, x4, window, y):
        self._argmax = self.buffer("argmax", y.shape, np.int32)
        K.max_pool_forward(x4, window, y, self._argmax)

    def _pool_backward(self, dy4, dx):
        K.max_pool_backward(dy4, self._argmax, dx)


class AveragePoolingExecutor(PoolingExecutor):
    def _pool_forward(self, x4, window, y):
        K.avg_pool_forward(x4, window, y)

    def _pool_backward(self, dy4, dx):
        K.avg_pool_backward(dy4, self._window, dx)


class GlobalPoolingExecutor(Executor):
    def forward(self, x, training):
        n, channels = x.shape[0], x.shape[x.ndim - 1]
        x3 = x.reshape(n, x.size // (n * channels), channels)
        y = self.buffer("y", (n, channels))
        self._pool_forward(x3, y)
        self._x_shape, self._x3_shape = x.shape, x3.shape
        return y.reshape(self.layer.compute_output_shape(tuple(x.shape)))

    def backward(self, dy, need_dx):
        if not need_dx:
            return None
        dx = self.buffer("dx", self._x3_shape)
        self._pool_backward(dy.reshape(self._x3_shape[0], self._x3_shape[2]), dx)
        return dx.reshape(self._x_shape)


class GlobalAveragePoolingExecutor(GlobalPoolingExecutor):
    def _pool_forward(self, x3, y):
        K.global_avg_forward(x3, y)

    def _pool_backward(self, dy2, dx):
        K.global_avg_backward(dy2, dx)


class GlobalMaxPoolingExecutor(GlobalPoolingExecutor):
    def _pool_forward(self, x3, y):
        self._argmax = self.buffer("argmax", y.shape, np.int32)
        K.global_max_forward(x3, y, self._argmax)

    def _pool_backward(self, dy2, dx):
        K.global_max_backward(dy2, self._argmax, dx)


EXECUTORS = {
    MaxPooling1D: MaxPoolingExecutor,
    MaxPooling2D: MaxPoolingExecutor,
    AveragePooling1D: AveragePoolingExecutor,
    AveragePooling2D: AveragePoolingExecutor,
    GlobalMaxPooling1D: GlobalMaxPoolingExecutor,
    GlobalMaxPooling2D: GlobalMaxPoolingExecutor,
    GlobalAveragePooling1D: GlobalAveragePoolingExecutor,
    GlobalAveragePooling2D: GlobalAveragePoolingExecutor,
}
