"""Core layers: Dense, Activation, Dropout, Flatten, Reshape."""

from __future__ import annotations

import math

import numpy as np

from kernels.activations import activation_backward, bias_activation_forward
from kernels.dense import EMPTY, dense_backward, dense_forward
from kernels.elementwise import dropout_backward, dropout_forward, uniform_fill

from ..activations import activation_id
from ..catalog import register
from ..params import Param
from ..random import global_rng
from .base import Layer, WeightSpec, format_shape

ACTIVATION = Param("activation", "activation", default="linear", help="Applied to the output.")


def _as_2d(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1, a.shape[-1])


@register("Core", "Fully connected layer: output = activation(input @ kernel + bias) on the last axis.")
class Dense(Layer):
    """Densely connected layer acting on the last axis (any rank, as in Keras).

    Args:
        units: dimensionality of the output space.
        activation: activation name (default: linear).
    Input shape: (batch, ..., input_dim). Output shape: (batch, ..., units).
    """

    PARAMS = (
        Param("units", "int", low=1, high=1 << 24, help="Number of output units."),
        ACTIVATION,
        Param("use_bias", "bool", default=True, help="Add a learned bias vector."),
        Param("kernel_initializer", "initializer", default="glorot_uniform", help="Initializer of the kernel."),
        Param("bias_initializer", "initializer", default="zeros", help="Initializer of the bias."),
    )

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 2:
            raise self.shape_error(input_shape, "needs at least 2 dimensions (batch, features)")
        return (*input_shape[:-1], self.units)

    def weight_specs(self, input_shape):
        specs = [WeightSpec("kernel", (input_shape[-1], self.units), self.kernel_initializer)]
        if self.use_bias:
            specs.append(WeightSpec("bias", (self.units,), self.bias_initializer))
        return specs

    def build(self, input_shape, rng):
        super().build(input_shape, rng)
        self._act = activation_id(self.activation)

    def forward(self, x, training=False):
        x2 = _as_2d(x)
        n = x2.shape[0]
        z = self.buffer("z", (n, self.units))
        y = z if self.activation == "linear" else self.buffer("y", (n, self.units))
        bias = self.weights[1].value if self.use_bias else EMPTY
        dense_forward(x2, self.weights[0].value, bias, self._act, z, y)
        self._x, self._z, self._y = x2, z, y
        return y.reshape(*x.shape[:-1], self.units)

    def backward(self, dy, need_dx=True):
        dy2 = _as_2d(dy)
        dz = self.buffer("dz", dy2.shape)
        dx = self.buffer("dx", self._x.shape) if need_dx else None
        dbias = self.weights[1].grad if self.use_bias else EMPTY
        kernel = self.weights[0]
        dense_backward(self._x, kernel.value, self._z, self._y, self._act, dy2, dz, kernel.grad, dbias, dx)
        return None if dx is None else dx.reshape(*dy.shape[:-1], self._x.shape[1])


@register("Core", "Applies an activation function element-wise (softmax: along the last axis).")
class Activation(Layer):
    PARAMS = (Param("activation", "activation", help="Activation function name."),)

    def build(self, input_shape, rng):
        super().build(input_shape, rng)
        self._act = activation_id(self.activation)

    def forward(self, x, training=False):
        x2 = np.ascontiguousarray(_as_2d(x))
        y = self.buffer("y", x2.shape)
        bias_activation_forward(x2, EMPTY, self._act, y)
        self._x, self._y = x2, y
        return y.reshape(x.shape)

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        dy2 = _as_2d(dy)
        dx = self.buffer("dx", dy2.shape)
        activation_backward(dy2, self._x, self._y, self._act, dx, EMPTY)
        return dx.reshape(dy.shape)


@register("Core", "Randomly sets a fraction `rate` of inputs to 0 during training, scaling the rest.")
class Dropout(Layer):
    PARAMS = (
        Param("rate", "float", low=0.0, high=1.0, high_inclusive=False, help="Fraction of inputs to drop."),
        Param("seed", "optional_int", default=None, low=0, help="Seed of this layer's own random stream."),
    )

    def validate(self):
        self._rng = None if self.seed is None else np.random.default_rng(self.seed)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._training = False
            return x
        self._training = True
        u = self._u = self.draw_uniforms(x.shape)
        y = self.buffer("y", x.shape)
        dropout_forward(np.ascontiguousarray(x).reshape(-1), u.reshape(-1), self.rate, y.reshape(-1))
        return y

    def draw_uniforms(self, shape: tuple) -> np.ndarray:
        """A batch's uniform draws in the layer's buffer "u", from a seed taken from its own
        stream (else the global one): the CUDA executor uploads the same draws."""
        u = self.buffer("u", shape)
        uniform_fill(u.reshape(-1), (self._rng or global_rng()).integers(0, 2**63))
        return u

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        if not self._training:
            return dy
        dx = self.buffer("dx", dy.shape)
        dropout_backward(np.ascontiguousarray(dy).reshape(-1), self._u.reshape(-1), self.rate, dx.reshape(-1))
        return dx


@register("Reshaping", "Flattens every axis after the batch into one.")
class Flatten(Layer):
    def compute_output_shape(self, input_shape):
        return (input_shape[0], math.prod(input_shape[1:]))

    def forward(self, x, training=False):
        self._shape = x.shape
        return np.ascontiguousarray(x).reshape(x.shape[0], -1)

    def backward(self, dy, need_dx=True):
        return dy.reshape(self._shape) if need_dx else None


@register("Reshaping", "Reshapes the non-batch axes to target_shape (one entry may be -1).")
class Reshape(Layer):
    PARAMS = (Param("target_shape", "shape", help="New shape without the batch axis; -1 is inferred."),)

    def compute_output_shape(self, input_shape):
        size = math.prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size % known:
                raise self.shape_error(input_shape, f"its {size} values cannot be reshaped to {format_shape(self.target_shape)}")
            shape = tuple(size // known if d == -1 else d for d in self.target_shape)
        else:
            if known != size:
                raise self.shape_error(
                    input_shape, f"target_shape {format_shape(self.target_shape)} holds {known} values, not {size}"
                )
            shape = self.target_shape
        return (input_shape[0], *shape)

    def forward(self, x, training=False):
        self._shape = x.shape
        return np.ascontiguousarray(x).reshape(x.shape[0], *self.compute_output_shape((None, *x.shape[1:]))[1:])

    def backward(self, dy, need_dx=True):
        return dy.reshape(self._shape) if need_dx else None
