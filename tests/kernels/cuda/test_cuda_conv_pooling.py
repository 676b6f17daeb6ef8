"""The CUDA convolution and pooling kernels against their CPU twins (simulator)."""

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from kernels import activations as act_ids  # noqa: E402
from kernels import conv as cpu_conv  # noqa: E402
from kernels import pooling as cpu_pool  # noqa: E402
from kernels.cuda import conv as gpu_conv  # noqa: E402
from kernels.cuda import pooling as gpu_pool  # noqa: E402
from kernels.dense import EMPTY  # noqa: E402

RNG = np.random.default_rng(3)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def out_size(size, k, stride, dilation, pad_before, pad_after):
    return (size + pad_before + pad_after - (k - 1) * dilation - 1) // stride + 1


# (n, h, w, c, kh, kw, f, window): valid, same-padded, strided + dilated.
CONV_CASES = [
    (2, 4, 5, 2, 3, 2, 3, (3, 2, 1, 1, 1, 1, 0, 0)),
    (1, 5, 4, 3, 3, 3, 2, (3, 3, 1, 1, 1, 1, 1, 1)),
    (2, 6, 5, 2, 2, 2, 3, (2, 2, 2, 1, 2, 1, 1, 0)),
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("act,use_bias", [(act_ids.RELU, True), (act_ids.TANH, False)])
def test_conv_forward_and_backward_match_cpu(case, act, use_bias):
    n, h, w, c, kh, kw, f, window = case
    pad = window[6:]
    out_h = out_size(h, kh, window[2], window[4], pad[0], pad[0])
    out_w = out_size(w, kw, window[3], window[5], pad[1], pad[1])
    x, kernel, dy = rand(n, h, w, c), rand(kh, kw, c, f), rand(n, out_h, out_w, f)
    bias = rand(f) if use_bias else EMPTY

    z_cpu = np.empty((n, out_h, out_w, f), np.float32)
    y_cpu = np.empty_like(z_cpu)
    scratch = np.empty(cpu_conv.scratch_shape(n * out_h * out_w, kh * kw * c, f, n * h * w, c), np.float32)
    cpu_conv.conv_forward(x, kernel.reshape(-1, f), bias, act, window, scratch, z_cpu, y_cpu)
    parts = [np.empty(shape, np.float32) for shape in cpu_conv.partials_shapes(kh * kw * c, f, use_bias)]
    dkernel_cpu, dbias_cpu, dx_cpu = np.empty_like(kernel), np.empty_like(bias), np.empty_like(x)
    y_forward = y_cpu.copy()
    cpu_conv.conv_backward(x, kernel, z_cpu.copy(), y_cpu, act, window, scratch, dy, *parts,
                           np.empty((kh * kw * f, c), np.float32), dkernel_cpu, dbias_cpu, dx_cpu)

    d = cuda.to_device
    z, y = cuda.device_array(z_cpu.shape, np.float32), cuda.device_array(z_cpu.shape, np.float32)
    cols = cuda.device_array((n * out_h * out_w, kh * kw * c), np.float32)
    x_gpu, kernel_gpu, bias_gpu = d(x), d(kernel.reshape(-1, f)), d(bias)
    gpu_conv.conv_forward(x_gpu, kernel_gpu, bias_gpu, act, window, cols, z, y)
    np.testing.assert_allclose(y.copy_to_host(), y_forward, rtol=1e-5, atol=1e-5)

    dz = cuda.device_array(z_cpu.shape, np.float32)
    dkernel = cuda.device_array((kh * kw * c, f), np.float32)
    dbias, dx = cuda.device_array(bias.shape, np.float32), cuda.device_array(x.shape, np.float32)
    gpu_conv.conv_backward(x_gpu, kernel_gpu, z, y, act, window, cols, d(dy), dz, dkernel, dbias, dx)
    np.testing.assert_allclose(dkernel.copy_to_host().reshape(kernel.shape), dkernel_cpu, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dbias.copy_to_host(), dbias_cpu, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dx.copy_to_host(), dx_cpu, rtol=1e-4, atol=1e-4)


# (n, h, w, c, window, out_h, out_w): plain 2x2, overlapping 3x3 stride 2, a width the pool does not divide.
POOL_CASES = [
    (2, 4, 4, 2, (2, 2, 2, 2, 0, 0), 2, 2),
    (1, 5, 5, 3, (3, 3, 2, 2, 0, 0), 2, 2),
    (2, 3, 5, 2, (2, 2, 2, 2, 0, 0), 2, 3),
]


@pytest.mark.parametrize("n,h,w,c,window,out_h,out_w", POOL_CASES)
def test_max_and_average_pooling_match_cpu(n, h, w, c, window, out_h, out_w):
    x, dy = rand(n, h, w, c), rand(n, out_h, out_w, c)
    x[0, 0, 0, 0] = np.nan
    shape = (n, out_h, out_w, c)
    y_cpu, arg_cpu, dx_cpu = np.empty(shape, np.float32), np.empty(shape, np.int32), np.empty_like(x)
    cpu_pool.max_pool_forward(x, window, y_cpu, arg_cpu)
    cpu_pool.max_pool_backward(dy, arg_cpu, dx_cpu)
    y, arg, dx = cuda.device_array(shape, np.float32), cuda.device_array(shape, np.int32), cuda.device_array(x.shape, np.float32)
    gpu_pool.max_pool_forward(cuda.to_device(x), window, y, arg)
    gpu_pool.max_pool_backward(cuda.to_device(dy), arg, dx)
    np.testing.assert_array_equal(arg.copy_to_host(), arg_cpu)
    np.testing.assert_allclose(y.copy_to_host(), y_cpu, rtol=1e-6)
    np.testing.assert_allclose(dx.copy_to_host(), dx_cpu, rtol=1e-5, atol=1e-6)

    x = rand(n, h, w, c)
    cpu_pool.avg_pool_forward(x, window, y_cpu)
    cpu_pool.avg_pool_backward(dy, window, dx_cpu)
    gpu_pool.avg_pool_forward(cuda.to_device(x), window, y)
    gpu_pool.avg_pool_backward(cuda.to_device(dy), window, dx)
    np.testing.assert_allclose(y.copy_to_host(), y_cpu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx.copy_to_host(), dx_cpu, rtol=1e-5, atol=1e-6)


def test_padded_average_pooling_counts_only_inside_elements():
    x, dy = rand(1, 3, 3, 2), rand(1, 2, 2, 2)
    window = (2, 2, 2, 2, 0, 0)
    padded = (2, 2, 2, 2, 1, 1)
    for win in (window, padded):
        y_cpu, dx_cpu = np.empty((1, 2, 2, 2), np.float32), np.empty_like(x)
        cpu_pool.avg_pool_forward(x, win, y_cpu)
        cpu_pool.avg_pool_backward(dy, win, dx_cpu)
        y, dx = cuda.device_array(y_cpu.shape, np.float32), cuda.device_array(x.shape, np.float32)
        gpu_pool.avg_pool_forward(cuda.to_device(x), win, y)
        gpu_pool.avg_pool_backward(cuda.to_device(dy), win, dx)
        np.testing.assert_allclose(y.copy_to_host(), y_cpu, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dx.copy_to_host(), dx_cpu, rtol=1e-5, atol=1e-6)


def test_global_pooling_matches_cpu():
    x, dy = rand(2, 7, 3), rand(2, 3)
    y_cpu, arg_cpu, dx_cpu = np.empty((2, 3), np.float32), np.empty((2, 3), np.int32), np.empty_like(x)
    y, arg, dx = cuda.device_array((2, 3), np.float32), cuda.device_array((2, 3), np.int32), cuda.device_array(x.shape, np.float32)
    x_gpu, dy_gpu = cuda.to_device(x), cuda.to_device(dy)

    cpu_pool.global_max_forward(x, y_cpu, arg_cpu)
    cpu_pool.global_max_backward(dy, arg_cpu, dx_cpu)
    gpu_pool.global_max_forward(x_gpu, y, arg)
    gpu_pool.global_max_backward(dy_gpu, arg, dx)
    np.testing.assert_array_equal(arg.copy_to_host(), arg_cpu)
    np.testing.assert_allclose(y.copy_to_host(), y_cpu)
    np.testing.assert_allclose(dx.copy_to_host(), dx_cpu)

    cpu_pool.global_avg_forward(x, y_cpu)
    cpu_pool.global_avg_backward(dy, dx_cpu)
    gpu_pool.global_avg_forward(x_gpu, y)
    gpu_pool.global_avg_backward(dy_gpu, dx)
    np.testing.assert_allclose(y.copy_to_host(), y_cpu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx.copy_to_host(), dx_cpu, rtol=1e-5, atol=1e-6)
