"""Activation names, as Keras spells them, mapped onto the kernels' integer ids."""

from __future__ import annotations

from kernels import activations as K

ACTIVATIONS = {
    "linear": K.LINEAR,
    "relu": K.RELU,
    "sigmoid": K.SIGMOID,
    "tanh": K.TANH,
    "softmax": K.SOFTMAX,
    "elu": K.ELU,
    "selu": K.SELU,
    "softplus": K.SOFTPLUS,
    "softsign": K.SOFTSIGN,
    "swish": K.SWISH,
    "gelu": K.GELU,
    "hard_sigmoid": K.HARD_SIGMOID,
    "leaky_relu": K.LEAKY_RELU,
    "exponential": K.EXPONENTIAL,
}
_ALIASES = {"silu": "swish", None: "linear"}

ACTIVATION_NAMES = tuple(ACTIVATIONS)


def canonical_activation(identifier) -> str:
    """The canonical name of an activation given as a name, None or one of our functions."""
    if callable(identifier) and getattr(identifier, "__name__", None) in ACTIVATIONS:
        identifier = identifier.__name__
    if isinstance(identifier, str):
        identifier = identifier.lower()
    elif identifier is not None:
        raise ValueError(f"expected an activation name, one of {', '.join(ACTIVATION_NAMES)}")
    name = _ALIASES.get(identifier, identifier)
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation; expected one of {', '.join(ACTIVATION_NAMES)}")
    return name


def activation_id(name: str) -> int:
    return ACTIVATIONS[canonical_activation(name)]
