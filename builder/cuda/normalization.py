"""Device executors of BatchNormalization and LayerNormalization: the layers' computation
(builder/layers/normalization.py) with kernels/cuda/normalization.py.

The kernels work on (rows, channels) arrays; when `axis` is not the last one, the input is
moved there with one permuting copy on the way in and back with one on the way out, as on
the CPU. BatchNormalization's moving statistics are non-trainable weights in the device
parameter array: training updates them there, and `DeviceParameters.download` brings them
back to the host layer with the trained weights.
"""

from __future__ import annotations

from numba import cuda

from kernels.cuda import normalization as K
from kernels.cuda.reshaping import permute_axes

from ..layers.normalization import BatchNormalization, LayerNormalization
from .arrays import rows
from .executor import Executor


class AxisNormalizationExecutor(Executor):
    """What both normalizations share: gamma and beta (or device copies of the layer's
    neutral stand-ins when scale or center is off) and the (rows, channels) moves."""

    def __init__(self, layer, params):
        super().__init__(layer, params)
        self._ones = cuda.to_device(layer._ones)
        self._zeros = cuda.to_device(layer._zeros)

    def _gamma(self):
        return self.weights[0][0] if self.layer.scale else self._ones

    def _beta(self):
        return self.weights[int(self.layer.scale)][0] if self.layer.center else self._zeros

    def _affine_grads(self, channels: int):
        """Where the kernels write dgamma and dbeta: the weights' grads, or scratch when absent."""
        layer = self.layer
        dgamma = self.weights[0][1] if layer.scale else self.buffer("dgamma", (channels,))
        dbeta = self.weights[int(layer.scale)][1] if layer.center else self.buffer("dbeta", (channels,))
        return dgamma, dbeta

    def _rows(self, a, key: str):
        """`a` as (rows, channels) with the normalised axis last."""
        if self.layer._axis_is_last:
            return rows(a)
        axis = self.layer._axis
        axes = (*(i for i in range(a.ndim) if i != axis), axis)
        moved = self.buffer(key, tuple(a.shape[i] for i in axes))
        permute_axes(a, axes, moved)
        return rows(moved)

    def _unrows(self, a2, shape: tuple, key: str):
        """The inverse of `_rows`: (rows, channels) back to an array of `shape`."""
        if self.layer._axis_is_last:
            return a2.reshape(shape)
        axis = self.layer._axis
        moved_shape = (*shape[:axis], *shape[axis + 1 :], shape[axis])
        out = self.buffer(key, shape)
        back = (*range(axis), len(shape) - 1, *range(axis, len(shape) - 1))
        permute_axes(a2.reshape(moved_shape), back, out)
        return out


class BatchNormalizationExecutor(AxisNormalizationExecutor):
    def forward(self, x, training):
        layer = self.layer
        x2 = self._rows(x, "x_moved")
        channels = x2.shape[1]
        moving_mean, moving_variance = self.weights[-2][0], self.weights[-1][0]
        inv_std = self.buffer("inv_std", (channels,))
        self._batch_statistics = bool(training) and layer.trainable
        if self._batch_statistics:
            mean, variance = self.buffer("mean", (channels,)), self.buffer("variance", (channels,))
            K.batch_moments(x2, mean, variance)
            K.inverse_std(variance, layer.epsilon, inv_std)
            K.moving_average_update(moving_mean, mean, layer.momentum)
            K.moving_average_update(moving_variance, variance, layer.momentum)
        else:
            mean = moving_mean  # read in place: nothing changes it before backward
            K.inverse_std(moving_variance, layer.epsilon, inv_std)
        y2 = self.buffer("y", x2.shape)
        K.batch_norm_apply(x2, mean, inv_std, self._gamma(), self._beta(), y2)
        self._x2, self._mean, self._inv_std = x2, mean, inv_std
        return self._unrows(y2, x.shape, "y_out")

    def backward(self, dy, need_dx):
        dy2 = self._rows(dy, "dy_moved")
        dgamma, dbeta = self._affine_grads(dy2.shape[1])
        K.batch_norm_param_grads(self._x2, dy2, self._mean, self._inv_std, dgamma, dbeta)
        if not need_dx:
            return None
        dx2 = self.buffer("dx", dy2.shape)
        if self._batch_statistics:
            K.batch_norm_train_input_grad(self._x2, dy2, self._mean, self._inv_std, self._gamma(), dgamma, dbeta, dx2)
        else:
            K.batch_norm_inference_input_grad(dy2, self._inv_std, self._gamma(), dx2)
        return self._unrows(dx2, dy.shape, "dx_out")


class LayerNormalizationExecutor(AxisNormalizationExecutor):
    def forward(self, x, training):
        layer = self.layer
        x2 = self._rows(x, "x_moved")
        count = x2.shape[0]
        mean, inv_std = self.buffer("mean", (count,)), self.buffer("inv_std", (count,))
        y2 = self.buffer("y", x2.shape)
        K.layer_norm_forward(x2, self._gamma(), self._beta(), layer.epsilon, mean, inv_std, y2)
        self._x2, self._mean, self._inv_std = x2, mean, inv_std
        return self._unrows(y2, x.shape, "y_out")

    def backward(self, dy, need_dx):
        dy2 = self._rows(dy, "dy_moved")
        dgamma, dbeta = self._affine_grads(dy2.shape[1])
        dx2 = self.buffer("dx", dy2.shape)
        K.layer_norm_backward(self._x2, dy2, self._mean, self._inv_std, self._gamma(), dgamma, dbeta, dx2, need_dx)
        return self._unrows(dx2, dy.shape, "dx_out") if need_dx else None


EXECUTORS = {BatchNormalization: BatchNormalizationExecutor, LayerNormalization: LayerNormalizationExecutor}
