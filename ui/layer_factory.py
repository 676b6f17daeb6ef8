"""Layers as the studio makes them: fresh from the palette, copied, or edited in the inspector.

Pure Python over the catalog (no Qt), so the undo commands and the tests share one rule for
what a new Dense or a duplicated Conv2D looks like.
"""

from __future__ import annotations

from builder.catalog import layer_class, layer_from_config
from builder.errors import ConfigError
from builder.layers.base import Layer
from builder.params import Param

# Starting values for required arguments when a layer comes fresh from the palette: what a
# Keras tutorial would write first. Anything not listed gets a value derived from its schema.
STARTERS: dict[str, object] = {
    "units": 32,
    "filters": 32,
    "kernel_size": 3,
    "pool_size": 2,
    "strides": 1,
    "rate": 0.5,
    "input_dim": 1000,
    "output_dim": 64,
    "target_shape": (-1,),
    "activation": "relu",
    "dims": (2, 1),
    "n": 2,
    "size": 2,
    "padding": 1,
    "cropping": 1,
}

# Settings every layer has besides its PARAMS; copies drop the ones only the first layer
# of a stack may carry.
_FIRST_LAYER_ONLY = ("batch_input_shape", "batch_size", "input_shape", "input_dim")


def _schema_starter(param: Param):
    """A valid-looking value from the schema alone, for arguments STARTERS does not know."""
    kind = param.kind
    low = 1 if param.low is None else param.low
    if kind in ("int", "optional_int"):
        return int(low if param.low_inclusive else low + 1)
    if kind == "float":
        if param.high is not None:
            return float((param.low or 0.0) + param.high) / 2
        return float(low)
    if kind in ("ints", "optional_ints"):
        return (int(max(low, 1)),) * (param.length or 1)
    if kind == "shape":
        return (-1,)
    if kind == "bool":
        return False
    if kind == "choice" and param.choices:
        return param.choices[0]
    if kind == "activation":
        return "relu"
    if kind == "initializer":
        return "glorot_uniform"
    raise ConfigError(f"no starting value for {param.name} ({kind})")


def starter_arguments(class_name: str) -> dict:
    """Values for the required arguments of `class_name`, each checked by its Param."""
    cls = layer_class(class_name)
    arguments = {}
    for param in cls.PARAMS:
        if not param.required:
            continue
        candidates = [STARTERS[param.name]] if param.name in STARTERS else []
        candidates.append(_schema_starter(param))
        for candidate in candidates:
            try:
                arguments[param.name] = param.check(class_name, candidate)
                break
            except ConfigError:
                continue
        else:
            raise ConfigError(f"{class_name}: no valid starting value for {param.name}")
    return arguments


def new_layer(class_name: str) -> Layer:
    """A fresh layer of type `class_name` with starter values for its required arguments."""
    return layer_class(class_name)(**starter_arguments(class_name))


def copy_layer(layer: Layer) -> Layer:
    """An independent copy with the same hyper-parameters and a fresh automatic name."""
    config = layer.get_config()
    config.pop("name", None)
    for key in _FIRST_LAYER_ONLY:
        config.pop(key, None)
    return layer_from_config(layer.class_name, config)


def edited_layer(layer: Layer, name: str, value) -> Layer:
    """A new layer equal to `layer` but with argument `name` set to `value`.

    Raises ConfigError (the argument's own check or the layer's cross-argument check) and
    then changes nothing. The new layer keeps the old one's name unless `name` is "name".
    """
    config = layer.get_config()
    if name != "name":
        config.pop("name", None)
    config[name] = value
    return layer_from_config(layer.class_name, config)


def param_value_text(param: Param, value) -> str:
    """A hyper-parameter value as the studio shows it: 3x3 kernels as "(3, 3)", None as "None"."""
    if value is None:
        return "None"
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def key_parameters(layer: Layer, limit: int = 3) -> str:
    """The settings worth a glance on a card: required arguments, then those off their default;
    a layer with neither shows its first settings (a pooling layer's pool_size)."""
    def text(param):
        return f"{param.name}={param_value_text(param, getattr(layer, param.name))}"

    visible = [p for p in layer.PARAMS if p.kind not in ("initializer", "bool") and getattr(layer, p.name) is not None]
    shown = [text(p) for p in layer.PARAMS
             if p.required or (getattr(layer, p.name) != p.default and p.kind != "initializer")]
    if not shown:
        shown = [text(p) for p in visible[:2]]
    if len(shown) > limit:
        shown = shown[:limit] + ["…"]
    return "  ·  ".join(shown)
