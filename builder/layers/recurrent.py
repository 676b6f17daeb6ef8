"""Recurrent layers: SimpleRNN, LSTM, GRU, with Keras 3's weights, gates and statefulness.

Every cell runs the same way: the sequence is turned time-major (reversed once for
go_backwards, input dropout applied), all time steps are projected by the kernel in one GEMM,
then a Numba loop runs the steps (a BLAS call for the recurrent matmul plus one fused gate
pass per step) and keeps the gates for backpropagation through time (kernels/recurrent.py).

Dropout masks are drawn once per batch and shared by every time step, as Keras does; one input
mask (on the kernel's inputs) and one recurrent mask (on the state before the recurrent
matmul) serve all gates, where Keras's recurrent_dropout draws one mask per gate.
A stateful layer keeps each sample row's final state as the next batch's initial state;
gradients stop at that carried state (truncated BPTT, as Keras).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from kernels.blocked import blocked_dot, summed_products
from kernels.dense import EMPTY
from kernels.recurrent import (
    EMPTY2,
    EMPTY3,
    column_sums,
    from_time_major,
    gru_backward_steps,
    gru_forward_steps,
    gru_reset_before_backward_steps,
    gru_reset_before_forward_steps,
    input_projection,
    lstm_backward_steps,
    lstm_forward_steps,
    projection_backward,
    simple_rnn_backward_steps,
    simple_rnn_forward_steps,
    to_time_major,
)

from ..activations import activation_id
from ..catalog import register
from ..errors import ConfigError, DataError
from ..params import Param
from ..random import global_rng
from .base import Layer, WeightSpec

UNITS = Param("units", "int", low=1, high=1 << 16, help="Size of the state (and of each output step).")
ACTIVATION = Param("activation", "activation", default="tanh", help="Activation of the candidate state (and output).")
RECURRENT_ACTIVATION = Param("recurrent_activation", "activation", default="sigmoid", help="Activation of the gates.")
USE_BIAS = Param("use_bias", "bool", default=True, help="Add learned biases.")
KERNEL_INIT = Param(
    "kernel_initializer", "initializer", default="glorot_uniform", help="Initializer of the input kernel."
)
RECURRENT_INIT = Param(
    "recurrent_initializer", "initializer", default="orthogonal", help="Initializer of the recurrent kernel."
)
BIAS_INIT = Param("bias_initializer", "initializer", default="zeros", help="Initializer of the bias.")
DROPOUT = Param(
    "dropout", "float", default=0.0, low=0.0, high=1.0, high_inclusive=False,
    help="Fraction of the input units dropped in training (one mask for all time steps).",
)
RECURRENT_DROPOUT = Param(
    "recurrent_dropout", "float", default=0.0, low=0.0, high=1.0, high_inclusive=False,
    help="Fraction of the state units dropped before the recurrent matmul in training.",
)
SEED = Param("seed", "optional_int", default=None, low=0, help="Seed of this layer's own dropout stream.")
RETURN_SEQUENCES = Param(
    "return_sequences", "bool", default=False, help="Return the state of every time step, not only the last."
)
GO_BACKWARDS = Param("go_backwards", "bool", default=False, help="Process the sequence from its end to its start.")
STATEFUL = Param(
    "stateful", "bool", default=False,
    help="Carry each sample's final state into the next batch (needs a fixed batch size).",
)


class _Recurrent(Layer):
    """What the three cells share: shapes, weights, dropout masks, state, time-major views.

    A cell declares GATES (blocks of `units` columns in its kernels) and STATES (h, or h and
    c), and implements `_run_steps` and `_backprop_steps` over the time-major buffers.
    """

    GATES: ClassVar[int] = 1
    STATES: ClassVar[int] = 1

    def validate(self):
        self._rng = None if self.seed is None else np.random.default_rng(self.seed)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise self.shape_error(input_shape, "needs 3 dimensions (batch, timesteps, features)")
        batch, steps, _ = input_shape
        return (batch, steps, self.units) if self.return_sequences else (batch, self.units)

    def _bias_shape(self) -> tuple:
        return (self.GATES * self.units,)

    def weight_specs(self, input_shape):
        width = self.GATES * self.units
        specs = [
            WeightSpec("kernel", (input_shape[-1], width), self.kernel_initializer),
            WeightSpec("recurrent_kernel", (self.units, width), self.recurrent_initializer),
        ]
        if self.use_bias:
            specs.append(WeightSpec("bias", self._bias_shape(), self.bias_initializer))
        return specs

    def build(self, input_shape, rng):
        if self.stateful and (len(input_shape) < 1 or input_shape[0] is None):
            raise ConfigError(
                f"{self.name}: stateful {self.class_name} needs a fixed batch size: give "
                "batch_input_shape=(batch, timesteps, features)"
            )
        super().build(input_shape, rng)
        self._act = activation_id(self.activation)
        self._ract = activation_id(getattr(self, "recurrent_activation", "sigmoid"))
        batch = input_shape[0]
        self._states = None
        if self.stateful:
            self._states = [np.zeros((batch, self.units), np.float32) for _ in range(self.STATES)]

    @property
    def states(self) -> list[np.ndarray] | None:
        """The carried states (h, or h and c), each (batch, units), of a stateful layer."""
        return getattr(self, "_states", None)

    def reset_states(self):
        for state in getattr(self, "_states", None) or ():
            state[...] = 0.0

    # -- compute --------------------------------------------------------------------------
    def _mask(self, key: str, shape: tuple, rate: float, rng) -> np.ndarray:
        """A dropout mask: 0 with probability rate, else 1 / (1 - rate)."""
        mask = self.buffer(key, shape)
        rng.random(out=mask, dtype=np.float32)
        mask[...] = (mask >= rate) * np.float32(1.0 / (1.0 - rate))
        return mask

    def _initial_state(self, target: np.ndarray, index: int) -> None:
        if self._states is None:
            target[...] = 0.0
        else:
            target[...] = self._states[index]

    def forward(self, x, training=False):
        x = np.ascontiguousarray(x, dtype=np.float32)
        batch, steps, features = x.shape
        if self._states is not None and batch != self._states[0].shape[0]:
            raise DataError(
                f"{self.name}: this stateful {self.class_name} was built for batches of "
                f"{self._states[0].shape[0]} samples, got a batch of {batch}"
            )
        units = self.units
        rng = self._rng or global_rng()
        training = bool(training)
        self._in_mask = EMPTY2
        self._rmask = EMPTY2
        if training and self.dropout:
            self._in_mask = self._mask("in_mask", (batch, features), self.dropout, rng)
        if training and self.recurrent_dropout:
            self._rmask = self._mask("rmask", (batch, units), self.recurrent_dropout, rng)
        self._x_tm = self.buffer("x_tm", (steps, batch, features))
        to_time_major(x, self.go_backwards, self._in_mask, self._x_tm)
        self._xp = self.buffer("xp", (steps, batch, self.GATES * units))
        input_projection(self._x_tm, self.weights[0].value, self._input_bias(), self._xp)
        self._hs = self.buffer("hs", (steps + 1, batch, units))
        self._initial_state(self._hs[0], 0)
        self._hm = self.buffer("hm", (steps, batch, units)) if self._rmask.size else EMPTY3
        self._run_steps()
        if self._states is not None:
            self._states[0][...] = self._hs[steps]
        if not self.return_sequences:
            return self._hs[steps]
        y = self.buffer("y", (batch, steps, units))
        from_time_major(self._hs[1:], False, EMPTY2, y)
        return y

    def backward(self, dy, need_dx=True):
        steps, batch, features = self._x_tm.shape
        dhs = self.buffer("dhs", (steps, batch, self.units))
        if self.return_sequences:
            to_time_major(np.ascontiguousarray(dy, dtype=np.float32), False, EMPTY2, dhs)
        else:
            dhs[:-1] = 0.0
            dhs[-1] = dy
        dx_tm = self.buffer("dx_tm", self._x_tm.shape) if need_dx else None
        self._backprop_steps(dhs, dx_tm)
        if not need_dx:
            return None
        dx = self.buffer("dx", (batch, steps, features))
        from_time_major(dx_tm, self.go_backwards, self._in_mask, dx)
        return dx

    def _input_bias(self) -> np.ndarray:
        return self.weights[2].value if self.use_bias else EMPTY

    def _bias_grad(self) -> np.ndarray:
        return self.weights[2].grad if self.use_bias else EMPTY

    def _recurrent_inputs(self) -> np.ndarray:
        """The states each step's recurrent matmul saw: masked copies, or hs[:T] itself."""
        return self._hm if self._rmask.size else self._hs[:-1]

    def _project_back(self, dxp, dhp, dx_tm, bias_grad=None):
        """The kernel, recurrent kernel and input-bias gradients, and dx_tm unless None."""
        kernel, recurrent = self.weights[0], self.weights[1]
        projection_backward(
            self._x_tm, kernel.value, self._recurrent_inputs(), dxp, dhp, kernel.grad, recurrent.grad,
            self._bias_grad() if bias_grad is None else bias_grad, dx_tm,
        )

    def _run_steps(self) -> None:
        raise NotImplementedError

    def _backprop_steps(self, dhs: np.ndarray, dx_tm: np.ndarray | None) -> None:
        raise NotImplementedError


@register("Recurrent", "Fully connected RNN: h_t = activation(x_t @ kernel + h_(t-1) @ recurrent_kernel + bias).")
class SimpleRNN(_Recurrent):
    """Fully connected recurrent layer whose output is fed back as the next step's state.

    Args:
        units: size of the state.
        activation: activation of the state (default tanh).
        return_sequences, go_backwards, stateful, dropout, recurrent_dropout: as in Keras.
    Input shape: (batch, timesteps, features).
    Output shape: (batch, units), or (batch, timesteps, units) with return_sequences.
    """

    PARAMS = (
        UNITS, ACTIVATION, USE_BIAS, KERNEL_INIT, RECURRENT_INIT, BIAS_INIT, DROPOUT, RECURRENT_DROPOUT,
        RETURN_SEQUENCES, GO_BACKWARDS, STATEFUL, SEED,
    )

    def _run_steps(self):
        batch = self._hs.shape[1]
        hp = self.buffer("hp", (batch, self.units))
        simple_rnn_forward_steps(self._xp, self.weights[1].value, self._rmask, self._act, self._hs, self._hm, hp)

    def _backprop_steps(self, dhs, dx_tm):
        batch = self._hs.shape[1]
        dpre = self.buffer("dpre", self._xp.shape)
        dh = self.buffer("dh", (batch, self.units))
        scratch = self.buffer("scratch", (batch, self.units))
        simple_rnn_backward_steps(
            dhs, self.weights[1].value.T, self._rmask, self._act, self._hs, self._xp, dpre, dh, scratch
        )
        self._project_back(dpre, dpre, dx_tm)


@register("Recurrent", "Long Short-Term Memory layer (Hochreiter 1997), Keras's gate order i, f, c, o.")
class LSTM(_Recurrent):
    """Long Short-Term Memory layer.

    Args:
        units: size of the state.
        activation: activation of the candidate and of the cell output (default tanh).
        recurrent_activation: activation of the gates (default sigmoid).
        unit_forget_bias: start the forget gate's bias at 1.
        return_sequences, go_backwards, stateful, dropout, recurrent_dropout: as in Keras.
    Input shape: (batch, timesteps, features).
    Output shape: (batch, units), or (batch, timesteps, units) with return_sequences.
    """

    GATES = 4
    STATES = 2
    PARAMS = (
        UNITS, ACTIVATION, RECURRENT_ACTIVATION, USE_BIAS, KERNEL_INIT, RECURRENT_INIT, BIAS_INIT,
        Param("unit_forget_bias", "bool", default=True, help="Initialise the forget gate's bias to 1."),
        DROPOUT, RECURRENT_DROPOUT, SEED, RETURN_SEQUENCES, GO_BACKWARDS, STATEFUL,
    )

    def build(self, input_shape, rng):
        super().build(input_shape, rng)
        if self.use_bias and self.unit_forget_bias:
            self.weights[2].value[self.units : 2 * self.units] = 1.0

    def _run_steps(self):
        steps, batch, width = self._xp.shape
        self._cs = self.buffer("cs", (steps + 1, batch, self.units))
        self._initial_state(self._cs[0], 1)
        self._gates = self.buffer("gates", (steps, batch, width))
        self._cell_act = self.buffer("cell_act", (steps, batch, self.units))
        hp = self.buffer("hp", (batch, width))
        lstm_forward_steps(
            self._xp, self.weights[1].value, self._rmask, self._act, self._ract, self._hs, self._cs,
            self._gates, self._cell_act, self._hm, hp,
        )
        if self._states is not None:
            self._states[1][...] = self._cs[steps]

    def _backprop_steps(self, dhs, dx_tm):
        batch = self._hs.shape[1]
        dpre = self.buffer("dpre", self._xp.shape)
        dh, dc, scratch = (self.buffer(key, (batch, self.units)) for key in ("dh", "dc", "scratch"))
        lstm_backward_steps(
            dhs, self.weights[1].value.T, self._rmask, self._act, self._ract, self._cs, self._xp, self._gates,
            self._cell_act, dpre, dh, dc, scratch,
        )
        self._project_back(dpre, dpre, dx_tm)


@register("Recurrent", "Gated Recurrent Unit (Cho 2014), Keras 3's gates z, r, h; reset_after=True by default.")
class GRU(_Recurrent):
    """Gated Recurrent Unit: h_t = z * h_(t-1) + (1 - z) * hh.

    Args:
        units: size of the state.
        activation: activation of the candidate hh (default tanh).
        recurrent_activation: activation of the gates z and r (default sigmoid).
        reset_after: apply the reset gate after the recurrent matmul (Keras 3's default, with
            separate input and recurrent biases: bias of shape (2, 3 * units)).
        return_sequences, go_backwards, stateful, dropout, recurrent_dropout: as in Keras.
    Input shape: (batch, timesteps, features).
    Output shape: (batch, units), or (batch, timesteps, units) with return_sequences.
    """

    GATES = 3
    PARAMS = (
        UNITS, ACTIVATION, RECURRENT_ACTIVATION, USE_BIAS, KERNEL_INIT, RECURRENT_INIT, BIAS_INIT,
        DROPOUT, RECURRENT_DROPOUT, SEED, RETURN_SEQUENCES, GO_BACKWARDS, STATEFUL,
        Param("reset_after", "bool", default=True, help="Reset gate after the recurrent matmul (Keras 3's default)."),
    )

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if not self.use_bias:
            return EMPTY
        bias = self.weights[2].value
        return bias[0] if self.reset_after else bias

    def _run_steps(self):
        steps, batch, width = self._xp.shape
        units = self.units
        recurrent = self.weights[1].value
        self._gates = self.buffer("gates", (steps, batch, width))
        self._keep = self.buffer("keep", (steps, batch, units))  # r*h (reset before) or h @ R_h + b (after)
        if self.reset_after:
            recurrent_bias = self.weights[2].value[1] if self.use_bias else EMPTY
            gru_forward_steps(
                self._xp, recurrent, recurrent_bias, self._rmask, self._act, self._ract, self._hs, self._gates,
                self._keep, self._hm, self.buffer("hp", (batch, width)),
            )
            return
        kernel_zr = self.buffer("kernel_zr", (units, 2 * units))
        kernel_h = self.buffer("kernel_h", (units, units))
        kernel_zr[...] = recurrent[:, : 2 * units]
        kernel_h[...] = recurrent[:, 2 * units :]
        gru_reset_before_forward_steps(
            self._xp, kernel_zr, kernel_h, self._rmask, self._act, self._ract, self._hs, self._gates, self._keep,
            self._hm, self.buffer("hp_zr", (batch, 2 * units)), self.buffer("hp_h", (batch, units)),
        )

    def _backprop_steps(self, dhs, dx_tm):
        batch = self._hs.shape[1]
        units = self.units
        dxp = self.buffer("dxp", self._xp.shape)
        dh, direct, scratch = (self.buffer(key, (batch, units)) for key in ("dh", "direct", "scratch"))
        if self.reset_after:
            dhp = self.buffer("dhp", self._xp.shape)
            gru_backward_steps(
                dhs, self.weights[1].value.T, self._rmask, self._act, self._ract, self._hs, self._xp, self._gates,
                self._keep, dxp, dhp, dh, direct, scratch,
            )
            bias_in, bias_rec = (self.weights[2].grad[0], self.weights[2].grad[1]) if self.use_bias else (EMPTY, EMPTY)
            self._project_back(dxp, dhp, dx_tm, bias_in)
            if self.use_bias:
                column_sums(dhp.reshape(-1, 3 * units), bias_rec)
            return
        kernel_zr = self.buffer("kernel_zr", (units, 2 * units))
        kernel_h = self.buffer("kernel_h", (units, units))
        gru_reset_before_backward_steps(
            dhs, kernel_zr.T, kernel_h.T, self._rmask, self._act, self._ract, self._hs, self._hm, self._xp,
            self._gates, dxp, dh, direct, self.buffer("d_hh", (batch, units)), self.buffer("d_zr", (batch, 2 * units)),
            self.buffer("d_rh", (batch, units)), scratch,
        )
        self._reset_before_weight_grads(dxp, dx_tm)

    def _reset_before_weight_grads(self, dxp, dx_tm):
        """The recurrent kernel's z, r columns see the (masked) state, its h columns r * state."""
        units = self.units
        rows = dxp.shape[0] * dxp.shape[1]
        dxp2 = dxp.reshape(rows, 3 * units)
        kernel, recurrent = self.weights[0], self.weights[1]
        summed_products(self._x_tm.reshape(rows, -1), dxp2, kernel.grad)
        for seen, columns in ((self._recurrent_inputs(), slice(0, 2 * units)), (self._keep, slice(2 * units, None))):
            block = self.buffer(f"grad_{columns.start}", recurrent.grad[:, columns].shape)
            summed_products(seen.reshape(rows, units), dxp2[:, columns], block)
            recurrent.grad[:, columns] = block
        if self.use_bias:
            column_sums(dxp2, self.weights[2].grad)
        if dx_tm is not None:
            blocked_dot(dxp2, kernel.value.T, dx_tm.reshape(rows, -1))
