"""Pooling on the GPU, channels-last float32: the semantics of kernels/pooling.py.

`window` is (pool_h, pool_w, stride_h, stride_w, pad_top, pad_left); padded positions take
no part (max ignores them, average divides by the elements inside). Max pooling records the
flat spatial index (row * width + column) of each maximum, the first in window order, NaN
winning. One thread per output element forward; max backward scatters dy through atomics,
average backward gathers (one thread per input element).
"""

from numba import cuda

from kernels.cuda.launch import blocks_for


@cuda.jit(device=True)
def _unravel(e, d1, d2, d3):
    s = e // (d1 * d2 * d3)
    rest = e - s * d1 * d2 * d3
    i = rest // (d2 * d3)
    rest -= i * d2 * d3
    j = rest // d3
    return s, i, j, rest - j * d3


@cuda.jit(device=True)
def _first_window(position, pad, pool, stride):
    reach = position + pad - pool + 1
    return 0 if reach <= 0 else (reach + stride - 1) // stride


@cuda.jit
def _max_pool_kernel(x, window, y, argmax):
    e = cuda.grid(1)
    n, out_h, out_w, c = y.shape
    if e < y.size:
        ph, pw, sh, sw, pad_top, pad_left = window
        h, w = x.shape[1], x.shape[2]
        s, i, j, k = _unravel(e, out_h, out_w, c)
        p0 = max(i * sh - pad_top, 0)
        p1 = min(i * sh - pad_top + ph, h)
        q0 = max(j * sw - pad_left, 0)
        q1 = min(j * sw - pad_left + pw, w)
        best = x[s, p0, q0, k]
        where = p0 * w + q0
        for p in range(p0, p1):
            for q in range(q0, q1):
                v = x[s, p, q, k]
                if v > best or (v != v and best == best):
                    best = v
                    where = p * w + q
        y[s, i, j, k] = best
        argmax[s, i, j, k] = where


@cuda.jit
def _max_pool_backward_kernel(dy, argmax, dx):
    e = cuda.grid(1)
    n, out_h, out_w, c = dy.shape
    if e < dy.size:
        s, i, j, k = _unravel(e, out_h, out_w, c)
        where = int(argmax[s, i, j, k])
        w = dx.shape[2]
        cuda.atomic.add(dx, (int(s), where // w, where % w, int(k)), dy[s, i, j, k])


@cuda.jit
def _avg_pool_kernel(x, window, y):
    e = cuda.grid(1)
    n, out_h, out_w, c = y.shape
    if e < y.size:
        ph, pw, sh, sw, pad_top, pad_left = window
        h, w = x.shape[1], x.shape[2]
        s, i, j, k = _unravel(e, out_h, out_w, c)
        p0 = max(i * sh - pad_top, 0)
        p1 = min(i * sh - pad_top + ph, h)
        q0 = max(j * sw - pad_left, 0)
        q1 = min(j * sw - pad_left + pw, w)
        total = 0.0
        for p in range(p0, p1):
            for q in range(q0, q1):
                total += x[s, p, q, k]
        y[s, i, j, k] = total / ((p1 - p0) * (q1 - q0))


@cuda.jit
def _avg_pool_backward_kernel(dy, window, dx):
    e = cuda.grid(1)
    n, h, w, c = dx.shape
    if e < dx.size:
        ph, pw, sh, sw, pad_top, pad_left = window
        out_h, out_w = dy.shape[1], dy.shape[2]
        s, p, q, k = _unravel(e, h, w, c)
        i1 = min((p + pad_top) // sh + 1, out_h)
        j1 = min((q + pad_left) // sw + 1, out_w)
        total = 0.0
        for i in range(_first_window(p, pad_top, ph, sh), i1):
            rows = min(i * sh - pad_top + ph, h) - max(i * sh - pad_top, 0)
            for j in range(_first_window(q, pad_left, pw, sw), j1):
                cols = min(j * sw - pad_left + pw, w) - max(j * sw - pad_left, 0)
                total += dy[s, i, j, k] / (rows * cols)
        dx[s, p, q, k] = total


@cuda.jit
def _global_avg_kernel(x, y):
    e = cuda.grid(1)
    n, length, c = x.shape
    if e < n * c:
        s = e // c
        k = e - s * c
        total = 0.0
        for t in range(length):
            total += x[s, t, k]
        y[s, k] = total / length


@cuda.jit
def _global_avg_backward_kernel(dy, dx):
    e = cuda.grid(1)
    n, length, c = dx.shape
    if e < dx.size:
        s = e // (length * c)
        k = e % c
        dx[s, (e // c) % length, k] = dy[s, k] / length


@cuda.jit
def _global_max_kernel(x, y, argmax):
    e = cuda.grid(1)
    n, length, c = x.shape
    if e < n * c:
        s = e // c
        k = e - s * c
        best = x[s, 0, k]
        where = 0
        for t in range(1, length):
            v = x[s, t, k]
            if v > best or (v != v and best == best):
                best = v
                where = t
        y[s, k] = best
        argmax[s, k] = where


@cuda.jit
def _global_max_backward_kernel(dy, argmax, dx):
    e = cuda.grid(1)
    n, length, c = dx.shape
    if e < dx.size:
        s = e // (length * c)
        t = (e // c) % length
        k = e % c
        dx[s, t, k] = dy[s, k] if argmax[s, k] == t else 0.0


def _launch(size):
    return blocks_for(size), 128


def max_pool_forward(x, window, y, argmax):
    """y (n, out_h, out_w, c) = window maxima of x; argmax (int32, like y) = their flat
    spatial indices."""
    _max_pool_kernel[_launch(y.size)](x, tuple(window), y, argmax)


def max_pool_backward(dy, argmax, dx):
    """dx = zeros plus each dy element at the input position its maximum came from."""
    dx[:] = 0.0
    _max_pool_backward_kernel[_launch(dy.size)](dy, argmax, dx)


def avg_pool_forward(x, window, y):
    _avg_pool_kernel[_launch(y.size)](x, tuple(window), y)


def avg_pool_backward(dy, window, dx):
    _avg_pool_backward_kernel[_launch(dx.size)](dy, tuple(window), dx)


def global_avg_forward(x, y):
    """y (n, c) = the mean of x (n, positions, c) over its positions."""
    _global_avg_kernel[_launch(y.size)](x, y)


def global_avg_backward(dy, dx):
    _global_avg_backward_kernel[_launch(dx.size)](dy, dx)


def global_max_forward(x, y, argmax):
    _global_max_kernel[_launch(y.size)](x, y, argmax)


def global_max_backward(dy, argmax, dx):
    _global_max_backward_kernel[_launch(dx.size)](dy, argmax, dx)
