"""Which executor runs which layer type on the device, and the compile-time refusal of what
has none: a clear ConfigError, never a silent fallback to the CPU."""

from __future__ import annotations

from ..errors import ConfigError
from . import conv, core, embedding, normalization, pooling, recurrent, reshaping
from .optimizers import SUPPORTED

EXECUTORS = {
    **core.EXECUTORS, **conv.EXECUTORS, **pooling.EXECUTORS, **recurrent.EXECUTORS,
    **normalization.EXECUTORS, **embedding.EXECUTORS, **reshaping.EXECUTORS,
}


def check_supported(layers, optimizer=None) -> None:
    """Raise ConfigError for the first layer (or the optimizer) the device cannot run."""
    for layer in layers:
        executor = EXECUTORS.get(type(layer))
        if executor is None:
            raise ConfigError(f"{layer.class_name} has no CUDA kernels yet; compile with device='cpu'")
        refusal = executor.refusal(layer)
        if refusal:
            raise ConfigError(refusal)
    if optimizer is not None and type(optimizer) not in SUPPORTED:
        raise ConfigError(f"optimizer {type(optimizer).__name__} has no CUDA update kernel; compile with device='cpu'")


def executor_for(layer, params):
    return EXECUTORS[type(layer)](layer, params)
