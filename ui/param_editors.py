"""Typed editors for hyper-parameters, generated from a Param's kind, range and choices.

Each `ParamEditor` wraps one widget (objectName `param_<name>`), shows a value without echoing
edits back, and reads the widget as a Python value (or a ConfigError the inspector shows).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from builder.activations import ACTIVATION_NAMES
from builder.errors import ConfigError
from builder.initializers import INITIALIZER_NAMES
from builder.params import Param

from .layer_factory import param_value_text
from .text_values import parse_float, parse_int_tuple, parse_literal, parse_optional_int

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class ParamEditor(QObject):
    """One argument's editor; `edited` fires on every user change."""

    edited = Signal()

    def __init__(self, param: Param, widget: QWidget):
        super().__init__(widget)
        self.param = param
        self.widget = widget
        widget.setObjectName(f"param_{param.name}")
        widget.setProperty("help", param.help)
        widget.setToolTip(param.help)

    def value(self):
        """The widget's value as Python (may raise ConfigError for unreadable text)."""
        raise NotImplementedError

    def show_value(self, value) -> None:
        """Display `value` unless the widget already means it (keeps the caret while typing)."""
        if self._means(value):
            return
        self.widget.blockSignals(True)
        self._display(value)
        self.widget.blockSignals(False)

    def _display(self, value) -> None:
        raise NotImplementedError

    def _means(self, value) -> bool:
        try:
            shown = self.value()
        except ConfigError:
            return False
        if shown == value:
            return True
        try:
            return self.param.check("", shown) == value
        except (ConfigError, KeyError):
            return False


class IntEditor(ParamEditor):
    def __init__(self, param: Param, parent: QWidget):
        box = QSpinBox(parent)
        low = _INT_MIN if param.low is None else int(param.low) + (0 if param.low_inclusive else 1)
        high = _INT_MAX if param.high is None else int(param.high) - (0 if param.high_inclusive else 1)
        box.setRange(max(low, _INT_MIN), min(high, _INT_MAX))
        box.setGroupSeparatorShown(True)
        super().__init__(param, box)
        box.valueChanged.connect(self.edited)

    def value(self):
        return self.widget.value()

    def _display(self, value) -> None:
        self.widget.setValue(int(value))


class BoolEditor(ParamEditor):
    def __init__(self, param: Param, parent: QWidget):
        super().__init__(param, QCheckBox(parent))
        self.widget.toggled.connect(self.edited)

    def value(self):
        return self.widget.isChecked()

    def _display(self, value) -> None:
        self.widget.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    def __init__(self, param: Param, parent: QWidget, choices):
        combo = QComboBox(parent)
        for choice in choices:
            combo.addItem("None" if choice is None else str(choice), choice)
        super().__init__(param, combo)
        combo.activated.connect(self.edited)

    def value(self):
        return self.widget.currentData()

    def _display(self, value) -> None:
        index = self.widget.findData(value)
        if index < 0:  # a value outside the list (e.g. from a hand-edited file): show it anyway
            self.widget.addItem(str(value), value)
            index = self.widget.count() - 1
        self.widget.setCurrentIndex(index)


class TextEditor(ParamEditor):
    """Floats, optional ints and tuples, typed as text and read by `parse`."""

    def __init__(self, param: Param, parent: QWidget, parse, placeholder: str = ""):
        edit = QLineEdit(parent)
        edit.setPlaceholderText(placeholder)
        super().__init__(param, edit)
        self._parse = parse
        edit.textEdited.connect(self.edited)

    def value(self):
        return self._parse(self.widget.text())

    def _display(self, value) -> None:
        text = param_value_text(self.param, value)
        if isinstance(value, tuple) and not any(isinstance(item, tuple) for item in value):
            text = text[1:-1].rstrip(",")  # "(3, 3)" is typed as "3, 3"
        self.widget.setText(text)


def _ints(text: str, name: str, allow_none: bool):
    """A tuple, or one int that the Param repeats ("3" is a 3x3 kernel)."""
    values = parse_int_tuple(text, name, allow_none)
    return values[0] if values is not None and len(values) == 1 else values


def editor_for(param: Param, parent: QWidget) -> ParamEditor:
    """The editor for `param`'s kind."""
    kind, name = param.kind, param.name
    if kind == "int":
        return IntEditor(param, parent)
    if kind == "bool":
        return BoolEditor(param, parent)
    if kind == "choice":
        return ChoiceEditor(param, parent, param.choices)
    if kind == "activation":
        return ChoiceEditor(param, parent, ACTIVATION_NAMES)
    if kind == "initializer":
        return ChoiceEditor(param, parent, INITIALIZER_NAMES)
    if kind == "float":
        return TextEditor(param, parent, lambda text: parse_float(text, name), "a number")
    if kind == "optional_int":
        return TextEditor(param, parent, lambda text: parse_optional_int(text, name), "None")
    if kind in ("ints", "optional_ints"):
        allow_none = kind == "optional_ints"
        example = ", ".join(["3"] * (param.length or 1))
        return TextEditor(param, parent, lambda text: _ints(text, name, allow_none),
                          f"None or {example}" if allow_none else example)
    if kind == "shape":
        return TextEditor(param, parent, lambda text: parse_int_tuple(text, name), "e.g. 8, 8 or -1")
    # A kind this module does not know (a layer module's own, like ZeroPadding2D's pairs):
    # typed as a Python literal and left to the Param's own check.
    return TextEditor(param, parent, lambda text: parse_literal(text, name), "a value")
