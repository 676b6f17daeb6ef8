"""Device executors of the core layers: Dense, Activation, Dropout, Flatten, Reshape."""

from __future__ import annotations

from kernels.cuda.elementwise import activation_backward, bias_activation_forward, dropout_backward, dropout_forward
from kernels.cuda.matmul import matmul

from ..layers.core import Activation, Dense, Dropout, Flatten, Reshape
from .arrays import EMPTY, rows
from .executor import Executor


class DenseExecutor(Executor):
    def forward(self, x, training):
        layer = self.layer
        x2 = rows(x)
        shape = (x2.shape[0], layer.units)
        z = self.buffer("z", shape)
        y = z if layer.activation == "linear" else self.buffer("y", shape)
        matmul(x2, self.weights[0][0], z)
        bias_activation_forward(z, self.weights[1][0] if layer.use_bias else EMPTY, layer._act, y)
        self._x, self._z, self._y = x2, z, y
        return y.reshape(*x.shape[:-1], layer.units)

    def backward(self, dy, need_dx):
        layer = self.layer
        dy2 = rows(dy)
        dz = self.buffer("dz", dy2.shape)
        activation_backward(dy2, self._z, self._y, layer._act, dz, self.weights[1][1] if layer.use_bias else EMPTY)
        kernel, dkernel = self.weights[0]
        matmul(self._x, dz, dkernel, trans_a=True)
        if not need_dx:
            return None
        dx = self.buffer("dx", self._x.shape)
        matmul(dz, kernel, dx, trans_b=True)
        return dx.reshape(*dy.shape[:-1], self._x.shape[1])


class ActivationExecutor(Executor):
    def forward(self, x, training):
        x2 = rows(x)
        y = self.buffer("y", x2.shape)
        bias_activation_forward(x2, EMPTY, self.layer._act, y)
        self._x, self._y = x2, y
        return y.reshape(x.shape)

    def backward(self, dy, need_dx):
        if not need_dx:
            return None
        dy2 = rows(dy)
        dx = self.buffer("dx", dy2.shape)
        activation_backward(dy2, self._x, self._y, self.layer._act, dx, EMPTY)
        return dx.reshape(dy.shape)


class DropoutExecutor(Executor):
    """The uniform draws come from the layer's host stream, as on the CPU, so one seed gives
    the same masks on either device."""

    def forward(self, x, training):
        layer = self.layer
        self._training = bool(training) and layer.rate != 0.0
        if not self._training:
            return x
        self._u = self.buffer.upload("u", layer.draw_uniforms(x.shape)).reshape(x.size)
        y = self.buffer("y", x.shape)
        dropout_forward(x.reshape(x.size), self._u, layer.rate, y.reshape(x.size))
        return y

    def backward(self, dy, need_dx):
        if not need_dx:
            return None
        if not self._training:
            return dy
        dx = self.buffer("dx", dy.shape)
        dropout_backward(dy.reshape(dy.size), self._u, self.layer.rate, dx.reshape(dy.size))
        return dx


class FlattenExecutor(Executor):
    def forward(self, x, training):
        self._shape = x.shape
        return x.reshape(x.shape[0], x.size // x.shape[0])

    def backward(self, dy, need_dx):
        return dy.reshape(self._shape) if need_dx else None


class ReshapeExecutor(Executor):
    def forward(self, x, training):
        self._shape = x.shape
        return x.reshape(x.shape[0], *self.layer.compute_output_shape((None, *x.shape[1:]))[1:])

    def backward(self, dy, need_dx):
        return dy.reshape(self._shape) if need_dx else None


EXECUTORS = {
    Dense: DenseExecutor,
    Activation: ActivationExecutor,
    Dropout: DropoutExecutor,
    Flatten: FlattenExecutor,
    Reshape: ReshapeExecutor,
}
