"""Loss kernels on the GPU: the formulas of kernels/losses.py (Keras 3's numerics).

The CPU kernels return the batch-mean loss; a kernel cannot, so each launcher here takes a
one-element float64 buffer `total` and leaves the mean loss there (summed through atomics),
next to the gradient it overwrites. Row losses run one thread per row (2-D views), the
element-wise ones one thread per element (flat views). Arithmetic is float64 inside.
"""

import math

import numpy as np
from numba import cuda

from kernels.cuda.launch import blocks_for
from kernels.losses import EPSILON, ONE_MINUS_EPSILON


@cuda.jit(device=True)
def _clip(x, low, high):
    return min(max(x, low), high)


@cuda.jit(device=True)
def _inside(x, low, high):
    return 1.0 if low <= x <= high else 0.0


@cuda.jit(device=True)
def _row_sum(a, i):
    s = 0.0
    for j in range(a.shape[1]):
        s += a[i, j]
    return s


@cuda.jit(device=True)
def _row_log_sum_exp(z, i):
    m = z[i, 0]
    for j in range(1, z.shape[1]):
        m = max(m, z[i, j])
    s = 0.0
    for j in range(z.shape[1]):
        s += math.exp(z[i, j] - m)
    return m + math.log(s)


@cuda.jit
def _categorical_crossentropy_kernel(y_true, y_pred, label_smoothing, grad, total):
    i = cuda.grid(1)
    rows, classes = y_pred.shape
    if i < rows:
        keep = 1.0 - label_smoothing
        spread = label_smoothing / classes
        scale = 1.0 / rows
        s = _row_sum(y_pred, i)
        loss = 0.0
        g_dot_q = 0.0
        for j in range(classes):
            t = y_true[i, j] * keep + spread
            q = y_pred[i, j] / s
            c = _clip(q, EPSILON, ONE_MINUS_EPSILON)
            loss -= t * math.log(c)
            g = -t / c * _inside(q, EPSILON, ONE_MINUS_EPSILON)
            grad[i, j] = g
            g_dot_q += g * q
        for j in range(classes):
            grad[i, j] = (grad[i, j] - g_dot_q) / s * scale
        cuda.atomic.add(total, 0, loss * scale)


@cuda.jit
def _categorical_crossentropy_logits_kernel(y_true, logits, label_smoothing, grad, total):
    i = cuda.grid(1)
    rows, classes = logits.shape
    if i < rows:
        keep = 1.0 - label_smoothing
        spread = label_smoothing / classes
        scale = 1.0 / rows
        lse = _row_log_sum_exp(logits, i)
        loss = 0.0
        t_sum = 0.0
        for j in range(classes):
            t = y_true[i, j] * keep + spread
            loss -= t * (logits[i, j] - lse)
            t_sum += t
        for j in range(classes):
            t = y_true[i, j] * keep + spread
            grad[i, j] = (math.exp(logits[i, j] - lse) * t_sum - t) * scale
        cuda.atomic.add(total, 0, loss * scale)


@cuda.jit
def _sparse_categorical_crossentropy_kernel(labels, y_pred, grad, total):
    i = cuda.grid(1)
    rows, classes = y_pred.shape
    if i < rows:
        scale = 1.0 / rows
        y = int(labels[i])
        s = _row_sum(y_pred, i)
        q = y_pred[i, y] / s
        c = _clip(q, EPSILON, ONE_MINUS_EPSILON)
        g = -1.0 / c * _inside(q, EPSILON, ONE_MINUS_EPSILON)
        for j in range(classes):
            grad[i, j] = -g * q / s * scale
        grad[i, y] += g / s * scale
        cuda.atomic.add(total, 0, -math.log(c) * scale)


@cuda.jit
def _sparse_categorical_crossentropy_logits_kernel(labels, logits, grad, total):
    i = cuda.grid(1)
    rows, classes = logits.shape
    if i < rows:
        scale = 1.0 / rows
        y = int(labels[i])
        lse = _row_log_sum_exp(logits, i)
        for j in range(classes):
            grad[i, j] = math.exp(logits[i, j] - lse) * scale
        grad[i, y] -= scale
        cuda.atomic.add(total, 0, -(logits[i, y] - lse) * scale)


@cuda.jit
def _kl_divergence_kernel(y_true, y_pred, grad, total):
    i = cuda.grid(1)
    rows, classes = y_pred.shape
    if i < rows:
        scale = 1.0 / rows
        loss = 0.0
        for j in range(classes):
            t = _clip(y_true[i, j], EPSILON, 1.0)
            p = y_pred[i, j]
            c = _clip(p, EPSILON, 1.0)
            loss += t * math.log(t / c)
            grad[i, j] = -t / c * _inside(p, EPSILON, 1.0) * scale
        cuda.atomic.add(total, 0, loss * scale)


@cuda.jit
def _binary_crossentropy_kernel(y_true, y_pred, label_smoothing, grad, total):
    i = cuda.grid(1)
    n = y_pred.shape[0]
    if i < n:
        scale = 1.0 / n
        t = y_true[i] * (1.0 - label_smoothing) + 0.5 * label_smoothing
        p = y_pred[i]
        c = _clip(p, EPSILON, ONE_MINUS_EPSILON)
        grad[i] = ((1.0 - t) / (1.0 - c) - t / c) * _inside(p, EPSILON, ONE_MINUS_EPSILON) * scale
        cuda.atomic.add(total, 0, -(t * math.log(c) + (1.0 - t) * math.log(1.0 - c)) * scale)


@cuda.jit
def _binary_crossentropy_logits_kernel(y_true, logits, label_smoothing, grad, total):
    i = cuda.grid(1)
    n = logits.shape[0]
    if i < n:
        scale = 1.0 / n
        t = y_true[i] * (1.0 - label_smoothing) + 0.5 * label_smoothing
        z = logits[i]
        e = math.exp(-abs(z))
        sigmoid = 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)
        grad[i] = (sigmoid - t) * scale
        cuda.atomic.add(total, 0, (max(z, 0.0) - z * t + math.log1p(e)) * scale)


@cuda.jit
def _mean_squared_error_kernel(y_true, y_pred, grad, total):
    i = cuda.grid(1)
    n = y_pred.shape[0]
    if i < n:
        d = np.float64(y_pred[i]) - y_true[i]
        grad[i] = 2.0 * d / n
        cuda.atomic.add(total, 0, d * d / n)


@cuda.jit
def _mean_absolute_error_kernel(y_true, y_pred, grad, total):
    i = cuda.grid(1)
    n = y_pred.shape[0]
    if i < n:
        d = np.float64(y_pred[i]) - y_true[i]
        grad[i] = (1.0 if d > 0.0 else (-1.0 if d < 0.0 else 0.0)) / n
        cuda.atomic.add(total, 0, abs(d) / n)


@cuda.jit
def _huber_kernel(y_true, y_pred, delta, grad, total):
    i = cuda.grid(1)
    n = y_pred.shape[0]
    if i < n:
        e = np.float64(y_pred[i]) - y_true[i]
        if abs(e) <= delta:
            loss = 0.5 * e * e
            grad[i] = e / n
        else:
            loss = delta * abs(e) - 0.5 * delta * delta
            grad[i] = (delta if e > 0.0 else -delta) / n
        cuda.atomic.add(total, 0, loss / n)


@cuda.jit
def _non_binary_kernel(y_true, flag):
    i = cuda.grid(1)
    if i < y_true.shape[0] and y_true[i] != 0.0 and y_true[i] != 1.0:
        flag[0] = 1


@cuda.jit
def _hinge_kernel(y_true, y_pred, non_binary, grad, total):
    i = cuda.grid(1)
    n = y_pred.shape[0]
    if i < n:
        t = np.float64(y_true[i]) if non_binary[0] else 2.0 * y_true[i] - 1.0
        margin = 1.0 - t * y_pred[i]
        if margin > 0.0:
            grad[i] = -t / n
            cuda.atomic.add(total, 0, margin / n)
        else:
            grad[i] = 0.0


@cuda.jit
def _poisson_kernel(y_true, y_pred, grad, total):
    i = cuda.grid(1)
    n = y_pred.shape[0]
    if i < n:
        t = np.float64(y_true[i])
        p = np.float64(y_pred[i])
        grad[i] = (1.0 - t / (p + EPSILON)) / n
        cuda.atomic.add(total, 0, (p - t * math.log(p + EPSILON)) / n)


def _rows(a):
    return blocks_for(a.shape[0]), 128


def categorical_crossentropy(y_true, y_pred, label_smoothing, grad, total):
    total[:] = 0.0
    _categorical_crossentropy_kernel[_rows(y_pred)](y_true, y_pred, float(label_smoothing), grad, total)


def categorical_crossentropy_logits(y_true, logits, label_smoothing, grad, total):
    total[:] = 0.0
    _categorical_crossentropy_logits_kernel[_rows(logits)](y_true, logits, float(label_smoothing), grad, total)


def sparse_categorical_crossentropy(labels, y_pred, grad, total):
    total[:] = 0.0
    _sparse_categorical_crossentropy_kernel[_rows(y_pred)](labels, y_pred, grad, total)


def sparse_categorical_crossentropy_logits(labels, logits, grad, total):
    total[:] = 0.0
    _sparse_categorical_crossentropy_logits_kernel[_rows(logits)](labels, logits, grad, total)


def kl_divergence(y_true, y_pred, grad, total):
    total[:] = 0.0
    _kl_divergence_kernel[_rows(y_pred)](y_true, y_pred, grad, total)


def binary_crossentropy(y_true, y_pred, label_smoothing, grad, total):
    total[:] = 0.0
    _binary_crossentropy_kernel[_rows(y_pred)](y_true, y_pred, float(label_smoothing), grad, total)


def binary_crossentropy_logits(y_true, logits, label_smoothing, grad, total):
    total[:] = 0.0
    _binary_crossentropy_logits_kernel[_rows(logits)](y_true, logits, float(label_smoothing), grad, total)


def mean_squared_error(y_true, y_pred, grad, total):
    total[:] = 0.0
    _mean_squared_error_kernel[_rows(y_pred)](y_true, y_pred, grad, total)


def mean_absolute_error(y_true, y_pred, grad, total):
    total[:] = 0.0
    _mean_absolute_error_kernel[_rows(y_pred)](y_true, y_pred, grad, total)


def huber(y_true, y_pred, delta, grad, total):
    total[:] = 0.0
    _huber_kernel[_rows(y_pred)](y_true, y_pred, float(delta), grad, total)


def hinge(y_true, y_pred, grad, total):
    """Labels all in {0, 1} are mapped to {-1, 1} first, as Keras (and the CPU kernel) do."""
    total[:] = 0.0
    non_binary = cuda.to_device(np.zeros(1, np.int32))
    _non_binary_kernel[_rows(y_true)](y_true, non_binary)
    _hinge_kernel[_rows(y_pred)](y_true, y_pred, non_binary, grad, total)


def poisson(y_true, y_pred, grad, total):
    total[:] = 0.0
    _poisson_kernel[_rows(y_pred)](y_true, y_pred, grad, total)
