"""File > Export: the model as a Python script (SeqStudio, Keras 3 or PyTorch), previewed with
syntax colours, copied to the clipboard or saved with its weights beside it.

The text comes from builder.export, a pure function of the project; nothing is written until
Save, and Save goes through builder's atomic writer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit,
    QPushButton, QVBoxLayout,
)

from builder.errors import SeqStudioError
from builder.export import export_text, write_export

from . import dialogs, theme
from .python_highlighter import PythonHighlighter

TARGET_TITLES = {"python": "SeqStudio (Python)", "keras": "Keras 3", "pytorch": "PyTorch 2"}


class ExportDialog(QDialog):
    """Choose a target, look at the code, copy or save it."""

    def __init__(self, project, parent=None):
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export as Python code")
        self.project = project
        self.target = QComboBox(self)
        self.target.setObjectName("exportTarget")
        for key, title in TARGET_TITLES.items():
            self.target.addItem(title, key)
        self.weights = QCheckBox("with the trained weights (an .npz beside the script)", self)
        self.weights.setObjectName("exportWeights")
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("exportPreview")
        self.preview.setReadOnly(True)
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.preview.setFont(theme.monospace_font())
        self.highlighter = PythonHighlighter(self.preview.document())
        self.status = QLabel(self)
        self.status.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Target", self))
        top.addWidget(self.target)
        top.addSpacing(16)
        top.addWidget(self.weights)
        top.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("Copy", self)
        self.save_button = QPushButton("Save…", self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(900, 640)

        self.target.currentIndexChanged.connect(self.refresh)
        self.weights.toggled.connect(self.refresh)
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(self.save)
        self.refresh()

    @property
    def target_key(self) -> str:
        return self.target.currentData()

    def refresh(self) -> None:
        """Regenerate the preview; an export that cannot be made says why instead."""
        try:
            text = export_text(self.project, self.target_key, weights=self.weights.isChecked())
        except SeqStudioError as err:
            self.preview.setPlainText("")
            self.status.setText(f"Cannot export: {err}")
            self.copy_button.setEnabled(False)
            self.save_button.setEnabled(False)
            return
        self.preview.setPlainText(text)
        self.status.setText(f"{len(text.splitlines())} lines; importing the script runs nothing, "
                            "running it trains the model.")
        self.copy_button.setEnabled(True)
        self.save_button.setEnabled(True)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.preview.toPlainText())
        self.status.setText("Copied to the clipboard.")

    def save(self) -> Path | None:
        folder = self.project.path.parent if self.project.path else Path.cwd()
        suggested = str(folder / f"{self.project.model.name}_{self.target_key}.py")
        path = dialogs.ask_export_path(self, suggested)
        if not path:
            return None
        try:
            written = write_export(self.project, self.target_key, path, weights=self.weights.isChecked())
        except (SeqStudioError, OSError) as err:
            dialogs.show_error(self, "Export", str(err))
            return None
        self.status.setText(f"Saved {written}")
        return Path(written)
