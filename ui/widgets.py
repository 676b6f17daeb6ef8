"""Small helpers shared by the panels: the invalid-field mark and panel titles."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


def mark_invalid(widget: QWidget, message: str | None) -> None:
    """Mark `widget` invalid (red, via the theme's [invalid="true"] rule) with `message` as
    its tooltip, or clear the mark when message is None."""
    invalid = message is not None
    if widget.property("invalid") != invalid:
        widget.setProperty("invalid", invalid)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
    widget.setToolTip(message or widget.property("help") or "")


def panel_title(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text.upper(), parent)
    label.setObjectName("panelTitle")
    return label
