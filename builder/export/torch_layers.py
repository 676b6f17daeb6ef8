"""Each catalog layer as PyTorch code: the modules `__init__` creates, the lines `forward` runs,
and the layer's weights converted to PyTorch's layouts (keyed as in the module's state_dict).

The exported module takes channels-last tensors, as Keras and SeqStudio lay them out; layers
that PyTorch runs channels-first (convolutions, pooling, batch normalization, spatial dropout)
move the channel axis in and out around their own call, so Flatten and Reshape see Keras's
element order. A layer whose activation is applied by the model (so that the last one can be
fused into the loss) reports it in `activation` instead of applying it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import ConfigError
from .names import literal
from .spec import LayerEntry
from .weights import GRU_TO_TORCH, conv_weight, gate_blocks, linear_weight

ACTIVATIONS = {
    "linear": "{x}",
    "relu": "torch.relu({x})",
    "sigmoid": "torch.sigmoid({x})",
    "tanh": "torch.tanh({x})",
    "softmax": "torch.softmax({x}, dim=-1)",
    "elu": "F.elu({x})",
    "selu": "F.selu({x})",
    "softplus": "F.softplus({x})",
    "softsign": "F.softsign({x})",
    "swish": "F.silu({x})",
    "gelu": "F.gelu({x})",
    "hard_sigmoid": "F.hardsigmoid({x})",
    "leaky_relu": "F.leaky_relu({x}, negative_slope=0.2)",
    "exponential": "torch.exp({x})",
}


def activation_code(name: str, x: str = "x") -> str:
    """`name` (a canonical SeqStudio activation) applied to the expression `x`."""
    return ACTIVATIONS[name].format(x=x)


@dataclass
class TorchLayer:
    """One layer's share of the module: lines for __init__ (`self.<attr> = ...`), lines for
    forward (reading and rebinding `x`), the activation the model applies after them, and
    the weights in PyTorch's layout keyed by state_dict name."""

    init: list[str]
    forward: list[str]
    activation: str | None = None
    state: Callable[[], dict[str, np.ndarray]] = dict
    notes: list[str] = field(default_factory=list)
    helpers: tuple[str, ...] = ()
    carried: tuple[str, ...] = ()  # attributes holding a stateful layer's carried state


def _weights(entry: LayerEntry) -> dict[str, np.ndarray]:
    return {w.name: np.array(w.value, dtype=np.float32) for w in entry.layer.weights}


def _channels_first(call: str, rank: int) -> str:
    """`call` on x with the channels moved to axis 1, moved back last afterwards."""
    if rank == 2:
        return f"x = {call.format(x='x')}"
    return f"x = {call.format(x='x.movedim(-1, 1)')}.movedim(1, -1)"


# -- Core --------------------------------------------------------------------------------------
def dense(entry: LayerEntry, attr: str) -> TorchLayer:
    layer = entry.layer
    features = entry.input_shape[-1]

    def state():
        w = _weights(entry)
        out = {f"{attr}.weight": linear_weight(w["kernel"])}
        if layer.use_bias:
            out[f"{attr}.bias"] = w["bias"]
        return out

    bias = "" if layer.use_bias else ", bias=False"
    return TorchLayer([f"self.{attr} = nn.Linear({features}, {layer.units}{bias})"], [f"x = self.{attr}(x)"],
                      layer.activation, state)


def activation(entry: LayerEntry, attr: str) -> TorchLayer:
    return TorchLayer([], [], entry.layer.activation)


def dropout(entry: LayerEntry, attr: str) -> TorchLayer:
    return TorchLayer([f"self.{attr} = nn.Dropout({literal(entry.layer.rate)})"], [f"x = self.{attr}(x)"])


def spatial_dropout(entry: LayerEntry, attr: str) -> TorchLayer:
    """Keras's SpatialDropout1D/2D drop whole channels: nn.Dropout1d/2d on channels-first data."""
    kind = "Dropout1d" if entry.class_name == "SpatialDropout1D" else "Dropout2d"
    return TorchLayer([f"self.{attr} = nn.{kind}({literal(entry.layer.rate)})"],
                      [_channels_first(f"self.{attr}({{x}})", len(entry.input_shape))])


# -- Reshaping ---------------------------------------------------------------------------------
def flatten(entry: LayerEntry, attr: str) -> TorchLayer:
    return TorchLayer([], ["x = x.flatten(1)"])


def reshape(entry: LayerEntry, attr: str) -> TorchLayer:
    return TorchLayer([], [f"x = x.reshape(len(x), *{literal(tuple(entry.output_shape[1:]))})"])


def permute(entry: LayerEntry, attr: str) -> TorchLayer:
    return TorchLayer([], [f"x = x.permute(0, {', '.join(str(int(d)) for d in entry.layer.dims)})"])


def repeat_vector(entry: LayerEntry, attr: str) -> TorchLayer:
    return TorchLayer([], [f"x = x.unsqueeze(1).repeat(1, {int(entry.layer.n)}, 1)"])


def zero_padding_1d(entry: LayerEntry, attr: str) -> TorchLayer:
    before, after = (int(v) for v in entry.layer.padding)
    return TorchLayer([], [f"x = F.pad(x, (0, 0, {before}, {after}))  # the steps axis"])


def zero_padding_2d(entry: LayerEntry, attr: str) -> TorchLayer:
    (top, bottom), (left, right) = ((int(a), int(b)) for a, b in entry.layer.padding)
    return TorchLayer([], [f"x = F.pad(x, (0, 0, {left}, {right}, {top}, {bottom}))  # width, then height"])


def up_sampling_1d(entry: LayerEntry, attr: str) -> TorchLayer:
    return TorchLayer([], [f"x = x.repeat_interleave({int(entry.layer.size)}, dim=1)"])


def up_sampling_2d(entry: LayerEntry, attr: str) -> TorchLayer:
    rows, columns = (int(v) for v in entry.layer.size)
    return TorchLayer([], [f"x = x.repeat_interleave({rows}, dim=1).repeat_interleave({columns}, dim=2)"])


# -- Normalization -----------------------------------------------------------------------------
def _axis(entry: LayerEntry) -> int:
    rank = len(entry.input_shape)
    axis = entry.layer.axis
    return axis + rank if axis < 0 else axis


def _affine_extras(entry: LayerEntry, attr: str, fused: bool) -> tuple[list[str], list[str]]:
    """gamma/beta as their own parameters where PyTorch's module cannot hold just one of them,
    shaped to broadcast along the normalised axis."""
    if fused:
        return [], []
    rank, axis = len(entry.input_shape), _axis(entry)
    channels = entry.input_shape[axis]
    view = "" if axis == rank - 1 else f".reshape({channels}{', 1' * (rank - 1 - axis)})"
    init, forward = [], []
    if entry.layer.scale:
        init.append(f"self.{attr}_gamma = nn.Parameter(torch.ones({channels}))")
        forward.append(f"x = x * self.{attr}_gamma{view}")
    if entry.layer.center:
        init.append(f"self.{attr}_beta = nn.Parameter(torch.zeros({channels}))")
        forward.append(f"x = x + self.{attr}_beta{view}")
    return init, forward


def _affine_state(entry: LayerEntry, attr: str, fused: bool) -> dict[str, np.ndarray]:
    w = _weights(entry)
    out = {}
    if entry.layer.scale:
        out[f"{attr}.weight" if fused else f"{attr}_gamma"] = w["gamma"]
    if entry.layer.center:
        out[f"{attr}.bias" if fused else f"{attr}_beta"] = w["beta"]
    return out


def batch_normalization(entry: LayerEntry, attr: str) -> TorchLayer:
    """nn.BatchNorm on the channels moved to axis 1; Keras's momentum m is PyTorch's 1 - m."""
    layer = entry.layer
    rank, axis = len(entry.input_shape), _axis(entry)
    channels = entry.input_shape[axis]
    kind = {4: "BatchNorm2d", 5: "BatchNorm3d"}.get(rank, "BatchNorm1d")
    fused = layer.scale and layer.center
    affine = "" if fused else ", affine=False"
    init = [f"self.{attr} = nn.{kind}({channels}, eps={literal(layer.epsilon)}, "
            f"momentum={literal(round(1.0 - layer.momentum, 12))}{affine})"]
    if axis == 1 and rank <= 5:
        forward = [f"x = self.{attr}(x)"]
    elif rank <= 5:
        forward = [f"x = self.{attr}(x.movedim({axis}, 1)).movedim(1, {axis})"]
    else:  # BatchNorm1d over every other axis flattened into one
        forward = [f"y = x.movedim({axis}, 1)",
                   f"x = self.{attr}(y.reshape(len(y), {channels}, -1)).reshape(y.shape).movedim(1, {axis})"]
    extra_init, extra_forward = _affine_extras(entry, attr, fused)

    def state():
        w = _weights(entry)
        out = _affine_state(entry, attr, fused)
        out[f"{attr}.running_mean"] = w["moving_mean"]
        out[f"{attr}.running_var"] = w["moving_variance"]
        out[f"{attr}.num_batches_tracked"] = np.zeros((), dtype=np.int64)
        return out

    note = ("BatchNormalization: PyTorch's momentum is 1 - Keras's; in training PyTorch updates the "
            "moving variance with the unbiased batch variance where Keras uses the biased one.")
    return TorchLayer(init + extra_init, forward + extra_forward, None, state, [note])


def layer_normalization(entry: LayerEntry, attr: str) -> TorchLayer:
    layer = entry.layer
    rank, axis = len(entry.input_shape), _axis(entry)
    channels = entry.input_shape[axis]
    eps = literal(layer.epsilon)
    fused = layer.scale
    if fused:
        bias = "" if layer.center else ", bias=False"
        init = [f"self.{attr} = nn.LayerNorm({channels}, eps={eps}{bias})"]
    else:
        init = [f"self.{attr} = nn.LayerNorm({channels}, eps={eps}, elementwise_affine=False)"]
    if axis == rank - 1:
        forward = [f"x = self.{attr}(x)"]
    else:
        forward = [f"x = self.{attr}(x.movedim({axis}, -1)).movedim(-1, {axis})"]
    extra_init, extra_forward = _affine_extras(entry, attr, fused)
    return TorchLayer(init + extra_init, forward + extra_forward, None, lambda: _affine_state(entry, attr, fused))


# -- Convolution and pooling -------------------------------------------------------------------
def _pads(entry: LayerEntry, window: tuple, strides: tuple, dilation: tuple) -> list[tuple[int, int]]:
    """(before, after) padding per spatial axis, as Keras pads for "same" and "causal"."""
    padding = entry.layer.padding
    pads = []
    for size, k, stride, d in zip(entry.input_shape[1:-1], window, strides, dilation):
        reach = (k - 1) * d + 1
        if padding == "same":
            total = max((-(-size // stride) - 1) * stride + reach - size, 0)
            pads.append((total // 2, total - total // 2))
        else:
            pads.append((reach - 1 if padding == "causal" else 0, 0))
    return pads


def _pad_argument(pads: list[tuple[int, int]]) -> str:
    """F.pad's argument: the last spatial axis first."""
    return f"({', '.join(str(v) for before_after in reversed(pads) for v in before_after)})"


def _ints(values) -> str:
    return literal(tuple(int(v) for v in values))


def conv(entry: LayerEntry, attr: str) -> TorchLayer:
    """nn.Conv1d/2d on channels-first data; Keras's uneven "same" and "causal" padding goes
    through F.pad first."""
    layer = entry.layer
    rank = len(layer.kernel_size)
    pads = _pads(entry, layer.kernel_size, layer.strides, layer.dilation_rate)
    symmetric = all(before == after for before, after in pads)
    padding = f", padding={_ints(before for before, _ in pads)}" if symmetric and any(any(p) for p in pads) else ""
    bias = "" if layer.use_bias else ", bias=False"
    stride = f", stride={_ints(layer.strides)}" if max(layer.strides) > 1 else ""
    dilation = f", dilation={_ints(layer.dilation_rate)}" if max(layer.dilation_rate) > 1 else ""
    init = [f"self.{attr} = nn.Conv{rank}d({entry.input_shape[-1]}, {layer.filters}, "
            f"kernel_size={_ints(layer.kernel_size)}{stride}{padding}{dilation}{bias})"]
    moved = "x.movedim(-1, 1)" if symmetric else f"F.pad(x.movedim(-1, 1), {_pad_argument(pads)})"
    forward = [f"x = self.{attr}({moved}).movedim(1, -1)"]

    def state():
        w = _weights(entry)
        out = {f"{attr}.weight": conv_weight(w["kernel"])}
        if layer.use_bias:
            out[f"{attr}.bias"] = w["bias"]
        return out

    return TorchLayer(init, forward, layer.activation, state)


def pooling(entry: LayerEntry, attr: str) -> TorchLayer:
    """F.max_pool/avg_pool on channels-first data. Keras's "same" pooling ignores the padding:
    max pads with -inf, average divides by the number of real elements in each window."""
    layer = entry.layer
    rank = len(layer.pool_size)
    strides = layer.strides or layer.pool_size
    pads = _pads(entry, layer.pool_size, strides, (1,) * rank)
    kind = "max" if entry.class_name.startswith("Max") else "avg"
    function = f"F.{kind}_pool{rank}d"
    arguments = f"{_ints(layer.pool_size)}, {_ints(strides)}"
    if not any(any(p) for p in pads):
        return TorchLayer([], [f"x = {function}(x.movedim(-1, 1), {arguments}).movedim(1, -1)"])
    pad = _pad_argument(pads)
    if kind == "max":
        return TorchLayer([], [f"x = {function}(F.pad(x.movedim(-1, 1), {pad}, value=float(\"-inf\")), "
                               f"{arguments}).movedim(1, -1)  # padding=\"same\": padded values never win"])
    return TorchLayer([], [
        "x = x.movedim(-1, 1)",
        f"counts = {function}(F.pad(torch.ones_like(x[:1, :1]), {pad}), {arguments})  # real elements per window",
        f"x = ({function}(F.pad(x, {pad}), {arguments}) / counts).movedim(1, -1)",
    ])


def global_pooling(entry: LayerEntry, attr: str) -> TorchLayer:
    axes = tuple(range(1, len(entry.input_shape) - 1))
    dims = str(axes[0]) if len(axes) == 1 else literal(axes)
    keep = ", keepdim=True" if entry.layer.keepdims else ""
    method = "mean" if "Average" in entry.class_name else "amax"
    return TorchLayer([], [f"x = x.{method}(dim={dims}{keep})"])


# -- Embedding ---------------------------------------------------------------------------------
def embedding(entry: LayerEntry, attr: str) -> TorchLayer:
    layer = entry.layer
    return TorchLayer([f"self.{attr} = nn.Embedding({layer.input_dim}, {layer.output_dim})"],
                      [f"x = self.{attr}(x.long())  # indices arrive as whole numbers in floats"], None,
                      lambda: {f"{attr}.weight": _weights(entry)["embeddings"]})


# -- Recurrent ---------------------------------------------------------------------------------
KERAS_RECURRENT = '''
class KerasRecurrent(nn.Module):
    """A Keras SimpleRNN, LSTM or GRU run step by step in Keras's own layout (kernel,
    recurrent_kernel, bias; gates i, f, c, o or z, r, h), for what torch.nn's recurrent layers
    cannot express: other activations, GRU's reset_after=False, recurrent dropout (one mask on
    the state for every gate and step, as SeqStudio draws it)."""

    def __init__(self, kind, input_size, units, activation, recurrent_activation, use_bias=True,
                 reset_after=True, recurrent_dropout=0.0):
        super().__init__()
        gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[kind]
        self.kind, self.units, self.reset_after = kind, units, reset_after
        self.activation, self.recurrent_activation = activation, recurrent_activation
        self.recurrent_dropout = recurrent_dropout
        self.kernel = nn.Parameter(nn.init.xavier_uniform_(torch.empty(input_size, gates * units)))
        self.recurrent_kernel = nn.Parameter(nn.init.orthogonal_(torch.empty(units, gates * units)))
        two_biases = kind == "GRU" and reset_after
        self.bias = nn.Parameter(torch.zeros((2, gates * units) if two_biases else (gates * units,))) if use_bias else None

    def forward(self, x, state=None):
        """x (batch, steps, features) -> (every step's output, the final state)."""
        h = x.new_zeros(len(x), self.units) if state is None else state[0]
        c = x.new_zeros(len(x), self.units) if state is None else state[-1]
        input_bias = recurrent_bias = 0.0
        if self.bias is not None:
            input_bias, recurrent_bias = (self.bias[0], self.bias[1]) if self.bias.dim() == 2 else (self.bias, 0.0)
        projected = x @ self.kernel + input_bias
        mask = F.dropout(torch.ones_like(h), self.recurrent_dropout, self.training) if self.recurrent_dropout else 1.0
        act, gate = self.activation, self.recurrent_activation
        outputs = []
        for step in range(x.shape[1]):
            xp, hm = projected[:, step], h * mask
            if self.kind == "SimpleRNN":
                h = act(xp + hm @ self.recurrent_kernel)
            elif self.kind == "LSTM":
                i, f, g, o = (xp + hm @ self.recurrent_kernel).chunk(4, dim=-1)
                c = gate(f) * c + gate(i) * act(g)
                h = gate(o) * act(c)
            else:
                xz, xr, xh = xp.chunk(3, dim=-1)
                if self.reset_after:
                    rz, rr, rh = (hm @ self.recurrent_kernel + recurrent_bias).chunk(3, dim=-1)
                    z, r = gate(xz + rz), gate(xr + rr)
                    candidate = act(xh + r * rh)
                else:
                    kz, kr, kh = self.recurrent_kernel.chunk(3, dim=-1)
                    z, r = gate(xz + hm @ kz), gate(xr + hm @ kr)
                    candidate = act(xh + (r * hm) @ kh)
                h = z * h + (1 - z) * candidate
            outputs.append(h)
        return torch.stack(outputs, dim=1), ((h, c) if self.kind == "LSTM" else (h,))
'''

_TORCH_RECURRENT = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


def _native_recurrent(layer) -> bool:
    """Whether torch.nn's own module computes this layer."""
    if layer.recurrent_dropout:
        return False
    if layer.class_name == "SimpleRNN":
        return layer.activation in ("tanh", "relu")
    gates_ok = layer.activation == "tanh" and layer.recurrent_activation == "sigmoid"
    return gates_ok and (layer.class_name == "LSTM" or layer.reset_after)


def _native_state(entry: LayerEntry, attr: str, with_ones: bool) -> dict[str, np.ndarray]:
    """Keras's kernels as weight_ih_l0/weight_hh_l0 (LSTM's gate order is torch's; GRU's is
    reordered). Where Keras has one bias, it becomes the last column of weight_ih_l0."""
    w = _weights(entry)
    order = GRU_TO_TORCH if entry.class_name == "GRU" else tuple(range(4 if entry.class_name == "LSTM" else 1))
    ih = gate_blocks(w["kernel"].T, order, axis=0)
    out = {f"{attr}.weight_hh_l0": gate_blocks(w["recurrent_kernel"].T, order, axis=0)}
    if with_ones:
        ih = np.concatenate([ih, gate_blocks(w["bias"], order)[:, None]], axis=1)
    elif "bias" in w:  # GRU, reset_after: input and recurrent biases, as torch keeps them
        out[f"{attr}.bias_ih_l0"] = gate_blocks(w["bias"][0], order)
        out[f"{attr}.bias_hh_l0"] = gate_blocks(w["bias"][1], order)
    out[f"{attr}.weight_ih_l0"] = np.ascontiguousarray(ih)
    return out


def recurrent(entry: LayerEntry, attr: str) -> TorchLayer:
    layer = entry.layer
    features = entry.input_shape[-1]
    init, forward, notes, helpers = [], [], [], ()
    if layer.dropout:
        forward.append(f"x = x * F.dropout(x.new_ones(len(x), 1, x.shape[-1]), {literal(layer.dropout)}, "
                       "self.training)  # one input mask for every step, as Keras")
    if layer.go_backwards:
        forward.append("x = x.flip(1)  # go_backwards: the steps from last to first")
    if _native_recurrent(layer):
        kind = _TORCH_RECURRENT[layer.class_name]
        with_ones = layer.use_bias and layer.class_name != "GRU"
        options = "" if layer.class_name != "SimpleRNN" else f", nonlinearity={literal(layer.activation)}"
        bias = ", bias=True" if layer.class_name == "GRU" and layer.use_bias else ", bias=False"
        if with_ones:
            notes.append(f"{layer.class_name}: Keras has one bias per gate where torch adds bias_ih and bias_hh; "
                         "here the bias is the last column of weight_ih_l0, fed by a constant input of 1, so the "
                         "function and the parameter count are Keras's.")
            forward.append("x = torch.cat([x, x.new_ones(*x.shape[:-1], 1)], dim=-1)  # the bias's constant input")
        if layer.class_name == "GRU":
            notes.append("GRU: Keras's gates z, r, h are torch's z, r, n in the order r, z, n.")
        init.append(f"self.{attr} = nn.{kind}({features + with_ones}, {layer.units}, batch_first=True{bias}{options})")
        state = lambda: _native_state(entry, attr, with_ones)  # noqa: E731
        unpack = "tuple(s.detach() for s in state)" if layer.class_name == "LSTM" else "state.detach()"
    else:
        helpers = ("KerasRecurrent",)
        ract = getattr(layer, "recurrent_activation", "sigmoid")
        init.append(
            f"self.{attr} = KerasRecurrent({literal(layer.class_name)}, {features}, {layer.units}, "
            f"lambda v: {activation_code(layer.activation, 'v')}, lambda v: {activation_code(ract, 'v')}, "
            f"use_bias={literal(layer.use_bias)}, reset_after={literal(getattr(layer, 'reset_after', True))}, "
            f"recurrent_dropout={literal(layer.recurrent_dropout)})")
        state = lambda: {f"{attr}.{name}": value for name, value in _weights(entry).items()}  # noqa: E731
        unpack = "tuple(s.detach() for s in state)"
    carried = ()
    if layer.stateful:
        carried = (f"{attr}_state",)
        init.append(f"self.{attr}_state = None  # stateful: carried from batch to batch")
        forward += [f"x, state = self.{attr}(x, self.{attr}_state)",
                    f"self.{attr}_state = {unpack}  # the next batch starts here"]
    else:
        forward.append(f"x, _ = self.{attr}(x)")
    if not layer.return_sequences:
        forward.append("x = x[:, -1]  # the last step's output")
    return TorchLayer(init, forward, None, state, notes, helpers, carried)


HELPERS = {"KerasRecurrent": KERAS_RECURRENT.strip()}


EMITTERS: dict[str, Callable[[LayerEntry, str], TorchLayer]] = {
    "Dense": dense,
    "Activation": activation,
    "Dropout": dropout,
    "SpatialDropout1D": spatial_dropout,
    "SpatialDropout2D": spatial_dropout,
    "Flatten": flatten,
    "Reshape": reshape,
    "Permute": permute,
    "RepeatVector": repeat_vector,
    "ZeroPadding1D": zero_padding_1d,
    "ZeroPadding2D": zero_padding_2d,
    "UpSampling1D": up_sampling_1d,
    "UpSampling2D": up_sampling_2d,
    "BatchNormalization": batch_normalization,
    "LayerNormalization": layer_normalization,
    "Embedding": embedding,
    "Conv1D": conv,
    "Conv2D": conv,
    "MaxPooling1D": pooling,
    "MaxPooling2D": pooling,
    "AveragePooling1D": pooling,
    "AveragePooling2D": pooling,
    "GlobalAveragePooling1D": global_pooling,
    "GlobalAveragePooling2D": global_pooling,
    "GlobalMaxPooling1D": global_pooling,
    "GlobalMaxPooling2D": global_pooling,
    "SimpleRNN": recurrent,
    "LSTM": recurrent,
    "GRU": recurrent,
}


def torch_layer(entry: LayerEntry, attr: str) -> TorchLayer:
    """The PyTorch code of one layer, or ConfigError naming the layer type and the target."""
    emit = EMITTERS.get(entry.class_name)
    if emit is None:
        raise ConfigError(f"{entry.layer.name} ({entry.class_name}): the PyTorch export has no translation "
                          f"for {entry.class_name} layers")
    return emit(entry, attr)
