"""Small helpers shared by the panels: the invalid-field mark, panel titles, styled labels."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from . import theme


def mark_invalid(widget: QWidget, message: str | None) -> None:
    """Mark `widget` invalid (red, via the theme's [invalid="true"] rule) with `message` as
    its tooltip, or clear the mark when message is None."""
    invalid = message is not None
    if widget.property("invalid") != invalid:
        widget.setProperty("invalid", invalid)
        theme.style_invalid(widget, invalid)
    widget.setToolTip(message or widget.property("help") or "")


def panel_title(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text.upper(), parent)
    theme.style(label, "panelTitle")
    return label


def styled_label(text: str, kind: str, parent: QWidget, wrap: bool = False) -> QLabel:
    """A QLabel with one of the theme's looks ("hint", "fieldError", ...)."""
    label = QLabel(text, parent)
    label.setWordWrap(wrap)
    theme.style(label, kind)
    return label
