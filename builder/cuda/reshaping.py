"""Device executors of the small reshaping layers (ZeroPadding1D/2D, UpSampling1D/2D,
RepeatVector, Permute) and of the whole-channel dropouts (SpatialDropout1D/2D), with
kernels/cuda/reshaping.py. As on the CPU, the 1-D layers run the 2-D kernels on
(batch, 1, steps, channels) views, and spatial dropout draws its (batch, channels) uniforms
from the layer's host stream, so one seed gives the same masks on either device.
"""

from __future__ import annotations

import numpy as np

from kernels.cuda import reshaping as K

from ..layers.reshaping import (
    Permute,
    RepeatVector,
    SpatialDropout1D,
    SpatialDropout2D,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from ..random import global_rng
from .conv import as_4d
from .executor import Executor


class CopyExecutor(Executor):
    """One copy kernel over 4-D views each way: `FORWARD(x4, *arguments, y4)` and
    `BACKWARD(dy4, *arguments, dx4)`, with the layer's `_arguments()`."""

    def forward(self, x, training):
        y = self.buffer("y", self.layer.compute_output_shape(tuple(x.shape)))
        self.FORWARD(as_4d(x), *self._arguments(), as_4d(y))
        self._x_shape = x.shape
        return y

    def backward(self, dy, need_dx):
        if not need_dx:
            return None
        dx = self.buffer("dx", self._x_shape)
        self.BACKWARD(as_4d(dy), *self._arguments(), as_4d(dx))
        return dx


class ZeroPaddingExecutor(CopyExecutor):
    FORWARD, BACKWARD = staticmethod(K.zero_pad_2d), staticmethod(K.crop_2d)

    def _arguments(self):
        (top, _), (left, _) = self.layer._pads()
        return top, left


class UpSamplingExecutor(CopyExecutor):
    FORWARD, BACKWARD = staticmethod(K.upsample_nearest_2d), staticmethod(K.upsample_nearest_2d_backward)

    def _arguments(self):
        return tuple(self.layer._sizes())


class RepeatVectorExecutor(Executor):
    def forward(self, x, training):
        y = self.buffer("y", (x.shape[0], self.layer.n, x.shape[1]))
        K.repeat_vector(x, y)
        return y

    def backward(self, dy, need_dx):
        if not need_dx:
            return None
        dx = self.buffer("dx", (dy.shape[0], dy.shape[2]))
        K.repeat_vector_backward(dy, dx)
        return dx


class PermuteExecutor(Executor):
    def _permute(self, a, axes, key):
        out = self.buffer(key, tuple(a.shape[i] for i in axes))
        K.permute_axes(a, axes, out)
        return out

    def forward(self, x, training):
        return self._permute(x, (0, *self.layer.dims), "y")

    def backward(self, dy, need_dx):
        if not need_dx:
            return None
        return self._permute(dy, tuple(int(i) for i in np.argsort((0, *self.layer.dims))), "dx")


class SpatialDropoutExecutor(Executor):
    def forward(self, x, training):
        layer = self.layer
        self._training = bool(training) and layer.rate > 0.0
        if not self._training:
            return x
        draws = layer.buffer("uniform", (x.shape[0], x.shape[x.ndim - 1]))
        (layer._rng or global_rng()).random(out=draws, dtype=np.float32)
        self._uniform = self.buffer.upload("uniform", draws)
        return self._drop(x, "y")

    def backward(self, dy, need_dx):
        if not need_dx:
            return None
        return self._drop(dy, "dx") if self._training else dy

    def _drop(self, a, key):
        out = self.buffer(key, a.shape)
        n, channels = a.shape[0], a.shape[a.ndim - 1]
        as_rows = (n, a.size // (n * channels), channels)
        K.channel_dropout(a.reshape(as_rows), self._uniform, self.layer.rate, out.reshape(as_rows))
        return out


EXECUTORS = {
    ZeroPadding1D: ZeroPaddingExecutor,
    ZeroPadding2D: ZeroPaddingExecutor,
    UpSampling1D: UpSamplingExecutor,
    UpSampling2D: UpSamplingExecutor,
    RepeatVector: RepeatVectorExecutor,
    Permute: PermuteExecutor,
    SpatialDropout1D: SpatialDropoutExecutor,
    SpatialDropout2D: SpatialDropoutExecutor,
}
