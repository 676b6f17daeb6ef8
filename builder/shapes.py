"""Shape inference over a stack of layers: pure, allocation-free, never raises for a bad stack.

The studio's live summary runs it on every edit, on stacks that may still be invalid; the
rows after the first impossible layer have unknown shapes rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ShapeError
from .layers.base import Layer


@dataclass(frozen=True)
class LayerShape:
    """One row of the summary: a layer's shapes and parameter counts, or why it has none."""

    name: str
    class_name: str
    input_shape: tuple | None
    output_shape: tuple | None
    trainable_params: int | None
    non_trainable_params: int | None
    error: str | None = None

    @property
    def params(self) -> int | None:
        if self.trainable_params is None:
            return None
        return self.trainable_params + self.non_trainable_params


def stack_input_shape(layers: list[Layer]) -> tuple | None:
    """The batch input shape the first layer declares, (batch or None, *dims), if any."""
    if not layers or layers[0].input_shape_arg is None:
        return None
    return (layers[0].batch_size_arg, *layers[0].input_shape_arg)


def infer_shapes(layers: list[Layer], input_shape: tuple | None = None) -> list[LayerShape]:
    """Per layer, its output shape and parameter counts, or the error that stops it.

    input_shape includes the batch dimension; by default the first layer's declaration.
    """
    shape = stack_input_shape(layers) if input_shape is None else tuple(input_shape)
    rows: list[LayerShape] = []
    for layer in layers:
        if shape is None:
            rows.append(LayerShape(layer.name, layer.class_name, None, None, None, None))
            continue
        try:
            out = tuple(layer.compute_output_shape(shape))
            trainable, non_trainable = layer.count_params_for(shape)
        except ShapeError as err:
            rows.append(LayerShape(layer.name, layer.class_name, shape, None, None, None, str(err)))
            shape = None
            continue
        rows.append(LayerShape(layer.name, layer.class_name, shape, out, trainable, non_trainable))
        shape = out
    return rows


def first_error(rows: list[LayerShape]) -> str | None:
    return next((row.error for row in rows if row.error), None)
