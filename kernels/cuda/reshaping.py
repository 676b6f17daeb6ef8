"""Copy kernels of the small reshaping layers on the GPU: the twins of kernels/reshaping.py
(zero padding and its crop, nearest upsampling and its block sums, vector repetition and its
sum, whole-channel dropout), plus `permute_axes`, the copy behind Permute (and any move of
an axis), which the CPU does with numpy.

One thread per output element; the backward sums gather (each input element adds up its own
block), so no atomics. The 1-D layers use the 2-D kernels on (batch, 1, steps, channels) views.
"""

import math

import numpy as np
from numba import cuda, float32

from kernels.cuda.launch import blocks_for
from kernels.cuda.pooling import _unravel as unravel_4d


@cuda.jit
def _zero_pad_kernel(x, top, left, y):
    e = cuda.grid(1)
    if e < y.size:
        s, i, j, k = unravel_4d(e, y.shape[1], y.shape[2], y.shape[3])
        p = i - top
        q = j - left
        inside = p >= 0 and p < x.shape[1] and q >= 0 and q < x.shape[2]
        y[s, i, j, k] = x[s, p, q, k] if inside else float32(0.0)


@cuda.jit
def _crop_kernel(dy, top, left, dx):
    e = cuda.grid(1)
    if e < dx.size:
        s, i, j, k = unravel_4d(e, dx.shape[1], dx.shape[2], dx.shape[3])
        dx[s, i, j, k] = dy[s, top + i, left + j, k]


@cuda.jit
def _upsample_kernel(x, size_h, size_w, y):
    e = cuda.grid(1)
    if e < y.size:
        s, i, j, k = unravel_4d(e, y.shape[1], y.shape[2], y.shape[3])
        y[s, i, j, k] = x[s, i // size_h, j // size_w, k]


@cuda.jit
def _upsample_backward_kernel(dy, size_h, size_w, dx):
    e = cuda.grid(1)
    if e < dx.size:
        s, i, j, k = unravel_4d(e, dx.shape[1], dx.shape[2], dx.shape[3])
        total = float32(0.0)
        for a in range(size_h):
            for b in range(size_w):
                total += dy[s, i * size_h + a, j * size_w + b, k]
        dx[s, i, j, k] = total


@cuda.jit
def _repeat_kernel(x, y):
    e = cuda.grid(1)
    n, times, features = y.shape
    if e < y.size:
        s = e // (times * features)
        y[s, (e // features) % times, e % features] = x[s, e % features]


@cuda.jit
def _repeat_backward_kernel(dy, dx):
    e = cuda.grid(1)
    n, features = dx.shape
    if e < dx.size:
        s = e // features
        f = e - s * features
        total = float32(0.0)
        for t in range(dy.shape[1]):
            total += dy[s, t, f]
        dx[s, f] = total


@cuda.jit
def _channel_dropout_kernel(x, uniform, rate, scale, y):
    e = cuda.grid(1)
    n, positions, c = y.shape
    if e < y.size:
        s = e // (positions * c)
        p = (e // c) % positions
        k = e % c
        y[s, p, k] = x[s, p, k] * scale if uniform[s, k] >= rate else float32(0.0)


@cuda.jit
def _permute_kernel(x, strides, shape, y):
    e = cuda.grid(1)
    if e < y.shape[0]:
        rest = e
        src = 0
        for axis in range(len(shape) - 1, -1, -1):
            src += (rest % shape[axis]) * strides[axis]
            rest //= shape[axis]
        y[e] = x[src]


def zero_pad_2d(x, top, left, y):
    """y (n, h + top + bottom, w + left + right, c) = x (n, h, w, c) framed by zeros."""
    _zero_pad_kernel[blocks_for(y.size), 128](x, top, left, y)


def crop_2d(dy, top, left, dx):
    """dx (n, h, w, c) = the window of dy starting at (top, left): the gradient of zero padding."""
    _crop_kernel[blocks_for(dx.size), 128](dy, top, left, dx)


def upsample_nearest_2d(x, size_h, size_w, y):
    """y (n, h * size_h, w * size_w, c): every pixel of x (n, h, w, c) repeated in a block."""
    _upsample_kernel[blocks_for(y.size), 128](x, size_h, size_w, y)


def upsample_nearest_2d_backward(dy, size_h, size_w, dx):
    """dx (n, h, w, c): each pixel's gradient is the sum of dy over its block."""
    _upsample_backward_kernel[blocks_for(dx.size), 128](dy, size_h, size_w, dx)


def repeat_vector(x, y):
    """y (n, times, features) = x (n, features) repeated along a new axis."""
    _repeat_kernel[blocks_for(y.size), 128](x, y)


def repeat_vector_backward(dy, dx):
    """dx (n, features) = dy (n, times, features) summed over the repeats."""
    _repeat_backward_kernel[blocks_for(dx.size), 128](dy, dx)


def channel_dropout(x, uniform, rate, y):
    """y (n, positions, c) = x / (1 - rate) on the channels where uniform (n, c) >= rate,
    else 0; the same call with dy for x gives the gradient."""
    scale = np.float32(1.0 / (1.0 - rate))
    _channel_dropout_kernel[blocks_for(y.size), 128](x, uniform, np.float32(rate), scale, y)


def permute_axes(x, axes, y):
    """y = x.transpose(axes), C-contiguous; x is C-contiguous, axes a permutation of its axes."""
    element_strides = [math.prod(x.shape[axis + 1 :]) for axis in range(x.ndim)]
    strides = tuple(element_strides[axis] for axis in axes)
    _permute_kernel[blocks_for(y.size), 128](x.reshape(x.size), strides, tuple(y.shape), y.reshape(y.size))
