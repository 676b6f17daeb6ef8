"""The canvas: drops from the palette, moves, delete and undo, keys, and a real drop event."""

from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent

from studio_helpers import canvas_texts, drop_from_palette, selected_rows, summary_cells

DIGITS = ["Dense", "Dropout", "Dense"]


def test_opens_on_the_digits_template(window):
    assert canvas_texts(window) == DIGITS
    assert summary_cells(window, 0) == ["dense_1 (Dense)", "dropout_1 (Dropout)", "dense_2 (Dense)"]
    assert summary_cells(window, 1) == ["(None, 64)", "(None, 64)", "(None, 10)"]
    assert summary_cells(window, 2) == ["4,160", "0", "650"]


def test_drop_from_palette_inserts_at_the_row_and_adds_a_summary_row(window):
    assert drop_from_palette(window, "Dense", 1)
    assert canvas_texts(window) == ["Dense", "Dense", "Dropout", "Dense"]
    assert summary_cells(window, 0)[1] == "dense_3 (Dense)"
    assert summary_cells(window, 1)[1] == "(None, 32)"
    assert summary_cells(window, 2)[1] == f"{64 * 32 + 32:,}"
    assert selected_rows(window.canvas) == [1]  # what was dropped is selected
    assert window.document.undo_stack.count() == 1


def test_move_reorders_both_views_and_undoes(window):
    model = window.canvas.model()
    data = model.mimeData([model.index(1, 0)])
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert canvas_texts(window) == ["Dense", "Dense", "Dropout"]
    assert summary_cells(window, 0) == ["dense_1 (Dense)", "dense_2 (Dense)", "dropout_1 (Dropout)"]
    assert summary_cells(window, 1) == ["(None, 64)", "(None, 10)", "(None, 10)"]
    window.document.undo_stack.undo()
    assert summary_cells(window, 0) == ["dense_1 (Dense)", "dropout_1 (Dropout)", "dense_2 (Dense)"]


def test_copy_of_canvas_rows_inserts_independent_copies(window):
    model = window.canvas.model()
    data = model.mimeData([model.index(0, 0)])
    assert model.dropMimeData(data, Qt.DropAction.CopyAction, 3, 0, QModelIndex())
    layers = window.document.model.layers
    assert [layer.class_name for layer in layers] == ["Dense", "Dropout", "Dense", "Dense"]
    assert layers[3] is not layers[0] and layers[3].units == 64 and layers[3].name == "dense_3"


def test_delete_then_ctrl_z_restores_the_same_layer(window, qtbot):
    dropout = window.document.model.layers[1]
    window.canvas.select_rows([1])
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert canvas_texts(window) == ["Dense", "Dense"]
    assert len(summary_cells(window, 0)) == 2
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert canvas_texts(window) == DIGITS
    assert window.document.model.layers[1] is dropout
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert canvas_texts(window) == ["Dense", "Dense"]


def test_backspace_on_a_multi_selection_and_keys_for_duplicate_and_move(window, qtbot):
    window.canvas.setFocus()
    window.canvas.select_rows([0, 2])
    qtbot.keyClick(window.canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert canvas_texts(window) == ["Dense", "Dropout", "Dense", "Dense", "Dense"]
    assert selected_rows(window.canvas) == [3, 4]
    qtbot.keyClick(window.canvas, Qt.Key.Key_Backspace)
    assert canvas_texts(window) == DIGITS
    window.canvas.select_rows([2])
    qtbot.keyClick(window.canvas, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert canvas_texts(window) == ["Dense", "Dense", "Dropout"]
    assert selected_rows(window.canvas) == [1]  # the selection follows the moved card
    qtbot.keyClick(window.canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert canvas_texts(window) == DIGITS


def test_a_real_drop_event_inserts_where_the_pointer_is(window):
    canvas = window.canvas
    first_card = canvas.visualRect(canvas.model().index(1, 0))
    data = QMimeData()
    data.setData("application/x-seqstudio-layer-types", b'["Flatten"]')
    point = QPointF(first_card.center().x(), first_card.top() + 4)
    assert canvas.drop_row_at(point.toPoint()) == 1
    event = QDropEvent(point, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    canvas.dropEvent(event)
    assert event.isAccepted()
    assert canvas_texts(window) == ["Dense", "Flatten", "Dropout", "Dense"]
    assert canvas.drop_row_at(QPoint(10, canvas.viewport().height() - 2)) == 4


def test_unknown_payloads_are_refused(window):
    data = QMimeData()
    data.setData("application/x-seqstudio-layer-types", b'["NoSuchLayer"]')
    model = window.canvas.model()
    assert not model.dropMimeData(data, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
    data.setData("application/x-seqstudio-layer-types", b"not json")
    assert not model.dropMimeData(data, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
    assert canvas_texts(window) == DIGITS


def test_the_drag_image_is_the_card(window):
    index = window.canvas.model().index(0, 0)
    pixmap = window.canvas.drag_pixmap([index])
    assert not pixmap.isNull() and pixmap.width() > 200
