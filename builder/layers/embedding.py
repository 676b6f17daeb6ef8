"""Embedding: integer indices to dense vectors, a row lookup in a learned table."""

from __future__ import annotations

import numpy as np

from kernels.embedding import embedding_backward, embedding_forward, embedding_indices

from ..catalog import register
from ..errors import ConfigError, DataError
from ..params import Param
from .base import Layer, WeightSpec


@register("Embedding", "Turns integer indices in [0, input_dim) into dense vectors of size output_dim.")
class Embedding(Layer):
    """Maps each integer index to a learned vector (a row of `embeddings`).

    Args:
        input_dim: size of the vocabulary (indices run from 0 to input_dim - 1).
        output_dim: size of each embedding vector.
        embeddings_initializer: initializer of the table (Keras's "uniform": U(-0.05, 0.05)).
    Input shape: (batch, ...) of integer indices (float arrays holding whole numbers); (batch,)
        gives (batch, output_dim), as in Keras.
    Output shape: (batch, ..., output_dim).

    `input_dim` is this layer's vocabulary size, not the shape shortcut other layers take
    under that name; `input_length=n` (a Keras 2 argument) stands for input_shape=(n,).
    """

    PARAMS = (
        Param("input_dim", "int", low=1, high=1 << 31, help="Vocabulary size: indices run from 0 to input_dim - 1."),
        Param("output_dim", "int", low=1, high=1 << 24, help="Size of each embedding vector."),
        Param("embeddings_initializer", "initializer", default="random_uniform", help="Initializer of the table."),
    )

    def __init__(self, *args, **kwargs):
        if "input_dim" in kwargs:
            if args:
                raise ConfigError("Embedding: got two values for argument 'input_dim'")
            args = (kwargs.pop("input_dim"),)
        input_length = kwargs.pop("input_length", None)
        if input_length is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (Param("input_length", "int", low=1).check("Embedding", input_length),)
        super().__init__(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def weight_specs(self, input_shape):
        return [WeightSpec("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer)]

    def forward(self, x, training=False):
        flat = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
        if self._ids is None or self._ids.shape != flat.shape:
            self._ids = np.empty(flat.shape, dtype=np.int64)
        bad = embedding_indices(flat, self.input_dim, self._ids)
        if bad >= 0:
            value = flat[bad]
            shown = int(value) if np.isfinite(value) and float(value).is_integer() else float(value)
            position = tuple(int(i) for i in np.unravel_index(bad, x.shape))
            raise DataError(
                f"{self.name} (Embedding): index {shown} at position {position} of the input is outside "
                f"[0, {self.input_dim}): input_dim={self.input_dim}"
            )
        y = self.buffer("y", (flat.shape[0], self.output_dim))
        embedding_forward(self._ids, self.weights[0].value, y)
        self._x_shape = x.shape
        return y.reshape(*x.shape, self.output_dim)

    def backward(self, dy, need_dx=True):
        dy2 = np.ascontiguousarray(dy, dtype=np.float32).reshape(-1, self.output_dim)
        embedding_backward(self._ids, dy2, self.weights[0].grad)
        if not need_dx:
            return None
        dx = self.buffer("dx", self._x_shape)
        dx[...] = 0.0
        return dx

    def build(self, input_shape, rng):
        super().build(input_shape, rng)
        self._ids = None
