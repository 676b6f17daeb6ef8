"""A Qt item model with one row per layer that follows the document with fine-grained signals.

Both the canvas and the summary derive from it. On every edit the model compares its copy of
the layer list with the stack's and emits row insertions, removals and moves (not a reset), so
selections and scroll positions survive undo, drags and inspector edits.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from builder.layers.base import Layer
from builder.shapes import LayerShape

LayerRole = Qt.ItemDataRole.UserRole + 1
ShapeRole = Qt.ItemDataRole.UserRole + 2


class LayerRowsModel(QAbstractTableModel):
    """Rows = the document's layers, in stack order; subclasses supply columns and data."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self._layers: list[Layer] = list(document.model.layers)
        self._rows_by_layer: dict[int, LayerShape] = {}
        self._index_rows()
        document.stackChanged.connect(self._follow_edit)
        document.projectReplaced.connect(self._follow_project)

    # -- Qt's model interface ------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._layers)

    def layer_at(self, row: int) -> Layer:
        return self._layers[row]

    def shape_of(self, layer: Layer) -> LayerShape | None:
        return self._rows_by_layer.get(id(layer))

    def row_of(self, layer: Layer) -> int:
        return next(i for i, other in enumerate(self._layers) if other is layer)

    # -- following the document --------------------------------------------------------------
    def _index_rows(self) -> None:
        layers = self.document.model.layers
        self._rows_by_layer = {id(layer): row for layer, row in zip(layers, self.document.rows)}

    def _follow_project(self) -> None:
        self.beginResetModel()
        self._layers = list(self.document.model.layers)
        self._index_rows()
        self.endResetModel()

    def _follow_edit(self) -> None:
        self._index_rows()
        self._sync(self.document.model.layers)
        if self._layers:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._layers) - 1, self.columnCount() - 1))

    def _sync(self, new: list[Layer]) -> None:
        """Turn the cached list into `new` with replace-in-place, remove, move and insert."""
        cache = self._layers
        root = QModelIndex()
        old_ids = {id(layer) for layer in cache}
        new_ids = {id(layer) for layer in new}
        if len(cache) == len(new):  # an inspector edit swaps one layer for its edited copy
            for i, (was, now) in enumerate(zip(cache, new)):
                if was is not now and id(was) not in new_ids and id(now) not in old_ids:
                    cache[i] = now
        for i in reversed(range(len(cache))):
            if id(cache[i]) not in new_ids:
                self.beginRemoveRows(root, i, i)
                del cache[i]
                self.endRemoveRows()
        for i, layer in enumerate(new):
            if i < len(cache) and cache[i] is layer:
                continue
            j = next((k for k in range(i + 1, len(cache)) if cache[k] is layer), None)
            if j is None:
                self.beginInsertRows(root, i, i)
                cache.insert(i, layer)
                self.endInsertRows()
            else:
                self.beginMoveRows(root, j, j, root, i)
                cache.insert(i, cache.pop(j))
                self.endMoveRows()
