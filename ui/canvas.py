"""The canvas: the stack as cards, fed by drags from the palette and reordered by drags.

Drops go through the model (`dropMimeData`), so a drop is exactly what the tests do. The view
draws its own insertion line between cards, selects what an edit inserted, and keeps the
selection on the layers that moved.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelection, QItemSelectionModel, QModelIndex, QPersistentModelIndex, QPoint, QPointF, QRectF, Qt,
)
from PySide6.QtGui import QColor, QDrag, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHBoxLayout, QListView, QMenu, QVBoxLayout, QWidget

from . import theme
from .card_delegate import CARD, CONNECTOR, MARGIN, MAX_CARD_WIDTH, CardDelegate, card_rect
from .input_editor import InputEditor
from .stack_actions import StackActions
from .stack_model import StackModel
from .widgets import panel_title

EMPTY_HINT = "Drag layers here from the palette,\nor double-click one to append it."


class CanvasView(QListView):
    """The stack view (objectName `canvas`)."""

    def __init__(self, model: StackModel, parent=None):
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setModel(model)
        self.setItemDelegate(CardDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMouseTracking(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._drop_row: int | None = None
        self._inserted: list[QPersistentModelIndex] = []
        self._removed_at: int | None = None
        model.rowsInserted.connect(self._note_inserted)
        model.rowsRemoved.connect(self._note_removed)
        model.dataChanged.connect(self._relayout)
        model.document.undo_stack.indexChanged.connect(self._select_after_edit)
        self.stack_actions = StackActions(model.document, self, self)
        self.customContextMenuRequested.connect(self._context_menu)

    def _relayout(self, *_) -> None:
        """Card heights follow their content (an error line, the output footer)."""
        self.scheduleDelayedItemsLayout()

    # -- selection after edits ---------------------------------------------------------------
    def _note_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        self._inserted.extend(QPersistentModelIndex(self.model().index(r, 0)) for r in range(first, last + 1))

    def _note_removed(self, parent: QModelIndex, first: int, last: int) -> None:
        self._removed_at = first if self._removed_at is None else min(first, self._removed_at)

    def _select_after_edit(self) -> None:
        """Select what the last command inserted, or the card that took a deleted one's place."""
        rows = [index.row() for index in self._inserted if index.isValid()]
        removed_at, self._inserted, self._removed_at = self._removed_at, [], None
        count = self.model().rowCount()
        if not rows and removed_at is not None and count:
            rows = [min(removed_at, count - 1)]
        if rows:
            self.select_rows(rows)

    def select_rows(self, rows: list[int]) -> None:
        """Select exactly `rows` (one selection change), the last one current and in view."""
        model = self.model()
        selection = QItemSelection()
        for row in rows:
            selection.select(model.index(row, 0), model.index(row, 0))
        self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.selectionModel().setCurrentIndex(model.index(rows[-1], 0), QItemSelectionModel.SelectionFlag.NoUpdate)
        self.scrollTo(model.index(rows[-1], 0))

    # -- drag and drop -------------------------------------------------------------------------
    def drop_row_at(self, pos: QPoint) -> int:
        """The insertion point under `pos`: before the first card whose middle is below it."""
        for row in range(self.model().rowCount()):
            rect = self.visualRect(self.model().index(row, 0))
            if pos.y() < rect.top() + CONNECTOR + CARD / 2:
                return row
        return self.model().rowCount()

    def _drop_action(self, event) -> Qt.DropAction:
        if event.source() is self and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return Qt.DropAction.MoveAction
        return Qt.DropAction.CopyAction

    def _accepts(self, event) -> bool:
        return self.model().canDropMimeData(event.mimeData(), self._drop_action(event), -1, 0, QModelIndex())

    def dragEnterEvent(self, event) -> None:
        if self._accepts(event):
            event.setDropAction(self._drop_action(event))
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        super().dragMoveEvent(event)  # auto-scroll near the edges
        if not self._accepts(event):
            event.ignore()
            return
        event.setDropAction(self._drop_action(event))
        event.accept()
        row = self.drop_row_at(event.position().toPoint())
        if row != self._drop_row:
            self._drop_row = row
            self.viewport().update()

    def dragLeaveEvent(self, event) -> None:
        super().dragLeaveEvent(event)
        self._drop_row = None
        self.viewport().update()

    def dropEvent(self, event) -> None:
        row = self.drop_row_at(event.position().toPoint())
        action = self._drop_action(event)
        self._drop_row = None
        self.viewport().update()
        if self.model().dropMimeData(event.mimeData(), action, row, 0, QModelIndex()):
            event.setDropAction(action)
            event.accept()
        else:
            event.ignore()
        self.setFocus()

    def startDrag(self, supported: Qt.DropAction) -> None:
        """Our own drag, so Qt never removes the source rows itself: the drop moves them."""
        indexes = sorted(self.selectionModel().selectedRows(), key=lambda index: index.row())
        if not indexes:
            return
        drag = QDrag(self)
        drag.setMimeData(self.model().mimeData(indexes))
        drag.setPixmap(self.drag_pixmap(indexes))
        drag.exec(Qt.DropAction.MoveAction | Qt.DropAction.CopyAction, Qt.DropAction.MoveAction)

    def drag_pixmap(self, indexes) -> QPixmap:
        rect = self.visualRect(indexes[0])
        card = card_rect(QRectF(rect)).toRect().translated(0, -rect.top())
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(card.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        source = self.viewport().grab(card_rect(QRectF(rect)).toRect())
        painter = QPainter(pixmap)
        painter.setOpacity(0.85)
        painter.drawPixmap(0, 0, source)
        painter.end()
        return pixmap

    # -- painting -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colors = theme.current()
        if self.model().rowCount() == 0:
            painter.setPen(QColor(colors.muted))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)
        if self._drop_row is not None:
            self._paint_insertion_line(painter, QColor(colors.accent))
        painter.end()

    def _paint_insertion_line(self, painter: QPainter, color: QColor) -> None:
        count = self.model().rowCount()
        if count == 0:
            y, width_rect = 18.0, QRectF(self.viewport().rect())
        elif self._drop_row < count:
            rect = QRectF(self.visualRect(self.model().index(self._drop_row, 0)))
            y, width_rect = rect.top() + CONNECTOR / 2, rect
        else:
            rect = QRectF(self.visualRect(self.model().index(count - 1, 0)))
            y, width_rect = rect.top() + CONNECTOR + CARD + 14, rect
        card = card_rect(width_rect)
        pen = QPen(color, 3)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(card.left() + 6, y), QPointF(card.right() - 6, y))
        painter.setBrush(color)
        for x in (card.left() + 4, card.right() - 4):
            painter.drawEllipse(QPointF(x, y), 4.5, 4.5)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if index.isValid() and not self.selectionModel().isSelected(index):
            self.select_rows([index.row()])
        menu = QMenu(self)
        for action in self.stack_actions.all():
            menu.addAction(action)
        menu.exec(self.viewport().mapToGlobal(pos))


class CanvasPanel(QWidget):
    """Title, the input head and the canvas view."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        theme.style(self, "panel")
        self.model = StackModel(document, self)
        self.input_editor = InputEditor(document, self)
        self.view = CanvasView(self.model, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(panel_title("Model", self))
        self.input_editor.setMaximumWidth(MAX_CARD_WIDTH)
        head = QHBoxLayout()  # centred above the cards, as wide as they are
        head.setContentsMargins(MARGIN, 0, MARGIN, 0)
        head.addStretch(1)
        head.addWidget(self.input_editor, 1000)
        head.addStretch(1)
        layout.addLayout(head)
        layout.addWidget(self.view, 1)
