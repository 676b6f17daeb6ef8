"""The data against the model as it stands: what does not fit, and the one-click fix for it
(an undo command to push). Pure shape rules: nothing is built or allocated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

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


def check(dataset, document) -> list[DataIssue]:
    from builder.layers import Dense

    from ..commands import InsertLayers, ReplaceLayer, SetInputShape

    model = document.model
    issues: list[DataIssue] = []
    features = tuple(dataset.x.shape[1:])
    rows = document.rows
    first = rows[0] if rows else None
    model_input = None if first is None or first.input_shape is None else tuple(first.input_shape[1:])
    if model_input is None or int(np.prod(model_input)) != int(np.prod(features)):
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
