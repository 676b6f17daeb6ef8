"""Loss kernels against float64 numpy formulas: the batch-mean value, and the gradient by
central finite differences of the same formula."""

import numpy as np
import pytest

from kernels import losses as K

EPS = K.EPSILON
HI = K.ONE_MINUS_EPSILON
ROWS, CLASSES = 7, 5


def _cce(t, p, ls=0.0):
    t = t * (1 - ls) + ls / t.shape[-1]
    q = np.clip(p / p.sum(-1, keepdims=True), EPS, HI)
    return -(t * np.log(q)).sum(-1).mean()


def _log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _cce_logits(t, z, ls=0.0):
    t = t * (1 - ls) + ls / t.shape[-1]
    return -(t * _log_softmax(z)).sum(-1).mean()


def _one_hot(labels):
    return np.eye(CLASSES)[labels.astype(int)]


def _bce(t, p, ls=0.0):
    t = t * (1 - ls) + 0.5 * ls
    c = np.clip(p, EPS, HI)
    return -(t * np.log(c) + (1 - t) * np.log(1 - c)).mean()


def _bce_logits(t, z, ls=0.0):
    t = t * (1 - ls) + 0.5 * ls
    s = 1 / (1 + np.exp(-z))
    return -(t * np.log(s) + (1 - t) * np.log(1 - s)).mean()


def _huber(t, p, delta):
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2).mean()


def _kl(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return (t * np.log(t / p)).sum(-1).mean()


def _hinge(t, p):
    if np.all((t == 0) | (t == 1)):
        t = 2 * t - 1
    return np.maximum(1 - t * p, 0).mean()


def _rng_data(rng, kind):
    """(y_true, y_pred) float32 for a target kind, away from kinks and clipping bounds."""
    shape = (ROWS, CLASSES)
    if kind == "probs":
        return rng.dirichlet(np.ones(CLASSES), ROWS), rng.uniform(0.05, 1.0, shape)
    if kind == "one_hot_probs":
        return _one_hot(rng.integers(0, CLASSES, ROWS)), rng.uniform(0.05, 1.0, shape)
    if kind == "logits":
        return rng.dirichlet(np.ones(CLASSES), ROWS), rng.normal(0, 3, shape)
    if kind == "labels_probs":
        return rng.integers(0, CLASSES, ROWS), rng.uniform(0.05, 1.0, shape)
    if kind == "labels_logits":
        return rng.integers(0, CLASSES, ROWS), rng.normal(0, 3, shape)
    if kind == "binary":
        return rng.integers(0, 2, shape), rng.uniform(0.02, 0.98, shape)
    if kind == "binary_logits":
        return rng.uniform(0, 1, shape), rng.normal(0, 3, shape)
    if kind == "signs":
        return rng.choice([-1.0, 1.0], shape), rng.normal(0, 1.5, shape)
    if kind == "counts":
        return rng.poisson(2.0, shape), rng.uniform(0.1, 4.0, shape)
    return rng.normal(0, 1, shape), rng.normal(0, 1.5, shape)


# name: (kernel call on float32 arrays, float64 reference of the batch mean, data kind)
CASES = {
    "cce": (lambda t, p, g: K.categorical_crossentropy(t, p, 0.0, g), _cce, "probs"),
    "cce_one_hot": (lambda t, p, g: K.categorical_crossentropy(t, p, 0.0, g), _cce, "one_hot_probs"),
    "cce_smoothing": (
        lambda t, p, g: K.categorical_crossentropy(t, p, 0.2, g),
        lambda t, p: _cce(t, p, 0.2),
        "one_hot_probs",
    ),
    "cce_logits": (
        lambda t, p, g: K.categorical_crossentropy_logits(t, p, 0.1, g),
        lambda t, p: _cce_logits(t, p, 0.1),
        "logits",
    ),
    "scce": (
        lambda t, p, g: K.sparse_categorical_crossentropy(t, p, g),
        lambda t, p: _cce(_one_hot(t), p),
        "labels_probs",
    ),
    "scce_logits": (
        lambda t, p, g: K.sparse_categorical_crossentropy_logits(t, p, g),
        lambda t, p: _cce_logits(_one_hot(t), p),
        "labels_logits",
    ),
    "bce": (lambda t, p, g: K.binary_crossentropy(t, p, 0.0, g), _bce, "binary"),
    "bce_smoothing": (
        lambda t, p, g: K.binary_crossentropy(t, p, 0.3, g),
        lambda t, p: _bce(t, p, 0.3),
        "binary",
    ),
    "bce_logits": (
        lambda t, p, g: K.binary_crossentropy_logits(t, p, 0.1, g),
        lambda t, p: _bce_logits(t, p, 0.1),
        "binary_logits",
    ),
    "mse": (K.mean_squared_error, lambda t, p: ((p - t) ** 2).mean(), "real"),
    "mae": (K.mean_absolute_error, lambda t, p: np.abs(p - t).mean(), "real"),
    "huber": (lambda t, p, g: K.huber(t, p, 0.7, g), lambda t, p: _huber(t, p, 0.7), "real"),
    "kl": (K.kl_divergence, _kl, "probs"),
    "hinge_01": (K.hinge, _hinge, "binary"),
    "hinge_signs": (K.hinge, _hinge, "signs"),
    "poisson": (K.poisson, lambda t, p: (p - t * np.log(p + EPS)).mean(), "counts"),
}
ROW_KERNELS = {"cce", "cce_one_hot", "cce_smoothing", "cce_logits", "scce", "scce_logits", "kl"}


def _run(name, t, p):
    """The kernel's value and gradient, on the views the kernel expects."""
    kernel = CASES[name][0]
    t32 = np.ascontiguousarray(t, dtype=np.float32)
    p32 = np.ascontiguousarray(p, dtype=np.float32)
    grad = np.full_like(p32, np.nan)
    if name in ROW_KERNELS:
        value = kernel(t32, p32, grad)
    else:
        value = kernel(t32.reshape(-1), p32.reshape(-1), grad.reshape(-1))
    return value, grad


def _finite_difference(f, p, step=1e-6):
    grad = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        hi, lo = p.copy(), p.copy()
        hi[idx] += step
        lo[idx] -= step
        grad[idx] = (f(hi) - f(lo)) / (2 * step)
    return grad


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_value_and_gradient_match_formula(name):
    rng = np.random.default_rng(sorted(CASES).index(name))
    _, reference, kind = CASES[name]
    t, p = _rng_data(rng, kind)
    # The reference sees exactly the float32 inputs the kernel sees.
    t = t.astype(np.float32).astype(np.float64)
    p = p.astype(np.float32).astype(np.float64)
    value, grad = _run(name, t, p)
    np.testing.assert_allclose(value, reference(t, p), rtol=2e-6)
    expected = _finite_difference(lambda q: reference(t, q), p)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-7)


def test_binary_gradient_vanishes_where_probabilities_are_clipped():
    t = np.array([1, 0, 1, 0, 1], np.float32)
    p = np.array([0.0, 1.0, 1e-9, 0.5, 1.0], np.float32)
    grad = np.empty_like(p)
    value = K.binary_crossentropy(t, p, 0.0, grad)
    assert grad[0] == grad[1] == grad[2] == grad[4] == 0.0
    assert grad[3] != 0.0
    np.testing.assert_allclose(value, _bce(t.astype(float), p.astype(float)), rtol=1e-6)


def test_categorical_gradient_vanishes_when_the_target_class_is_clipped():
    t = np.array([[0, 1, 0], [1, 0, 0]], np.float32)
    p = np.array([[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]], np.float32)
    grad = np.empty_like(p)
    value = K.categorical_crossentropy(t, p, 0.0, grad)
    np.testing.assert_array_equal(grad[0], 0.0)
    assert np.all(grad[1] != 0.0)
    np.testing.assert_allclose(value, (-np.log(EPS) - np.log(0.2)) / 2, rtol=1e-6)
    labels = np.array([1, 0], np.float32)
    sparse_grad = np.empty_like(p)
    assert K.sparse_categorical_crossentropy(labels, p, sparse_grad) == pytest.approx(value)
    np.testing.assert_allclose(sparse_grad, grad, rtol=1e-6)


def test_kl_gradient_vanishes_where_predictions_are_clipped():
    t = np.array([[0.5, 0.5, 0.0]], np.float32)
    p = np.array([[0.0, 0.7, 0.3]], np.float32)
    grad = np.empty_like(p)
    K.kl_divergence(t, p, grad)
    assert grad[0, 0] == 0.0 and grad[0, 1] < 0.0


def test_logit_kernels_stay_finite_for_large_logits():
    t = np.array([[1, 0], [0, 1]], np.float32)
    z = np.array([[500.0, -500.0], [500.0, -500.0]], np.float32)
    grad = np.empty_like(z)
    assert K.categorical_crossentropy_logits(t, z, 0.0, grad) == pytest.approx(500.0)
    np.testing.assert_allclose(grad, [[0, 0], [0.5, -0.5]])
    flat_grad = np.empty(4, np.float32)
    value = K.binary_crossentropy_logits(t.reshape(-1), z.reshape(-1), 0.0, flat_grad)
    assert value == pytest.approx(250.0)
    np.testing.assert_allclose(flat_grad, [0, 0, 0.25, -0.25])
