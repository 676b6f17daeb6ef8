"""The live summary: Keras's table (layer, output shape, parameters) and the totals below it.

It follows every edit. An impossible layer's row says why, in red, across the shape and
parameter columns (and as its tooltip); the rows after it show "?" rather than a guess.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from builder.layers.base import format_shape
from builder.shapes import LayerShape, first_error
from builder.summary import param_text, readable_size, totals

from . import theme
from .layer_rows import LayerRole, LayerRowsModel, ShapeRole
from .text_values import error_reason
from .widgets import panel_title

HEADERS = ("Layer (type)", "Output Shape", "Param #")


def memory_estimate(rows: list[LayerShape], batch_size: int) -> tuple[int, int] | None:
    """(bytes of float32 weights, bytes of one batch of activations: input and every
    layer's output), or None while a shape is unknown."""
    counted = totals(rows)
    if counted is None or rows[0].input_shape is None:
        return None
    values = math.prod(rows[0].input_shape[1:]) + sum(math.prod(row.output_shape[1:]) for row in rows)
    return 4 * sum(counted), 4 * batch_size * values


class SummaryModel(LayerRowsModel):
    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if section == 2 else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._layers):
            return None
        layer = self._layers[index.row()]
        row = self.shape_of(layer)
        column = index.column()
        error = row.error if row is not None else None
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{layer.name} ({layer.class_name})"
            if error:
                return "✗ " + error_reason(error)
            if column == 1:
                return format_shape(row.output_shape if row else None)
            return param_text(row) if row else "?"
        if role == Qt.ItemDataRole.ToolTipRole:
            return error or f"{layer.name} ({layer.class_name}): {type(layer).help}"
        if role == Qt.ItemDataRole.ForegroundRole and error:
            return QBrush(QColor(theme.current().error))
        if role == Qt.ItemDataRole.BackgroundRole and error:
            return QBrush(QColor(theme.current().error_soft))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2 and not error:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column == 1 and not error:
            return theme.monospace_font(-0.5)
        if role == LayerRole:
            return layer
        if role == ShapeRole:
            return row
        return None

    def flags(self, index):
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable if index.isValid() else Qt.ItemFlag.NoItemFlags

    def error_row(self) -> int | None:
        return next((i for i, layer in enumerate(self._layers)
                     if (row := self.shape_of(layer)) is not None and row.error), None)


class SummaryView(QTableView):
    """The summary table (objectName `summaryTable`): the error row spans two columns."""

    def __init__(self, model: SummaryModel, parent=None):
        super().__init__(parent)
        self.setObjectName("summaryTable")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWordWrap(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(26)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 130)
        header.resizeSection(2, 80)
        header.setHighlightSections(False)
        theme.style(header, "header")
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.rowsMoved, model.dataChanged):
            signal.connect(self._mark_error_row)
        header.sectionResized.connect(self._mark_error_row)
        self._spanned: int | None = None
        self._mark_error_row()

    def _mark_error_row(self, *_) -> None:
        """Span the impossible layer's reason over the shape and parameter columns, tall
        enough for the wrapped text; other rows keep the default height."""
        row = self.model().error_row()
        if row != self._spanned:
            self.clearSpans()
            if self._spanned is not None and self._spanned < self.model().rowCount():
                self.setRowHeight(self._spanned, self.verticalHeader().defaultSectionSize())
            self._spanned = row
            if row is not None:
                self.setSpan(row, 1, 1, 2)
        if row is not None:
            text = self.model().index(row, 1).data() or ""
            width = self.columnWidth(1) + self.columnWidth(2) - 12
            bounds = self.fontMetrics().boundingRect(QRect(0, 0, max(width, 40), 10_000), Qt.TextFlag.TextWordWrap, text)
            self.setRowHeight(row, max(self.verticalHeader().defaultSectionSize(), bounds.height() + 10))


class SummaryPanel(QWidget):
    """Title, table and the totals label (objectName `summaryTotals`)."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        theme.style(self, "panel")
        self.document = document
        self.model = SummaryModel(document, self)
        self.view = SummaryView(self.model, self)
        self.totals = QLabel(self)
        self.totals.setObjectName("summaryTotals")
        theme.style(self.totals, "totals")
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(panel_title("Summary", self))
        layout.addWidget(self.view, 1)
        layout.addWidget(self.totals)
        document.stackChanged.connect(self.update_totals)
        document.projectReplaced.connect(self.update_totals)
        self.update_totals()

    def update_totals(self) -> None:
        rows = self.document.rows
        counted = totals(rows)
        if counted is None:
            reason = first_error(rows) or ("the model has no input shape yet" if rows else "the model has no layers")
            self.totals.setText(f"<b>Total params: ?</b><br><span style='color:{theme.current().muted}'>{reason}</span>")
            return
        trainable, frozen = counted
        weights, activations = memory_estimate(rows, self.document.batch_size)
        self.totals.setText(
            f"<b>Total params: {trainable + frozen:,}</b> ({readable_size(4 * (trainable + frozen))})<br>"
            f"Trainable params: {trainable:,} · Non-trainable params: {frozen:,}<br>"
            f"<span style='color:{theme.current().muted}'>Memory: about {readable_size(weights + activations)} "
            f"(weights {readable_size(weights)} + activations of a batch of {self.document.batch_size} "
            f"{readable_size(activations)})</span>"
        )
