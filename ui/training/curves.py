"""Live training curves (pyqtgraph): `lossPlot` and `metricsPlot`.

Each curve is created once per run and fed by `setData` from preallocated buffers on a
QTimer, never per report; a run's curves stay, faint, when the next run starts.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .. import theme

REDRAW_MS = 100
SMOOTHING = 0.9  # exponential moving average of the per-batch loss
EARLIER_RUNS_KEPT = 3
COLORS = ("#2f6feb", "#d35400", "#16a085", "#8e44ad", "#c0392b", "#7f8c8d")


class Series:
    """A growing (x, y) buffer: doubles its capacity when full, hands out views."""

    def __init__(self, capacity: int = 1024):
        self.x = np.empty(capacity, dtype=np.float64)
        self.y = np.empty(capacity, dtype=np.float64)
        self.size = 0

    def append(self, x: float, y: float) -> None:
        if self.size == len(self.x):
            self.x = np.concatenate([self.x, np.empty_like(self.x)])
            self.y = np.concatenate([self.y, np.empty_like(self.y)])
        self.x[self.size] = x
        self.y[self.size] = y
        self.size += 1

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.size], self.y[: self.size]


def _plot(name: str, left: str, parent: QWidget, legend_offset: tuple[int, int]) -> pg.PlotWidget:
    colors = theme.current()
    plot = pg.PlotWidget(parent, background=colors.base)
    plot.setObjectName(name)
    item = plot.getPlotItem()
    for axis in ("left", "bottom"):
        item.getAxis(axis).enableAutoSIPrefix(False)
    item.showGrid(x=True, y=True, alpha=0.15)
    item.setClipToView(True)
    item.setDownsampling(auto=True, mode="peak")
    item.addLegend(offset=legend_offset, labelTextColor=colors.text, brush=pg.mkBrush(colors.base + "b0"),
                   pen=pg.mkPen(colors.border))
    for axis, label in (("left", left), ("bottom", "epoch")):
        item.getAxis(axis).setTextPen(colors.text)
        item.getAxis(axis).setPen(colors.border)
        item.setLabel(axis, label, color=colors.text)
    plot.setMinimumHeight(150)
    return plot


def _pen(color: str, width: float = 2.0, alpha: int = 255, dashed: bool = False):
    qcolor = QColor(color)
    qcolor.setAlpha(alpha)
    pen = pg.mkPen(qcolor, width=width)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


def _remove(curve: pg.PlotDataItem) -> None:
    if curve.getViewBox() is not None:
        curve.getViewBox().removeItem(curve)


class CurvesPanel(QWidget):
    """The two plots and a readout of the value under the cursor."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # losses fall and metrics mostly rise: each legend sits where its curves are not
        self.loss_plot = _plot("lossPlot", "loss", self, (-10, 10))
        self.metrics_plot = _plot("metricsPlot", "metric", self, (-10, -10))
        self.readout = QLabel(" ", self)
        self.readout.setObjectName("curveReadout")
        theme.style(self.readout, "hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.metrics_plot, 2)
        layout.addWidget(self.readout)
        self.series: dict[str, Series] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.earlier: list[list[pg.PlotDataItem]] = []
        self._smoothed: float | None = None
        self._dirty = False
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        for plot in (self.loss_plot, self.metrics_plot):
            plot.scene().sigMouseMoved.connect(lambda pos, plot=plot: self._show_value(plot, pos))

    # -- a run's curves ---------------------------------------------------------------------------
    def begin_run(self, metrics: list[str], validation: bool, epochs: int) -> None:
        """Fade the previous run's curves and create this run's, once; the epoch axis spans
        the whole run from the start, the value axes follow the data."""
        self._fade_previous()
        for plot in (self.loss_plot, self.metrics_plot):
            plot.getPlotItem().enableAutoRange(x=False, y=True)
            plot.getPlotItem().setXRange(-0.02 * max(epochs, 1), 1.04 * max(epochs, 1), padding=0)
        self.series.clear()
        self.curves = {}
        self._smoothed = None
        loss = self.loss_plot.getPlotItem()
        self._add(loss, "batch", "loss per batch", _pen(COLORS[0], 1.0, 70))
        self._add(loss, "batch_smooth", "loss per batch (smoothed)", _pen(COLORS[0], 2.0))
        self._add(loss, "loss", "loss per epoch", _pen(COLORS[1], 2.0), symbol="o")
        if validation:
            self._add(loss, "val_loss", "validation loss", _pen(COLORS[2], 2.0, dashed=True), symbol="s")
        item = self.metrics_plot.getPlotItem()
        for i, name in enumerate(metrics):
            train_color, val_color = COLORS[(2 * i + 1) % len(COLORS)], COLORS[(2 * i + 2) % len(COLORS)]
            self._add(item, name, name, _pen(train_color, 2.0), symbol="o")
            if validation:
                self._add(item, "val_" + name, "validation " + name, _pen(val_color, 2.0, dashed=True), symbol="s")
        self.timer.start()

    def _add(self, item, key: str, label: str, pen, symbol: str | None = None) -> None:
        curve = item.plot([], [], pen=pen, name=label, symbol=symbol, symbolSize=5,
                          symbolPen=pen if symbol else None, symbolBrush=pen.color() if symbol else None)
        self.series[key] = Series()
        self.curves[key] = curve

    def _fade_previous(self) -> None:
        if not self.curves:
            return
        for plot in (self.loss_plot, self.metrics_plot):
            legend = plot.getPlotItem().legend
            for curve in self.curves.values():
                legend.removeItem(curve)
        faded = []
        for key, curve in self.curves.items():
            if key == "batch":  # the raw batch losses would only clutter a comparison
                _remove(curve)
                continue
            pen = curve.opts["pen"]
            color = QColor(pen.color())
            color.setAlpha(45)
            curve.setPen(_pen(color.name(), 1.5, 45))
            curve.setSymbol(None)
            faded.append(curve)
        self.earlier.append(faded)
        while len(self.earlier) > EARLIER_RUNS_KEPT:
            for curve in self.earlier.pop(0):
                _remove(curve)

    # -- data ----------------------------------------------------------------------------------
    def add_batches(self, points: list[tuple[float, float]]) -> None:
        if "batch" not in self.series:
            return
        for x, y in points:
            self.series["batch"].append(x, y)
            if np.isfinite(y):
                self._smoothed = y if self._smoothed is None else SMOOTHING * self._smoothed + (1 - SMOOTHING) * y
                self.series["batch_smooth"].append(x, self._smoothed)
        self._dirty = True

    def add_epoch(self, epoch: int, logs: dict) -> None:
        for key, value in logs.items():
            if key in self.series and key not in ("batch", "batch_smooth"):
                self.series[key].append(epoch + 1, value)
        self._dirty = True

    def point_count(self, key: str) -> int:
        return self.series[key].size if key in self.series else 0

    def end_run(self) -> None:
        self.redraw()
        self.timer.stop()

    def redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        for key, series in self.series.items():
            x, y = series.data()
            finite = np.isfinite(y)
            self.curves[key].setData(x[finite], y[finite])

    # -- cursor readout --------------------------------------------------------------------------
    def _show_value(self, plot: pg.PlotWidget, pos) -> None:
        item = plot.getPlotItem()
        if not item.sceneBoundingRect().contains(pos):
            return
        point = item.vb.mapSceneToView(pos)
        parts = [f"epoch {point.x():.2f}"]
        for key, curve in self.curves.items():
            if curve.getViewBox() is not item.vb or key == "batch":
                continue
            x, y = self.series[key].data()
            if len(x):
                i = int(np.clip(np.searchsorted(x, point.x()), 0, len(x) - 1))
                parts.append(f"{curve.name()} {y[i]:.4g}")
        self.readout.setText(" · ".join(parts))
