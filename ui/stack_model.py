"""The canvas's model: one row per layer (text: its Keras class name) and drag and drop.

Drops follow Qt's model/view protocol: `dropMimeData` with CopyAction inserts new layers at
the row (layer types from the palette, or copies of dragged rows), with MoveAction moves the
dragged rows there. Every drop becomes one undo command.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt

from builder.errors import SeqStudioError
from builder.layers.base import format_shape

from .commands import InsertLayers, ReorderLayers, block_move_order, plural
from .layer_factory import copy_layer, new_layer
from .layer_rows import LayerRole, LayerRowsModel, ShapeRole

LAYER_TYPES_MIME = "application/x-seqstudio-layer-types"
"""JSON list of Keras class names (a drag from the palette)."""
LAYER_ROWS_MIME = "application/x-seqstudio-layer-rows"
"""JSON list of row numbers of the canvas (a drag within the canvas)."""


def layer_types_mime(class_names: list[str]) -> QMimeData:
    data = QMimeData()
    data.setData(LAYER_TYPES_MIME, json.dumps(list(class_names)).encode())
    data.setText("\n".join(class_names))
    return data


def _decode(data: QMimeData, mime_type: str) -> list | None:
    if not data.hasFormat(mime_type):
        return None
    try:
        value = json.loads(bytes(data.data(mime_type)).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, list) else None


class StackModel(LayerRowsModel):
    """The stack as a list: DisplayRole is the class name, the delegate draws the rest."""

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._layers):
            return None
        layer = self._layers[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return layer.class_name
        if role == LayerRole:
            return layer
        if role == ShapeRole:
            return self.shape_of(layer)
        if role == Qt.ItemDataRole.ToolTipRole:
            row = self.shape_of(layer)
            if row is not None and row.error:
                return row.error
            output = format_shape(row.output_shape) if row else "?"
            return f"{layer.name} ({layer.class_name}) → {output}\n{type(layer).help}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{layer.name} ({layer.class_name})"
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    # -- drag and drop -------------------------------------------------------------------------
    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [LAYER_TYPES_MIME, LAYER_ROWS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({index.row() for index in indexes if index.isValid()})
        data = QMimeData()
        data.setData(LAYER_ROWS_MIME, json.dumps(rows).encode())
        data.setText("\n".join(self._layers[r].class_name for r in rows))
        return data

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent) -> bool:
        if action not in (Qt.DropAction.CopyAction, Qt.DropAction.MoveAction):
            return False
        return data.hasFormat(LAYER_TYPES_MIME) or data.hasFormat(LAYER_ROWS_MIME)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent) -> bool:
        """Insert (CopyAction) or move (MoveAction) at `row`; -1 means at the end, or onto
        `parent`'s row when a view drops on an item."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._layers)
        row = max(0, min(row, len(self._layers)))
        class_names = _decode(data, LAYER_TYPES_MIME)
        if class_names is not None:
            return self._insert_new(class_names, row)
        rows = _decode(data, LAYER_ROWS_MIME)
        if not rows or not all(isinstance(r, int) and 0 <= r < len(self._layers) for r in rows):
            return False
        if action == Qt.DropAction.MoveAction:
            return self._move(rows, row)
        copies = [copy_layer(self._layers[r]) for r in sorted(set(rows))]
        self.document.push(InsertLayers(self.document, row, copies, text=f"Copy {plural(len(copies), 'layer')}"))
        return True

    def _insert_new(self, class_names: list, row: int) -> bool:
        if not class_names or not all(isinstance(name, str) for name in class_names):
            return False
        try:
            layers = [new_layer(name) for name in class_names]
        except SeqStudioError:
            return False
        self.document.push(InsertLayers(self.document, row, layers))
        return True

    def _move(self, rows: list[int], row: int) -> bool:
        order = block_move_order(self._layers, rows, row)
        command = ReorderLayers(self.document, order, f"Move {plural(len(set(rows)), 'layer')}")
        if command.changes_anything:
            self.document.push(command)
        return True
