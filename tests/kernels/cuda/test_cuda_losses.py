"""Each CUDA loss (mean value and gradient) against its CPU twin (simulator)."""

import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from kernels import losses as cpu  # noqa: E402
from kernels.cuda import losses as gpu  # noqa: E402

RNG = np.random.default_rng(2)
ROWS, CLASSES = 6, 5


def _probabilities():
    p = RNG.random((ROWS, CLASSES)).astype(np.float32) + np.float32(0.05)
    return p / p.sum(axis=1, keepdims=True)


def _one_hot():
    return np.eye(CLASSES, dtype=np.float32)[RNG.integers(0, CLASSES, ROWS)]


def _flat(kind):
    if kind == "prob":
        return RNG.random(30).astype(np.float32) * np.float32(0.98) + np.float32(0.01)
    if kind == "bits":
        return RNG.integers(0, 2, 30).astype(np.float32)
    if kind == "positive":
        return RNG.random(30).astype(np.float32) + np.float32(0.1)
    return RNG.standard_normal(30).astype(np.float32)


CASES = [
    ("categorical_crossentropy", _one_hot, _probabilities, (0.0,)),
    ("categorical_crossentropy", _one_hot, _probabilities, (0.1,)),
    ("categorical_crossentropy_logits", _one_hot, lambda: _flat("normal")[:ROWS * CLASSES].reshape(ROWS, CLASSES), (0.1,)),
    ("sparse_categorical_crossentropy", lambda: RNG.integers(0, CLASSES, ROWS).astype(np.float32), _probabilities, ()),
    ("sparse_categorical_crossentropy_logits", lambda: RNG.integers(0, CLASSES, ROWS).astype(np.float32),
     lambda: _flat("normal")[:ROWS * CLASSES].reshape(ROWS, CLASSES), ()),
    ("kl_divergence", _probabilities, _probabilities, ()),
    ("binary_crossentropy", lambda: _flat("bits"), lambda: _flat("prob"), (0.2,)),
    ("binary_crossentropy_logits", lambda: _flat("bits"), lambda: _flat("normal"), (0.0,)),
    ("mean_squared_error", lambda: _flat("normal"), lambda: _flat("normal"), ()),
    ("mean_absolute_error", lambda: _flat("normal"), lambda: _flat("normal"), ()),
    ("huber", lambda: _flat("normal"), lambda: _flat("normal"), (0.7,)),
    ("hinge", lambda: _flat("bits"), lambda: _flat("normal"), ()),
    ("hinge", lambda: _flat("bits") * 2 - 1, lambda: _flat("normal"), ()),
    ("poisson", lambda: _flat("positive"), lambda: _flat("positive"), ()),
]


@pytest.mark.parametrize("name,make_true,make_pred,extra", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_loss_and_gradient_match_cpu(name, make_true, make_pred, extra):
    y_true, y_pred = make_true(), make_pred()
    grad_cpu = np.empty_like(y_pred)
    loss_cpu = getattr(cpu, name)(y_true, y_pred, *extra, grad_cpu)
    grad_gpu = cuda.device_array_like(y_pred)
    total = cuda.device_array(1, np.float64)
    getattr(gpu, name)(cuda.to_device(y_true), cuda.to_device(y_pred), *extra, grad_gpu, total)
    np.testing.assert_allclose(total.copy_to_host()[0], loss_cpu, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(grad_gpu.copy_to_host(), grad_cpu, rtol=1e-5, atol=1e-6)
