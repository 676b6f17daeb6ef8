"""Draws each layer of the canvas as a card, with the data's shape flowing into it.

A row is a connector (a line with an arrow and the shape that enters the layer) above a card:
family stripe and glyph, class name and layer name, key hyper-parameters, output shape and
parameter count; an impossible layer's card is red and says why. The last row also draws the
stack's output below its card.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from builder.layers.base import format_shape

from . import theme
from .icons import paint_family_glyph
from .layer_factory import key_parameters
from .layer_rows import LayerRole, ShapeRole
from .text_values import error_reason

CONNECTOR = 30
CARD = 66
ERROR_LINE = 22
FOOTER = 34
MARGIN = 14
MAX_CARD_WIDTH = 620


def card_rect(item: QRectF) -> QRectF:
    """Where the card sits inside an item's rectangle (centred, at most MAX_CARD_WIDTH wide)."""
    width = min(item.width() - 2 * MARGIN, MAX_CARD_WIDTH)
    left = item.left() + (item.width() - width) / 2
    return QRectF(left, item.top() + CONNECTOR, width, CARD)


def _params_text(row) -> str:
    if row is None or row.params is None:
        return "? params"
    return f"{row.params:,} param{'s' if row.params != 1 else ''}"


class CardDelegate(QStyledItemDelegate):
    """Paints layer cards; sizes follow the content (errors add a line, the last row a footer)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        height = CONNECTOR + CARD
        row = index.data(ShapeRole)
        if row is not None and row.error:
            height += ERROR_LINE
        if index.row() == index.model().rowCount() - 1:
            height += FOOTER
        return QSize(280, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        layer = index.data(LayerRole)
        if layer is None:
            return
        row = index.data(ShapeRole)
        colors = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        item = QRectF(option.rect)
        card = card_rect(item)
        failed = row is not None and row.error is not None
        if failed:
            card.setHeight(CARD + ERROR_LINE)
        incoming = format_shape(row.input_shape) if row is not None else "?"
        self._connector(painter, card.center().x(), item.top(), card.top(), incoming, colors)
        self._card(painter, card, option, layer, row, failed, colors)
        if index.row() == index.model().rowCount() - 1:
            outgoing = format_shape(row.output_shape) if row is not None else "?"
            self._connector(painter, card.center().x(), card.bottom(), card.bottom() + FOOTER - 8, outgoing, colors,
                            label="output")
        painter.restore()

    def _connector(self, painter: QPainter, x: float, top: float, bottom: float, shape: str, colors,
                   label: str = "") -> None:
        pen = QPen(QColor(colors.connector), 1.6)
        painter.setPen(pen)
        painter.drawLine(QPointF(x, top + 2), QPointF(x, bottom - 2))
        head = QPainterPath(QPointF(x - 4, bottom - 7))
        head.lineTo(QPointF(x, bottom - 2))
        head.lineTo(QPointF(x + 4, bottom - 7))
        painter.drawPath(head)
        font = theme.monospace_font(-1.5)
        painter.setFont(font)
        painter.setPen(QColor(colors.muted))
        text = f"{label} {shape}" if label else shape
        painter.drawText(QRectF(x + 10, top, 400, bottom - top), Qt.AlignmentFlag.AlignVCenter, text)

    def _card(self, painter: QPainter, card: QRectF, option, layer, row, failed: bool, colors) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        fill = QColor(colors.error_soft if failed else colors.accent_soft if selected else colors.base)
        border = QColor(colors.error if failed else colors.accent if selected else colors.border)
        if hovered and not selected and not failed:
            border = QColor(colors.connector)
        shape = QPainterPath()
        shape.addRoundedRect(card, 9, 9)
        painter.setPen(QPen(border, 2.0 if (selected or failed) else 1.0))
        painter.setBrush(fill)
        painter.drawPath(shape)

        painter.save()
        painter.setClipPath(shape)
        painter.fillRect(QRectF(card.left(), card.top(), 5, card.height()), theme.family_color(type(layer).family))
        painter.restore()

        paint_family_glyph(painter, QRectF(card.left() + 16, card.top() + (CARD - 30) / 2, 30, 30), type(layer).family)

        text_left = card.left() + 58
        small = QFont(option.font)
        small.setPointSizeF(option.font.pointSizeF() - 0.5)
        small_metrics = QFontMetrics(small)
        mono = theme.monospace_font(-0.5)
        mono_metrics = QFontMetrics(mono)
        output = "shape error" if failed else format_shape(row.output_shape if row else None)
        params = _params_text(row)
        right_width = min(max(mono_metrics.horizontalAdvance(output), small_metrics.horizontalAdvance(params)) + 4,
                          int(card.width() * 0.45))
        right = QRectF(card.right() - right_width - 12, card.top() + 10, right_width, 22)
        text_room = right.left() - 12 - text_left

        title_font = QFont(option.font)
        title_font.setBold(True)
        title_font.setPointSizeF(option.font.pointSizeF() + 1)
        title_metrics = QFontMetrics(title_font)
        painter.setFont(title_font)
        painter.setPen(QColor(colors.text))
        title = title_metrics.elidedText(layer.class_name, Qt.TextElideMode.ElideRight, int(max(0, text_room)))
        painter.drawText(QPointF(text_left, card.top() + 26), title)
        name_left = text_left + title_metrics.horizontalAdvance(title) + 8

        painter.setFont(small)
        painter.setPen(QColor(colors.muted))
        name = small_metrics.elidedText(layer.name, Qt.TextElideMode.ElideRight, int(max(0, right.left() - 12 - name_left)))
        painter.drawText(QPointF(name_left, card.top() + 26), name)
        settings = key_parameters(layer) or "no settings"
        painter.drawText(QPointF(text_left, card.top() + 48),
                         small_metrics.elidedText(settings, Qt.TextElideMode.ElideRight, int(max(0, text_room))))

        painter.setFont(mono)
        painter.setPen(QColor(colors.error if failed else colors.text))
        painter.drawText(right, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         mono_metrics.elidedText(output, Qt.TextElideMode.ElideLeft, int(right_width)))
        painter.setFont(small)
        painter.setPen(QColor(colors.muted))
        painter.drawText(right.translated(0, 22), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, params)

        if failed:
            painter.setPen(QColor(colors.error))
            painter.drawText(
                QRectF(text_left, card.top() + CARD - 6, card.width() - 70, ERROR_LINE),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                small_metrics.elidedText("✗ " + error_reason(row.error), Qt.TextElideMode.ElideRight, int(card.width() - 76)),
            )
