"""Weight initializers with Keras's names, defaults and fan computations."""

from __future__ import annotations

import math

import numpy as np

INITIALIZER_NAMES = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "zeros",
    "ones",
    "random_uniform",
    "random_normal",
    "truncated_normal",
    "orthogonal",
)
_ALIASES = {"zero": "zeros", "one": "ones", "uniform": "random_uniform", "normal": "random_normal"}


def canonical_initializer(identifier) -> str:
    if not isinstance(identifier, str):
        raise ValueError(f"expected an initializer name, one of {', '.join(INITIALIZER_NAMES)}")
    name = _ALIASES.get(identifier.lower(), identifier.lower())
    if name not in INITIALIZER_NAMES:
        raise ValueError(f"unknown initializer; expected one of {', '.join(INITIALIZER_NAMES)}")
    return name


def compute_fans(shape: tuple) -> tuple[float, float]:
    """Keras's fans: the last axis is fan_out, the one before fan_in, the rest the receptive field."""
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _truncated_normal(rng: np.random.Generator, shape, stddev: float) -> np.ndarray:
    """Normal samples redrawn until within two standard deviations, as Keras does."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * stddev


def _variance_scaling(rng, shape, scale, mode, distribution):
    fan_in, fan_out = compute_fans(shape)
    denom = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    variance = scale / max(1.0, denom)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, shape)
    # Keras's truncated normal is rescaled so the truncated variance equals `variance`.
    return _truncated_normal(rng, shape, math.sqrt(variance) / 0.87962566103423978)


def _orthogonal(rng, shape, gain=1.0):
    rows = math.prod(shape[:-1]) if len(shape) > 1 else 1
    cols = shape[-1]
    flat = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return gain * q[:rows, :cols].reshape(shape)


def initialize(name: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """A new float32 array of `shape` drawn by the initializer `name`."""
    name = canonical_initializer(name)
    shape = tuple(int(d) for d in shape)
    if name == "zeros":
        values = np.zeros(shape)
    elif name == "ones":
        values = np.ones(shape)
    elif name == "random_uniform":
        values = rng.uniform(-0.05, 0.05, shape)
    elif name == "random_normal":
        values = rng.normal(0.0, 0.05, shape)
    elif name == "truncated_normal":
        values = _truncated_normal(rng, shape, 0.05)
    elif name == "orthogonal":
        values = _orthogonal(rng, shape)
    else:
        family, distribution = name.split("_")
        scale, mode = {"glorot": (1.0, "fan_avg"), "he": (2.0, "fan_in"), "lecun": (1.0, "fan_in")}[family]
        values = _variance_scaling(rng, shape, scale, mode, distribution)
    return np.ascontiguousarray(values, dtype=np.float32)
