"""Small reshaping layers: ZeroPadding1D/2D, UpSampling1D/2D, RepeatVector, Permute, and the
whole-channel dropouts SpatialDropout1D/2D (listed with Dropout in the Core family).

Data is channels last. The 1-D layers run the 2-D copy kernels on (batch, 1, steps, channels)
views of their input.
"""

from __future__ import annotations

import numbers

import numpy as np

from kernels.reshaping import (
    channel_dropout,
    crop_2d,
    repeat_vector,
    repeat_vector_backward,
    upsample_nearest_2d,
    upsample_nearest_2d_backward,
    zero_pad_2d,
)

from ..catalog import register
from ..errors import ConfigError
from ..params import Param
from ..random import global_rng
from .base import Layer

CHANNELS_LAST = Param(
    "data_format", "choice", default="channels_last", choices=("channels_last",),
    help="Layout of the data; SeqStudio is channels last.",
)


def _as_4d(a: np.ndarray) -> np.ndarray:
    """(batch, steps, channels) as (batch, 1, steps, channels); 4-D arrays unchanged."""
    a = np.ascontiguousarray(a)
    return a if a.ndim == 4 else a.reshape(a.shape[0], 1, a.shape[1], a.shape[2])


class PaddingPairsParam(Param):
    """ZeroPadding2D's padding: an int (all four sides), (symmetric_height, symmetric_width) or
    ((top, bottom), (left, right)), normalised to the last form, which Keras stores too.

    kind "int_pairs": a tuple of `length` (before, after) pairs of ints >= 0.
    """

    def check(self, owner, value):
        pair = Param(self.name, "ints", length=2, low=0)
        if isinstance(value, (list, tuple)) and len(value) == self.length:
            try:
                return tuple(pair.check(owner, entry) for entry in value)
            except ConfigError:
                pass
        elif isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0:
            return ((int(value),) * 2,) * self.length
        raise ConfigError(
            f"{owner}: invalid {self.name}={value!r}: expected an integer, (height, width) or "
            "((top, bottom), (left, right)), every amount >= 0"
        )


class _CopyLayer(Layer):
    """A layer whose forward is a copy kernel over 4-D views: `_run_forward(x4, y4)` fills
    the output, `_run_backward(dy4, dx4)` the input gradient."""

    def forward(self, x, training=False):
        x4 = _as_4d(x)
        out_shape = self.compute_output_shape(x.shape)
        y = self.buffer("y", out_shape)
        self._run_forward(x4, _as_4d(y))
        self._x_shape = x.shape
        return y

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        dx = self.buffer("dx", self._x_shape)
        self._run_backward(_as_4d(dy), _as_4d(dx))
        return dx


class _ZeroPadding(_CopyLayer):
    """Both paddings; `_pads` gives ((top, bottom), (left, right)) of the 4-D view."""

    def _run_forward(self, x4, y4):
        (top, _), (left, _) = self._pads()
        zero_pad_2d(x4, top, left, y4)

    def _run_backward(self, dy4, dx4):
        (top, _), (left, _) = self._pads()
        crop_2d(dy4, top, left, dx4)


@register("Reshaping", "Adds zeros at the start and end of the steps axis of (batch, steps, channels).")
class ZeroPadding1D(_ZeroPadding):
    """Zero padding of the steps axis.

    Args:
        padding: an int (both ends) or (left, right).
    Input shape: (batch, steps, channels). Output shape: (batch, left + steps + right, channels).
    """

    PARAMS = (Param("padding", "ints", default=(1, 1), length=2, low=0, help="Zeros added at the start and end."),)

    def _pads(self):
        return (0, 0), self.padding

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise self.shape_error(input_shape, "needs 3 dimensions (batch, steps, channels)")
        return (input_shape[0], input_shape[1] + sum(self.padding), input_shape[2])


@register("Reshaping", "Adds rows and columns of zeros around each image of (batch, height, width, channels).")
class ZeroPadding2D(_ZeroPadding):
    """Zero padding of the height and width axes.

    Args:
        padding: an int (every side), (symmetric_height, symmetric_width) or
            ((top, bottom), (left, right)).
    Input shape: (batch, height, width, channels).
    Output shape: (batch, top + height + bottom, left + width + right, channels).
    """

    PARAMS = (
        PaddingPairsParam(
            "padding", "int_pairs", default=((1, 1), (1, 1)), length=2,
            help="Zeros added as ((top, bottom), (left, right)); an int or (height, width) is symmetric.",
        ),
        CHANNELS_LAST,
    )

    def _pads(self):
        return self.padding

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise self.shape_error(input_shape, "needs 4 dimensions (batch, height, width, channels)")
        (top, bottom), (left, right) = self.padding
        return (input_shape[0], input_shape[1] + top + bottom, input_shape[2] + left + right, input_shape[3])


class _UpSampling(_CopyLayer):
    """Both upsamplings (nearest neighbour); `_sizes` gives the (rows, columns) repeats of the 4-D view."""

    def _run_forward(self, x4, y4):
        upsample_nearest_2d(x4, *self._sizes(), y4)

    def _run_backward(self, dy4, dx4):
        upsample_nearest_2d_backward(dy4, *self._sizes(), dx4)


@register("Reshaping", "Repeats each step `size` times along the steps axis of (batch, steps, channels).")
class UpSampling1D(_UpSampling):
    """Upsampling of the steps axis by repetition.

    Args:
        size: how many times each step is repeated.
    Input shape: (batch, steps, channels). Output shape: (batch, steps * size, channels).
    """

    PARAMS = (Param("size", "int", default=2, low=1, help="Repeats of each step."),)

    def _sizes(self):
        return 1, self.size

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise self.shape_error(input_shape, "needs 3 dimensions (batch, steps, channels)")
        return (input_shape[0], input_shape[1] * self.size, input_shape[2])


@register("Reshaping", "Repeats each pixel into a size[0] x size[1] block (nearest-neighbour upsampling).")
class UpSampling2D(_UpSampling):
    """Nearest-neighbour upsampling of the height and width axes.

    Args:
        size: (rows, columns) repeats; an int repeats both.
        interpolation: "nearest" (the only one SeqStudio implements).
    Input shape: (batch, height, width, channels).
    Output shape: (batch, height * size[0], width * size[1], channels).
    """

    PARAMS = (
        Param("size", "ints", default=(2, 2), length=2, low=1, help="Repeats of each row and column."),
        CHANNELS_LAST,
        Param("interpolation", "choice", default="nearest", choices=("nearest",), help="How new pixels are filled."),
    )

    def _sizes(self):
        return self.size

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise self.shape_error(input_shape, "needs 4 dimensions (batch, height, width, channels)")
        return (input_shape[0], input_shape[1] * self.size[0], input_shape[2] * self.size[1], input_shape[3])


@register("Reshaping", "Repeats a (batch, features) input n times: (batch, n, features).")
class RepeatVector(Layer):
    """Repeats the input vector n times along a new axis.

    Args:
        n: number of repetitions.
    Input shape: (batch, features). Output shape: (batch, n, features).
    """

    PARAMS = (Param("n", "int", low=1, help="Number of repetitions."),)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise self.shape_error(input_shape, "needs 2 dimensions (batch, features)")
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, x, training=False):
        x = np.ascontiguousarray(x)
        y = self.buffer("y", (x.shape[0], self.n, x.shape[1]))
        repeat_vector(x, y)
        return y

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        dx = self.buffer("dx", (dy.shape[0], dy.shape[2]))
        repeat_vector_backward(np.ascontiguousarray(dy), dx)
        return dx


@register("Reshaping", "Reorders the non-batch axes: dims is a permutation of 1..rank-1, e.g. (2, 1).")
class Permute(Layer):
    """Permutes the non-batch axes of the input.

    Args:
        dims: the new order of the axes, numbered from 1 (the batch axis is 0 and stays first).
    Input shape: rank len(dims) + 1. Output shape: the input's axes in the order of dims.
    """

    PARAMS = (Param("dims", "shape", help="Permutation of 1..rank-1, e.g. (2, 1) swaps two axes."),)

    def validate(self):
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ConfigError(
                f"Permute: invalid dims={self.dims!r}: expected a permutation of 1..{len(self.dims)}"
            )

    def compute_output_shape(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise self.shape_error(input_shape, f"dims={self.dims!r} needs {len(self.dims) + 1} dimensions")
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def forward(self, x, training=False):
        y = self.buffer("y", self.compute_output_shape(x.shape))
        np.copyto(y, x.transpose(0, *self.dims))
        return y

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        inverse = tuple(int(i) for i in np.argsort((0, *self.dims)))
        dx = self.buffer("dx", tuple(dy.shape[i] for i in inverse))
        np.copyto(dx, dy.transpose(inverse))
        return dx


class _SpatialDropout(Layer):
    """Dropout of whole channels: one draw per sample and channel, shared by every position."""

    RANK = 0

    def validate(self):
        self._rng = None if self.seed is None else np.random.default_rng(self.seed)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.RANK:
            names = "(batch, steps, channels)" if self.RANK == 3 else "(batch, height, width, channels)"
            raise self.shape_error(input_shape, f"needs {self.RANK} dimensions {names}")
        return input_shape

    def forward(self, x, training=False):
        self._training = bool(training) and self.rate > 0.0
        if not self._training:
            return x
        rng = self._rng or global_rng()
        uniform = self.buffer("uniform", (x.shape[0], x.shape[-1]))
        rng.random(out=uniform, dtype=np.float32)
        y = self.buffer("y", x.shape)
        channel_dropout(self._rows(x), uniform, self.rate, self._rows(y))
        return y

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        if not self._training:
            return dy
        dx = self.buffer("dx", dy.shape)
        channel_dropout(self._rows(dy), self._buffers["uniform"], self.rate, self._rows(dx))
        return dx

    @staticmethod
    def _rows(a):
        """(batch, positions, channels) view of a C-contiguous copy of `a`."""
        return np.ascontiguousarray(a).reshape(a.shape[0], -1, a.shape[-1])


RATE = Param("rate", "float", low=0.0, high=1.0, high_inclusive=False, help="Fraction of channels to drop.")
SEED = Param("seed", "optional_int", default=None, low=0, help="Seed of this layer's own random stream.")


@register("Core", "Drops whole channels of (batch, steps, channels) during training, scaling the rest.")
class SpatialDropout1D(_SpatialDropout):
    """Spatial dropout for sequences: the mask has shape (batch, 1, channels).

    Args:
        rate: fraction of channels to drop; kept ones are scaled by 1 / (1 - rate).
        seed: seed of the layer's own random stream (default: the global one).
    Input shape: (batch, steps, channels). Output shape: the same.
    """

    PARAMS = (RATE, SEED)
    RANK = 3


@register("Core", "Drops whole channels of (batch, height, width, channels) during training, scaling the rest.")
class SpatialDropout2D(_SpatialDropout):
    """Spatial dropout for images: the mask has shape (batch, 1, 1, channels).

    Args:
        rate: fraction of channels to drop; kept ones are scaled by 1 / (1 - rate).
        seed: seed of the layer's own random stream (default: the global one).
    Input shape: (batch, height, width, channels). Output shape: the same.
    """

    PARAMS = (RATE, CHANNELS_LAST, SEED)
    RANK = 4
