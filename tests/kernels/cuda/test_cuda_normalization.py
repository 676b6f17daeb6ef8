"""The CUDA normalization kernels against their CPU twins (simulator): batch statistics,
the moving-average update, batch normalization's apply and gradients in both modes, layer
normalization forward and backward. 37 channels cross a block of TILE channels."""

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from kernels import normalization as cpu  # noqa: E402
from kernels.cuda import normalization as gpu  # noqa: E402

RNG = np.random.default_rng(11)
TOL = dict(rtol=1e-5, atol=1e-5)


def rand(*shape, loc=0.0):
    return (RNG.standard_normal(shape) + loc).astype(np.float32)


def empty(*shape):
    return cuda.device_array(shape, np.float32)


@pytest.mark.parametrize("rows,cols", [(11, 3), (5, 37)])
def test_batch_statistics_and_moving_update_match_cpu(rows, cols):
    x = rand(rows, cols, loc=3.0)
    mean, var, inv_std = (np.empty(cols, np.float32) for _ in range(3))
    cpu.batch_moments(x, mean, var)
    cpu.inverse_std(var, 1e-3, inv_std)
    moving = rand(cols)
    expected_moving = moving.copy()
    cpu.moving_average_update(expected_moving, mean, 0.9)

    mean_gpu, var_gpu, inv_gpu = empty(cols), empty(cols), empty(cols)
    gpu.batch_moments(cuda.to_device(x), mean_gpu, var_gpu)
    gpu.inverse_std(var_gpu, 1e-3, inv_gpu)
    moving_gpu = cuda.to_device(moving)
    gpu.moving_average_update(moving_gpu, mean_gpu, 0.9)
    np.testing.assert_allclose(mean_gpu.copy_to_host(), mean, **TOL)
    np.testing.assert_allclose(var_gpu.copy_to_host(), var, **TOL)
    np.testing.assert_allclose(inv_gpu.copy_to_host(), inv_std, **TOL)
    np.testing.assert_allclose(moving_gpu.copy_to_host(), expected_moving, **TOL)


@pytest.mark.parametrize("batch_statistics", [True, False])
def test_batch_norm_apply_and_gradients_match_cpu(batch_statistics):
    rows, cols = 7, 4
    x, dy, gamma, beta = rand(rows, cols), rand(rows, cols), rand(cols), rand(cols)
    mean, inv_std = rand(cols), np.abs(rand(cols)) + 0.5
    if batch_statistics:
        var = np.empty(cols, np.float32)
        cpu.batch_moments(x, mean, var)
        cpu.inverse_std(var, 1e-3, inv_std)
    y, dx = np.empty_like(x), np.empty_like(x)
    dgamma, dbeta = np.empty(cols, np.float32), np.empty(cols, np.float32)
    cpu.batch_norm_apply(x, mean, inv_std, gamma, beta, y)
    cpu.batch_norm_param_grads(x, dy, mean, inv_std, dgamma, dbeta)
    if batch_statistics:
        cpu.batch_norm_train_input_grad(x, dy, mean, inv_std, gamma, dgamma, dbeta, dx)
    else:
        cpu.batch_norm_inference_input_grad(dy, inv_std, gamma, dx)

    d = cuda.to_device
    x_gpu, dy_gpu, mean_gpu, inv_gpu, gamma_gpu = d(x), d(dy), d(mean), d(inv_std), d(gamma)
    y_gpu, dx_gpu, dgamma_gpu, dbeta_gpu = empty(rows, cols), empty(rows, cols), empty(cols), empty(cols)
    gpu.batch_norm_apply(x_gpu, mean_gpu, inv_gpu, gamma_gpu, d(beta), y_gpu)
    gpu.batch_norm_param_grads(x_gpu, dy_gpu, mean_gpu, inv_gpu, dgamma_gpu, dbeta_gpu)
    if batch_statistics:
        gpu.batch_norm_train_input_grad(x_gpu, dy_gpu, mean_gpu, inv_gpu, gamma_gpu, dgamma_gpu, dbeta_gpu, dx_gpu)
    else:
        gpu.batch_norm_inference_input_grad(dy_gpu, inv_gpu, gamma_gpu, dx_gpu)
    for got, expected in [(y_gpu, y), (dgamma_gpu, dgamma), (dbeta_gpu, dbeta), (dx_gpu, dx)]:
        np.testing.assert_allclose(got.copy_to_host(), expected, **TOL)


@pytest.mark.parametrize("need_dx", [True, False])
def test_layer_norm_forward_and_backward_match_cpu(need_dx):
    rows, cols = 6, 5
    x, dy, gamma, beta = rand(rows, cols, loc=2.0), rand(rows, cols), rand(cols), rand(cols)
    mean, inv_std, y, dx = np.empty(rows, np.float32), np.empty(rows, np.float32), np.empty_like(x), np.empty_like(x)
    dgamma, dbeta = np.empty(cols, np.float32), np.empty(cols, np.float32)
    cpu.layer_norm_forward(x, gamma, beta, 1e-3, mean, inv_std, y)
    cpu.layer_norm_backward(x, dy, mean, inv_std, gamma, dgamma, dbeta, dx, need_dx)

    d = cuda.to_device
    x_gpu, gamma_gpu = d(x), d(gamma)
    mean_gpu, inv_gpu, y_gpu = empty(rows), empty(rows), empty(rows, cols)
    dgamma_gpu, dbeta_gpu, dx_gpu = empty(cols), empty(cols), d(np.zeros_like(x))
    gpu.layer_norm_forward(x_gpu, gamma_gpu, d(beta), 1e-3, mean_gpu, inv_gpu, y_gpu)
    gpu.layer_norm_backward(x_gpu, d(dy), mean_gpu, inv_gpu, gamma_gpu, dgamma_gpu, dbeta_gpu, dx_gpu, need_dx)
    for got, expected in [(mean_gpu, mean), (inv_gpu, inv_std), (y_gpu, y), (dgamma_gpu, dgamma), (dbeta_gpu, dbeta)]:
        np.testing.assert_allclose(got.copy_to_host(), expected, **TOL)
    if need_dx:
        np.testing.assert_allclose(dx_gpu.copy_to_host(), dx, **TOL)
    else:
        assert not dx_gpu.copy_to_host().any(), "dx written though need_dx is False"
