"""Finite-difference gradient checks for layers, shared by every layer's tests.

The loss is L = sum(forward(x) * r) for a fixed random r, so dL/dy = r. Analytic gradients
from `backward(r)` are compared with central differences at a sample of coordinates of the
input and of every trainable weight. Kernels compute in float32, so the step is large-ish and
the tolerance relative; a coordinate where the two step sizes disagree sits on a kink (relu,
max pooling) and is skipped.
"""

from __future__ import annotations

import numpy as np

from builder.layers.base import Layer


def _loss(layer: Layer, x: np.ndarray, r: np.ndarray, training: bool) -> float:
    y = layer.forward(x, training=training)
    return float(np.sum(y.astype(np.float64) * r))


def _numeric(layer, x, r, array, index, eps, training, reseed):
    keep = array[index]
    array[index] = keep + eps
    reseed()
    plus = _loss(layer, x, r, training)
    array[index] = keep - eps
    reseed()
    minus = _loss(layer, x, r, training)
    array[index] = keep
    return (plus - minus) / (2 * eps)


def check_layer_gradients(
    layer: Layer,
    x: np.ndarray,
    *,
    training: bool = False,
    eps: float = 1e-3,
    rtol: float = 2e-2,
    atol: float = 5e-3,
    samples: int = 24,
    seed: int = 0,
    check_input: bool = True,
    reseed=lambda: None,
) -> None:
    """Assert that layer.backward agrees with finite differences.

    The layer must be built. `reseed` is called before every forward pass so that random
    layers (dropout) draw the same mask each time.
    """
    rng = np.random.default_rng(seed)
    x = np.ascontiguousarray(x, dtype=np.float32)
    reseed()
    y = layer.forward(x, training=training)
    r = rng.standard_normal(y.shape).astype(np.float32)
    reseed()
    layer.forward(x, training=training)
    dx = layer.backward(r.copy(), need_dx=check_input)
    dx = None if dx is None else np.array(dx, dtype=np.float64)
    grads = [np.array(w.grad, dtype=np.float64) for w in layer.weights]

    targets = [("input", x, dx)] if check_input else []
    targets += [(w.name, w.value, g) for w, g in zip(layer.weights, grads) if w.trainable]
    for name, array, analytic in targets:
        assert analytic is not None and analytic.shape == array.shape, f"{name}: gradient shape"
        flat_count = array.size
        picks = rng.choice(flat_count, size=min(samples, flat_count), replace=False)
        for flat in picks:
            index = np.unravel_index(flat, array.shape)
            numeric = _numeric(layer, x, r, array, index, eps, training, reseed)
            half = _numeric(layer, x, r, array, index, eps / 2, training, reseed)
            if abs(numeric - half) > atol + rtol * abs(numeric):
                continue  # a kink (relu, max pooling) lies within eps: differences mean nothing here
            got = analytic[index]
            assert abs(got - numeric) <= atol + rtol * max(abs(numeric), abs(got)), (
                f"{layer.name}: d/d{name}{list(index)} analytic {got:.6g} vs numeric {numeric:.6g}"
            )
