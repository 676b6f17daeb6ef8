"""Bias + activation forward/backward and dropout on the GPU.

The activation ids and formulas are those of kernels/activations.py (same constants), so a
layer picks the same id on either device. One thread per element; softmax uses one thread
per row, and the bias gradient one thread per column (a column sum of dz).
"""

import math

import numpy as np
from numba import cuda

from kernels.activations import (
    ELU, EXPONENTIAL, GELU, HARD_SIGMOID, LEAKY_RELU, LEAKY_SLOPE, LINEAR, RELU, SELU,
    SELU_ALPHA, SELU_SCALE, SIGMOID, SOFTMAX, SOFTPLUS, SOFTSIGN, SWISH, TANH,
)
from kernels.cuda.launch import blocks_for

_INV_SQRT2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_BLOCK_2D = (16, 16)


@cuda.jit(device=True)
def _sigmoid(z):
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@cuda.jit(device=True)
def scalar_forward(z, act):
    """act(z) for one value: the GPU twin of kernels.activations.scalar_forward."""
    if act == RELU:
        return z if z > 0.0 else 0.0
    if act == SIGMOID:
        return _sigmoid(z)
    if act == TANH:
        return math.tanh(z)
    if act == ELU:
        return z if z > 0.0 else math.expm1(z)
    if act == SELU:
        return SELU_SCALE * (z if z > 0.0 else SELU_ALPHA * math.expm1(z))
    if act == SOFTPLUS:
        return max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    if act == SOFTSIGN:
        return z / (1.0 + abs(z))
    if act == SWISH:
        return z * _sigmoid(z)
    if act == GELU:
        return 0.5 * z * (1.0 + math.erf(z * _INV_SQRT2))
    if act == HARD_SIGMOID:
        return min(max(z / 6.0 + 0.5, 0.0), 1.0)
    if act == LEAKY_RELU:
        return z if z > 0.0 else LEAKY_SLOPE * z
    if act == EXPONENTIAL:
        return math.exp(z)
    return z


@cuda.jit(device=True)
def scalar_derivative(z, y, act):
    """d act(z) / dz: the GPU twin of kernels.activations.scalar_derivative."""
    if act == RELU:
        return 1.0 if z > 0.0 else 0.0
    if act == SIGMOID:
        return y * (1.0 - y)
    if act == TANH:
        return 1.0 - y * y
    if act == ELU:
        return 1.0 if z > 0.0 else y + 1.0
    if act == SELU:
        return SELU_SCALE if z > 0.0 else y + SELU_SCALE * SELU_ALPHA
    if act == SOFTPLUS:
        return _sigmoid(z)
    if act == SOFTSIGN:
        d = 1.0 + abs(z)
        return 1.0 / (d * d)
    if act == SWISH:
        s = _sigmoid(z)
        return s + z * s * (1.0 - s)
    if act == GELU:
        return 0.5 * (1.0 + math.erf(z * _INV_SQRT2)) + z * _INV_SQRT_2PI * math.exp(-0.5 * z * z)
    if act == HARD_SIGMOID:
        return 1.0 / 6.0 if -3.0 < z < 3.0 else 0.0
    if act == LEAKY_RELU:
        return 1.0 if z > 0.0 else LEAKY_SLOPE
    if act == EXPONENTIAL:
        return y
    return 1.0


@cuda.jit
def _bias_activation_kernel(z, bias, act, y):
    i, j = cuda.grid(2)
    rows, cols = z.shape
    if i < rows and j < cols:
        v = z[i, j]
        if bias.shape[0] == cols:
            v += bias[j]
            z[i, j] = v
        if act != SOFTMAX:
            y[i, j] = scalar_forward(v, act)


@cuda.jit
def _softmax_rows_kernel(z, y):
    i = cuda.grid(1)
    if i < z.shape[0]:
        m = z[i, 0]
        for j in range(1, z.shape[1]):
            m = max(m, z[i, j])
        s = 0.0
        for j in range(z.shape[1]):
            e = math.exp(z[i, j] - m)
            y[i, j] = e
            s += e
        for j in range(z.shape[1]):
            y[i, j] = y[i, j] / s


@cuda.jit
def _activation_backward_kernel(dy, z, y, act, dz):
    i, j = cuda.grid(2)
    rows, cols = dy.shape
    if i < rows and j < cols:
        if act == SOFTMAX:
            dot = 0.0
            for k in range(cols):
                dot += dy[i, k] * y[i, k]
            dz[i, j] = y[i, j] * (dy[i, j] - dot)
        elif act == LINEAR:
            dz[i, j] = dy[i, j]
        else:
            dz[i, j] = dy[i, j] * scalar_derivative(z[i, j], y[i, j], act)


@cuda.jit
def _column_sums_kernel(a, out):
    j = cuda.grid(1)
    if j < a.shape[1]:
        s = 0.0
        for i in range(a.shape[0]):
            s += a[i, j]
        out[j] = s


@cuda.jit
def _dropout_kernel(x, uniform, rate, scale, y):
    i = cuda.grid(1)
    if i < x.shape[0]:
        y[i] = x[i] * scale if uniform[i] >= rate else 0.0


def _grid_2d(shape):
    return ((shape[0] + _BLOCK_2D[0] - 1) // _BLOCK_2D[0], (shape[1] + _BLOCK_2D[1] - 1) // _BLOCK_2D[1])


def bias_activation_forward(z, bias, act, y):
    """y = act(z + bias) on 2-D arrays, z updated in place to z + bias (bias may be empty)."""
    _bias_activation_kernel[_grid_2d(z.shape), _BLOCK_2D](z, bias, act, y)
    if act == SOFTMAX:
        _softmax_rows_kernel[blocks_for(z.shape[0]), 128](z, y)


def activation_backward(dy, z, y, act, dz, dbias):
    """dz = dy * act'(z); dbias = column sums of dz when dbias is not empty.

    Unlike the CPU twin, dz must not alias dy for softmax (other threads still read dy).
    """
    _activation_backward_kernel[_grid_2d(dy.shape), _BLOCK_2D](dy, z, y, act, dz)
    if dbias.shape[0] == dy.shape[1]:
        _column_sums_kernel[blocks_for(dy.shape[1]), 128](dz, dbias)


def column_sums(a, out):
    """out (n,) = the sums of the columns of a (m, n)."""
    _column_sums_kernel[blocks_for(a.shape[1]), 128](a, out)


def _keep_scale(rate):
    """1 / (1 - rate) rounded to float32 once, as the CPU kernel does."""
    return np.float32(1.0 / (1.0 - rate))


def dropout_forward(x, uniform, rate, y):
    """y = x / (1 - rate) where uniform >= rate, else 0, on flat arrays."""
    _dropout_kernel[blocks_for(x.shape[0]), 128](x, uniform, np.float32(rate), _keep_scale(rate), y)


def dropout_backward(dy, uniform, rate, dx):
    _dropout_kernel[blocks_for(dy.shape[0]), 128](dy, uniform, np.float32(rate), _keep_scale(rate), dx)
