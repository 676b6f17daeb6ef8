"""The training loop's matrix products agree with numpy in each of their regimes: numpy's own
(small), one Numba call (middle), and split over the threads (large): by the rows of a, or,
where b is the bigger operand, by its rows or columns."""

import numpy as np
import pytest

from kernels.blocked import (PARALLEL_FROM, PARTIALS_FLOATS, SMALL_PRODUCT, blocked_dot, summed_products,
                             summed_products_pair)

RNG = np.random.default_rng(5)
# (rows, inner, cols) with rows * inner * cols in each regime; odd rows split unevenly
SHAPES = [(7, 5, 3), (61, 40, 150), (301, 64, 128)]


def _f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# parallel products whose b is the bigger operand: split by its rows (inner dimension) or, for
# a transposed b, by its columns; the last one's per-thread sums would be too big, so its a is split
WIDE = [(8, 4000, 64), (3, 1000, 700), (600, 2, 2000)]


def test_the_shapes_cover_every_regime():
    sizes = [m * k * n for m, k, n in SHAPES]
    assert sizes[0] <= SMALL_PRODUCT < sizes[1] < PARALLEL_FROM <= sizes[2]
    assert all(m * k * n >= PARALLEL_FROM and n > m for m, k, n in WIDE)
    assert WIDE[-1][0] * WIDE[-1][2] * 2 > PARTIALS_FLOATS


@pytest.mark.parametrize("m, k, n", SHAPES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_blocked_dot(m, k, n, with_bias):
    a, b = _f32(m, k), _f32(k, n)
    bias = _f32(n) if with_bias else np.empty(0, np.float32)
    out = np.empty((m, n), np.float32)
    blocked_dot(a, b, out, bias)
    np.testing.assert_allclose(out, a @ b + (bias if with_bias else 0.0), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("m, k, n", WIDE)
@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("transposed", [False, True])
def test_blocked_dot_splits_a_bigger_b(m, k, n, with_bias, transposed):
    a, b = _f32(m, k), _f32(n, k).T if transposed else _f32(k, n)
    bias = _f32(n) if with_bias else np.empty(0, np.float32)
    out = np.empty((m, n), np.float32)
    blocked_dot(a, b, out, bias)
    np.testing.assert_allclose(out, a @ b + (bias if with_bias else 0.0), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("m, k, n", SHAPES)
def test_blocked_dot_refuses_a_bias_of_the_wrong_length(m, k, n):
    with pytest.raises(ValueError, match=f"a bias of {n + 1} values for an output of {n} columns"):
        blocked_dot(_f32(m, k), _f32(k, n), np.empty((m, n), np.float32), _f32(n + 1))


@pytest.mark.parametrize("m, k, n", SHAPES)
def test_blocked_dot_takes_transposed_and_strided_operands(m, k, n):
    a, b = _f32(k, m).T, _f32(2 * k, n)[::2]  # an F-ordered a, a b with a row stride
    out = np.empty((m, n), np.float32)
    blocked_dot(a, b, out)
    np.testing.assert_allclose(out, a @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("m, k, n", SHAPES)
def test_summed_products(m, k, n):
    a, b = _f32(m, k), _f32(m, n)
    out = np.empty((k, n), np.float32)
    summed_products(a, b, out)
    np.testing.assert_allclose(out, a.T @ b, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("m, k, n", SHAPES)
@pytest.mark.parametrize("k2", [1, 3, 64, 200])  # the threads' column blocks fall in a, in a2 or across both
def test_summed_products_pair(m, k, n, k2):
    a, a2, b = _f32(m, k), _f32(m, k2), _f32(m, n)
    out, out2 = np.empty((k, n), np.float32), np.empty((k2, n), np.float32)
    summed_products_pair(a, a2, b, out, out2)
    np.testing.assert_allclose(out, a.T @ b, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(out2, a2.T @ b, rtol=1e-4, atol=1e-3)
