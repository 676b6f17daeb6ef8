"""Batch and layer normalization on the GPU over (rows, channels) float32 arrays: the twins
of kernels/normalization.py (same functions, arguments and float64 accumulation).

Sums over rows (batch statistics, the gamma and beta gradients) run in blocks of TILE
channels x LANES row lanes: neighbouring threads read neighbouring channels of one row
(coalesced), each lane sums every LANES-th row, and the lanes' partial sums meet in shared
memory. Per-element work is one thread per element; layer normalization's per-row
statistics and input gradient one thread per row.
"""

import math

import numpy as np
from numba import cuda, float32, float64

from kernels.cuda.launch import blocks_for

TILE = 32
LANES = 8


@cuda.jit(device=True)
def _lane_sum(shared, value):
    """The sum of `value` over the row lanes (threadIdx.y) of this thread's channel, for
    every thread of the block (all of them must call it)."""
    tx = cuda.threadIdx.x
    shared[cuda.threadIdx.y, tx] = value
    cuda.syncthreads()
    total = 0.0
    for lane in range(LANES):
        total += shared[lane, tx]
    cuda.syncthreads()
    return total


@cuda.jit
def _moments_kernel(x, mean, var):
    rows, cols = x.shape
    c = cuda.blockIdx.x * TILE + cuda.threadIdx.x
    shared = cuda.shared.array((LANES, TILE), float64)
    total = 0.0
    if c < cols:
        for r in range(cuda.threadIdx.y, rows, LANES):
            total += x[r, c]
    m = _lane_sum(shared, total) / rows
    squares = 0.0
    if c < cols:
        for r in range(cuda.threadIdx.y, rows, LANES):
            d = x[r, c] - m
            squares += d * d
    v = _lane_sum(shared, squares) / rows
    if c < cols and cuda.threadIdx.y == 0:
        mean[c] = m
        var[c] = v


@cuda.jit
def _affine_grads_kernel(x, dy, mean, inv_std, per_row, dgamma, dbeta):
    rows, cols = x.shape
    c = cuda.blockIdx.x * TILE + cuda.threadIdx.x
    shared = cuda.shared.array((LANES, TILE), float64)
    sum_gamma = 0.0
    sum_beta = 0.0
    if c < cols:
        for r in range(cuda.threadIdx.y, rows, LANES):
            i = r if per_row else c
            g = dy[r, c]
            sum_beta += g
            sum_gamma += g * ((x[r, c] - mean[i]) * inv_std[i])
    sum_gamma = _lane_sum(shared, sum_gamma)
    sum_beta = _lane_sum(shared, sum_beta)
    if c < cols and cuda.threadIdx.y == 0:
        dgamma[c] = sum_gamma
        dbeta[c] = sum_beta


@cuda.jit
def _inverse_std_kernel(var, epsilon, inv_std):
    c = cuda.grid(1)
    if c < var.shape[0]:
        inv_std[c] = float32(1.0) / math.sqrt(var[c] + epsilon)


@cuda.jit
def _moving_average_kernel(moving, batch, keep, take):
    c = cuda.grid(1)
    if c < moving.shape[0]:
        moving[c] = moving[c] * keep + batch[c] * take


@cuda.jit
def _apply_kernel(x, mean, inv_std, gamma, beta, y):
    e = cuda.grid(1)
    cols = x.shape[1]
    if e < x.size:
        r = e // cols
        c = e - r * cols
        y[r, c] = (x[r, c] - mean[c]) * (inv_std[c] * gamma[c]) + beta[c]


@cuda.jit
def _train_input_grad_kernel(x, dy, mean, inv_std, gamma, dgamma, dbeta, dx):
    e = cuda.grid(1)
    rows, cols = x.shape
    if e < x.size:
        r = e // cols
        c = e - r * cols
        x_hat = (x[r, c] - mean[c]) * inv_std[c]
        mean_beta = float32(dbeta[c] / rows)
        mean_gamma = float32(dgamma[c] / rows)
        dx[r, c] = (gamma[c] * inv_std[c]) * (dy[r, c] - mean_beta - x_hat * mean_gamma)


@cuda.jit
def _inference_input_grad_kernel(dy, inv_std, gamma, dx):
    e = cuda.grid(1)
    cols = dy.shape[1]
    if e < dy.size:
        r = e // cols
        c = e - r * cols
        dx[r, c] = dy[r, c] * (gamma[c] * inv_std[c])


@cuda.jit
def _layer_norm_forward_kernel(x, gamma, beta, epsilon, mean, inv_std, y):
    r = cuda.grid(1)
    rows, cols = x.shape
    if r < rows:
        total = 0.0
        for c in range(cols):
            total += x[r, c]
        m = total / cols
        squares = 0.0
        for c in range(cols):
            d = x[r, c] - m
            squares += d * d
        inv = float32(1.0) / math.sqrt(float32(squares / cols) + epsilon)
        mean[r] = m
        inv_std[r] = inv
        m32 = mean[r]
        for c in range(cols):
            y[r, c] = (x[r, c] - m32) * inv * gamma[c] + beta[c]


@cuda.jit
def _layer_norm_input_grad_kernel(x, dy, mean, inv_std, gamma, dx):
    r = cuda.grid(1)
    rows, cols = x.shape
    if r < rows:
        m = mean[r]
        inv = inv_std[r]
        sum_g = 0.0
        sum_g_xhat = 0.0
        for c in range(cols):
            g = dy[r, c] * gamma[c]
            sum_g += g
            sum_g_xhat += g * ((x[r, c] - m) * inv)
        mean_g = float32(sum_g / cols)
        mean_g_xhat = float32(sum_g_xhat / cols)
        for c in range(cols):
            x_hat = (x[r, c] - m) * inv
            dx[r, c] = inv * (dy[r, c] * gamma[c] - mean_g - x_hat * mean_g_xhat)


def _column_blocks(cols):
    return (cols + TILE - 1) // TILE, (TILE, LANES)


def batch_moments(x, mean, var):
    """Per-channel mean and biased variance of x (rows, channels) into mean and var (channels,),
    two passes in float64 as on the CPU."""
    _moments_kernel[_column_blocks(x.shape[1])](x, mean, var)


def inverse_std(var, epsilon, inv_std):
    """inv_std = 1 / sqrt(var + epsilon), in float32."""
    _inverse_std_kernel[blocks_for(var.shape[0]), 128](var, np.float32(epsilon), inv_std)


def moving_average_update(moving, batch, momentum):
    """moving = moving * momentum + batch * (1 - momentum), in place."""
    _moving_average_kernel[blocks_for(moving.shape[0]), 128](
        moving, batch, np.float32(momentum), np.float32(1.0 - momentum))


def batch_norm_apply(x, mean, inv_std, gamma, beta, y):
    """y = (x - mean) * (inv_std * gamma) + beta, per channel of x (rows, channels)."""
    _apply_kernel[blocks_for(x.size), 128](x, mean, inv_std, gamma, beta, y)


def batch_norm_param_grads(x, dy, mean, inv_std, dgamma, dbeta):
    """dbeta = sum of dy and dgamma = sum of dy * x_hat over the rows."""
    _affine_grads_kernel[_column_blocks(x.shape[1])](x, dy, mean, inv_std, False, dgamma, dbeta)


def batch_norm_train_input_grad(x, dy, mean, inv_std, gamma, dgamma, dbeta, dx):
    """dx = gamma * inv_std * (dy - dbeta / n - x_hat * dgamma / n) (batch statistics)."""
    _train_input_grad_kernel[blocks_for(x.size), 128](x, dy, mean, inv_std, gamma, dgamma, dbeta, dx)


def batch_norm_inference_input_grad(dy, inv_std, gamma, dx):
    """dx = dy * gamma * inv_std (moving statistics)."""
    _inference_input_grad_kernel[blocks_for(dy.size), 128](dy, inv_std, gamma, dx)


def layer_norm_forward(x, gamma, beta, epsilon, mean, inv_std, y):
    """Each row of x (rows, features) normalised by its own statistics, then scaled and
    shifted; mean and inv_std (rows,) are kept for the backward pass."""
    _layer_norm_forward_kernel[blocks_for(x.shape[0]), 128](x, gamma, beta, np.float32(epsilon), mean, inv_std, y)


def layer_norm_backward(x, dy, mean, inv_std, gamma, dgamma, dbeta, dx, need_dx):
    """dgamma, dbeta (features,) summed over the rows; dx per row when need_dx."""
    _affine_grads_kernel[_column_blocks(x.shape[1])](x, dy, mean, inv_std, True, dgamma, dbeta)
    if need_dx:
        _layer_norm_input_grad_kernel[blocks_for(x.shape[0]), 128](x, dy, mean, inv_std, gamma, dx)
