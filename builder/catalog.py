"""The catalog: every layer type declared once, with its family and hyper-parameter schema.

The palette, the inspector, project files, the summary and code export all read it; nothing
else lists layer types. A layer class joins it through `@register(family, help)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

FAMILIES = ("Core", "Convolution", "Pooling", "Recurrent", "Embedding", "Normalization", "Reshaping")

_REGISTRY: dict[str, type] = {}


def register(family: str, help: str):
    """Class decorator adding a layer type to the catalog under `family`."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}")

    def decorate(cls):
        cls.family = family
        cls.help = help
        _REGISTRY[cls.__name__] = cls
        return cls

    return decorate


@dataclass(frozen=True)
class LayerType:
    """What the palette and the inspector need to know about one layer type."""

    name: str
    family: str
    help: str
    params: tuple
    cls: type


def _load_all() -> None:
    from . import layers  # noqa: F401  (importing registers every layer module)


def layer_types() -> list[LayerType]:
    """Every layer type, grouped by family in FAMILIES order, then by name."""
    _load_all()
    order = {family: i for i, family in enumerate(FAMILIES)}
    return [
        LayerType(cls.__name__, cls.family, cls.help, cls.PARAMS, cls)
        for cls in sorted(_REGISTRY.values(), key=lambda c: (order[c.family], c.__name__))
    ]


def layer_class(name: str) -> type:
    """The layer class called `name` (its Keras class name), or ConfigError."""
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown layer type {name!r}") from None


def layer_from_config(class_name: str, config: dict):
    """A new layer of type `class_name` from its Keras-style config."""
    if not isinstance(config, dict):
        raise ConfigError(f"{class_name}: config must be a mapping, got {type(config).__name__}")
    return layer_class(class_name).from_config(dict(config))
