"""Device executors of the recurrent layers (LSTM, GRU, SimpleRNN): the layers' computation
(builder/layers/recurrent.py) with the time-major moves of kernels/cuda/layout.py, one tiled
product for the input projection of all steps, the per-step kernels of
kernels/cuda/recurrent.py and gru.py, and the products back.

Dropout masks are drawn by the layer itself on the host (`_mask`, the CPU's stream and
order) and uploaded, so one seed gives the same masks on either device. A stateful layer's
carried states stay the host arrays of the layer (`layer.states`): each batch uploads them as
its initial state and downloads its final state into them (a few hundred bytes), so
`model.reset_states()`, which zeroes them, needs no device counterpart. The training loop
guarantees the fixed batch size a stateful layer was built for.
"""

from __future__ import annotations

from kernels.activations import LINEAR
from kernels.cuda.elementwise import bias_activation_forward, column_sums
from kernels.cuda.gru import gru_backward_steps, gru_forward_steps, gru_reset_before_backward_steps
from kernels.cuda.gru import gru_reset_before_forward_steps
from kernels.cuda.layout import from_time_major, last_step_grad, to_time_major, transpose
from kernels.cuda.matmul import matmul
from kernels.cuda.recurrent import lstm_backward_steps, lstm_forward_steps, simple_rnn_backward_steps
from kernels.cuda.recurrent import simple_rnn_forward_steps

from ..layers.recurrent import GRU, LSTM, SimpleRNN
from ..random import global_rng
from .arrays import EMPTY, EMPTY2, EMPTY3, rows
from .executor import Executor


class RecurrentExecutor(Executor):
    """What the cells share: dropout masks, time-major moves, the input projection, carried
    states, and the kernel, input-bias and input gradients. A cell implements `_run_steps`
    (over self._xp, self._hs) and `_backprop_steps(dhs)`, which writes the recurrent kernel's
    gradient and returns the gradient of the input projection (T, B, G*u)."""

    def _mask(self, key, shape, rate, rng):
        return self.buffer.upload(key, self.layer._mask(key, shape, rate, rng))

    def _input_bias(self) -> tuple:
        """(value, grad) of the bias added to the input projection, or empties."""
        return self.weights[2] if self.layer.use_bias else (EMPTY, EMPTY)

    def _initial_state(self, target, index: int) -> None:
        states = self.layer.states
        if states is None:
            target[:] = 0.0
        else:
            target.copy_to_device(states[index])

    def _carry(self, final, index: int) -> None:
        """A stateful layer keeps the batch's final state for the next batch."""
        states = self.layer.states
        if states is not None:
            final.copy_to_host(states[index])

    def forward(self, x, training):
        layer, buffer = self.layer, self.buffer
        batch, steps, features = x.shape
        units, width = layer.units, layer.GATES * layer.units
        rng = layer._rng or global_rng()
        self._in_mask = self._rmask = EMPTY2
        if training and layer.dropout:
            self._in_mask = self._mask("in_mask", (batch, features), layer.dropout, rng)
        if training and layer.recurrent_dropout:
            self._rmask = self._mask("rmask", (batch, units), layer.recurrent_dropout, rng)
        x_tm = self._x_tm = buffer("x_tm", (steps, batch, features))
        to_time_major(x, layer.go_backwards, self._in_mask, x_tm)
        xp = self._xp = buffer("xp", (steps, batch, width))
        matmul(rows(x_tm), self.weights[0][0], rows(xp))
        bias = self._input_bias()[0]
        if bias.size:
            bias_activation_forward(rows(xp), bias, LINEAR, rows(xp))
        hs = self._hs = buffer("hs", (steps + 1, batch, units))
        self._initial_state(hs[0], 0)
        self._hm = buffer("hm", (steps, batch, units)) if self._rmask.size else EMPTY3
        self._run_steps()
        self._carry(hs[steps], 0)
        if not layer.return_sequences:
            return hs[steps]
        y = buffer("y", (batch, steps, units))
        from_time_major(hs[1:], False, EMPTY2, y)
        return y

    def backward(self, dy, need_dx):
        layer, buffer = self.layer, self.buffer
        steps, batch, features = self._x_tm.shape
        dhs = buffer("dhs", (steps, batch, layer.units))
        if layer.return_sequences:
            to_time_major(dy, False, EMPTY2, dhs)
        else:
            last_step_grad(dy, dhs)
        dxp2 = rows(self._backprop_steps(dhs))
        (kernel, dkernel), dbias = self.weights[0], self._input_bias()[1]
        matmul(rows(self._x_tm), dxp2, dkernel, trans_a=True)
        if dbias.size:
            column_sums(dxp2, dbias)
        if not need_dx:
            return None
        dx_tm = buffer("dx_tm", self._x_tm.shape)
        matmul(dxp2, kernel, rows(dx_tm), trans_b=True)
        dx = buffer("dx", (batch, steps, features))
        from_time_major(dx_tm, layer.go_backwards, self._in_mask, dx)
        return dx

    # -- helpers of the cells --------------------------------------------------------------
    def _work(self, *keys, width=1):
        """(B, width * u) work arrays, one per key."""
        shape = (self._hs.shape[1], width * self.layer.units)
        return [self.buffer(key, shape) for key in keys]

    def _recurrent_inputs(self):
        """The states each step's recurrent product saw: masked copies, or hs[:T] itself."""
        return self._hm if self._rmask.size else self._hs[: self._xp.shape[0]]

    def _recurrent_kernel_t(self):
        recurrent = self.weights[1][0]
        recurrent_t = self.buffer("recurrent_t", (recurrent.shape[1], recurrent.shape[0]))
        transpose(recurrent, recurrent_t)
        return recurrent_t

    def _recurrent_grad(self, dhp) -> None:
        """The recurrent kernel's gradient: the seen states^T times dhp (T, B, G*u)."""
        matmul(rows(self._recurrent_inputs()), rows(dhp), self.weights[1][1], trans_a=True)

    def _run_steps(self) -> None:
        raise NotImplementedError

    def _backprop_steps(self, dhs):
        raise NotImplementedError


class SimpleRNNExecutor(RecurrentExecutor):
    def _run_steps(self):
        layer = self.layer
        simple_rnn_forward_steps(self._xp, self.weights[1][0], self._rmask, layer._act, self._hs, self._hm,
                                 *self._work("hp"))

    def _backprop_steps(self, dhs):
        dpre = self.buffer("dpre", self._xp.shape)
        simple_rnn_backward_steps(dhs, self._recurrent_kernel_t(), self._rmask, self.layer._act, self._hs, self._xp,
                                  dpre, *self._work("dh", "scratch"))
        self._recurrent_grad(dpre)
        return dpre


class LSTMExecutor(RecurrentExecutor):
    def _run_steps(self):
        layer, buffer = self.layer, self.buffer
        steps, batch, width = self._xp.shape
        cs = self._cs = buffer("cs", (steps + 1, batch, layer.units))
        self._initial_state(cs[0], 1)
        self._gates = buffer("gates", (steps, batch, width))
        self._cell_act = buffer("cell_act", (steps, batch, layer.units))
        lstm_forward_steps(self._xp, self.weights[1][0], self._rmask, layer._act, layer._ract, self._hs, cs,
                           self._gates, self._cell_act, self._hm, *self._work("hp", width=4))
        self._carry(cs[steps], 1)

    def _backprop_steps(self, dhs):
        layer = self.layer
        dpre = self.buffer("dpre", self._xp.shape)
        lstm_backward_steps(dhs, self._recurrent_kernel_t(), self._rmask, layer._act, layer._ract, self._cs,
                            self._xp, self._gates, self._cell_act, dpre, *self._work("dh", "dc", "scratch"))
        self._recurrent_grad(dpre)
        return dpre


class GRUExecutor(RecurrentExecutor):
    """Both reset placements. With reset_after (Keras 3's default) the bias is (2, 3u): row 0
    joins the input projection, row 1 the recurrent one; without it, the recurrent kernel's
    z, r columns see the (masked) state and its h columns r * state."""

    def _input_bias(self):
        layer = self.layer
        if layer.use_bias and layer.reset_after:
            value, grad = self.weights[2]
            return value[0], grad[0]
        return super()._input_bias()

    def _run_steps(self):
        layer, buffer = self.layer, self.buffer
        steps, batch, width = self._xp.shape
        units = layer.units
        recurrent = self.weights[1][0]
        self._gates = buffer("gates", (steps, batch, width))
        self._keep = buffer("keep", (steps, batch, units))  # h @ R_h + b_rh (reset after) or r * h (before)
        if layer.reset_after:
            recurrent_bias = self.weights[2][0][1] if layer.use_bias else EMPTY
            gru_forward_steps(self._xp, recurrent, recurrent_bias, self._rmask, layer._act, layer._ract, self._hs,
                              self._gates, self._keep, self._hm, *self._work("hp", width=3))
            return
        gru_reset_before_forward_steps(self._xp, recurrent[:, : 2 * units], recurrent[:, 2 * units :], self._rmask,
                                       layer._act, layer._ract, self._hs, self._gates, self._keep, self._hm,
                                       *self._work("hp_zr", width=2), *self._work("hp_h"))

    def _backprop_steps(self, dhs):
        layer = self.layer
        units = layer.units
        dxp = self.buffer("dxp", self._xp.shape)
        recurrent_t = self._recurrent_kernel_t()
        if layer.reset_after:
            dhp = self.buffer("dhp", self._xp.shape)
            gru_backward_steps(dhs, recurrent_t, self._rmask, layer._act, layer._ract, self._hs, self._xp,
                               self._gates, self._keep, dxp, dhp, *self._work("dh", "direct", "scratch"))
            self._recurrent_grad(dhp)
            if layer.use_bias:
                column_sums(rows(dhp), self.weights[2][1][1])
            return dxp
        gru_reset_before_backward_steps(dhs, recurrent_t[: 2 * units], recurrent_t[2 * units :], self._rmask,
                                        layer._act, layer._ract, self._hs, self._hm, self._xp, self._gates, dxp,
                                        *self._work("dh", "direct", "d_hh"), *self._work("d_zr", width=2),
                                        *self._work("d_rh", "scratch"))
        dxp2, drecurrent = rows(dxp), self.weights[1][1]
        matmul(rows(self._recurrent_inputs()), dxp2[:, : 2 * units], drecurrent[:, : 2 * units], trans_a=True)
        matmul(rows(self._keep), dxp2[:, 2 * units :], drecurrent[:, 2 * units :], trans_a=True)
        return dxp


EXECUTORS = {LSTM: LSTMExecutor, GRU: GRUExecutor, SimpleRNN: SimpleRNNExecutor}
