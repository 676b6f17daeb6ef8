"""Device executor of LSTM: the layer's computation (builder/layers/recurrent.py) with the
time-major moves of kernels/cuda/layout.py, one tiled product for the input projection of all
steps, the per-step kernels of kernels/cuda/recurrent.py, and three products back.

Dropout masks are drawn by the layer itself on the host (`_mask`, the CPU's stream and
order) and uploaded, so one seed gives the same masks on either device. A stateful LSTM
(states carried on the host between batches) is refused for now.
"""

from __future__ import annotations

from kernels.activations import LINEAR
from kernels.cuda.elementwise import bias_activation_forward, column_sums
from kernels.cuda.layout import from_time_major, last_step_grad, to_time_major, transpose
from kernels.cuda.matmul import matmul
from kernels.cuda.recurrent import lstm_backward_steps, lstm_forward_steps

from ..layers.recurrent import LSTM
from ..random import global_rng
from .arrays import EMPTY2, EMPTY3
from .executor import Executor


class LSTMExecutor(Executor):
    @classmethod
    def refusal(cls, layer):
        if layer.stateful:
            return f"{layer.name}: a stateful LSTM has no CUDA kernels yet; compile with device='cpu'"
        return None

    def _mask(self, key, shape, rate, rng):
        return self.buffer.upload(key, self.layer._mask(key, shape, rate, rng))

    def forward(self, x, training):
        layer, buffer = self.layer, self.buffer
        batch, steps, features = x.shape
        units, width = layer.units, 4 * layer.units
        rng = layer._rng or global_rng()
        self._in_mask = self._rmask = EMPTY2
        if training and layer.dropout:
            self._in_mask = self._mask("in_mask", (batch, features), layer.dropout, rng)
        if training and layer.recurrent_dropout:
            self._rmask = self._mask("rmask", (batch, units), layer.recurrent_dropout, rng)
        x_tm = self._x_tm = buffer("x_tm", (steps, batch, features))
        to_time_major(x, layer.go_backwards, self._in_mask, x_tm)
        xp = self._xp = buffer("xp", (steps, batch, width))
        xp2 = xp.reshape(steps * batch, width)
        matmul(x_tm.reshape(steps * batch, features), self.weights[0][0], xp2)
        if layer.use_bias:
            bias_activation_forward(xp2, self.weights[2][0], LINEAR, xp2)
        hs, cs = self._hs, self._cs = buffer("hs", (steps + 1, batch, units)), buffer("cs", (steps + 1, batch, units))
        hs[0] = 0.0
        cs[0] = 0.0
        self._hm = buffer("hm", (steps, batch, units)) if self._rmask.size else EMPTY3
        self._gates = buffer("gates", (steps, batch, width))
        self._cell_act = buffer("cell_act", (steps, batch, units))
        lstm_forward_steps(xp, self.weights[1][0], self._rmask, layer._act, layer._ract, hs, cs, self._gates,
                           self._cell_act, self._hm, buffer("hp", (batch, width)))
        if not layer.return_sequences:
            return hs[steps]
        y = buffer("y", (batch, steps, units))
        from_time_major(hs[1:], False, EMPTY2, y)
        return y

    def backward(self, dy, need_dx):
        layer, buffer = self.layer, self.buffer
        steps, batch, features = self._x_tm.shape
        units, width = layer.units, 4 * layer.units
        dhs = buffer("dhs", (steps, batch, units))
        if layer.return_sequences:
            to_time_major(dy, False, EMPTY2, dhs)
        else:
            last_step_grad(dy, dhs)
        (kernel, dkernel), (recurrent, drecurrent) = self.weights[0], self.weights[1]
        recurrent_t = buffer("recurrent_t", (width, units))
        transpose(recurrent, recurrent_t)
        dpre = buffer("dpre", self._xp.shape)
        lstm_backward_steps(dhs, recurrent_t, self._rmask, layer._act, layer._ract, self._cs, self._xp, self._gates,
                            self._cell_act, dpre, *(buffer(key, (batch, units)) for key in ("dh", "dc", "scratch")))
        rows = steps * batch
        dpre2 = dpre.reshape(rows, width)
        matmul(self._x_tm.reshape(rows, features), dpre2, dkernel, trans_a=True)
        seen = self._hm if self._rmask.size else self._hs[:steps]
        matmul(seen.reshape(rows, units), dpre2, drecurrent, trans_a=True)
        if layer.use_bias:
            column_sums(dpre2, self.weights[2][1])
        if not need_dx:
            return None
        dx_tm = buffer("dx_tm", self._x_tm.shape)
        matmul(dpre2, kernel, dx_tm.reshape(rows, features), trans_b=True)
        dx = buffer("dx", (batch, steps, features))
        from_time_major(dx_tm, layer.go_backwards, self._in_mask, dx)
        return dx


EXECUTORS = {LSTM: LSTMExecutor}
