"""Pooling layers: Max/AveragePooling1D/2D and their global forms (channels last).

The 1-D layers run the 2-D kernels on (batch, 1, steps, channels) views; the global layers
see (batch, positions, channels). Max pooling keeps the index of each maximum from forward
(in a reused float32 buffer viewed as int32) and backward scatters through it.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from kernels.pooling import (
    avg_pool_backward,
    avg_pool_forward,
    global_avg_backward,
    global_avg_forward,
    global_max_backward,
    global_max_forward,
    max_pool_backward,
    max_pool_forward,
)

from ..catalog import register
from ..params import Param
from .base import Layer, format_shape
from .convolutional import CHANNELS_LAST, as_4d, spatial_words, window_geometry

_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)"}


def _pool_params(rank: int, default_pool: bool) -> tuple[Param, ...]:
    """Keras's arguments, in Keras's positional order; Keras 3's average pooling has no
    default pool_size."""
    default = {"default": (2,) * rank} if default_pool else {}
    return (
        Param("pool_size", "ints", length=rank, low=1, help="Window size.", **default),
        Param("strides", "optional_ints", default=None, length=rank, low=1,
              help="Step between windows; None means pool_size."),
        Param("padding", "choice", default="valid", choices=("valid", "same"),
              help="'valid': no padding; 'same': output size ceil(input / stride), padding ignored."),
        CHANNELS_LAST,
    )


class _Pooling(Layer):
    """Windowed pooling; subclasses give RANK and the kernels."""

    RANK: ClassVar[int]

    def _geometry(self, input_shape) -> list[tuple[int, int]]:
        if len(input_shape) != self.RANK + 2:
            raise self.shape_error(input_shape, f"needs {self.RANK + 2} dimensions {_LAYOUTS[self.RANK]}")
        strides = self.strides or self.pool_size
        axes = [
            window_geometry(size, k, s, 1, self.padding)
            for size, k, s in zip(input_shape[1:-1], self.pool_size, strides)
        ]
        if None in axes:
            raise self.shape_error(
                input_shape,
                f"needs {spatial_words(self.RANK)} of at least {' x '.join(map(str, self.pool_size))} "
                f"for pool_size={format_shape(self.pool_size)} and padding={self.padding!r}",
            )
        return axes

    def compute_output_shape(self, input_shape):
        axes = self._geometry(input_shape)
        return (input_shape[0], *(out for out, _ in axes), input_shape[-1])

    def _window(self, input_shape):
        """The kernels' output shape and window tuple (ph, pw, sh, sw, pad_top, pad_left)."""
        lead = (1,) * (2 - self.RANK)
        (out_h, pad_top), (out_w, pad_left) = [(1, 0)] * (2 - self.RANK) + self._geometry(input_shape)
        ph, pw = lead + self.pool_size
        sh, sw = lead + (self.strides or self.pool_size)
        return (input_shape[0], out_h, out_w, input_shape[-1]), (ph, pw, sh, sw, pad_top, pad_left)

    def forward(self, x, training=False):
        shape, window = self._window(x.shape)
        y = self.buffer("y", shape)
        x4 = as_4d(x)
        self._pool_forward(x4, window, y)
        self._x_shape, self._x4_shape, self._y4_shape, self._window_args = x.shape, x4.shape, shape, window
        return y.reshape(self.compute_output_shape(x.shape))

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        dx = self.buffer("dx", self._x4_shape)
        self._pool_backward(np.ascontiguousarray(dy).reshape(self._y4_shape), dx)
        return dx.reshape(self._x_shape)


class _MaxPooling(_Pooling):
    def _pool_forward(self, x4, window, y):
        self._argmax = self.buffer("argmax", y.shape).view(np.int32)
        max_pool_forward(x4, window, y, self._argmax)

    def _pool_backward(self, dy4, dx):
        max_pool_backward(dy4, self._argmax, dx)


class _AveragePooling(_Pooling):
    def _pool_forward(self, x4, window, y):
        avg_pool_forward(x4, window, y)

    def _pool_backward(self, dy4, dx):
        avg_pool_backward(dy4, self._window_args, dx)


@register("Pooling", "Maximum over windows of the steps of (batch, steps, channels).")
class MaxPooling1D(_MaxPooling):
    """Max pooling over steps.

    Args:
        pool_size: window length. strides: step (None: pool_size). padding: "valid" or "same".
    Input shape: (batch, steps, channels). Output shape: (batch, pooled_steps, channels).
    """

    RANK = 1
    PARAMS = _pool_params(1, default_pool=True)


@register("Pooling", "Maximum over windows of the height and width of (batch, height, width, channels).")
class MaxPooling2D(_MaxPooling):
    """Max pooling over height and width.

    Args:
        pool_size: (height, width) of the window. strides: step (None: pool_size).
        padding: "valid" or "same".
    Input shape: (batch, height, width, channels).
    Output shape: (batch, pooled_height, pooled_width, channels).
    """

    RANK = 2
    PARAMS = _pool_params(2, default_pool=True)


@register("Pooling", "Mean over windows of the steps of (batch, steps, channels).")
class AveragePooling1D(_AveragePooling):
    """Average pooling over steps; with padding "same" a window averages its unpadded elements.

    Args:
        pool_size: window length. strides: step (None: pool_size). padding: "valid" or "same".
    Input shape: (batch, steps, channels). Output shape: (batch, pooled_steps, channels).
    """

    RANK = 1
    PARAMS = _pool_params(1, default_pool=False)


@register("Pooling", "Mean over windows of the height and width of (batch, height, width, channels).")
class AveragePooling2D(_AveragePooling):
    """Average pooling over height and width; with padding "same" a window averages its
    unpadded elements.

    Args:
        pool_size: (height, width) of the window. strides: step (None: pool_size).
        padding: "valid" or "same".
    Input shape: (batch, height, width, channels).
    Output shape: (batch, pooled_height, pooled_width, channels).
    """

    RANK = 2
    PARAMS = _pool_params(2, default_pool=False)


class _GlobalPooling(Layer):
    """Pooling over every position; subclasses give RANK and the kernels."""

    RANK: ClassVar[int]
    PARAMS = (
        CHANNELS_LAST,
        Param("keepdims", "bool", default=False, help="Keep the pooled axes with size 1."),
    )

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.RANK + 2:
            raise self.shape_error(input_shape, f"needs {self.RANK + 2} dimensions {_LAYOUTS[self.RANK]}")
        kept = (1,) * self.RANK if self.keepdims else ()
        return (input_shape[0], *kept, input_shape[-1])

    def forward(self, x, training=False):
        n, channels = x.shape[0], x.shape[-1]
        x3 = np.ascontiguousarray(x).reshape(n, -1, channels)
        y = self.buffer("y", (n, channels))
        self._pool_forward(x3, y)
        self._x_shape = x.shape
        return y.reshape(self.compute_output_shape(x.shape))

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        n, channels = self._x_shape[0], self._x_shape[-1]
        dx = self.buffer("dx", (n, math.prod(self._x_shape[1:-1]), channels))
        self._pool_backward(np.ascontiguousarray(dy).reshape(n, channels), dx)
        return dx.reshape(self._x_shape)


class _GlobalAveragePooling(_GlobalPooling):
    def _pool_forward(self, x3, y):
        global_avg_forward(x3, y)

    def _pool_backward(self, dy2, dx):
        global_avg_backward(dy2, dx)


class _GlobalMaxPooling(_GlobalPooling):
    def _pool_forward(self, x3, y):
        self._argmax = self.buffer("argmax", y.shape).view(np.int32)
        global_max_forward(x3, y, self._argmax)

    def _pool_backward(self, dy2, dx):
        global_max_backward(dy2, self._argmax, dx)


@register("Pooling", "Mean over all steps of (batch, steps, channels): one value per channel.")
class GlobalAveragePooling1D(_GlobalAveragePooling):
    """Input shape: (batch, steps, channels). Output shape: (batch, channels), or
    (batch, 1, channels) with keepdims."""

    RANK = 1


@register("Pooling", "Mean over all pixels of (batch, height, width, channels): one value per channel.")
class GlobalAveragePooling2D(_GlobalAveragePooling):
    """Input shape: (batch, height, width, channels). Output shape: (batch, channels), or
    (batch, 1, 1, channels) with keepdims."""

    RANK = 2


@register("Pooling", "Maximum over all steps of (batch, steps, channels): one value per channel.")
class GlobalMaxPooling1D(_GlobalMaxPooling):
    """Input shape: (batch, steps, channels). Output shape: (batch, channels), or
    (batch, 1, channels) with keepdims."""

    RANK = 1


@register("Pooling", "Maximum over all pixels of (batch, height, width, channels): one value per channel.")
class GlobalMaxPooling2D(_GlobalMaxPooling):
    """Input shape: (batch, height, width, channels). Output shape: (batch, channels), or
    (batch, 1, 1, channels) with keepdims."""

    RANK = 2
