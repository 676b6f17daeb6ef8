"""Icons drawn in code with QPainter: sharp at any size and device pixel ratio, themed.

Each icon is a function drawing on a 24x24 canvas; `PaintedIconEngine` scales it to the size
Qt asks for (so a 2x screen gets a 2x drawing, not a blown-up pixmap).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QPainter, QPainterPath, QPen, QPixmap

from . import theme

Draw = Callable[[QPainter, QColor], None]


class PaintedIconEngine(QIconEngine):
    """Renders a drawing function at the requested size; colour from the theme at paint time."""

    def __init__(self, draw: Draw, color: QColor | None = None):
        super().__init__()
        self._draw = draw
        self._color = color
        self._pixmaps: dict[tuple, QPixmap] = {}

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        color = QColor(self._color) if self._color is not None else QColor(theme.current().text)
        if mode == QIcon.Mode.Disabled:
            color.setAlphaF(0.35)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(rect.topLeft())
        side = min(rect.width(), rect.height())
        painter.translate((rect.width() - side) / 2, (rect.height() - side) / 2)
        painter.scale(side / 24.0, side / 24.0)
        self._draw(painter, color)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        """Drawn once per size, scale, mode and theme, then reused (views ask on every paint)."""
        key = (size.width(), size.height(), scale, mode, state, theme.current().dark)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = QPixmap(QSize(round(size.width() * scale), round(size.height() * scale)))
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            self.paint(painter, QRect(0, 0, pixmap.width(), pixmap.height()), mode, state)
            painter.end()
            pixmap.setDevicePixelRatio(scale)
            self._pixmaps[key] = pixmap
        return pixmap

    def clone(self) -> "PaintedIconEngine":
        return PaintedIconEngine(self._draw, self._color)


def _pen(color: QColor, width: float = 1.8) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _soft(color: QColor, alpha: float = 0.18) -> QColor:
    soft = QColor(color)
    soft.setAlphaF(alpha)
    return soft


# -- family glyphs -------------------------------------------------------------------------
def _tile(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(_soft(c, 0.16))
    p.drawRoundedRect(QRectF(1, 1, 22, 22), 5, 5)


def _core(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    left = [QPointF(7, 7), QPointF(7, 12), QPointF(7, 17)]
    right = [QPointF(17, 9.5), QPointF(17, 14.5)]
    p.setPen(_pen(c, 1.0))
    for a in left:
        for b in right:
            p.drawLine(a, b)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    for point in left + right:
        p.drawEllipse(point, 2.0, 2.0)


def _convolution(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.0))
    p.setBrush(Qt.BrushStyle.NoBrush)
    for i in range(4):
        p.drawLine(QPointF(5 + 4.67 * i, 5), QPointF(5 + 4.67 * i, 19))
        p.drawLine(QPointF(5, 5 + 4.67 * i), QPointF(19, 5 + 4.67 * i))
    p.setPen(_pen(c, 2.0))
    p.setBrush(_soft(c, 0.45))
    p.drawRect(QRectF(5, 5, 9.33, 9.33))


def _pooling(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.0))
    p.setBrush(_soft(c, 0.35))
    for x, y in ((4, 6), (8.5, 6), (4, 10.5), (8.5, 10.5)):
        p.drawRect(QRectF(x, y, 4, 4))
    p.setPen(_pen(c, 1.6))
    p.drawLine(QPointF(14, 10.5), QPointF(16.5, 10.5))
    p.setBrush(c)
    p.drawRect(QRectF(17.5, 8.5, 3.5, 4))
    p.setPen(_pen(c, 1.2))
    p.drawLine(QPointF(4, 18), QPointF(20, 18))


def _recurrent(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 2.0))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(6, 6, 12, 12), 60 * 16, 290 * 16)
    path = QPainterPath(QPointF(15.2, 3.6))
    path.lineTo(QPointF(15.6, 7.6))
    path.lineTo(QPointF(11.6, 8.2))
    p.drawPath(path)


def _embedding(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.2))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(5, 5, 14, 14), 2, 2)
    for y in (9.7, 14.3):
        p.drawLine(QPointF(5, y), QPointF(19, y))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(_soft(c, 0.6))
    p.drawRect(QRectF(5.6, 10.3, 12.8, 3.4))


def _normalization(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    path = QPainterPath(QPointF(4, 18))
    path.cubicTo(QPointF(9, 18), QPointF(9.5, 5.5), QPointF(12, 5.5))
    path.cubicTo(QPointF(14.5, 5.5), QPointF(15, 18), QPointF(20, 18))
    p.setPen(_pen(c, 1.8))
    p.setBrush(_soft(c, 0.3))
    p.drawPath(path)
    p.setPen(_pen(c, 1.0))
    p.drawLine(QPointF(12, 6), QPointF(12, 18))


def _reshaping(p: QPainter, c: QColor) -> None:
    _tile(p, c)
    p.setPen(_pen(c, 1.4))
    p.setBrush(_soft(c, 0.35))
    p.drawRect(QRectF(4, 6, 7, 12))
    p.drawRect(QRectF(14, 10, 7, 4))
    p.drawLine(QPointF(11.5, 12), QPointF(13.5, 12))


FAMILY_GLYPHS: dict[str, Draw] = {
    "Core": _core,
    "Convolution": _convolution,
    "Pooling": _pooling,
    "Recurrent": _recurrent,
    "Embedding": _embedding,
    "Normalization": _normalization,
    "Reshaping": _reshaping,
}


# -- action glyphs ----------------------------------------------------------------------------
def _new(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    path = QPainterPath(QPointF(6, 3))
    for x, y in ((14, 3), (19, 8), (19, 21), (6, 21)):
        path.lineTo(QPointF(x, y))
    path.closeSubpath()
    p.drawPath(path)
    p.drawLine(QPointF(12.5, 10), QPointF(12.5, 17))
    p.drawLine(QPointF(9, 13.5), QPointF(16, 13.5))


def _open(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    path = QPainterPath(QPointF(3, 19))
    for x, y in ((3, 5), (9, 5), (11, 7.5), (19, 7.5), (19, 10)):
        path.lineTo(QPointF(x, y))
    p.drawPath(path)
    lid = QPainterPath(QPointF(3, 19))
    for x, y in ((6.5, 10.5), (21.5, 10.5), (18, 19)):
        lid.lineTo(QPointF(x, y))
    lid.closeSubpath()
    p.setBrush(_soft(c, 0.15))
    p.drawPath(lid)


def _save(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    path = QPainterPath(QPointF(4, 4))
    for x, y in ((17, 4), (20, 7), (20, 20), (4, 20)):
        path.lineTo(QPointF(x, y))
    path.closeSubpath()
    p.drawPath(path)
    p.drawRect(QRectF(8, 4, 7, 5))
    p.setBrush(_soft(c, 0.2))
    p.drawRect(QRectF(7.5, 13, 9, 7))


def _arc_arrow(p: QPainter, c: QColor, mirror: bool) -> None:
    p.save()
    if mirror:
        p.translate(24, 0)
        p.scale(-1, 1)
    p.setPen(_pen(c, 1.8))
    p.setBrush(Qt.BrushStyle.NoBrush)
    path = QPainterPath(QPointF(5, 10))
    path.lineTo(QPointF(14, 10))
    path.cubicTo(QPointF(22, 10), QPointF(22, 20), QPointF(14, 20))
    path.lineTo(QPointF(9, 20))
    p.drawPath(path)
    head = QPainterPath(QPointF(9, 6))
    head.lineTo(QPointF(5, 10))
    head.lineTo(QPointF(9, 14))
    p.drawPath(head)
    p.restore()


def _undo(p: QPainter, c: QColor) -> None:
    _arc_arrow(p, c, mirror=False)


def _redo(p: QPainter, c: QColor) -> None:
    _arc_arrow(p, c, mirror=True)


def _delete(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawLine(QPointF(4, 6.5), QPointF(20, 6.5))
    p.drawLine(QPointF(9.5, 6.5), QPointF(10, 3.5))
    p.drawLine(QPointF(10, 3.5), QPointF(14, 3.5))
    p.drawLine(QPointF(14, 3.5), QPointF(14.5, 6.5))
    path = QPainterPath(QPointF(6, 6.5))
    path.lineTo(QPointF(7.2, 20.5))
    path.lineTo(QPointF(16.8, 20.5))
    path.lineTo(QPointF(18, 6.5))
    p.drawPath(path)
    for x in (10, 14):
        p.drawLine(QPointF(x, 10), QPointF(x, 17))


def _duplicate(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(3.5, 3.5, 11, 11), 2, 2)
    p.setBrush(_soft(c, 0.2))
    p.drawRoundedRect(QRectF(9.5, 9.5, 11, 11), 2, 2)


def _arrow(p: QPainter, c: QColor, up: bool) -> None:
    p.save()
    if not up:
        p.translate(0, 24)
        p.scale(1, -1)
    p.setPen(_pen(c, 1.9))
    p.drawLine(QPointF(12, 5), QPointF(12, 19))
    head = QPainterPath(QPointF(6, 11))
    head.lineTo(QPointF(12, 5))
    head.lineTo(QPointF(18, 11))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(head)
    p.restore()


def _up(p: QPainter, c: QColor) -> None:
    _arrow(p, c, up=True)


def _down(p: QPainter, c: QColor) -> None:
    _arrow(p, c, up=False)


def _app(p: QPainter, c: QColor) -> None:
    accent = QColor(theme.LIGHT.accent)
    for i, alpha in enumerate((0.45, 0.7, 1.0)):
        color = QColor(accent)
        color.setAlphaF(alpha)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawRoundedRect(QRectF(3 + 1.5 * (2 - i), 3 + 6.5 * i, 18 - 3 * (2 - i), 5), 1.6, 1.6)


ACTION_GLYPHS: dict[str, Draw] = {
    "new": _new, "open": _open, "save": _save, "undo": _undo, "redo": _redo,
    "delete": _delete, "duplicate": _duplicate, "up": _up, "down": _down,
}

_cache: dict[tuple, QIcon] = {}


def _icon(key: tuple, draw: Draw, color: QColor | None) -> QIcon:
    if key not in _cache:
        _cache[key] = QIcon(PaintedIconEngine(draw, color))
    return _cache[key]


def family_icon(family: str) -> QIcon:
    """The glyph of a catalog family in the family's colour (every layer of it shares it)."""
    return _icon(("family", family), FAMILY_GLYPHS.get(family, _core), theme.family_color(family))


def action_icon(name: str) -> QIcon:
    """A line icon for a menu or toolbar action, in the theme's text colour."""
    return _icon(("action", name), ACTION_GLYPHS[name], None)


def app_icon() -> QIcon:
    return _icon(("app",), _app, None)


def paint_family_glyph(painter: QPainter, rect: QRectF, family: str) -> None:
    """Draw a family glyph into `rect` at the painter's device pixel ratio (cached pixmap)."""
    ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
    size = QSize(round(rect.width()), round(rect.height()))
    painter.drawPixmap(rect.topLeft(), family_icon(family).pixmap(size, ratio))
