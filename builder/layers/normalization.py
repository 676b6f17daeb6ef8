"""Normalization layers: BatchNormalization, LayerNormalization.

Both normalise along one axis (`axis`, the channels by default). The kernels work on
(rows, channels) views; when `axis` is not the last one, the layer moves it last with one copy
on the way in and moves it back with one copy on the way out.
"""

from __future__ import annotations

import numpy as np

from kernels.normalization import (
    batch_moments,
    batch_norm_apply,
    batch_norm_inference_input_grad,
    batch_norm_param_grads,
    batch_norm_train_input_grad,
    inverse_std,
    layer_norm_backward,
    layer_norm_forward,
    moving_average_update,
)

from ..catalog import register
from ..params import Param
from .base import Layer, WeightSpec

AXIS = Param("axis", "int", default=-1, help="The axis normalised over (BatchNormalization: kept); -1 is the last.")
EPSILON = Param("epsilon", "float", default=1e-3, low=0.0, low_inclusive=False, help="Added to the variance.")
CENTER = Param("center", "bool", default=True, help="Learn an offset beta added after normalising.")
SCALE = Param("scale", "bool", default=True, help="Learn a factor gamma applied after normalising.")
BETA_INIT = Param("beta_initializer", "initializer", default="zeros", help="Initializer of beta.")
GAMMA_INIT = Param("gamma_initializer", "initializer", default="ones", help="Initializer of gamma.")


class _AxisNormalization(Layer):
    """What both normalizations share: the axis rule, gamma and beta (or their neutral
    stand-ins when scale or center is off), and the (rows, channels) views."""

    def compute_output_shape(self, input_shape):
        self._resolve_axis(input_shape)
        return input_shape

    def _resolve_axis(self, input_shape) -> int:
        rank = len(input_shape)
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 1 <= axis < rank:
            raise self.shape_error(input_shape, f"axis={self.axis} must name one of its {rank - 1} non-batch axes")
        return axis

    def _affine_specs(self, input_shape) -> list[WeightSpec]:
        channels = (input_shape[self._resolve_axis(input_shape)],)
        specs = []
        if self.scale:
            specs.append(WeightSpec("gamma", channels, self.gamma_initializer))
        if self.center:
            specs.append(WeightSpec("beta", channels, self.beta_initializer))
        return specs

    def build(self, input_shape, rng):
        super().build(input_shape, rng)
        self._axis = self._resolve_axis(input_shape)
        self._axis_is_last = self._axis == len(input_shape) - 1
        channels = input_shape[self._axis]
        self._ones = np.ones(channels, np.float32)
        self._zeros = np.zeros(channels, np.float32)

    def _gamma(self) -> np.ndarray:
        return self.weights[0].value if self.scale else self._ones

    def _beta(self) -> np.ndarray:
        return self.weights[int(self.scale)].value if self.center else self._zeros

    def _affine_grads(self, channels: int) -> tuple[np.ndarray, np.ndarray]:
        """Where the kernels write dgamma and dbeta: the weights' grads, or scratch when absent."""
        dgamma = self.weights[0].grad if self.scale else self.buffer("dgamma", (channels,))
        dbeta = self.weights[int(self.scale)].grad if self.center else self.buffer("dbeta", (channels,))
        return dgamma, dbeta

    def _rows(self, a: np.ndarray, key: str) -> np.ndarray:
        """`a` as a C-contiguous (rows, channels) array with the normalised axis last."""
        if self._axis_is_last:
            return np.ascontiguousarray(a).reshape(-1, a.shape[-1])
        moved = np.moveaxis(a, self._axis, -1)
        out = self.buffer(key, moved.shape)
        np.copyto(out, moved)
        return out.reshape(-1, moved.shape[-1])

    def _unrows(self, a2: np.ndarray, shape: tuple, key: str) -> np.ndarray:
        """The inverse of `_rows`: (rows, channels) back to a C-contiguous array of `shape`."""
        if self._axis_is_last:
            return a2.reshape(shape)
        moved_shape = (*shape[: self._axis], *shape[self._axis + 1 :], shape[self._axis])
        out = self.buffer(key, tuple(shape))
        np.copyto(out, np.moveaxis(a2.reshape(moved_shape), -1, self._axis))
        return out


@register("Normalization", "Normalises each channel by the batch's statistics in training, moving ones in inference.")
class BatchNormalization(_AxisNormalization):
    """Batch normalization, as Keras 3 computes it.

    In training (and while the layer is trainable) each channel is normalised by the mean and
    biased variance over every other axis of the batch, and the moving statistics follow
    moving = moving * momentum + batch * (1 - momentum); otherwise the moving statistics are used.

    Args:
        axis: the channel axis (default -1, channels last).
        momentum, epsilon: of the moving averages and of the variance.
        center, scale: learn beta and gamma.
    Input shape: any, with `axis` a non-batch axis. Output shape: the same.
    Weights: gamma, beta (trainable), moving_mean, moving_variance (non-trainable), each (channels,).
    """

    PARAMS = (
        AXIS,
        Param("momentum", "float", default=0.99, low=0.0, high=1.0, help="Momentum of the moving statistics."),
        EPSILON,
        CENTER,
        SCALE,
        BETA_INIT,
        GAMMA_INIT,
        Param("moving_mean_initializer", "initializer", default="zeros", help="Initializer of the moving mean."),
        Param("moving_variance_initializer", "initializer", default="ones", help="Initializer of the moving variance."),
    )

    def weight_specs(self, input_shape):
        channels = (input_shape[self._resolve_axis(input_shape)],)
        return [
            *self._affine_specs(input_shape),
            WeightSpec("moving_mean", channels, self.moving_mean_initializer, trainable=False),
            WeightSpec("moving_variance", channels, self.moving_variance_initializer, trainable=False),
        ]

    def forward(self, x, training=False):
        x2 = self._rows(x, "x_moved")
        channels = x2.shape[1]
        moving_mean, moving_variance = self.weights[-2].value, self.weights[-1].value
        mean = self.buffer("mean", (channels,))
        inv_std = self.buffer("inv_std", (channels,))
        self._batch_statistics = bool(training) and self.trainable
        if self._batch_statistics:
            variance = self.buffer("variance", (channels,))
            batch_moments(x2, mean, variance)
            inverse_std(variance, self.epsilon, inv_std)
            moving_average_update(moving_mean, mean, self.momentum)
            moving_average_update(moving_variance, variance, self.momentum)
        else:
            mean[...] = moving_mean
            inverse_std(moving_variance, self.epsilon, inv_std)
        y2 = self.buffer("y", x2.shape)
        batch_norm_apply(x2, mean, inv_std, self._gamma(), self._beta(), y2)
        self._x2 = x2
        return self._unrows(y2, x.shape, "y_out")

    def backward(self, dy, need_dx=True):
        dy2 = self._rows(dy, "dy_moved")
        mean, inv_std = self._buffers["mean"], self._buffers["inv_std"]
        dgamma, dbeta = self._affine_grads(dy2.shape[1])
        batch_norm_param_grads(self._x2, dy2, mean, inv_std, dgamma, dbeta)
        if not need_dx:
            return None
        dx2 = self.buffer("dx", dy2.shape)
        if self._batch_statistics:
            batch_norm_train_input_grad(self._x2, dy2, mean, inv_std, self._gamma(), dgamma, dbeta, dx2)
        else:
            batch_norm_inference_input_grad(dy2, inv_std, self._gamma(), dx2)
        return self._unrows(dx2, dy.shape, "dx_out")


@register("Normalization", "Normalises each sample over its last axis (or `axis`), then scales and shifts.")
class LayerNormalization(_AxisNormalization):
    """Layer normalization, as Keras 3 computes it: each sample is normalised by the mean and
    biased variance along `axis`, then multiplied by gamma and shifted by beta.

    Args:
        axis: the axis normalised over (default -1).
        epsilon: added to the variance.
        center, scale: learn beta and gamma.
    Input shape: any, with `axis` a non-batch axis. Output shape: the same.
    Weights: gamma, beta, each of the size of `axis`.
    """

    PARAMS = (AXIS, EPSILON, CENTER, SCALE, BETA_INIT, GAMMA_INIT)

    def weight_specs(self, input_shape):
        return self._affine_specs(input_shape)

    def forward(self, x, training=False):
        x2 = self._rows(x, "x_moved")
        rows = x2.shape[0]
        mean, inv_std = self.buffer("mean", (rows,)), self.buffer("inv_std", (rows,))
        y2 = self.buffer("y", x2.shape)
        layer_norm_forward(x2, self._gamma(), self._beta(), self.epsilon, mean, inv_std, y2)
        self._x2 = x2
        return self._unrows(y2, x.shape, "y_out")

    def backward(self, dy, need_dx=True):
        dy2 = self._rows(dy, "dy_moved")
        dgamma, dbeta = self._affine_grads(dy2.shape[1])
        dx2 = self.buffer("dx", dy2.shape)
        mean, inv_std = self._buffers["mean"], self._buffers["inv_std"]
        layer_norm_backward(self._x2, dy2, mean, inv_std, self._gamma(), dgamma, dbeta, dx2, need_dx)
        return self._unrows(dx2, dy.shape, "dx_out") if need_dx else None
