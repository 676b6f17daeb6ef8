"""Optimizer updates on the GPU: one thread per parameter, the update rules of
kernels/optimizers.py (Keras 3's) element for element, float32.

The launchers round every scalar to float32 (1 - beta before rounding, as the CPU kernels
and Keras do) so each kernel compiles once. Slot arrays a rule does not use may be empty.
`squared_norm` (for global-norm clipping) accumulates in float64 through atomics into a
one-element buffer the caller hands in.
"""

import math

import numpy as np
from numba import cuda

from kernels.cuda.launch import blocks_for


def _f32(*values):
    return tuple(np.float32(v) for v in values)


@cuda.jit(device=True)
def _prepared(g, scale, clip):
    g = g * scale
    if clip > 0:
        if g > clip:
            g = clip
        elif g < -clip:
            g = -clip
    return g


@cuda.jit
def _squared_norm_kernel(x, total):
    i = cuda.grid(1)
    if i < x.shape[0]:
        v = np.float64(x[i])
        cuda.atomic.add(total, 0, v * v)


def squared_norm(x, total):
    """total[0] = sum of squares of the flat float32 x (total: a float64 array of one)."""
    total[:] = 0.0
    _squared_norm_kernel[blocks_for(x.shape[0]), 128](x, total)


@cuda.jit
def _sgd_kernel(params, grads, scale, clip, lr, momentum, nesterov, velocity):
    i = cuda.grid(1)
    if i < params.shape[0]:
        g = _prepared(grads[i], scale, clip)
        if momentum == 0:
            params[i] -= g * lr
        else:
            m = velocity[i] * momentum - g * lr
            velocity[i] = m
            if nesterov:
                params[i] += m * momentum - g * lr
            else:
                params[i] += m


def sgd_update(params, grads, scale, clip, lr, momentum, nesterov, velocity):
    _sgd_kernel[blocks_for(params.shape[0]), 128](
        params, grads, *_f32(scale, clip, lr, momentum), bool(nesterov), velocity)


@cuda.jit
def _rmsprop_kernel(params, grads, scale, clip, lr, rho, one_minus_rho, epsilon, momentum, centered,
                    velocity, average_grad, momentum_buf):
    i = cuda.grid(1)
    if i < params.shape[0]:
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


def rmsprop_update(params, grads, scale, clip, lr, rho, epsilon, momentum, centered,
                   velocity, average_grad, momentum_buf):
    _rmsprop_kernel[blocks_for(params.shape[0]), 128](
        params, grads, *_f32(scale, clip, lr, rho, 1.0 - rho, epsilon, momentum), bool(centered),
        velocity, average_grad, momentum_buf)


@cuda.jit
def _adagrad_kernel(params, grads, scale, clip, lr, epsilon, accumulator):
    i = cuda.grid(1)
    if i < params.shape[0]:
        g = _prepared(grads[i], scale, clip)
        acc = accumulator[i] + g * g
        accumulator[i] = acc
        params[i] -= lr * g / math.sqrt(acc + epsilon)


def adagrad_update(params, grads, scale, clip, lr, epsilon, accumulator):
    _adagrad_kernel[blocks_for(params.shape[0]), 128](
        params, grads, *_f32(scale, clip, lr, epsilon), accumulator)


@cuda.jit
def _adam_kernel(params, grads, scale, clip, alpha, one_minus_b1, one_minus_b2, epsilon, amsgrad,
                 momentum, velocity, velocity_hat):
    i = cuda.grid(1)
    if i < params.shape[0]:
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


def adam_update(params, grads, scale, clip, alpha, beta_1, beta_2, epsilon, amsgrad,
                momentum, velocity, velocity_hat):
    _adam_kernel[blocks_for(params.shape[0]), 128](
        params, grads, *_f32(scale, clip, alpha, 1.0 - beta_1, 1.0 - beta_2, epsilon), bool(amsgrad),
        momentum, velocity, velocity_hat)


@cuda.jit
def _adadelta_kernel(params, grads, scale, clip, lr, rho, one_minus_rho, epsilon,
                     accumulated_grad, accumulated_delta):
    i = cuda.grid(1)
    if i < params.shape[0]:
        g = _prepared(grads[i], scale, clip)
        ag = rho * accumulated_grad[i] + one_minus_rho * (g * g)
        accumulated_grad[i] = ag
        delta = -(math.sqrt(accumulated_delta[i] + epsilon) * g) / math.sqrt(ag + epsilon)
        accumulated_delta[i] = rho * accumulated_delta[i] + one_minus_rho * (delta * delta)
        params[i] += lr * delta


def adadelta_update(params, grads, scale, clip, lr, rho, epsilon, accumulated_grad, accumulated_delta):
    _adadelta_kernel[blocks_for(params.shape[0]), 128](
        params, grads, *_f32(scale, clip, lr, rho, 1.0 - rho, epsilon), accumulated_grad, accumulated_delta)


@cuda.jit
def _adamax_kernel(params, grads, scale, clip, lr, one_minus_b1, beta_2, epsilon, bias_1, momentum, norm):
    i = cuda.grid(1)
    if i < params.shape[0]:
        g = _prepared(grads[i], scale, clip)
        m = momentum[i] + (g - momentum[i]) * one_minus_b1
        momentum[i] = m
        u = max(beta_2 * norm[i], abs(g))
        norm[i] = u
        params[i] -= lr * m / (bias_1 * (u + epsilon))


def adamax_update(params, grads, scale, clip, lr, beta_1, beta_2, epsilon, bias_1, momentum, norm):
    _adamax_kernel[blocks_for(params.shape[0]), 128](
        params, grads, *_f32(scale, clip, lr, 1.0 - beta_1, beta_2, epsilon, bias_1), momentum, norm)


@cuda.jit
def _nadam_kernel(params, grads, scale, clip, lr, one_minus_b1, one_minus_b2, epsilon, m_coef, g_coef,
                  bias_2, momentum, velocity):
    i = cuda.grid(1)
    if i < params.shape[0]:
        g = _prepared(grads[i], scale, clip)
        m = momentum[i] + (g - momentum[i]) * one_minus_b1
        momentum[i] = m
        v = velocity[i] + (g * g - velocity[i]) * one_minus_b2
        velocity[i] = v
        m_hat = m_coef * m + g_coef * g
        params[i] -= m_hat * lr / (math.sqrt(v / bias_2) + epsilon)


def nadam_update(params, grads, scale, clip, lr, beta_1, beta_2, epsilon, m_coef, g_coef, bias_2,
                 momentum, velocity):
    _nadam_kernel[blocks_for(params.shape[0]), 128](
        params, grads, *_f32(scale, clip, lr, 1.0 - beta_1, 1.0 - beta_2, epsilon, m_coef, g_coef, bias_2),
        momentum, velocity)
