"""Batch and layer normalization kernels over (rows, channels) float32 views.

Batch normalization reduces over rows, so its passes split the rows into a fixed number of
blocks (a function of the array's size only, so results do not depend on the thread count),
run the blocks in parallel with float64 partial sums per channel, then add the partials. Layer
normalization reduces along each row, so its rows run in parallel; its weight gradients are
again per-block partial sums.
"""

import numpy as np
from numba import njit, prange

#: values per row block: a smaller block does not pay for handing it to a thread
_BLOCK_VALUES = 1 << 14
_MAX_BLOCKS = 64


@njit(cache=True, nogil=True)
def _row_blocks(rows, cols):
    return max(1, min((rows * cols) // _BLOCK_VALUES, rows, _MAX_BLOCKS))


@njit(cache=True, nogil=True, parallel=True)
def batch_moments(x, mean, var):
    """Per-channel mean and biased variance of x (rows, channels) into mean and var (channels,).

    Two passes (sum, then squared deviations from the float64 mean) so that a large mean does
    not swallow the variance's digits.
    """
    rows, cols = x.shape
    nb = _row_blocks(rows, cols)
    partial = np.zeros((nb, cols))
    for b in prange(nb):
        for r in range(b * rows // nb, (b + 1) * rows // nb):
            for c in range(cols):
                partial[b, c] += x[r, c]
    mean64 = np.empty(cols)
    for c in range(cols):
        total = 0.0
        for b in range(nb):
            total += partial[b, c]
        mean64[c] = total / rows
        mean[c] = mean64[c]
    partial[:] = 0.0
    for b in prange(nb):
        for r in range(b * rows // nb, (b + 1) * rows // nb):
            for c in range(cols):
                d = x[r, c] - mean64[c]
                partial[b, c] += d * d
    for c in range(cols):
        total = 0.0
        for b in range(nb):
            total += partial[b, c]
        var[c] = total / rows


@njit(cache=True, nogil=True)
def inverse_std(var, epsilon, inv_std):
    """inv_std = 1 / sqrt(var + epsilon), in float32 as Keras computes it."""
    eps = np.float32(epsilon)
    for c in range(var.shape[0]):
        inv_std[c] = np.float32(1.0) / np.sqrt(var[c] + eps)


@njit(cache=True, nogil=True)
def moving_average_update(moving, batch, momentum):
    """moving = moving * momentum + batch * (1 - momentum), Keras's update of the moving stats."""
    keep = np.float32(momentum)
    take = np.float32(1.0 - momentum)
    for c in range(moving.shape[0]):
        moving[c] = moving[c] * keep + batch[c] * take


@njit(cache=True, nogil=True, parallel=True)
def batch_norm_apply(x, mean, inv_std, gamma, beta, y):
    """y = (x - mean) * (inv_std * gamma) + beta, per channel of x (rows, channels)."""
    rows, cols = x.shape
    scale = np.empty(cols, np.float32)
    for c in range(cols):
        scale[c] = inv_std[c] * gamma[c]
    nb = _row_blocks(rows, cols)
    for b in prange(nb):
        for r in range(b * rows // nb, (b + 1) * rows // nb):
            for c in range(cols):
                y[r, c] = (x[r, c] - mean[c]) * scale[c] + beta[c]


@njit(cache=True, nogil=True, parallel=True)
def batch_norm_param_grads(x, dy, mean, inv_std, dgamma, dbeta):
    """dbeta = sum of dy and dgamma = sum of dy * x_hat over the rows, x_hat recomputed from x."""
    rows, cols = x.shape
    nb = _row_blocks(rows, cols)
    partial_gamma = np.zeros((nb, cols))
    partial_beta = np.zeros((nb, cols))
    for b in prange(nb):
        for r in range(b * rows // nb, (b + 1) * rows // nb):
            for c in range(cols):
                g = dy[r, c]
                partial_beta[b, c] += g
                partial_gamma[b, c] += g * ((x[r, c] - mean[c]) * inv_std[c])
    for c in range(cols):
        sum_gamma = 0.0
        sum_beta = 0.0
        for b in range(nb):
            sum_gamma += partial_gamma[b, c]
            sum_beta += partial_beta[b, c]
        dgamma[c] = sum_gamma
        dbeta[c] = sum_beta


@njit(cache=True, nogil=True, parallel=True)
def batch_norm_train_input_grad(x, dy, mean, inv_std, gamma, dgamma, dbeta, dx):
    """dx when the statistics are the batch's own, so they depend on x too:
    dx = gamma * inv_std * (dy - dbeta / n - x_hat * dgamma / n), with dgamma and dbeta the sums
    from `batch_norm_param_grads`.
    """
    rows, cols = x.shape
    scale = np.empty(cols, np.float32)
    mean_beta = np.empty(cols, np.float32)
    mean_gamma = np.empty(cols, np.float32)
    for c in range(cols):
        scale[c] = gamma[c] * inv_std[c]
        mean_beta[c] = dbeta[c] / rows
        mean_gamma[c] = dgamma[c] / rows
    nb = _row_blocks(rows, cols)
    for b in prange(nb):
        for r in range(b * rows // nb, (b + 1) * rows // nb):
            for c in range(cols):
                x_hat = (x[r, c] - mean[c]) * inv_std[c]
                dx[r, c] = scale[c] * (dy[r, c] - mean_beta[c] - x_hat * mean_gamma[c])


@njit(cache=True, nogil=True, parallel=True)
def batch_norm_inference_input_grad(dy, inv_std, gamma, dx):
    """dx = dy * gamma * inv_std: with fixed (moving) statistics the layer is affine in x."""
    rows, cols = dy.shape
    scale = np.empty(cols, np.float32)
    for c in range(cols):
        scale[c] = gamma[c] * inv_std[c]
    nb = _row_blocks(rows, cols)
    for b in prange(nb):
        for r in range(b * rows // nb, (b + 1) * rows // nb):
            for c in range(cols):
                dx[r, c] = dy[r, c] * scale[c]


@njit(cache=True, nogil=True, parallel=True)
def layer_norm_forward(x, gamma, beta, epsilon, mean, inv_std, y):
    """Normalise each row of x (rows, features) by its own mean and biased variance, then
    y = x_hat * gamma + beta; mean and inv_std (rows,) are kept for the backward pass."""
    rows, cols = x.shape
    eps = np.float32(epsilon)
    for r in prange(rows):
        total = 0.0
        for c in range(cols):
            total += x[r, c]
        m = total / cols
        squares = 0.0
        for c in range(cols):
            d = x[r, c] - m
            squares += d * d
        inv = np.float32(1.0) / np.sqrt(np.float32(squares / cols) + eps)
        mean[r] = m
        inv_std[r] = inv
        m32 = mean[r]
        for c in range(cols):
            y[r, c] = (x[r, c] - m32) * inv * gamma[c] + beta[c]


@njit(cache=True, nogil=True, parallel=True)
def layer_norm_backward(x, dy, mean, inv_std, gamma, dgamma, dbeta, dx, need_dx):
    """dgamma, dbeta (features,) summed over rows; when need_dx, per row
    dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)) with g = dy * gamma."""
    rows, cols = x.shape
    nb = _row_blocks(rows, cols)
    partial_gamma = np.zeros((nb, cols))
    partial_beta = np.zeros((nb, cols))
    for b in prange(nb):
        for r in range(b * rows // nb, (b + 1) * rows // nb):
            m = mean[r]
            inv = inv_std[r]
            sum_g = 0.0
            sum_g_xhat = 0.0
            for c in range(cols):
                x_hat = (x[r, c] - m) * inv
                g = dy[r, c]
                partial_beta[b, c] += g
                partial_gamma[b, c] += g * x_hat
                sum_g += g * gamma[c]
                sum_g_xhat += g * gamma[c] * x_hat
            if need_dx:
                mean_g = np.float32(sum_g / cols)
                mean_g_xhat = np.float32(sum_g_xhat / cols)
                for c in range(cols):
                    x_hat = (x[r, c] - m) * inv
                    dx[r, c] = inv * (dy[r, c] * gamma[c] - mean_g - x_hat * mean_g_xhat)
    for c in range(cols):
        sum_gamma = 0.0
        sum_beta = 0.0
        for b in range(nb):
            sum_gamma += partial_gamma[b, c]
            sum_beta += partial_beta[b, c]
        dgamma[c] = sum_gamma
        dbeta[c] = sum_beta
