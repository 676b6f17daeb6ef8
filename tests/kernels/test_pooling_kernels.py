"""Pooling kernels against straightforward numpy loops on tiny shapes."""

import numpy as np
import pytest

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

RNG = np.random.default_rng(5)

# (n, h, w, c, ph, pw, sh, sw, pad_top, pad_bottom, pad_left, pad_right)
CASES = [
    (2, 4, 6, 3, 2, 2, 2, 2, 0, 0, 0, 0),
    (2, 5, 5, 2, 3, 3, 2, 2, 1, 1, 1, 1),
    (1, 5, 4, 2, 2, 3, 2, 3, 0, 1, 1, 1),
    (2, 1, 7, 3, 1, 3, 1, 1, 0, 0, 1, 1),
    (3, 3, 3, 1, 3, 3, 1, 1, 1, 1, 1, 1),
    (2, 6, 5, 2, 4, 2, 1, 2, 1, 2, 0, 1),
]


def geometry(case):
    n, h, w, c, ph, pw, sh, sw, pt, pb, pl, pr = case
    out_h = (h + pt + pb - ph) // sh + 1
    out_w = (w + pl + pr - pw) // sw + 1
    return (n, out_h, out_w, c), (ph, pw, sh, sw, pt, pl)


def windows(case):
    """Yield (i, j, rows, cols): each output position and the input slices it pools."""
    n, h, w, c, ph, pw, sh, sw, pt, pb, pl, pr = case
    (_, out_h, out_w, _), _ = geometry(case)
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(max(i * sh - pt, 0), min(i * sh - pt + ph, h))
            cols = slice(max(j * sw - pl, 0), min(j * sw - pl + pw, w))
            yield i, j, rows, cols


@pytest.mark.parametrize("case", CASES)
def test_max_pool_forward_and_backward(case):
    x = RNG.standard_normal(case[:4]).astype(np.float32)
    shape, window = geometry(case)
    y = np.empty(shape, np.float32)
    argmax = np.empty(shape, np.int32)
    max_pool_forward(x, window, y, argmax)
    dy = RNG.standard_normal(shape).astype(np.float32)
    dx = np.empty_like(x)
    max_pool_backward(dy, argmax, dx)

    dx_ref = np.zeros_like(x)
    for i, j, rows, cols in windows(case):
        block = x[:, rows, cols, :]
        np.testing.assert_array_equal(y[:, i, j], block.max(axis=(1, 2)))
        flat = block.reshape(x.shape[0], -1, x.shape[3]).argmax(axis=1)
        r = rows.start + flat // block.shape[2]
        q = cols.start + flat % block.shape[2]
        np.testing.assert_array_equal(argmax[:, i, j], r * x.shape[2] + q)
        for s in range(x.shape[0]):
            for k in range(x.shape[3]):
                dx_ref[s, r[s, k], q[s, k], k] += dy[s, i, j, k]
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-6, atol=1e-6)


def test_max_pool_takes_the_first_of_tied_maxima_and_propagates_nan():
    x = np.array([[[[1.0], [3.0], [3.0], [0.0]]]], np.float32)
    y = np.empty((1, 1, 2, 1), np.float32)
    argmax = np.empty(y.shape, np.int32)
    max_pool_forward(x, (1, 2, 1, 2, 0, 0), y, argmax)
    assert argmax.ravel().tolist() == [1, 2]
    x[0, 0, 3, 0] = np.nan
    max_pool_forward(x, (1, 2, 1, 2, 0, 0), y, argmax)
    assert np.isnan(y[0, 0, 1, 0]) and argmax.ravel().tolist() == [1, 3]


@pytest.mark.parametrize("case", CASES)
def test_avg_pool_divides_by_unpadded_count_and_backward_is_its_adjoint(case):
    x = RNG.standard_normal(case[:4]).astype(np.float32)
    shape, window = geometry(case)
    y = np.empty(shape, np.float32)
    avg_pool_forward(x, window, y)
    dy = RNG.standard_normal(shape).astype(np.float32)
    dx = np.empty_like(x)
    avg_pool_backward(dy, window, dx)

    dx_ref = np.zeros(x.shape)
    for i, j, rows, cols in windows(case):
        block = x[:, rows, cols, :].astype(np.float64)
        np.testing.assert_allclose(y[:, i, j], block.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
        dx_ref[:, rows, cols, :] += dy[:, i, j][:, None, None, :] / (block.shape[1] * block.shape[2])
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-5, atol=1e-6)


def test_global_pooling_forward_and_backward():
    x = RNG.standard_normal((3, 7, 4)).astype(np.float32)
    y = np.empty((3, 4), np.float32)
    global_avg_forward(x, y)
    np.testing.assert_allclose(y, x.mean(axis=1), rtol=1e-5, atol=1e-6)
    dy = RNG.standard_normal((3, 4)).astype(np.float32)
    dx = np.empty_like(x)
    global_avg_backward(dy, dx)
    np.testing.assert_allclose(dx, np.broadcast_to(dy[:, None, :] / 7, x.shape), rtol=1e-6)

    argmax = np.empty((3, 4), np.int32)
    global_max_forward(x, y, argmax)
    np.testing.assert_array_equal(y, x.max(axis=1))
    np.testing.assert_array_equal(argmax, x.argmax(axis=1))
    global_max_backward(dy, argmax, dx)
    expected = np.zeros_like(x)
    np.put_along_axis(expected, x.argmax(axis=1)[:, None, :], dy[:, None, :], axis=1)
    np.testing.assert_array_equal(dx, expected)
