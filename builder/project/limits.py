"""Sizes a project may ask for, checked from the pure shape rules before anything is allocated.

A project file is data from anywhere: a Dense layer of a billion units must be refused with
the memory it would need, not discovered by the operating system's out-of-memory killer.
"""

from __future__ import annotations

import os

from ..errors import ConfigError

MAX_PARAMETERS = 2**31
"""No layer (and no model) may hold more parameters than this: 8 GB of float32."""

MAX_SAMPLE_VALUES = 2**31
"""No layer may output more values per sample than this."""

BYTES_PER_PARAMETER = 8
"""float32 weight plus its float32 gradient: the least a trained parameter costs."""


def machine_memory() -> int | None:
    """Physical memory in bytes, where the system tells it."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_model_size(model, source: str = "model", memory: int | None = None) -> None:
    """Raise ConfigError naming the layer and the size it would need when the stack's weights
    or per-sample outputs could not sensibly fit in memory. Allocates nothing."""
    from ..summary import readable_size

    memory = machine_memory() if memory is None else memory
    total = 0
    for i, row in enumerate(model.shape_rows()):
        where = f"{source}: layers[{i}] ({row.name}, {row.class_name})"
        if row.params is not None:
            if row.params > MAX_PARAMETERS:
                raise ConfigError(
                    f"{where}: {row.params:,} parameters would need {readable_size(4 * row.params)} "
                    f"for its weights alone; the limit is {MAX_PARAMETERS:,} parameters per layer"
                )
            total += row.params
        if row.output_shape is not None:
            values = _sample_values(row.output_shape)
            if values > MAX_SAMPLE_VALUES:
                raise ConfigError(
                    f"{where}: its output of {values:,} values per sample would need "
                    f"{readable_size(4 * values)} for a single sample; the limit is {MAX_SAMPLE_VALUES:,}"
                )
    if total > MAX_PARAMETERS:
        raise ConfigError(
            f"{source}: the model's {total:,} parameters would need {readable_size(4 * total)} for its "
            f"weights alone; the limit is {MAX_PARAMETERS:,} parameters"
        )
    if memory is not None and BYTES_PER_PARAMETER * total > memory:
        raise ConfigError(
            f"{source}: the model's {total:,} parameters would need {readable_size(BYTES_PER_PARAMETER * total)} "
            f"for weights and gradients, more than this machine's {readable_size(memory)} of memory"
        )


def _sample_values(shape: tuple) -> int:
    values = 1
    for dim in shape[1:]:
        values *= dim
    return values
