"""Optimizer update kernels: one call updates a whole flat float32 parameter vector in place.

Each kernel follows Keras 3's update rule for its optimizer, element by element, in float32.
Per-step scalars (bias corrections, schedules) are computed by the caller and passed in as
plain floats, so each kernel compiles once; 1 - beta is taken before rounding to float32, as
Keras does (float32(1) - float32(0.999) is off by 1e-5 relative). Every kernel reads its gradient through
`_prepared`: times `scale` (global-norm clipping; 1.0 when off) and clipped to [-clip, clip]
when `clip` > 0 (clipvalue). Unused slot arrays may be empty.

The update kernels use NumPy's error model: a division by zero gives inf/NaN as in Keras
instead of raising, and without the zero check the loops vectorise (5-8x faster). The loops
are serial: the models SeqStudio trains are small and the update is memory-bound, so threads
would cost more in start-up than they save.
"""

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath={"reassoc"})
def squared_norm(x):
    """Sum of squares of a flat float32 vector, accumulated in float64 (reassociated, so
    that the loop vectorises; NaN and inf still propagate)."""
    total = 0.0
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        total += v * v
    return total


@njit(cache=True, nogil=True, inline="always")
def _prepared(g, scale, clip):
    g = g * scale
    if clip > 0:
        if g > clip:
            g = clip
        elif g < -clip:
            g = -clip
    return g


@njit(cache=True, nogil=True, error_model="numpy")
def sgd_update(params, grads, scale, clip, lr, momentum, nesterov, velocity):
    """Plain: w -= lr*g. With momentum: m = momentum*m - lr*g; w += m (nesterov:
    w += momentum*m - lr*g)."""
    scale, clip, lr, momentum = np.float32(scale), np.float32(clip), np.float32(lr), np.float32(momentum)
    if momentum == 0:
        for i in range(params.shape[0]):
            params[i] -= _prepared(grads[i], scale, clip) * lr
        return
    for i in range(params.shape[0]):
        g = _prepared(grads[i], scale, clip)
        m = velocity[i] * momentum - g * lr
        velocity[i] = m
        if nesterov:
            params[i] += m * momentum - g * lr
        else:
            params[i] += m


@njit(cache=True, nogil=True, error_model="numpy")
def rmsprop_update(params, grads, scale, clip, lr, rho, epsilon, momentum, centered,
                   velocity, average_grad, momentum_buf):
    """v = rho*v + (1-rho)*g^2; step = lr*g / sqrt(v + eps) (centered: v - a^2 + eps with
    a = rho*a + (1-rho)*g); with momentum: b = momentum*b + step; w -= b, else w -= step."""
    one_minus_rho = np.float32(1.0 - rho)
    scale, clip, lr = np.float32(scale), np.float32(clip), np.float32(lr)
    rho, epsilon, momentum = np.float32(rho), np.float32(epsilon), np.float32(momentum)
    for i in range(params.shape[0]):
        g = _prepared(grads[i], scale, clip)
        v = rho * velocity[i] + one_minus_rho * (g * g)
        velocity[i] = v
        if centered:
            a = rho * average_grad[i] + one_minus_rho * g
            average_grad[i] = a
            denominator = v - a * a + epsilon
        else:
            denominator = v + epsilon
        step = lr * g / math.sqrt(denominator)
        if momentum > 0:
            step = momentum * momentum_buf[i] + step
            momentum_buf[i] = step
        params[i] -= step


@njit(cache=True, nogil=True, error_model="numpy")
def adagrad_update(params, grads, scale, clip, lr, epsilon, accumulator):
    """acc += g^2; w -= lr*g / sqrt(acc + eps)."""
    scale, clip, lr, epsilon = np.float32(scale), np.float32(clip), np.float32(lr), np.float32(epsilon)
    for i in range(params.shape[0]):
        g = _prepared(grads[i], scale, clip)
        acc = accumulator[i] + g * g
        accumulator[i] = acc
        params[i] -= lr * g / math.sqrt(acc + epsilon)


@njit(cache=True, nogil=True, error_model="numpy")
def adam_update(params, grads, scale, clip, alpha, beta_1, beta_2, epsilon, amsgrad,
                momentum, velocity, velocity_hat):
    """m += (g-m)(1-b1); v += (g^2-v)(1-b2); (amsgrad: v_hat = max(v_hat, v), used for v);
    w -= alpha*m / (sqrt(v) + eps), alpha = lr*sqrt(1-b2^t)/(1-b1^t) from the caller."""
    scale, clip, alpha, epsilon = np.float32(scale), np.float32(clip), np.float32(alpha), np.float32(epsilon)
    one_minus_b1 = np.float32(1.0 - beta_1)
    one_minus_b2 = np.float32(1.0 - beta_2)
    for i in range(params.shape[0]):
        g = _prepared(grads[i], scale, clip)
        m = momentum[i] + (g - momentum[i]) * one_minus_b1
        momentum[i] = m
        v = velocity[i] + (g * g - velocity[i]) * one_minus_b2
        velocity[i] = v
        if amsgrad:
            if velocity_hat[i] > v:
                v = velocity_hat[i]
            velocity_hat[i] = v
        params[i] -= m * alpha / (math.sqrt(v) + epsilon)


@njit(cache=True, nogil=True, error_model="numpy")
def adadelta_update(params, grads, scale, clip, lr, rho, epsilon, accumulated_grad, accumulated_delta):
    """ag = rho*ag + (1-rho)*g^2; d = -sqrt(ad+eps)*g / sqrt(ag+eps);
    ad = rho*ad + (1-rho)*d^2; w += lr*d."""
    one_minus_rho = np.float32(1.0 - rho)
    scale, clip, lr = np.float32(scale), np.float32(clip), np.float32(lr)
    rho, epsilon = np.float32(rho), np.float32(epsilon)
    for i in range(params.shape[0]):
        g = _prepared(grads[i], scale, clip)
        ag = rho * accumulated_grad[i] + one_minus_rho * (g * g)
        accumulated_grad[i] = ag
        delta = -(math.sqrt(accumulated_delta[i] + epsilon) * g) / math.sqrt(ag + epsilon)
        accumulated_delta[i] = rho * accumulated_delta[i] + one_minus_rho * (delta * delta)
        params[i] += lr * delta


@njit(cache=True, nogil=True, error_model="numpy")
def adamax_update(params, grads, scale, clip, lr, beta_1, beta_2, epsilon, bias_1, momentum, norm):
    """m += (g-m)(1-b1); u = max(b2*u, |g|); w -= lr*m / ((1-b1^t)*(u+eps)), bias_1 = 1-b1^t."""
    scale, clip, lr, epsilon = np.float32(scale), np.float32(clip), np.float32(lr), np.float32(epsilon)
    beta_2, bias_1 = np.float32(beta_2), np.float32(bias_1)
    one_minus_b1 = np.float32(1.0 - beta_1)
    for i in range(params.shape[0]):
        g = _prepared(grads[i], scale, clip)
        m = momentum[i] + (g - momentum[i]) * one_minus_b1
        momentum[i] = m
        u = max(beta_2 * norm[i], abs(g))
        norm[i] = u
        params[i] -= lr * m / (bias_1 * (u + epsilon))


@njit(cache=True, nogil=True, error_model="numpy")
def nadam_update(params, grads, scale, clip, lr, beta_1, beta_2, epsilon, m_coef, g_coef, bias_2,
                 momentum, velocity):
    """m += (g-m)(1-b1); v += (g^2-v)(1-b2); m_hat = m_coef*m + g_coef*g;
    w -= lr*m_hat / (sqrt(v/bias_2) + eps). The caller derives m_coef = u_{t+1}/(1-prod_{t+1}),
    g_coef = (1-u_t)/(1-prod_t) and bias_2 = 1-b2^t from Keras's momentum schedule."""
    scale, clip, lr, epsilon = np.float32(scale), np.float32(clip), np.float32(lr), np.float32(epsilon)
    m_coef, g_coef, bias_2 = np.float32(m_coef), np.float32(g_coef), np.float32(bias_2)
    one_minus_b1 = np.float32(1.0 - beta_1)
    one_minus_b2 = np.float32(1.0 - beta_2)
    for i in range(params.shape[0]):
        g = _prepared(grads[i], scale, clip)
        m = momentum[i] + (g - momentum[i]) * one_minus_b1
        momentum[i] = m
        v = velocity[i] + (g * g - velocity[i]) * one_minus_b2
        velocity[i] = v
        m_hat = m_coef * m + g_coef * g
        params[i] -= m_hat * lr / (math.sqrt(v / bias_2) + epsilon)
