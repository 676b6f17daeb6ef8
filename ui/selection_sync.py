"""Keeps two views over row-aligned models (the canvas and the summary) selecting the same rows."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QObject
from PySide6.QtWidgets import QAbstractItemView


class SelectionSync(QObject):
    """A click on a summary row selects its card, and the other way round."""

    def __init__(self, first: QAbstractItemView, second: QAbstractItemView, parent=None):
        super().__init__(parent)
        self._busy = False
        first.selectionModel().selectionChanged.connect(lambda *_: self._copy(first, second))
        second.selectionModel().selectionChanged.connect(lambda *_: self._copy(second, first))

    def _copy(self, source: QAbstractItemView, target: QAbstractItemView) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            rows = sorted({index.row() for index in source.selectionModel().selectedIndexes()})
            model = target.model()
            last_column = model.columnCount() - 1
            selection = QItemSelection()
            for row in rows:
                selection.select(model.index(row, 0), model.index(row, last_column))
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
            target.selectionModel().select(selection, flags)
            current = source.selectionModel().currentIndex()
            if current.isValid():
                target.selectionModel().setCurrentIndex(model.index(current.row(), 0),
                                                        QItemSelectionModel.SelectionFlag.NoUpdate)
            if rows:
                target.scrollTo(model.index(rows[-1], 0))
        finally:
            self._busy = False
