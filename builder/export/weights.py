"""The .npz written beside an exported script, and the layout conversions from Keras's weights
(SeqStudio keeps Keras's layouts) to PyTorch's.

Keras keeps a Dense kernel as (in, out) and a convolution kernel as (k..., in, out); PyTorch
keeps (out, in) and (out, in, k...). Keras's LSTM gates are ordered i, f, c, o, which is
PyTorch's i, f, g, o; Keras's GRU gates are z, r, h where PyTorch orders r, z, n.
"""

from __future__ import annotations

import io

import numpy as np

from ..atomic import atomic_write
from .script import weight_key
from .spec import ExportSpec


def keras_arrays(spec: ExportSpec, names: dict | None = None) -> dict[str, np.ndarray]:
    """Every weight in Keras's layout, keyed "layer_name/weight_name" (SeqStudio and Keras),
    layer names taken through `names` where the script renamed them."""
    names = names or {}
    return {
        weight_key(names.get(entry.layer.name, entry.layer.name), weight.name): np.array(weight.value, dtype=np.float32)
        for entry in spec.layers
        for weight in entry.layer.weights
    }


def write_npz(path, arrays: dict[str, np.ndarray]) -> None:
    """Write `arrays` to an uncompressed .npz file, atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())


def linear_weight(kernel: np.ndarray) -> np.ndarray:
    """Dense kernel (in, out) -> nn.Linear weight (out, in)."""
    return np.ascontiguousarray(kernel.T)


def conv_weight(kernel: np.ndarray) -> np.ndarray:
    """Convolution kernel (k..., in, out) -> PyTorch's (out, in, k...)."""
    rank = kernel.ndim
    return np.ascontiguousarray(np.transpose(kernel, (rank - 1, rank - 2, *range(rank - 2))))


def gate_blocks(array: np.ndarray, order: tuple, axis: int = -1) -> np.ndarray:
    """The gate blocks of `array` along `axis` (equal parts, one per gate) in a new order."""
    blocks = np.split(array, len(order), axis=axis)
    return np.ascontiguousarray(np.concatenate([blocks[i] for i in order], axis=axis))


GRU_TO_TORCH = (1, 0, 2)
"""Keras's GRU gates z, r, h taken in PyTorch's order r, z, n."""
