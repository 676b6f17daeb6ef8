"""dot_add adds a @ b into out through BLAS, for every operand order a kernel passes it."""

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from kernels.blas import dot_add

RNG = np.random.default_rng(11)


@njit(cache=True)
def _add(a, b, out):
    dot_add(a, b, out)


@njit(cache=True)
def _add_transposed(a_t, b, out):
    dot_add(a_t.T, b, out)  # a weight gradient's columns^T, an F-ordered view


@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (3, 4, 5), (108, 288, 32), (7, 300, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dot_add_adds_the_product_to_what_out_holds(m, k, n, dtype):
    a, b = RNG.random((m, k)).astype(dtype), RNG.random((k, n)).astype(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for call, first, second in ((_add, a, b), (_add_transposed, np.ascontiguousarray(a.T), b),
                                (_add, a, np.asfortranarray(b))):
        out = RNG.random((m, n)).astype(dtype)
        expected = out + a @ b
        call(first, second, out)
        np.testing.assert_allclose(out, expected, rtol=tolerance)


def test_dot_add_refuses_strided_operands_when_compiled():
    @njit
    def strided(a, b, out):
        dot_add(a[:, ::2], b, out)

    with pytest.raises(TypingError, match="C- or F-contiguous"):
        strided(np.ones((2, 4)), np.ones((2, 3)), np.zeros((2, 3)))
