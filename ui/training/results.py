"""The last run's results: final metrics, a confusion-matrix heat map and the worst-predicted
samples for classifiers, predicted against true values for regression."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from .. import theme
from .analysis import RunResults


VIRIDIS = pg.colormap.get("viridis").getLookupTable(0.0, 1.0, 256)


def metrics_text(logs: dict) -> str:
    shown = {k: v for k, v in logs.items() if k.startswith("val_")} or logs
    return " · ".join(f"{k} {v:.4f}" for k, v in sorted(shown.items()))


class CellCounts(pg.GraphicsObject):
    """The counts written in a matrix's cells, all in one paint (a hundred TextItems took
    tens of milliseconds to create); text is drawn in device pixels, so it is never flipped
    or stretched by the view's scale."""

    def __init__(self):
        super().__init__()
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.share = np.zeros((0, 0))

    def set_matrix(self, matrix: np.ndarray, share: np.ndarray) -> None:
        self.prepareGeometryChange()
        self.matrix, self.share = matrix, share
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.matrix.shape[1], self.matrix.shape[0])

    def paint(self, painter, *args) -> None:
        transform = painter.transform()
        painter.resetTransform()
        dark, light = QColor("#000000"), QColor("#ffffff")
        for (i, j), count in np.ndenumerate(self.matrix):
            centre = transform.map(QPointF(j + 0.5, i + 0.5))
            painter.setPen(dark if self.share[i, j] > 0.6 else light)
            painter.drawText(QRectF(centre.x() - 30, centre.y() - 10, 60, 20), Qt.AlignmentFlag.AlignCenter, str(count))


class ResultsView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("Train the model to see its results here.", self)
        self.summary.setObjectName("finalMetrics")
        self.summary.setWordWrap(True)
        colors = theme.current()
        self.plot = pg.PlotWidget(self, background=colors.base)
        self.plot.setObjectName("confusionPlot")
        self.plot.setMinimumHeight(220)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.plot.getPlotItem().invertY(True)
        self.plot.getPlotItem().setAspectLocked(True)
        self.scatter = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(47, 111, 235, 120))
        self.diagonal = pg.PlotDataItem(pen=pg.mkPen(colors.muted, width=1))
        self.plot.addItem(self.scatter)
        self.plot.addItem(self.diagonal)
        self.counts = CellCounts()
        self.plot.addItem(self.counts)
        self.shown: RunResults | None = None
        self._drawn: RunResults | None = None
        self.worst = QTableWidget(0, 4, self)
        self.worst.setObjectName("worstSamples")
        self.worst.setHorizontalHeaderLabels(["sample", "true", "predicted", "p(true)"])
        self.worst.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.worst.verticalHeader().setVisible(False)
        self.worst.setMaximumHeight(200)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.worst)
        self.plot.hide()
        self.worst.hide()

    def show_results(self, results: RunResults) -> None:
        """Keep `results`; they are drawn when the view is (or next becomes) visible."""
        self.shown = results
        self.summary.setText(f"On the {results.source} data: {metrics_text(results.logs)}")
        if self.isVisible():
            self._draw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._draw()

    def _draw(self) -> None:
        results = self.shown
        if results is None or results is self._drawn:
            return
        self._drawn = results
        self.counts.set_matrix(np.zeros((0, 0), dtype=np.int64), np.zeros((0, 0)))
        self.image.clear()
        self.scatter.clear()
        self.diagonal.clear()
        item = self.plot.getPlotItem()
        if results.confusion is not None:
            self._show_confusion(results)
        elif results.true_values is not None:
            item.invertY(False)
            item.setAspectLocked(False)
            item.setLabel("bottom", "true value")
            item.setLabel("left", "predicted")
            self.scatter.setData(results.true_values, results.predicted_values)
            low = float(min(results.true_values.min(), results.predicted_values.min()))
            high = float(max(results.true_values.max(), results.predicted_values.max()))
            self.diagonal.setData([low, high], [low, high])
            self.plot.show()
            self.worst.hide()

    def _show_confusion(self, results: RunResults) -> None:
        matrix = results.confusion
        item = self.plot.getPlotItem()
        item.invertY(True)
        item.setAspectLocked(True)
        item.setLabel("bottom", "predicted class")
        item.setLabel("left", "true class")
        rows = matrix.sum(axis=1, keepdims=True)
        share = matrix / np.maximum(rows, 1)
        self.image.setImage(share.T, levels=(0.0, 1.0), lut=VIRIDIS)
        count = len(matrix)
        ticks = [[(i + 0.5, name) for i, name in enumerate(results.class_names)]]
        item.getAxis("bottom").setTicks(ticks)
        item.getAxis("left").setTicks(ticks)
        if count <= 12:
            self.counts.set_matrix(matrix, share)
        item.setRange(xRange=(0, count), yRange=(0, count), padding=0.02)
        self.plot.show()
        self.worst.setRowCount(len(results.worst))
        for row, values in enumerate(results.worst):
            index, truth, predicted, p_true = values
            for column, text in enumerate((str(index), truth, predicted, f"{p_true:.3f}")):
                self.worst.setItem(row, column, QTableWidgetItem(text))
        self.worst.setVisible(bool(results.worst))
