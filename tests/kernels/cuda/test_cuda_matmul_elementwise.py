"""The CUDA matrix product and element-wise kernels against their CPU twins (simulator)."""

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from kernels import activations as cpu_act  # noqa: E402
from kernels import elementwise as cpu_elem  # noqa: E402
from kernels.cuda import elementwise as gpu_elem  # noqa: E402
from kernels.cuda.matmul import matmul  # noqa: E402
from kernels.dense import EMPTY  # noqa: E402

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True)])
def test_matmul_matches_numpy_across_tile_edges(trans_a, trans_b):
    a = rand(19, 5) if trans_a else rand(5, 19)   # k = 19 spans two tiles
    b = rand(7, 19) if trans_b else rand(19, 7)
    c = cuda.device_array((5, 7), np.float32)
    matmul(cuda.to_device(a), cuda.to_device(b), c, trans_a, trans_b)
    expected = (a.T if trans_a else a) @ (b.T if trans_b else b)
    np.testing.assert_allclose(c.copy_to_host(), expected, rtol=1e-5, atol=1e-5)


ACTIVATIONS = [cpu_act.LINEAR, cpu_act.RELU, cpu_act.SIGMOID, cpu_act.TANH, cpu_act.SOFTMAX,
               cpu_act.ELU, cpu_act.SELU, cpu_act.SOFTPLUS, cpu_act.SOFTSIGN, cpu_act.SWISH,
               cpu_act.GELU, cpu_act.HARD_SIGMOID, cpu_act.LEAKY_RELU, cpu_act.EXPONENTIAL]


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_bias_activation_forward_and_backward_match_cpu(act):
    z, bias, dy = rand(4, 6), rand(6), rand(4, 6)
    z_cpu, y_cpu = z.copy(), np.empty_like(z)
    cpu_act.bias_activation_forward(z_cpu, bias, act, y_cpu)
    dz_cpu, dbias_cpu = np.empty_like(z), np.empty(6, np.float32)
    cpu_act.activation_backward(dy, z_cpu, y_cpu, act, dz_cpu, dbias_cpu)

    z_gpu, y_gpu = cuda.to_device(z), cuda.device_array_like(z)
    gpu_elem.bias_activation_forward(z_gpu, cuda.to_device(bias), act, y_gpu)
    dz_gpu, dbias_gpu = cuda.device_array_like(z), cuda.device_array(6, np.float32)
    gpu_elem.activation_backward(cuda.to_device(dy), z_gpu, y_gpu, act, dz_gpu, dbias_gpu)

    np.testing.assert_allclose(z_gpu.copy_to_host(), z_cpu, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y_gpu.copy_to_host(), y_cpu, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dz_gpu.copy_to_host(), dz_cpu, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dbias_gpu.copy_to_host(), dbias_cpu, rtol=1e-4, atol=1e-4)


def test_activation_without_bias_leaves_z_and_skips_dbias():
    z, dy = rand(3, 5), rand(3, 5)
    z_gpu, y_gpu = cuda.to_device(z), cuda.device_array_like(z)
    gpu_elem.bias_activation_forward(z_gpu, cuda.to_device(EMPTY), cpu_act.RELU, y_gpu)
    dz_gpu = cuda.device_array_like(z)
    gpu_elem.activation_backward(cuda.to_device(dy), z_gpu, y_gpu, cpu_act.RELU, dz_gpu, cuda.to_device(EMPTY))
    np.testing.assert_array_equal(z_gpu.copy_to_host(), z)
    np.testing.assert_allclose(y_gpu.copy_to_host(), np.maximum(z, 0))
    np.testing.assert_allclose(dz_gpu.copy_to_host(), dy * (z > 0))


def test_dropout_matches_cpu():
    x, dy = rand(200), rand(200)
    uniform = RNG.random(200).astype(np.float32)
    y_cpu, dx_cpu = np.empty_like(x), np.empty_like(x)
    cpu_elem.dropout_forward(x, uniform, 0.3, y_cpu)
    cpu_elem.dropout_backward(dy, uniform, 0.3, dx_cpu)
    y_gpu, dx_gpu = cuda.device_array_like(x), cuda.device_array_like(x)
    u = cuda.to_device(uniform)
    gpu_elem.dropout_forward(cuda.to_device(x), u, 0.3, y_gpu)
    gpu_elem.dropout_backward(cuda.to_device(dy), u, 0.3, dx_gpu)
    np.testing.assert_array_equal(y_gpu.copy_to_host(), y_cpu)
    np.testing.assert_array_equal(dx_gpu.copy_to_host(), dx_cpu)
