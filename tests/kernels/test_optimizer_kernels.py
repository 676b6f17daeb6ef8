"""Each optimizer kernel against one step of its rule in float64 numpy, from non-zero slots."""

import numpy as np
import pytest

from kernels import optimizers as K
from kernels.dense import EMPTY

N = 41
LR = 0.05


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    params = rng.normal(size=N).astype(np.float32)
    grads = (2.0 * rng.normal(size=N)).astype(np.float32)
    signed = rng.normal(size=N).astype(np.float32)
    positive = rng.uniform(0.1, 2.0, size=N).astype(np.float32)
    return params, grads, signed, positive


def _prepared(grads, scale, clip):
    g = grads.astype(np.float64) * scale
    return np.clip(g, -clip, clip) if clip > 0 else g


def _close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=2e-5, atol=1e-6)


CLIPPING = [(1.0, 0.0), (0.4, 0.0), (1.0, 0.7)]


@pytest.mark.parametrize("scale, clip", CLIPPING)
@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd(scale, clip, momentum, nesterov):
    params, grads, velocity, _ = _arrays()
    g = _prepared(grads, scale, clip)
    w, m = params.astype(np.float64), velocity.astype(np.float64)
    if momentum == 0:
        expected_w, expected_m = w - LR * g, m
        velocity_arg = EMPTY
    else:
        expected_m = momentum * m - LR * g
        expected_w = w + (momentum * expected_m - LR * g if nesterov else expected_m)
        velocity_arg = velocity
    grads_before = grads.copy()
    K.sgd_update(params, grads, scale, clip, LR, momentum, nesterov, velocity_arg)
    _close(params, expected_w)
    _close(velocity, expected_m)
    np.testing.assert_array_equal(grads, grads_before)


@pytest.mark.parametrize("scale, clip", CLIPPING)
@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.0, True), (0.6, False), (0.6, True)])
def test_rmsprop(scale, clip, momentum, centered):
    params, grads, signed, velocity = _arrays()
    average = (0.1 * signed).astype(np.float32)  # small, as a mean of gradients: v - a^2 > 0
    buffer = _arrays(1)[2]
    rho, eps = 0.8, 1e-7
    g = _prepared(grads, scale, clip)
    w, v, a, b = (x.astype(np.float64) for x in (params, velocity, average, buffer))
    v = rho * v + (1 - rho) * g**2
    if centered:
        a = rho * a + (1 - rho) * g
        denominator = v - a**2 + eps
    else:
        denominator = v + eps
    assert np.all(denominator > 0)
    step = LR * g / np.sqrt(denominator)
    if momentum > 0:
        b = momentum * b + step
        step = b
    K.rmsprop_update(params, grads, scale, clip, LR, rho, eps, momentum, centered, velocity,
                     average if centered else EMPTY, buffer if momentum > 0 else EMPTY)
    _close(params, w - step)
    _close(velocity, v)
    if centered:
        _close(average, a)
    if momentum > 0:
        _close(buffer, b)


@pytest.mark.parametrize("scale, clip", CLIPPING)
def test_adagrad(scale, clip):
    params, grads, _, accumulator = _arrays()
    eps = 1e-7
    g = _prepared(grads, scale, clip)
    acc = accumulator.astype(np.float64) + g**2
    expected = params.astype(np.float64) - LR * g / np.sqrt(acc + eps)
    K.adagrad_update(params, grads, scale, clip, LR, eps, accumulator)
    _close(params, expected)
    _close(accumulator, acc)


@pytest.mark.parametrize("scale, clip", CLIPPING)
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam(scale, clip, amsgrad):
    params, grads, momentum, velocity = _arrays()
    velocity_hat = _arrays(2)[3]
    b1, b2, eps, alpha = 0.8, 0.95, 1e-7, 0.003
    g = _prepared(grads, scale, clip)
    m = momentum + (g - momentum) * (1 - b1)
    v = velocity + (g**2 - velocity) * (1 - b2)
    v_hat = np.maximum(velocity_hat, v)
    used = v_hat if amsgrad else v
    expected = params - alpha * m / (np.sqrt(used) + eps)
    K.adam_update(params, grads, scale, clip, alpha, b1, b2, eps, amsgrad, momentum, velocity,
                  velocity_hat if amsgrad else EMPTY)
    _close(params, expected)
    _close(momentum, m)
    _close(velocity, v)
    if amsgrad:
        _close(velocity_hat, v_hat)


@pytest.mark.parametrize("scale, clip", CLIPPING)
def test_adadelta(scale, clip):
    params, grads, _, accumulated_grad = _arrays()
    accumulated_delta = _arrays(3)[3]
    rho, eps = 0.9, 1e-6
    g = _prepared(grads, scale, clip)
    ag = rho * accumulated_grad + (1 - rho) * g**2
    delta = -np.sqrt(accumulated_delta + eps) * g / np.sqrt(ag + eps)
    ad = rho * accumulated_delta + (1 - rho) * delta**2
    expected = params + LR * delta
    K.adadelta_update(params, grads, scale, clip, LR, rho, eps, accumulated_grad, accumulated_delta)
    _close(params, expected)
    _close(accumulated_grad, ag)
    _close(accumulated_delta, ad)


@pytest.mark.parametrize("scale, clip", CLIPPING)
def test_adamax(scale, clip):
    params, grads, momentum, norm = _arrays()
    b1, b2, eps, bias_1 = 0.8, 0.9, 1e-7, 1 - 0.8**3
    g = _prepared(grads, scale, clip)
    m = momentum + (g - momentum) * (1 - b1)
    u = np.maximum(b2 * norm, np.abs(g))
    expected = params - LR * m / (bias_1 * (u + eps))
    K.adamax_update(params, grads, scale, clip, LR, b1, b2, eps, bias_1, momentum, norm)
    _close(params, expected)
    _close(momentum, m)
    _close(norm, u)


@pytest.mark.parametrize("scale, clip", CLIPPING)
def test_nadam(scale, clip):
    params, grads, momentum, velocity = _arrays()
    b1, b2, eps, m_coef, g_coef, bias_2 = 0.8, 0.95, 1e-7, 1.7, 0.4, 0.3
    g = _prepared(grads, scale, clip)
    m = momentum + (g - momentum) * (1 - b1)
    v = velocity + (g**2 - velocity) * (1 - b2)
    expected = params - LR * (m_coef * m + g_coef * g) / (np.sqrt(v / bias_2) + eps)
    K.nadam_update(params, grads, scale, clip, LR, b1, b2, eps, m_coef, g_coef, bias_2,
                   momentum, velocity)
    _close(params, expected)
    _close(momentum, m)
    _close(velocity, v)


def test_squared_norm_accumulates_in_float64():
    x = np.random.default_rng(4).normal(size=100_001).astype(np.float32)
    assert K.squared_norm(x) == pytest.approx(np.sum(x.astype(np.float64) ** 2), rel=1e-12)
    assert K.squared_norm(EMPTY) == 0.0


def test_clipping_keeps_nan_gradients_visible():
    params = np.zeros(3, np.float32)
    grads = np.array([np.nan, 5.0, -5.0], np.float32)
    K.sgd_update(params, grads, 1.0, 1.0, 1.0, 0.0, False, EMPTY)
    assert np.isnan(params[0])
    np.testing.assert_array_equal(params[1:], [-1.0, 1.0])


def test_division_by_zero_gives_nan_as_in_keras_instead_of_raising():
    params = np.zeros(2, np.float32)
    grads = np.array([0.0, 1.0], np.float32)
    accumulator = np.zeros(2, np.float32)
    K.adagrad_update(params, grads, 1.0, 0.0, 0.1, 0.0, accumulator)
    assert np.isnan(params[0]) and params[1] == np.float32(-0.1)
