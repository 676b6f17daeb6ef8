"""The inspector: the selected layer's hyper-parameters as typed widgets from the catalog.

Edits are checked as typed (the argument's Param, then the layer's own cross-checks); a
valid value becomes a ReplaceLayer command at once, an invalid one is marked, explained
beside the field and not applied.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QStackedWidget, QVBoxLayout, QWidget,
)

from builder.errors import ConfigError
from builder.layers.base import Layer, format_shape
from builder.params import Param

from . import theme
from .commands import ReplaceLayer
from .icons import family_icon
from .layer_factory import edited_layer
from .param_editors import BoolEditor, ParamEditor, TextEditor, editor_for
from .widgets import mark_invalid, panel_title, styled_label

_NAME = Param("name", "choice", help="The layer's name (letters, digits, '_', '-', '.'); unique in the model.")
_TRAINABLE = Param("trainable", "bool", help="Whether training updates this layer's weights.")


class LayerForm(QWidget):
    """Header, one editor per argument (name and trainable first), and the layer's shapes."""

    def __init__(self, layer: Layer, parent=None):
        super().__init__(parent)
        self.class_name = layer.class_name
        self.editors: list[ParamEditor] = []
        self.errors: dict[str, QLabel] = {}
        cls = type(layer)

        icon = QLabel(self)
        icon.setPixmap(family_icon(cls.family).pixmap(32, 32))
        title = styled_label(layer.class_name, "inspectorTitle", self)
        family = styled_label(cls.family, "hint", self)
        header = QHBoxLayout()
        header.addWidget(icon)
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(family)
        help_label = styled_label(cls.help, "hint", self, wrap=True)

        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(10)
        self.grid.setVerticalSpacing(4)
        self.grid.setColumnStretch(1, 1)
        self._add(TextEditor(_NAME, self, lambda text: text.strip(), "layer name"))
        self._add(BoolEditor(_TRAINABLE, self))
        for param in cls.PARAMS:
            self._add(editor_for(param, self))

        self.shapes = styled_label("", "hint", self, wrap=True)
        self.shapes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(help_label)
        layout.addLayout(self.grid)
        layout.addWidget(self.shapes)
        layout.addStretch(1)

    def _add(self, editor: ParamEditor) -> None:
        row = self.grid.rowCount()
        label = QLabel(editor.param.name.replace("_", " "), self)
        label.setToolTip(editor.param.help)
        error = styled_label("", "fieldError", self, wrap=True)
        error.hide()
        self.grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.grid.addWidget(editor.widget, row, 1)
        self.grid.addWidget(error, row + 1, 1)
        self.editors.append(editor)
        self.errors[editor.param.name] = error

    def show_layer(self, layer: Layer, shape_row, blocked_reason: str = "") -> None:
        for editor in self.editors:
            editor.show_value(getattr(layer, editor.param.name))
        if shape_row is None or shape_row.input_shape is None:
            self.shapes.setText(blocked_reason)
        elif shape_row.error:
            self.shapes.setText(f"Input {format_shape(shape_row.input_shape)}: <span style='color:"
                                f"{theme.current().error}'>{shape_row.error}</span>")
        else:
            self.shapes.setText(f"Input {format_shape(shape_row.input_shape)} → output "
                                f"{format_shape(shape_row.output_shape)} · {shape_row.params:,} parameters")

    def show_error(self, editor: ParamEditor, message: str | None) -> None:
        mark_invalid(editor.widget, message)
        label = self.errors[editor.param.name]
        label.setText(message or "")
        label.setVisible(message is not None)

    def editor(self, name: str) -> ParamEditor:
        return next(editor for editor in self.editors if editor.param.name == name)


class Inspector(QWidget):
    """The inspector panel (objectName `inspector`) following the canvas's selection."""

    def __init__(self, document, canvas, parent=None):
        super().__init__(parent)
        self.setObjectName("inspector")
        theme.style(self, "panel")
        self.document = document
        self.canvas = canvas
        self.form: LayerForm | None = None
        self._row: int | None = None

        self.pages = QStackedWidget(self)
        self.message = styled_label("", "hint", self, wrap=True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll = QScrollArea(self)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages.addWidget(self.message)
        self.pages.addWidget(self.scroll)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(panel_title("Inspector", self))
        layout.addWidget(self.pages, 1)

        canvas.selectionModel().selectionChanged.connect(self.refresh)
        document.stackChanged.connect(self.refresh)
        document.projectReplaced.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        rows = sorted({index.row() for index in self.canvas.selectionModel().selectedRows()})
        layers = self.document.model.layers
        if len(rows) != 1 or rows[0] >= len(layers):
            self._row = None
            self.message.setText("Select a layer on the canvas to edit its settings." if not rows
                                 else f"{len(rows)} layers selected.\nSelect one to edit its settings.")
            self.pages.setCurrentWidget(self.message)
            return
        row = rows[0]
        layer = layers[row]
        if self.form is None or self._row != row or self.form.class_name != layer.class_name:
            self._build_form(layer)
        self._row = row
        earlier_error = any(r.error for r in self.document.rows[:row])
        self.form.show_layer(layer, self.document.rows[row],
                             "Shapes unknown: an earlier layer cannot take its input." if earlier_error
                             else "Shapes unknown until the model has an input shape.")
        self.pages.setCurrentWidget(self.scroll)

    def _build_form(self, layer: Layer) -> None:
        self.form = LayerForm(layer, self.scroll)
        theme.style(self.form, "panel")
        for editor in self.form.editors:
            editor.edited.connect(lambda e=editor: self._edited(e))
        self.scroll.setWidget(self.form)

    def _edited(self, editor: ParamEditor) -> None:
        """Check the new value; apply it as one undoable edit, or mark it and change nothing."""
        if self._row is None:
            return
        layer = self.document.model.layers[self._row]
        name = editor.param.name
        try:
            value = editor.value()
            if name == "name":
                self._check_name(layer, value)
            else:
                value = editor.param.check(layer.class_name, value)
            if value == getattr(layer, name):
                self.form.show_error(editor, None)
                return
            new = edited_layer(layer, name, value)
        except ConfigError as err:
            self.form.show_error(editor, str(err))
            return
        self.form.show_error(editor, None)
        self.document.push(ReplaceLayer(self.document, self._row, new, name))

    def _check_name(self, layer: Layer, name: str) -> None:
        if any(other.name == name for other in self.document.model.layers if other is not layer):
            raise ConfigError(f"{layer.class_name}: a layer named {name!r} is already in the model")
