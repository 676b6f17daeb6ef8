"""The text of `model.summary()`: Keras's table of layers, output shapes and parameters."""

from __future__ import annotations

from .layers.base import format_shape
from .shapes import LayerShape

_COLUMNS = ("Layer (type)", "Output Shape", "Param #")
_POSITIONS = (0.45, 0.80, 1.0)


def readable_size(n_bytes: float) -> str:
    """Bytes as Keras prints them: 918.54 KB."""
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}" if unit != "B" else f"{int(n_bytes)} B"
        n_bytes /= 1024
    raise AssertionError("unreachable")


def _line(fields: tuple[str, ...], line_length: int) -> str:
    """Fields placed at Keras's column stops; too-long cells are cut, except the last."""
    stops = [int(line_length * p) for p in _POSITIONS]
    text = ""
    for field, stop in zip(fields[:-1], stops):
        text = (text + " " + field)[: stop - 1].ljust(stop)
    return (text + " " + fields[-1]).rstrip()


def param_text(row: LayerShape) -> str:
    return "?" if row.params is None else f"{row.params:,}"


def totals(rows: list[LayerShape]) -> tuple[int, int] | None:
    """(trainable, non-trainable) over the stack, or None while any row is unknown."""
    if not rows or any(row.params is None for row in rows):
        return None
    return sum(r.trainable_params for r in rows), sum(r.non_trainable_params for r in rows)


def summary_text(model_name: str, rows: list[LayerShape], line_length: int = 80) -> str:
    out = [f'Model: "{model_name}"', "_" * line_length, _line(_COLUMNS, line_length), "=" * line_length]
    for i, row in enumerate(rows):
        out.append(_line((f"{row.name} ({row.class_name})", format_shape(row.output_shape), param_text(row)), line_length))
        if i < len(rows) - 1:
            out.append("")
    out.append("=" * line_length)
    counted = totals(rows)
    if counted is None:
        out.append("Total params: ? (see below)" if rows else "Total params: 0")
    else:
        trainable, frozen = counted
        out.append(f"Total params: {trainable + frozen:,} ({readable_size(4 * (trainable + frozen))})")
        out.append(f"Trainable params: {trainable:,} ({readable_size(4 * trainable)})")
        out.append(f"Non-trainable params: {frozen:,} ({readable_size(4 * frozen)})")
    out.append("_" * line_length)
    for row in rows:
        if row.error:
            out.append(f"! {row.error}")
            break
    else:
        if rows and rows[0].output_shape is None:
            out.append("! no input shape yet: give the first layer input_shape=... or call build()")
    return "\n".join(out)
