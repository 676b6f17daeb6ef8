"""Loss kernels: the batch-mean loss and its gradient with respect to the predictions.

Each kernel returns the mean loss ("sum_over_batch_size", as Keras reduces) and overwrites
`grad` with dL/dy_pred of that mean. Row kernels take 2-D views (rows, classes), where a row
is one sample (or one time step of one sample); element-wise kernels take flat views, since
a mean over the last axis followed by a mean over the rows is a mean over every element.

The numerics are Keras 3's: probabilities are clipped to [EPSILON, 1 - EPSILON] (float32
values of Keras's bounds) before the logarithms, and the gradients are exact derivatives of
what is computed, so they vanish where the clipping is active. Arithmetic is float64 inside,
stores are float32.
"""

import math

import numpy as np
from numba import njit

EPSILON = float(np.float32(1e-7))
ONE_MINUS_EPSILON = float(np.float32(1.0 - 1e-7))


@njit(cache=True, nogil=True, inline="always")
def _clip(x, low, high):
    return min(max(x, low), high)


@njit(cache=True, nogil=True, inline="always")
def _inside(x, low, high):
    """1.0 where clip(x, low, high) passes its gradient through, else 0.0."""
    return 1.0 if low <= x <= high else 0.0


@njit(cache=True, nogil=True)
def _row_sum(a, i):
    s = 0.0
    for j in range(a.shape[1]):
        s += a[i, j]
    return s


@njit(cache=True, nogil=True)
def _row_log_sum_exp(z, i):
    m = z[i, 0]
    for j in range(1, z.shape[1]):
        if z[i, j] > m:
            m = z[i, j]
    s = 0.0
    for j in range(z.shape[1]):
        s += math.exp(z[i, j] - m)
    return m + math.log(s)


@njit(cache=True, nogil=True)
def categorical_crossentropy(y_true, y_pred, label_smoothing, grad):
    """Mean over rows of -sum_j t_j log(clip(p_j / sum(p))), with t smoothed towards 1/C."""
    rows, classes = y_pred.shape
    keep = 1.0 - label_smoothing
    spread = label_smoothing / classes
    scale = 1.0 / rows
    total = 0.0
    for i in range(rows):
        s = _row_sum(y_pred, i)
        # g_j = d loss / d q_j (q = p / s); then d loss / d p_k = (g_k - sum_j g_j q_j) / s.
        g_dot_q = 0.0
        for j in range(classes):
            t = y_true[i, j] * keep + spread
            q = y_pred[i, j] / s
            c = _clip(q, EPSILON, ONE_MINUS_EPSILON)
            total -= t * math.log(c)
            g = -t / c * _inside(q, EPSILON, ONE_MINUS_EPSILON)
            grad[i, j] = g
            g_dot_q += g * q
        for j in range(classes):
            grad[i, j] = (grad[i, j] - g_dot_q) / s * scale
    return total * scale


@njit(cache=True, nogil=True)
def categorical_crossentropy_logits(y_true, logits, label_smoothing, grad):
    """Mean over rows of -sum_j t_j log_softmax(z)_j; gradient softmax(z) * sum(t) - t."""
    rows, classes = logits.shape
    keep = 1.0 - label_smoothing
    spread = label_smoothing / classes
    scale = 1.0 / rows
    total = 0.0
    for i in range(rows):
        lse = _row_log_sum_exp(logits, i)
        t_sum = 0.0
        for j in range(classes):
            t = y_true[i, j] * keep + spread
            total -= t * (logits[i, j] - lse)
            t_sum += t
        for j in range(classes):
            t = y_true[i, j] * keep + spread
            grad[i, j] = (math.exp(logits[i, j] - lse) * t_sum - t) * scale
    return total * scale


@njit(cache=True, nogil=True)
def sparse_categorical_crossentropy(labels, y_pred, grad):
    """categorical_crossentropy with one-hot targets given as class ids (float32 values)."""
    rows, classes = y_pred.shape
    scale = 1.0 / rows
    total = 0.0
    for i in range(rows):
        y = int(labels[i])
        s = _row_sum(y_pred, i)
        q = y_pred[i, y] / s
        c = _clip(q, EPSILON, ONE_MINUS_EPSILON)
        total -= math.log(c)
        g = -1.0 / c * _inside(q, EPSILON, ONE_MINUS_EPSILON)
        for j in range(classes):
            grad[i, j] = -g * q / s * scale
        grad[i, y] += g / s * scale
    return total * scale


@njit(cache=True, nogil=True)
def sparse_categorical_crossentropy_logits(labels, logits, grad):
    rows, classes = logits.shape
    scale = 1.0 / rows
    total = 0.0
    for i in range(rows):
        y = int(labels[i])
        lse = _row_log_sum_exp(logits, i)
        total -= logits[i, y] - lse
        for j in range(classes):
            grad[i, j] = math.exp(logits[i, j] - lse) * scale
        grad[i, y] -= scale
    return total * scale


@njit(cache=True, nogil=True)
def binary_crossentropy(y_true, y_pred, label_smoothing, grad):
    """Mean of -(t log c + (1 - t) log(1 - c)), c = clip(p), t smoothed towards 0.5; flat."""
    n = y_pred.shape[0]
    keep = 1.0 - label_smoothing
    half = 0.5 * label_smoothing
    scale = 1.0 / n
    total = 0.0
    for i in range(n):
        t = y_true[i] * keep + half
        p = y_pred[i]
        c = _clip(p, EPSILON, ONE_MINUS_EPSILON)
        total -= t * math.log(c) + (1.0 - t) * math.log(1.0 - c)
        inside = _inside(p, EPSILON, ONE_MINUS_EPSILON)
        grad[i] = ((1.0 - t) / (1.0 - c) - t / c) * inside * scale
    return total * scale


@njit(cache=True, nogil=True)
def binary_crossentropy_logits(y_true, logits, label_smoothing, grad):
    """Stable logistic loss max(z, 0) - z t + log(1 + exp(-|z|)); gradient sigmoid(z) - t."""
    n = logits.shape[0]
    keep = 1.0 - label_smoothing
    half = 0.5 * label_smoothing
    scale = 1.0 / n
    total = 0.0
    for i in range(n):
        t = y_true[i] * keep + half
        z = logits[i]
        e = math.exp(-abs(z))
        total += max(z, 0.0) - z * t + math.log1p(e)
        sigmoid = 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)
        grad[i] = (sigmoid - t) * scale
    return total * scale


@njit(cache=True, nogil=True)
def mean_squared_error(y_true, y_pred, grad):
    n = y_pred.shape[0]
    scale = 1.0 / n
    total = 0.0
    for i in range(n):
        d = y_pred[i] - y_true[i]
        total += d * d
        grad[i] = 2.0 * d * scale
    return total * scale


@njit(cache=True, nogil=True)
def mean_absolute_error(y_true, y_pred, grad):
    """Mean of |p - t|; the gradient is sign(p - t), 0 where p == t (as torch's abs)."""
    n = y_pred.shape[0]
    scale = 1.0 / n
    total = 0.0
    for i in range(n):
        d = y_pred[i] - y_true[i]
        total += abs(d)
        grad[i] = (1.0 if d > 0.0 else (-1.0 if d < 0.0 else 0.0)) * scale
    return total * scale


@njit(cache=True, nogil=True)
def huber(y_true, y_pred, delta, grad):
    """Mean of 0.5 e^2 where |e| <= delta, else delta |e| - 0.5 delta^2 (e = p - t)."""
    n = y_pred.shape[0]
    scale = 1.0 / n
    total = 0.0
    for i in range(n):
        e = y_pred[i] - y_true[i]
        if abs(e) <= delta:
            total += 0.5 * e * e
            grad[i] = e * scale
        else:
            total += delta * abs(e) - 0.5 * delta * delta
            grad[i] = (delta if e > 0.0 else -delta) * scale
    return total * scale


@njit(cache=True, nogil=True)
def kl_divergence(y_true, y_pred, grad):
    """Mean over rows of sum_j t_j log(t_j / p_j), both clipped to [EPSILON, 1]."""
    rows, classes = y_pred.shape
    scale = 1.0 / rows
    total = 0.0
    for i in range(rows):
        for j in range(classes):
            t = _clip(y_true[i, j], EPSILON, 1.0)
            p = y_pred[i, j]
            c = _clip(p, EPSILON, 1.0)
            total += t * math.log(t / c)
            grad[i, j] = -t / c * _inside(p, EPSILON, 1.0) * scale
    return total * scale


@njit(cache=True, nogil=True)
def hinge(y_true, y_pred, grad):
    """Mean of max(1 - t p, 0); labels all in {0, 1} are first mapped to {-1, 1} (Keras)."""
    n = y_pred.shape[0]
    binary = True
    for i in range(n):
        if y_true[i] != 0.0 and y_true[i] != 1.0:
            binary = False
            break
    scale = 1.0 / n
    total = 0.0
    for i in range(n):
        t = 2.0 * y_true[i] - 1.0 if binary else y_true[i]
        margin = 1.0 - t * y_pred[i]
        if margin > 0.0:
            total += margin
            grad[i] = -t * scale
        else:
            grad[i] = 0.0
    return total * scale


@njit(cache=True, nogil=True)
def poisson(y_true, y_pred, grad):
    """Mean of p - t log(p + EPSILON)."""
    n = y_pred.shape[0]
    scale = 1.0 / n
    total = 0.0
    for i in range(n):
        t = y_true[i]
        p = y_pred[i]
        total += p - t * math.log(p + EPSILON)
        grad[i] = (1.0 - t / (p + EPSILON)) * scale
    return total * scale
