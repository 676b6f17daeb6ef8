"""The studio's look: Fusion with a light palette (or a dark one), one accent, family colours.

Custom-drawn parts (cards, icons, the summary's error rows) read their colours from
`current()`, and the few styled widgets register through `style()`, so `apply(app, dark)`
switches everything at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import shiboken6
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget


@dataclass(frozen=True)
class Theme:
    dark: bool
    window: str
    panel: str
    base: str
    alternate: str
    text: str
    muted: str
    border: str
    accent: str
    accent_soft: str
    error: str
    error_soft: str
    connector: str


LIGHT = Theme(
    dark=False, window="#eef0f3", panel="#f7f8fa", base="#ffffff", alternate="#f6f7f9",
    text="#1f2328", muted="#667085", border="#d0d5dd", accent="#2f6feb", accent_soft="#e6eefc",
    error="#c62828", error_soft="#fdecea", connector="#98a2b3",
)
DARK = Theme(
    dark=True, window="#1b1d21", panel="#22252a", base="#2a2d33", alternate="#2f3238",
    text="#e4e6eb", muted="#9aa3b2", border="#3c414a", accent="#5b8ef5", accent_soft="#2b3a57",
    error="#ff6b6b", error_soft="#4a2a2d", connector="#6b7280",
)

# One hue per catalog family, for card stripes and palette icons (readable on both themes).
FAMILY_COLORS = {
    "Core": "#2f6feb",
    "Convolution": "#8e44ad",
    "Pooling": "#16a085",
    "Recurrent": "#d35400",
    "Embedding": "#c0392b",
    "Normalization": "#2c9c4a",
    "Reshaping": "#7f8c8d",
}

_current = LIGHT


def current() -> Theme:
    return _current


def family_color(family: str) -> QColor:
    return QColor(FAMILY_COLORS.get(family, "#7f8c8d"))


def monospace_font(point_size_delta: float = -1.0) -> QFont:
    font = QFont("DejaVu Sans Mono")
    font.setStyleHint(QFont.StyleHint.Monospace)
    base = QApplication.font().pointSizeF()
    font.setPointSizeF(max(6.0, base + point_size_delta))
    return font


def _palette(theme: Theme) -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alternate,
        QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.panel,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.BrightText: theme.error,
        QPalette.ColorRole.Highlight: theme.accent,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: theme.accent,
        QPalette.ColorRole.Mid: theme.border,
        QPalette.ColorRole.Dark: theme.border,
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.muted))
    return palette


# Per-widget style sheets, never one for the whole application: an application style sheet
# routes every item of every view through QStyleSheetStyle, which made a repaint of the
# window three times slower. These touch only a few labels and frames.
_STYLES = {
    "panelTitle": "QLabel {{ color: {muted}; font-weight: 600; letter-spacing: 1px; padding: 8px 10px 4px 10px; }}",
    "hint": "QLabel {{ color: {muted}; }}",
    "fieldError": "QLabel {{ color: {error}; }}",
    "inspectorTitle": "QLabel {{ font-size: 15pt; font-weight: 600; }}",
    "totals": "QLabel {{ padding: 6px 10px; }}",
    "inputHead": "QFrame#inputHead {{ background: {base}; border: 1px solid {border}; border-radius: 8px; }}",
    "header": ("QHeaderView::section {{ background: {panel}; color: {muted}; border: none; "
               "border-bottom: 1px solid {border}; padding: 4px 6px; }}"),
    "statusBar": "QStatusBar {{ color: {muted}; }}",
    "invalid": "QLineEdit {{ border: 1px solid {error}; border-radius: 3px; padding: 2px 3px; background: {error_soft}; }}",
}
_styled: list[tuple[QWidget, str]] = []


def _restyle(widget: QWidget, kind: str) -> None:
    if kind == "panel":  # a flat background in the panel colour, through the palette
        palette = widget.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(_current.panel))
        widget.setPalette(palette)
        widget.setAutoFillBackground(True)
    else:
        widget.setStyleSheet(_STYLES[kind].format(**vars(_current)))


def style(widget: QWidget, kind: str) -> None:
    """Give `widget` the look `kind` ("panel", "panelTitle", "hint", ...) in the current theme,
    and again whenever the theme changes. Entries of deleted widgets go first: the inspector
    rebuilds its forms on every edit, and the list grew by ~40 dead widgets an edit (soak bench)."""
    _styled[:] = [(styled, styled_kind) for styled, styled_kind in _styled if shiboken6.isValid(styled)]
    _styled.append((widget, kind))
    _restyle(widget, kind)


def style_invalid(widget: QWidget, invalid: bool) -> None:
    """The red mark of a field whose value is refused (not re-themed: it is short-lived)."""
    widget.setStyleSheet(_STYLES["invalid"].format(**vars(_current)) if invalid else "")


def apply(app: QApplication, dark: bool = False) -> Theme:
    """Switch the whole application to the light or dark theme."""
    global _current
    _current = DARK if dark else LIGHT
    name = "dark" if dark else "light"
    if app.property("seqstudioTheme") == name:  # re-polishing every widget is not free
        return _current
    app.setProperty("seqstudioTheme", name)
    app.setStyle("Fusion")
    app.setPalette(_palette(_current))
    _styled[:] = [(widget, kind) for widget, kind in _styled if shiboken6.isValid(widget)]
    for widget, kind in _styled:
        _restyle(widget, kind)
    return _current
