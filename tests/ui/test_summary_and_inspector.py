"""The summary follows edits (impossible layers in red), the inspector edits through undo,
and the canvas and the summary select the same rows."""

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QColor

from studio_helpers import canvas_texts, drop_types, selected_rows, summary_cells
from ui import theme


def test_totals_show_counts_and_a_memory_estimate(window):
    text = window.summary_totals.text()
    assert window.summary_totals.objectName() == "summaryTotals"
    assert "Total params: 4,810" in text
    assert "Trainable params: 4,810" in text and "Non-trainable params: 0" in text
    # weights 4,810 floats; activations per sample 64 + 64 + 64 + 10 floats, batch 32
    assert "weights 18.79 KB" in text and "batch of 32 25.25 KB" in text


def test_an_impossible_layer_is_red_with_its_reason_and_later_rows_are_unknown(window, qtbot):
    assert drop_types(window, ["UpSampling2D"], 1)
    model = window.summary_table.model()
    reason = model.index(1, 1).data()
    assert reason.startswith("✗ needs") and "dimensions" in reason
    tooltip = model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "up_sampling2d_1 (UpSampling2D) got input shape (None, 64)" in tooltip
    assert model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole).color() == QColor(theme.current().error)
    assert window.summary_table.columnSpan(1, 1) == 2
    assert summary_cells(window, 1)[2:] == ["?", "?"]
    assert summary_cells(window, 2)[2:] == ["?", "?"]
    assert "Total params: ?" in window.summary_totals.text()
    window.canvas.select_rows([1])  # the inspector shows a failing layer too
    assert "needs 4 dimensions" in window.inspector.form.shapes.text()
    assert window.isVisible()
    window.document.undo_stack.undo()
    assert window.summary_table.columnSpan(1, 1) == 1
    assert "Total params: 4,810" in window.summary_totals.text()


def test_an_inspector_edit_changes_the_summary_and_is_one_undo_step(window, qtbot):
    window.canvas.select_rows([0])
    units = window.inspector.findChild(object, "param_units")
    assert units is not None and units.value() == 64
    units.setValue(12)
    units.setValue(128)  # typing "128" after "12": merged into one step
    assert summary_cells(window, 2)[0] == f"{64 * 128 + 128:,}"
    assert summary_cells(window, 1)[1] == "(None, 128)"
    assert window.document.undo_stack.count() == 1
    assert window.document.model.layers[0].name == "dense_1"
    window.document.undo_stack.undo()
    assert summary_cells(window, 2)[0] == "4,160"
    assert units.value() == 64  # the inspector follows undo


def test_an_invalid_value_is_marked_and_not_applied(window):
    window.canvas.select_rows([1])
    rate = window.inspector.findChild(object, "param_rate")
    rate.setText("1.5")
    rate.textEdited.emit("1.5")
    assert rate.property("invalid") is True
    assert "expected a value < 1.0" in rate.toolTip()
    assert window.document.model.layers[1].rate == 0.2
    assert window.document.undo_stack.count() == 0
    rate.setText("0.3")
    rate.textEdited.emit("0.3")
    assert rate.property("invalid") is False
    assert window.document.model.layers[1].rate == 0.3


def test_a_duplicate_name_is_refused(window):
    window.canvas.select_rows([1])
    name = window.inspector.findChild(object, "param_name")
    name.setText("dense_1")
    name.textEdited.emit("dense_1")
    assert name.property("invalid") is True
    assert window.document.model.layers[1].name == "dropout_1"
    name.setText("drop")
    name.textEdited.emit("drop")
    assert summary_cells(window, 0)[1] == "drop (Dropout)"


def test_tuple_settings_and_the_input_shape_are_typed_as_text(window):
    drop_types(window, ["Reshape"], 1)
    window.canvas.select_rows([1])
    target = window.inspector.findChild(object, "param_target_shape")
    target.setText("8, 8")
    target.textEdited.emit("8, 8")
    assert summary_cells(window, 1)[1] == "(None, 8, 8)"
    shape = window.findChild(object, "inputShapeEdit")
    shape.setText("16")
    shape.textEdited.emit("16")
    assert summary_cells(window, 2)[0] == f"{16 * 64 + 64:,}"  # Dense(64) on 16 inputs
    assert summary_cells(window, 1)[1] == "(None, 8, 8)"
    shape.setText("16, a")
    shape.textEdited.emit("16, a")
    assert shape.property("invalid") is True
    assert window.document.model.input_shape == (None, 16)
    batch = window.findChild(object, "batchSizeEdit")
    batch.setValue(8)
    assert window.document.model.input_shape == (8, 16)
    assert "batch of 8" in window.summary_totals.text()


def test_selection_follows_between_canvas_and_summary(window):
    window.canvas.select_rows([2])
    assert selected_rows(window.summary_table) == [2]
    table = window.summary_table
    table.selectionModel().select(table.model().index(0, 0),
                                  QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    assert selected_rows(window.canvas) == [0]
    assert window.inspector.form.class_name == "Dense"
    window.canvas.select_rows([0, 1])
    assert selected_rows(window.summary_table) == [0, 1]
    assert "2 layers selected" in window.inspector.message.text()
    assert canvas_texts(window) == ["Dense", "Dropout", "Dense"]


def test_every_layer_type_gets_an_inspector_that_shows_its_values(window):
    from builder.catalog import layer_types

    for row, layer_type in enumerate(layer_types(), start=3):
        assert drop_types(window, [layer_type.name], row)
        window.canvas.select_rows([row])
        form = window.inspector.form
        layer = window.document.model.layers[row]
        assert form.class_name == layer_type.name
        assert form.editor("name").value() == layer.name
        for editor in form.editors[1:]:
            assert editor.param.check(layer.class_name, editor.value()) == getattr(layer, editor.param.name), \
                f"{layer_type.name}.{editor.param.name}"
