"""Reading the studio's views the way a user would see them."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from ui.stack_model import layer_types_mime


def canvas_texts(window) -> list[str]:
    model = window.canvas.model()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def summary_cells(window, column: int) -> list[str]:
    model = window.summary_table.model()
    return [model.index(row, column).data() for row in range(model.rowCount())]


def palette_index(window, class_name: str) -> QModelIndex:
    model = window.palette.model()
    matches = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, class_name, 1,
                          Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
    assert matches, f"{class_name} is not in the palette"
    return matches[0]


def drop_from_palette(window, class_name: str, row: int) -> bool:
    """What a drag from the palette onto the canvas does: the palette's mimeData, the canvas
    model's dropMimeData with CopyAction."""
    data = window.palette.model().mimeData([palette_index(window, class_name)])
    return window.canvas.model().dropMimeData(data, Qt.DropAction.CopyAction, row, 0, QModelIndex())


def drop_types(window, class_names: list[str], row: int) -> bool:
    return window.canvas.model().dropMimeData(layer_types_mime(class_names), Qt.DropAction.CopyAction, row, 0,
                                              QModelIndex())


def selected_rows(view) -> list[int]:
    return sorted({index.row() for index in view.selectionModel().selectedIndexes()})
