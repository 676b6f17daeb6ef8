"""The Train area's data and compile panels: the preview, checks with one-click fixes, and
settings edits as undo steps."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QPushButton
from training_helpers import screenshot, trainer  # noqa: F401

from builder import devices
from builder.layers import Dense
from ui.commands import ReplaceLayer, SetInputShape
from ui.training import device_choice
from ui.training.compile_panel import CompilePanel
from ui.training.device_choice import DeviceChoice


def fix_buttons(panel) -> dict[str, QPushButton]:
    return {b.text(): b for b in panel.checks_box.findChildren(QPushButton) if b.isVisibleTo(panel)}


def test_the_train_area_is_built_when_its_tab_is_first_shown(window, qtbot):
    assert window._train_panel is None
    window.side_tabs.setCurrentWidget(window.train_host)
    panel = window._train_panel
    assert panel is not None and panel.isVisible()
    assert panel.findChild(QPushButton, "trainButton") is panel.train_button
    qtbot.waitUntil(lambda: panel.data_panel.dataset is not None, timeout=20_000)


def test_the_preview_shows_shapes_classes_and_first_rows(window, trainer):
    data = trainer.data_panel
    trainer.tabs.setCurrentWidget(data)
    screenshot(window, "training_data_panel")
    trainer.tabs.setCurrentWidget(trainer.compile_panel)
    screenshot(window, "training_compile_panel")
    assert "1,797 samples of shape (64,)" in data.info.text()
    assert "10 classes (0: 178" in data.info.text()
    assert data.preview.rowCount() == 8
    assert data.preview.horizontalHeaderItem(data.preview.columnCount() - 1).text() == "digit"
    assert data.target_box.currentText() == "digit"
    assert fix_buttons(data) == {}


def test_a_wrong_input_shape_gets_a_one_click_fix(window, trainer):
    window.document.push(SetInputShape(window.document, (None, 32)))
    button = fix_buttons(trainer.data_panel)["Set the input to (64,)"]
    button.click()
    assert window.document.rows[0].input_shape == (None, 64)
    assert window.document.undo_stack.undoText() == "Set input shape"


def test_a_wrong_output_layer_gets_a_one_click_fix(window, trainer):
    document = window.document
    last = document.model.layers[-1]
    document.push(ReplaceLayer(document, 2, Dense.from_config(dict(last.get_config(), units=5, activation="relu")),
                               "units"))
    fix_buttons(trainer.data_panel)["Make the last layer Dense(10) + softmax for 10 classes"].click()
    fixed = document.model.layers[-1]
    assert (fixed.units, fixed.activation) == (10, "softmax")
    document.undo_stack.undo()
    assert document.model.layers[-1].units == 5


def test_opening_a_csv_reads_it_in_the_background_and_suggests_a_loss(window, trainer, qtbot, tmp_path, monkeypatch):
    from ui.training import data_panel

    path = tmp_path / "houses.csv"
    path.write_text("rooms,area,price\n" + "".join(f"{i % 5},{i * 1.5},{i * 2.25}\n" for i in range(40)))
    monkeypatch.setattr(data_panel, "ask_data_path", lambda parent: str(path))
    data = trainer.data_panel
    data.open_button.click()
    qtbot.waitUntil(lambda: "40 samples of shape (2,)" in data.info.text(), timeout=10_000)
    assert window.document.project.data.path == str(path)
    assert window.document.project.data.target is None
    assert [data.target_box.itemText(i) for i in range(data.target_box.count())] == ["rooms", "area", "price"]
    assert "Set the input to (2,)" in fix_buttons(data)
    compile_panel = trainer.compile_panel
    assert compile_panel.suggest_button.isVisibleTo(compile_panel)
    compile_panel.suggest_button.click()
    assert window.document.project.compile.loss == "mean_squared_error"
    window.document.undo_stack.undo()
    window.document.undo_stack.undo()
    assert window.document.project.data.path == "bundled:digits"


def test_data_settings_are_undo_steps(window, trainer):
    settings = window.document.project.data
    settings.mean, settings.std = [0.0] * 64, [1.0] * 64
    trainer.data_panel.standardize_check.setChecked(False)
    assert (settings.standardize, settings.mean) == (False, None)
    trainer.data_panel.split_spin.setValue(0.3)
    assert settings.validation_split == 0.3
    window.document.undo_stack.undo()
    window.document.undo_stack.undo()
    assert settings.standardize and settings.mean == [0.0] * 64
    assert trainer.data_panel.standardize_check.isChecked()
    assert trainer.data_panel.split_spin.value() == 0.2


def test_the_optimizer_and_its_hyper_parameters_are_edited_as_undo_steps(window, trainer):
    panel = trainer.compile_panel
    settings = window.document.project.compile
    box = panel.optimizer_box
    box.setCurrentIndex(box.findData("sgd"))
    box.activated.emit(box.currentIndex())
    assert settings.optimizer["class_name"] == "SGD"
    names = [editor.param.name for editor in panel.editors]
    assert names[:3] == ["learning_rate", "momentum", "nesterov"]
    rate = panel.findChild(type(panel.metrics_edit), "param_learning_rate")
    rate.setText("0.5")
    rate.textEdited.emit("0.5")
    assert settings.optimizer["config"]["learning_rate"] == 0.5
    rate.setText("-1")
    rate.textEdited.emit("-1")
    assert rate.property("invalid") and settings.optimizer["config"]["learning_rate"] == 0.5
    window.document.undo_stack.undo()
    window.document.undo_stack.undo()
    assert settings.optimizer["class_name"] == "Adam"
    assert box.currentText() == "Adam"


def test_fit_settings_are_undo_steps(window, trainer):
    panel = trainer.compile_panel
    settings = window.document.project.compile
    panel.epochs_spin.setValue(3)
    panel.batch_spin.setValue(64)
    panel.seed_spin.setValue(-1)
    panel.metrics_edit.setText("accuracy, mae")
    panel.metrics_edit.editingFinished.emit()
    assert (settings.epochs, settings.batch_size, settings.seed, settings.metrics) == (3, 64, None, ["accuracy", "mae"])
    panel.metrics_edit.setText("accuracy, nonsense")
    panel.metrics_edit.editingFinished.emit()
    assert panel.metrics_edit.property("invalid") and settings.metrics == ["accuracy", "mae"]
    for _ in range(4):
        window.document.undo_stack.undo()
    assert (settings.epochs, settings.batch_size, settings.seed) == (30, 32, 0)
    assert panel.epochs_spin.value() == 30


@pytest.fixture
def probe(monkeypatch):
    """A fresh GPU probe answering `gpu_present` as the test sets it."""
    answer = {"gpu": False}
    monkeypatch.setattr(devices, "gpu_present", lambda: answer["gpu"])
    monkeypatch.setattr(device_choice, "_probe", None)
    return answer


def test_without_a_gpu_the_device_box_is_disabled_and_says_why(window, probe, qtbot):
    box = DeviceChoice()
    qtbot.addWidget(box)
    qtbot.waitUntil(lambda: box.gpu is not None, timeout=5_000)
    assert not box.isEnabled() and box.toolTip() == device_choice.NO_GPU
    box.show_device("cuda")  # a project made on a machine with a GPU: the user can change it back
    assert box.isEnabled() and box.currentText() == "CUDA GPU"


def test_with_a_gpu_the_device_is_an_undoable_setting(window, probe, qtbot):
    probe["gpu"] = True
    panel = CompilePanel(window.document)
    qtbot.addWidget(panel)
    box = panel.device_box
    qtbot.waitUntil(lambda: box.isEnabled(), timeout=5_000)
    assert box.toolTip() == device_choice.WITH_GPU and box.currentData() == "auto"
    box.setCurrentIndex(box.findData("cpu"))
    box.activated.emit(box.currentIndex())
    assert window.document.project.compile.device == "cpu"
    window.document.undo_stack.undo()
    assert window.document.project.compile.device == "auto" and box.currentText() == "Automatic"


def test_a_separate_validation_file_replaces_the_split(window, trainer, monkeypatch):
    from ui.training import data_panel

    monkeypatch.setattr(data_panel, "ask_data_path", lambda parent: "valid.csv")
    data = trainer.data_panel
    data.validation_button.click()
    assert window.document.project.data.validation_path == "valid.csv"
    assert not data.split_spin.isEnabled() and data.validation_label.text() == "valid.csv"
    data.split_button.click()
    assert window.document.project.data.validation_path is None and data.split_spin.isEnabled()
    window.document.undo_stack.undo()
    assert window.document.project.data.validation_path == "valid.csv"


def test_flat_rows_for_a_conv2d_model_get_a_reshape_fix_that_trains(window, trainer, qtbot):
    from builder.layers import Conv2D, Flatten
    from training_helpers import run_and_wait, set_compile
    from ui.commands import InsertLayers

    document = window.document
    document.push(InsertLayers(document, 0, [Conv2D(4, 3, activation="relu"), Flatten()]))
    before = document.rows[0].input_shape
    buttons = fix_buttons(trainer.data_panel)
    assert "Reshape rows to (8, 8, 1)" in buttons and "Set the input to (64,)" not in buttons  # 64 pixels
    buttons["Reshape rows to (8, 8, 1)"].click()
    assert document.rows[0].input_shape == (None, 8, 8, 1)
    assert document.rows[0].output_shape == (None, 6, 6, 4)
    qtbot.waitUntil(lambda: fix_buttons(trainer.data_panel) == {}, timeout=2000)  # the old buttons are deleted later
    set_compile(window, epochs=1)
    outcome = run_and_wait(trainer, qtbot)
    assert outcome.kind == "finished", outcome.message
    document.undo_stack.undo()  # the run's weights
    document.undo_stack.undo()  # the fix
    assert document.rows[0].input_shape == before


def _big_csv(folder, rows: int = 30_000):
    """About 4 MB: 16 feature columns and a class column."""
    import numpy as np

    values = np.random.default_rng(0).normal(size=(rows, 16)).round(5)
    path = folder / "big.csv"
    header = ",".join(f"f{i}" for i in range(16)) + ",label"
    labels = np.arange(rows) % 3
    np.savetxt(path, np.column_stack([values, labels]), delimiter=",", header=header, comments="",
               fmt=["%.5f"] * 16 + ["%d"])
    return path


def test_a_big_csv_is_read_in_the_background_with_a_progress_bar(window, trainer, qtbot, tmp_path, monkeypatch):
    from ui.training import background, data_panel

    monkeypatch.setattr(background, "REPORTS_PER_SECOND", 10_000)  # every report, however fast the reading

    path = _big_csv(tmp_path)
    assert path.stat().st_size > data_panel.BIG_FILE_BYTES
    monkeypatch.setattr(data_panel, "ask_data_path", lambda parent: str(path))
    data = trainer.data_panel
    trainer.tabs.setCurrentWidget(data)
    seen = []
    data.load_bar.valueChanged.connect(seen.append)
    data.open_button.click()
    assert data.loader is not None and data.loader.running  # not read on the GUI thread
    assert data.load_bar.isVisible() and data.cancel_button.isVisible()
    screenshot(window, "training_data_loading")
    qtbot.waitUntil(lambda: "30,000 samples of shape (16,)" in data.info.text(), timeout=30_000)
    assert len([v for v in seen if 0 < v < 1000]) >= 2 and seen == sorted(seen) and seen[-1] == 1000
    assert not data.load_bar.isVisible() and not data.cancel_button.isVisible()
    assert data.dataset.num_classes == 3


def test_reading_a_big_csv_can_be_cancelled(window, trainer, qtbot, tmp_path, monkeypatch):
    from ui.training import data_panel

    path = _big_csv(tmp_path)
    monkeypatch.setattr(data_panel, "ask_data_path", lambda parent: str(path))
    data = trainer.data_panel
    def cancel_at_first_report(value):
        if value > 0:
            data.cancel_button.click()

    data.load_bar.valueChanged.connect(cancel_at_first_report)
    data.open_button.click()
    qtbot.waitUntil(lambda: data.loader is None, timeout=30_000)
    assert "cancelled" in data.info.text()
    assert data.dataset is None and data.preview.rowCount() == 0 and not data.load_bar.isVisible()
    assert window.document.project.data.path == str(path)  # the choice stays, an undo step
    data.load_bar.valueChanged.disconnect(cancel_at_first_report)
    data.open_button.click()  # the same file again: read it again
    qtbot.waitUntil(lambda: data.dataset is not None, timeout=30_000)
    assert len(data.dataset) == 30_000
