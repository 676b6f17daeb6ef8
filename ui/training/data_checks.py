"""The data against the model as it stands: what does not fit, and the one-click fix for it
(an undo command to push). Pure shape rules: nothing is built or allocated.

Rows are reshaped to the model's input when the sizes agree (builder's `reshape_features`),
so "reshape rows to (28, 28, 1)" is done by giving the model that input shape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from builder.errors import SeqStudioError

CLASS_LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy")


@dataclass
class DataIssue:
    message: str
    fix_text: str | None = None
    fix: Callable[[], object] | None = None  # returns the QUndoCommand to push


def suggest_loss(dataset) -> tuple[str | None, str]:
    """The loss the targets call for, and why."""
    if dataset.y is None:
        return None, "no targets"
    classes = dataset.num_classes if dataset.y.dtype.kind in "iu" or dataset.class_labels else None
    if classes == 2:
        return "binary_crossentropy", "two classes"
    if classes:
        return "sparse_categorical_crossentropy", f"{classes} classes"
    return "mean_squared_error", "a continuous target"


def _dims(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _accepts(layer, input_shape: tuple) -> bool:
    """Whether `layer`'s pure shape rule takes (batch, *input_shape)."""
    try:
        layer.compute_output_shape((None, *input_shape))
    except SeqStudioError:
        return False
    return True


def image_shape(features: tuple, first_layer) -> tuple | None:
    """The square one-channel image that flat rows of side*side values make, channels last
    (or first), when the model's first layer takes such images but not the flat rows."""
    if first_layer is None or len(features) != 1:
        return None
    side = math.isqrt(features[0])
    if side < 2 or side * side != features[0] or _accepts(first_layer, features):
        return None
    return next((shape for shape in ((side, side, 1), (1, side, side)) if _accepts(first_layer, shape)), None)


def check(dataset, document) -> list[DataIssue]:
    from builder.layers import Dense

    from ..commands import InsertLayers, ReplaceLayer, SetInputShape

    model = document.model
    issues: list[DataIssue] = []
    features = tuple(dataset.x.shape[1:])
    rows = document.rows
    first = rows[0] if rows else None
    model_input = None if first is None or first.input_shape is None else tuple(first.input_shape[1:])
    first_layer = model.layers[0] if model.layers else None
    image = image_shape(features, first_layer)
    fits = (model_input is not None and int(np.prod(model_input)) == int(np.prod(features))
            and (first_layer is None or _accepts(first_layer, model_input)))
    if image is not None and not fits:
        issues.append(DataIssue(
            f"The data's rows are flat ({features[0]} values); the model's first layer, {first_layer.name}, "
            f"takes images.", f"Reshape rows to {_dims(image)}", lambda: SetInputShape(document, (None, *image))))
    elif model_input is None or int(np.prod(model_input)) != int(np.prod(features)):
        issues.append(DataIssue(
            f"The data's rows have shape {_dims(features)}, the model takes "
            f"{'no input shape yet' if model_input is None else _dims(model_input)}.",
            f"Set the input to {_dims(features)}", lambda: SetInputShape(document, (None, *features))))
    loss = document.project.compile.loss
    classes = dataset.num_classes if dataset.y is not None else None
    if loss in CLASS_LOSSES and classes and rows:
        last_row, last = rows[-1], model.layers[-1]
        units = None if last_row.output_shape is None else last_row.output_shape[-1]
        softmax = getattr(last, "activation", None) == "softmax"
        if units != classes or not softmax:
            text = f"Make the last layer Dense({classes}) + softmax for {classes} classes"
            if isinstance(last, Dense):
                def fix():
                    config = dict(last.get_config(), units=classes, activation="softmax")
                    return ReplaceLayer(document, len(model.layers) - 1, Dense.from_config(config),
                                        "units and activation")
            else:
                def fix():
                    return InsertLayers(document, len(model.layers), [Dense(classes, activation="softmax")])
            issues.append(DataIssue(f"The data has {classes} classes; the model ends in "
                                    f"{'?' if units is None else units} outputs{'' if softmax else ' without softmax'}.",
                                    text, fix))
    return issues
