"""Convolution layers: Conv1D, Conv2D (channels last), on the blocked im2col + BLAS kernels.

Conv1D runs the 2-D kernels on (batch, 1, steps, channels) views with a (1, k, in, out) view
of its (k, in, out) kernel. `window_geometry` holds Keras's rules for output sizes and
"same"/"causal" padding; the pooling layers use it too.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from kernels.conv import conv_backward, conv_forward, output_determined, partials_shapes, scratch_shape
from kernels.dense import EMPTY

from ..activations import activation_id
from ..catalog import register
from ..errors import ConfigError
from ..params import Param
from .base import Layer, WeightSpec, format_shape

CHANNELS_LAST = Param(
    "data_format", "choice", default="channels_last", choices=("channels_last",),
    help="Layout of the data; SeqStudio is channels last.",
)


def window_geometry(size: int, window: int, stride: int, dilation: int, padding: str):
    """(output size, padding before) along one axis, as Keras computes them, or None when the
    window's reach ((window - 1) * dilation + 1) exceeds the padded input.

    "same": output ceil(size / stride), the padding split with the odd element after;
    "causal": all padding before, (window - 1) * dilation elements of it.
    """
    reach = (window - 1) * dilation + 1
    if padding == "same":
        out = -(-size // stride)
        return out, max((out - 1) * stride + reach - size, 0) // 2
    pad = reach - 1 if padding == "causal" else 0
    if size + pad < reach:
        return None
    return (size + pad - reach) // stride + 1, pad


def spatial_words(rank: int) -> str:
    return "steps" if rank == 1 else "height x width"


def as_4d(a: np.ndarray) -> np.ndarray:
    """(batch, steps, channels) as (batch, 1, steps, channels); 4-D arrays unchanged."""
    a = np.ascontiguousarray(a)
    return a if a.ndim == 4 else a.reshape(a.shape[0], 1, a.shape[1], a.shape[2])


class _Conv(Layer):
    """Both convolutions; RANK is the number of spatial axes."""

    RANK: ClassVar[int]
    LAYOUT: ClassVar[str]

    def validate(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ConfigError(
                f"{self.class_name}: invalid strides={self.strides} with dilation_rate={self.dilation_rate}: "
                "strides > 1 cannot be combined with dilation_rate > 1"
            )

    def _geometry(self, input_shape) -> list[tuple[int, int]]:
        if len(input_shape) != self.RANK + 2:
            raise self.shape_error(input_shape, f"needs {self.RANK + 2} dimensions {self.LAYOUT}")
        axes = [
            window_geometry(size, k, s, d, self.padding)
            for size, k, s, d in zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate)
        ]
        if None in axes:
            reach = tuple((k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate))
            raise self.shape_error(
                input_shape,
                f"needs {spatial_words(self.RANK)} of at least {' x '.join(map(str, reach))} for "
                f"kernel_size={format_shape(self.kernel_size)}, dilation_rate={format_shape(self.dilation_rate)} "
                f"and padding={self.padding!r}",
            )
        return axes

    def compute_output_shape(self, input_shape):
        axes = self._geometry(input_shape)
        return (input_shape[0], *(out for out, _ in axes), self.filters)

    def weight_specs(self, input_shape):
        specs = [WeightSpec("kernel", (*self.kernel_size, input_shape[-1], self.filters), self.kernel_initializer)]
        if self.use_bias:
            specs.append(WeightSpec("bias", (self.filters,), self.bias_initializer))
        return specs

    def build(self, input_shape, rng):
        super().build(input_shape, rng)
        self._act = activation_id(self.activation)

    def _window(self, input_shape):
        """The kernels' (out_h, out_w) and window tuple for `input_shape`."""
        lead = (1,) * (2 - self.RANK)
        (out_h, pad_top), (out_w, pad_left) = [(1, 0)] * (2 - self.RANK) + self._geometry(input_shape)
        kh, kw = lead + self.kernel_size
        sh, sw = lead + self.strides
        dh, dw = lead + self.dilation_rate
        return out_h, out_w, (kh, kw, sh, sw, dh, dw, pad_top, pad_left)

    def forward(self, x, training=False):
        x4 = as_4d(x)
        n, channels = x4.shape[0], x4.shape[3]
        out_h, out_w, window = self._window(x.shape)
        shape = (n, out_h, out_w, self.filters)
        z = self.buffer("z", shape)
        y = z if output_determined(self._act) else self.buffer("y", shape)
        taps = math.prod(self.kernel_size)
        scratch = self.buffer("scratch", scratch_shape(n * out_h * out_w, taps * channels, self.filters,
                                                       x4.size // channels, channels))
        kernel2d = self.weights[0].value.reshape(taps * channels, self.filters)
        bias = self.weights[1].value if self.use_bias else EMPTY
        conv_forward(x4, kernel2d, bias, self._act, window, scratch, z, y)
        self._x_shape, self._x4, self._z, self._y, self._scratch = x.shape, x4, z, y, scratch
        self._window_args = window
        return y.reshape(n, *shape[3 - self.RANK:])

    def backward(self, dy, need_dx=True):
        """The gradients; overwrites the forward pass's pre-activation (and, for activations
        computed in place, its output) with dz."""
        z = self._z
        dy4 = np.ascontiguousarray(dy).reshape(z.shape)
        kernel, filters = self.weights[0], self.filters
        shape4 = (1,) * (2 - self.RANK) + kernel.value.shape
        kh, kw, channels = shape4[:3]
        dkernel_parts_shape, dbias_parts_shape = partials_shapes(kh * kw * channels, filters, self.use_bias,
                                                                 self._scratch.shape[0])
        dx = self.buffer("dx", self._x4.shape) if need_dx else None
        conv_backward(
            self._x4, kernel.value.reshape(shape4), z, self._y, self._act, self._window_args, self._scratch, dy4,
            self.buffer("dkernel_parts", dkernel_parts_shape), self.buffer("dbias_parts", dbias_parts_shape),
            self.buffer("kernel_t", (kh * kw * filters, channels)), kernel.grad.reshape(shape4),
            self.weights[1].grad if self.use_bias else EMPTY, dx,
        )
        return None if dx is None else dx.reshape(self._x_shape)


def _conv_params(rank: int, paddings: tuple) -> tuple[Param, ...]:
    """Keras's arguments, in Keras's positional order."""
    return (
        Param("filters", "int", low=1, high=1 << 16, help="Number of output channels."),
        Param("kernel_size", "ints", length=rank, low=1, help="Window size of the convolution."),
        Param("strides", "ints", default=(1,) * rank, length=rank, low=1, help="Step between windows."),
        Param("padding", "choice", default="valid", choices=paddings,
              help="'valid': no padding; 'same': output size ceil(input / stride)"
              + ("; 'causal': pad the start only." if "causal" in paddings else ".")),
        CHANNELS_LAST,
        Param("dilation_rate", "ints", default=(1,) * rank, length=rank, low=1,
              help="Spacing between kernel taps (atrous convolution)."),
        Param("activation", "activation", default="linear", help="Applied to the output."),
        Param("use_bias", "bool", default=True, help="Add a learned bias per filter."),
        Param("kernel_initializer", "initializer", default="glorot_uniform", help="Initializer of the kernel."),
        Param("bias_initializer", "initializer", default="zeros", help="Initializer of the bias."),
    )


@register("Convolution", "1-D convolution over the steps of (batch, steps, channels) sequences.")
class Conv1D(_Conv):
    """Temporal convolution.

    Args:
        filters: number of output channels.
        kernel_size: length of the window.
        strides, dilation_rate: ints (strides > 1 excludes dilation_rate > 1).
        padding: "valid", "same" or "causal".
        activation, use_bias, kernel_initializer, bias_initializer: as Dense.
    Input shape: (batch, steps, channels). Output shape: (batch, new_steps, filters).
    Kernel: (kernel_size, channels, filters).
    """

    RANK = 1
    LAYOUT = "(batch, steps, channels)"
    PARAMS = _conv_params(1, ("valid", "same", "causal"))


@register("Convolution", "2-D convolution over the height and width of (batch, height, width, channels) images.")
class Conv2D(_Conv):
    """Spatial convolution.

    Args:
        filters: number of output channels.
        kernel_size: (height, width) of the window, or one int for both.
        strides, dilation_rate: pairs or ints (strides > 1 excludes dilation_rate > 1).
        padding: "valid" or "same".
        activation, use_bias, kernel_initializer, bias_initializer: as Dense.
    Input shape: (batch, height, width, channels).
    Output shape: (batch, new_height, new_width, filters). Kernel: (kh, kw, channels, filters).
    """

    RANK = 2
    LAYOUT = "(batch, height, width, channels)"
    PARAMS = _conv_params(2, ("valid", "same"))
