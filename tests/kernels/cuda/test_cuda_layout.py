"""The CUDA layout kernels (time-major moves, last-step gradient, transpose, column sums)
against the CPU kernels and numpy (simulator)."""

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from kernels import recurrent as cpu  # noqa: E402
from kernels.cuda import layout as gpu  # noqa: E402
from kernels.cuda.elementwise import column_sums  # noqa: E402

RNG = np.random.default_rng(7)
BATCH, STEPS, FEATURES = 2, 3, 4


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_time_major_round_trip_matches_cpu(reverse, masked):
    x = rand(BATCH, STEPS, FEATURES)
    mask = RNG.choice([0.0, 2.0], size=(BATCH, FEATURES)).astype(np.float32) if masked else cpu.EMPTY2
    expected = np.empty((STEPS, BATCH, FEATURES), np.float32)
    cpu.to_time_major(x, reverse, mask, expected)
    out = cuda.device_array(expected.shape, np.float32)
    gpu.to_time_major(cuda.to_device(x), reverse, cuda.to_device(mask), out)
    np.testing.assert_array_equal(out.copy_to_host(), expected)

    back = np.empty_like(x)
    cpu.from_time_major(expected, reverse, mask, back)
    back_gpu = cuda.device_array(x.shape, np.float32)
    gpu.from_time_major(out, reverse, cuda.to_device(mask), back_gpu)
    np.testing.assert_array_equal(back_gpu.copy_to_host(), back)


def test_last_step_grad_zeroes_earlier_steps():
    dy = rand(BATCH, FEATURES)
    dhs = cuda.to_device(rand(STEPS, BATCH, FEATURES))
    gpu.last_step_grad(cuda.to_device(dy), dhs)
    expected = np.zeros((STEPS, BATCH, FEATURES), np.float32)
    expected[-1] = dy
    np.testing.assert_array_equal(dhs.copy_to_host(), expected)


def test_transpose_and_column_sums():
    a = rand(3, 5)
    out = cuda.device_array((5, 3), np.float32)
    gpu.transpose(cuda.to_device(a), out)
    np.testing.assert_array_equal(out.copy_to_host(), a.T)
    sums = cuda.device_array(5, np.float32)
    column_sums(cuda.to_device(a), sums)
    np.testing.assert_allclose(sums.copy_to_host(), a.sum(axis=0), rtol=1e-6, atol=1e-6)
