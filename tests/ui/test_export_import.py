"""File > Export (preview, copy, save with weights) and File > Import Keras Code."""

import ast

from PySide6.QtGui import QGuiApplication

from studio_helpers import canvas_texts, summary_cells
from ui.export_dialog import TARGET_TITLES, ExportDialog

KERAS_CODE = '''
import keras
from keras import layers

model = keras.Sequential([
    layers.Dense(32, activation="relu", input_shape=(20,)),
    layers.Dropout(0.5),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
'''


def test_preview_follows_the_target_and_is_valid_python(window, qtbot):
    dialog = ExportDialog(window.document.project, window)
    qtbot.addWidget(dialog)
    for index, key in enumerate(TARGET_TITLES):
        dialog.target.setCurrentIndex(index)
        text = dialog.preview.toPlainText()
        ast.parse(text)
        assert "def build_model" in text
        assert {"python": "from builder", "keras": "import keras", "pytorch": "import torch"}[key] in text
    dialog.copy()
    assert QGuiApplication.clipboard().text() == dialog.preview.toPlainText()


def test_save_writes_the_script_and_weights(window, qtbot, dialogs, tmp_path):
    dialog = ExportDialog(window.document.project, window)
    qtbot.addWidget(dialog)
    dialog.weights.setChecked(True)
    dialogs.save_path = str(tmp_path / "digits_export.py")
    written = dialog.save()
    assert written is not None and written.exists()
    assert (tmp_path / "digits_export.npz").exists()
    assert dialogs.errors == []


def test_import_replaces_the_project_and_names_unreadable_code(window, dialogs, tmp_path):
    good = tmp_path / "model.py"
    good.write_text(KERAS_CODE)
    dialogs.open_path = str(good)
    assert window.files.import_dialog()
    assert canvas_texts(window) == ["Dense", "Dropout", "Dense"]
    assert summary_cells(window, 2) == ["672", "0", "33"]

    bad = tmp_path / "bad.py"
    bad.write_text("import keras\nn = input()\nmodel = keras.Sequential([keras.layers.Dense(n)])\n")
    assert not window.files.import_path(bad)
    assert dialogs.errors and "bad.py:3" in dialogs.errors[-1][1]
    assert canvas_texts(window) == ["Dense", "Dropout", "Dense"]
