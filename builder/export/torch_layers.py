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
from .weights import linear_weight

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
}


def torch_layer(entry: LayerEntry, attr: str) -> TorchLayer:
    """The PyTorch code of one layer, or ConfigError naming the layer type and the target."""
    emit = EMITTERS.get(entry.class_name)
    if emit is None:
        raise ConfigError(f"{entry.layer.name} ({entry.class_name}): the PyTorch export has no translation "
                          f"for {entry.class_name} layers")
    return emit(entry, attr)
