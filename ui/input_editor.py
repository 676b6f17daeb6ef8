"""The head of the stack: the model's input shape and an optional fixed batch size.

Checked as typed: a valid shape is applied at once (one undo step however many keys), an
invalid one is marked and says why, and changes nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QSpinBox

from builder.errors import ConfigError
from builder.params import Param

from .commands import SetInputShape
from .text_values import parse_int_tuple, shape_text
from . import theme
from .widgets import mark_invalid, styled_label

_SHAPE = Param("input_shape", "shape", low=1)


class InputEditor(QFrame):
    """`inputShapeEdit` (dimensions after the batch) and `batchSizeEdit` (0 shows "any")."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.setObjectName("inputHead")
        theme.style(self, "inputHead")
        self.document = document
        title = QLabel("<b>Input</b>", self)
        self.shape_edit = QLineEdit(self)
        self.shape_edit.setObjectName("inputShapeEdit")
        self.shape_edit.setPlaceholderText("e.g. 64  or  28, 28, 1")
        self.shape_edit.setToolTip("The shape of one sample, without the batch axis.")
        self.batch_edit = QSpinBox(self)
        self.batch_edit.setObjectName("batchSizeEdit")
        self.batch_edit.setRange(0, 1 << 20)
        self.batch_edit.setSpecialValueText("any")
        self.batch_edit.setToolTip("A fixed batch size (stateful recurrent layers need one); 'any' leaves it free.")
        self.error = styled_label("", "fieldError", self, wrap=True)
        self.error.hide()

        layout = QGridLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setHorizontalSpacing(8)
        layout.addWidget(title, 0, 0)
        layout.addWidget(QLabel("shape", self), 0, 1, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.shape_edit, 0, 2)
        layout.addWidget(QLabel("batch", self), 0, 3, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.batch_edit, 0, 4)
        layout.addWidget(self.error, 1, 0, 1, 5)
        layout.setColumnStretch(2, 1)

        self.shape_edit.textEdited.connect(self._shape_typed)
        self.batch_edit.valueChanged.connect(self._batch_changed)
        document.stackChanged.connect(self.refresh)
        document.projectReplaced.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the stack's input, unless the field already says the same (keeps the caret)."""
        shape = self.document.model.input_shape
        dims = None if shape is None else tuple(shape[1:])
        try:
            typed = parse_int_tuple(self.shape_edit.text(), "input shape", allow_none=True)
        except ConfigError:
            typed = object()
        if typed != dims:
            self.shape_edit.setText("" if dims is None else shape_text(dims))
            self._show_error(None)
        batch = 0 if shape is None or shape[0] is None else int(shape[0])
        if self.batch_edit.value() != batch:
            self.batch_edit.blockSignals(True)
            self.batch_edit.setValue(batch)
            self.batch_edit.blockSignals(False)

    def _shape_typed(self, text: str) -> None:
        if not text.strip():  # half-typed: wait for the first dimension
            self._show_error(None)
            return
        try:
            dims = _SHAPE.check("Input", parse_int_tuple(text, "input shape"))
            if -1 in dims:
                raise ConfigError("Input: every dimension must be known (no -1)")
        except ConfigError as err:
            self._show_error(str(err))
            return
        self._show_error(None)
        self._apply((self.batch_edit.value() or None, *dims))

    def _batch_changed(self, value: int) -> None:
        shape = self.document.model.input_shape
        if shape is None:
            return
        self._apply((value or None, *shape[1:]))

    def _apply(self, shape: tuple | None) -> None:
        if shape != self.document.model.input_shape:
            self.document.push(SetInputShape(self.document, shape))

    def _show_error(self, message: str | None) -> None:
        mark_invalid(self.shape_edit, message)
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
