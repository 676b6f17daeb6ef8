"""Undoable edits of the stack. Every gesture in every view ends up as one of these.

Each command edits the project's Sequential through its public methods (insert, remove_at,
move, replace, set_input_shape); the Sequential notifies the document, which updates the
views. Commands hold layer objects, not indexes alone, so undo restores the very layers.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from builder.layers.base import Layer


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class InsertLayers(QUndoCommand):
    """Insert `layers` as a block starting at `row`."""

    def __init__(self, document, row: int, layers: list[Layer], text: str | None = None):
        names = ", ".join(layer.class_name for layer in layers[:3])
        super().__init__(text or f"Add {names if len(layers) <= 3 else plural(len(layers), 'layer')}")
        self._document = document
        self._row = max(0, min(row, len(document.model.layers)))
        self._layers = list(layers)

    @property
    def rows(self) -> range:
        return range(self._row, self._row + len(self._layers))

    def redo(self) -> None:
        for offset, layer in enumerate(self._layers):
            self._document.model.insert(self._row + offset, layer)

    def undo(self) -> None:
        for _ in self._layers:
            self._document.model.remove_at(self._row)


class RemoveLayers(QUndoCommand):
    """Remove the layers at `rows` (any order, gaps allowed)."""

    def __init__(self, document, rows):
        rows = sorted(set(rows))
        layers = document.model.layers
        self._removed = [(row, layers[row]) for row in rows]
        only = self._removed[0][1].name if len(rows) == 1 else plural(len(rows), "layer")
        super().__init__(f"Delete {only}")
        self._document = document

    def redo(self) -> None:
        for row, _ in reversed(self._removed):
            self._document.model.remove_at(row)

    def undo(self) -> None:
        for row, layer in self._removed:
            self._document.model.insert(row, layer)


def _reorder(model, order: list[Layer]) -> None:
    """Bring the stack into `order` (the same layers) with as few moves as it takes."""
    for target, layer in enumerate(order):
        current = next(i for i, other in enumerate(model.layers) if other is layer)
        if current != target:
            model.move(current, target)


class ReorderLayers(QUndoCommand):
    """Put the stack's layers in a new order (drag within the canvas, Alt+Up/Down)."""

    def __init__(self, document, order: list[Layer], text: str):
        super().__init__(text)
        self._document = document
        self._before = document.model.layers
        self._after = list(order)

    @property
    def changes_anything(self) -> bool:
        return any(a is not b for a, b in zip(self._before, self._after))

    def redo(self) -> None:
        _reorder(self._document.model, self._after)

    def undo(self) -> None:
        _reorder(self._document.model, self._before)


def block_move_order(layers: list[Layer], rows, destination: int) -> list[Layer]:
    """The order after moving the layers at `rows` as one block to before index `destination`
    (an insertion point counted in the original order; len(layers) means the end)."""
    rows = sorted(set(rows))
    moving = [layers[r] for r in rows]
    rest = [layer for i, layer in enumerate(layers) if i not in set(rows)]
    at = destination - sum(1 for r in rows if r < destination)
    return rest[:at] + moving + rest[at:]


def step_order(layers: list[Layer], rows, step: int) -> list[Layer]:
    """The order after moving each selected layer one place up (step -1) or down (+1),
    hopping over unselected neighbours only, as list widgets do."""
    order = list(layers)
    chosen = {id(layers[r]) for r in rows}
    indexes = range(len(order)) if step < 0 else range(len(order) - 1, -1, -1)
    for i in indexes:
        j = i + step
        if id(order[i]) in chosen and 0 <= j < len(order) and id(order[j]) not in chosen:
            order[i], order[j] = order[j], order[i]
    return order


class ReplaceLayer(QUndoCommand):
    """Swap the layer at `row` for an edited copy (an inspector edit).

    Successive edits of the same argument of the same layer merge into one undo step, so
    typing "128" is one edit, not three.
    """

    ID = 5001

    def __init__(self, document, row: int, layer: Layer, argument: str):
        old = document.model.layers[row]
        super().__init__(f"Edit {argument} of {old.name}")
        self._document = document
        self._row = row
        self._old = old
        self._new = layer
        self._argument = argument

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, ReplaceLayer) or (other._row, other._argument) != (self._row, self._argument):
            return False
        if other._old is not self._new:
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        self._document.model.replace(self._row, self._new)

    def undo(self) -> None:
        self._document.model.replace(self._row, self._old)


class SetInputShape(QUndoCommand):
    """Set the model's input shape, batch first (None: take the first layer's own).
    Successive edits merge, so typing "28, 28, 1" is one undo step."""

    ID = 5002

    def __init__(self, document, shape: tuple | None):
        super().__init__("Set input shape")
        self._document = document
        self._before = document.model.get_config()["input_shape"]
        self._after = None if shape is None else tuple(shape)

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetInputShape):
            return False
        self._after = other._after
        return True

    def redo(self) -> None:
        self._document.model.set_input_shape(self._after)

    def undo(self) -> None:
        before = self._before
        self._document.model.set_input_shape(None if before is None else tuple(before))
