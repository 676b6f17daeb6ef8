"""Normalization kernels against float64 numpy formulas; input gradients against central
differences of the float64 formula, so the closed forms are checked, not restated."""

import numba
import numpy as np
import pytest

from kernels import normalization as K

RNG = np.random.default_rng(11)
EPSILON = 1e-3


def _f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def _batch_norm(x, gamma, beta):
    mean, var = x.mean(0), x.var(0)
    return (x - mean) / np.sqrt(var + EPSILON) * gamma + beta


def _layer_norm(x, gamma, beta):
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPSILON) * gamma + beta


def _numeric_input_grad(f, x, dy, step=1e-6):
    """d sum(f(x) * dy) / dx by central differences, all in float64."""
    grad = np.empty_like(x)
    for index in np.ndindex(*x.shape):
        keep = x[index]
        x[index] = keep + step
        plus = np.sum(f(x) * dy)
        x[index] = keep - step
        minus = np.sum(f(x) * dy)
        x[index] = keep
        grad[index] = (plus - minus) / (2 * step)
    return grad


# 4100 x 16 splits into several row blocks; 7 x 3 is one block.
@pytest.mark.parametrize("rows, cols", [(7, 3), (4100, 16)])
def test_batch_moments_two_pass_precision(rows, cols):
    x = _f32(1000.0 + 0.01 * RNG.standard_normal((rows, cols)))
    mean, var = np.empty(cols, np.float32), np.empty(cols, np.float32)
    K.batch_moments(x, mean, var)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(0), rtol=1e-7)
    np.testing.assert_allclose(var, x64.var(0), rtol=1e-5)


def test_batch_moments_do_not_depend_on_the_thread_count():
    x = _f32(RNG.standard_normal((4100, 16)))
    results = []
    threads = numba.get_num_threads()
    try:
        for count in sorted({1, threads}):
            numba.set_num_threads(count)
            mean, var = np.empty(16, np.float32), np.empty(16, np.float32)
            K.batch_moments(x, mean, var)
            results.append((mean, var))
    finally:
        numba.set_num_threads(threads)
    for mean, var in results[1:]:
        assert np.array_equal(mean, results[0][0]) and np.array_equal(var, results[0][1])


def test_inverse_std_and_moving_average():
    var = _f32(RNG.uniform(0.0, 2.0, 5))
    inv_std = np.empty(5, np.float32)
    K.inverse_std(var, EPSILON, inv_std)
    np.testing.assert_allclose(inv_std, 1.0 / np.sqrt(var.astype(np.float64) + EPSILON), rtol=1e-6)
    moving, batch = _f32(RNG.standard_normal(5)), _f32(RNG.standard_normal(5))
    expected = moving * 0.9 + batch * 0.1
    K.moving_average_update(moving, batch, 0.9)
    np.testing.assert_allclose(moving, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("rows, cols", [(6, 3), (4100, 16)])
def test_batch_norm_forward_and_grads(rows, cols):
    x = _f32(3.0 + 2.0 * RNG.standard_normal((rows, cols)))
    dy = _f32(RNG.standard_normal((rows, cols)))
    gamma, beta = _f32(RNG.uniform(0.5, 1.5, cols)), _f32(RNG.standard_normal(cols))
    mean, var, inv_std = (np.empty(cols, np.float32) for _ in range(3))
    K.batch_moments(x, mean, var)
    K.inverse_std(var, EPSILON, inv_std)
    y = np.empty_like(x)
    K.batch_norm_apply(x, mean, inv_std, gamma, beta, y)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(y, _batch_norm(x64, gamma, beta), rtol=1e-4, atol=1e-5)

    dgamma, dbeta = np.empty(cols, np.float32), np.empty(cols, np.float32)
    K.batch_norm_param_grads(x, dy, mean, inv_std, dgamma, dbeta)
    x_hat = _batch_norm(x64, 1.0, 0.0)
    np.testing.assert_allclose(dbeta, dy.sum(0, dtype=np.float64), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(dgamma, (dy * x_hat).sum(0), rtol=1e-4, atol=1e-3)

    dx = np.empty_like(x)
    K.batch_norm_train_input_grad(x, dy, mean, inv_std, gamma, dgamma, dbeta, dx)
    if rows <= 6:
        expected = _numeric_input_grad(lambda a: _batch_norm(a, gamma, beta), x64, dy)
        np.testing.assert_allclose(dx, expected, rtol=1e-4, atol=1e-5)
    # the gradient through the batch statistics sums to zero over each channel
    np.testing.assert_allclose(dx.sum(0, dtype=np.float64), 0.0, atol=1e-3)


def test_batch_norm_inference_input_grad():
    dy = _f32(RNG.standard_normal((5, 4)))
    gamma, inv_std = _f32(RNG.standard_normal(4)), _f32(RNG.uniform(0.5, 2.0, 4))
    dx = np.empty_like(dy)
    K.batch_norm_inference_input_grad(dy, inv_std, gamma, dx)
    np.testing.assert_allclose(dx, dy * gamma * inv_std, rtol=1e-6)


@pytest.mark.parametrize("rows, cols", [(4, 5), (2100, 8)])
def test_layer_norm_forward_and_backward(rows, cols):
    x = _f32(RNG.standard_normal((rows, cols)) * RNG.uniform(0.5, 3.0, (rows, 1)) + 2.0)
    dy = _f32(RNG.standard_normal((rows, cols)))
    gamma, beta = _f32(RNG.uniform(0.5, 1.5, cols)), _f32(RNG.standard_normal(cols))
    mean, inv_std, y = np.empty(rows, np.float32), np.empty(rows, np.float32), np.empty_like(x)
    K.layer_norm_forward(x, gamma, beta, EPSILON, mean, inv_std, y)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(y, _layer_norm(x64, gamma, beta), rtol=1e-4, atol=1e-5)

    dgamma, dbeta, dx = np.empty(cols, np.float32), np.empty(cols, np.float32), np.empty_like(x)
    K.layer_norm_backward(x, dy, mean, inv_std, gamma, dgamma, dbeta, dx, True)
    np.testing.assert_allclose(dbeta, dy.sum(0, dtype=np.float64), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(dgamma, (dy * _layer_norm(x64, 1.0, 0.0)).sum(0), rtol=1e-4, atol=1e-3)
    if rows <= 4:
        expected = _numeric_input_grad(lambda a: _layer_norm(a, gamma, beta), x64, dy)
        np.testing.assert_allclose(dx, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx.sum(1, dtype=np.float64), 0.0, atol=1e-4 * cols)


def test_layer_norm_backward_without_dx_still_writes_weight_grads():
    x, dy = _f32(RNG.standard_normal((3, 4))), _f32(RNG.standard_normal((3, 4)))
    ones, zeros = np.ones(4, np.float32), np.zeros(4, np.float32)
    mean, inv_std, y = np.empty(3, np.float32), np.empty(3, np.float32), np.empty_like(x)
    K.layer_norm_forward(x, ones, zeros, EPSILON, mean, inv_std, y)
    dgamma, dbeta, dx = np.empty(4, np.float32), np.empty(4, np.float32), np.full_like(x, 7.0)
    K.layer_norm_backward(x, dy, mean, inv_std, ones, dgamma, dbeta, dx, False)
    assert (dx == 7.0).all()
    np.testing.assert_allclose(dbeta, dy.sum(0), rtol=1e-5)
