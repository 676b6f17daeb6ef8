"""Live training curves (pyqtgraph): `lossPlot` and `metricsPlot`.

Drawing costs the GUI thread time while a worker thread trains, so it is kept small: reports
only fill buffers, and a QTimer hands the series that changed to their curves (views of
preallocated buffers, `skipFiniteCheck`, peak downsampling and clipping to the view, no
antialiasing), one plot per tick in turns: each plot is redrawn 10 times a second, and the
GUI thread never paints both in one go (10-25 ms each on a slow machine). The value axes move
in steps rather than following every point: re-laying out an axis's labels was most of a
redraw's cost. Curves are created once and reused by the next run with the same series; a
finished run's curves stay behind as faint copies.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QLabel, QVBoxLayout, QWidget

from .. import theme

REDRAW_MS = 50  # one plot per tick: each plot is redrawn every 2 * REDRAW_MS
SMOOTHING = 0.9  # exponential moving average of the per-batch loss
EARLIER_RUNS_KEPT = 3
RANGE_MARGIN = 0.25  # room left above and below the values when the value axis moves
MIN_SPAN = 0.1  # the least span of the value axis, relative to the values' size: a first
# point alone otherwise got an axis of +-0.05% labelled 2.3011, 2.3012, ... (too wide to show)
RANGE_SHRINK = 0.4  # the axis closes in once the values use less than this share of it
COLORS = ("#2f6feb", "#d35400", "#16a085", "#8e44ad", "#c0392b", "#7f8c8d")


class Series:
    """A growing (x, y) buffer: doubles its capacity when full, hands out views, and keeps
    the range of its finite values."""

    def __init__(self, capacity: int = 1024):
        self.x = np.empty(capacity, dtype=np.float64)
        self.y = np.empty(capacity, dtype=np.float64)
        self.size = 0
        self.all_finite = True
        self.low = self.high = None

    def append(self, x: float, y: float) -> None:
        if self.size == len(self.x):
            self.x = np.concatenate([self.x, np.empty_like(self.x)])
            self.y = np.concatenate([self.y, np.empty_like(self.y)])
        self.x[self.size] = x
        self.y[self.size] = y
        self.size += 1
        if not np.isfinite(y):
            self.all_finite = False
        elif self.low is None:
            self.low = self.high = y
        else:
            self.low, self.high = min(self.low, y), max(self.high, y)

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.size], self.y[: self.size]

    def finite_data(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.data()
        if self.all_finite:
            return x, y
        finite = np.isfinite(y)
        return x[finite], y[finite]


def stepped_range(current: tuple[float, float] | None, low: float, high: float) -> tuple[float, float] | None:
    """The value axis's new range for values in [low, high], or None when `current` still
    suits them (they fit in it and use a fair share of it)."""
    if current is not None:
        bottom, top = current
        if bottom <= low and high <= top and (high - low) >= RANGE_SHRINK * (top - bottom):
            return None
    span = max(high - low, max(abs(low), abs(high)) * MIN_SPAN, 1e-6)
    return low - RANGE_MARGIN * span, high + RANGE_MARGIN * span


def _plot(name: str, left: str, parent: QWidget, legend_offset: tuple[int, int]) -> pg.PlotWidget:
    colors = theme.current()
    plot = pg.PlotWidget(parent, background=colors.base)
    plot.setObjectName(name)
    plot.setAntialiasing(False)
    item = plot.getPlotItem()
    for axis in ("left", "bottom"):
        item.getAxis(axis).enableAutoSIPrefix(False)
        # the axes repaint from a pixmap unless their range or labels changed
        item.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    item.showGrid(x=True, y=True, alpha=0.15)
    item.setClipToView(True)
    item.setDownsampling(auto=True, mode="peak")
    item.enableAutoRange(x=False, y=False)
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


class CurvesPanel(QWidget):
    """The two plots and a readout of the value under the cursor; `drawing` just before a
    redraw hands new data to the curves (the training thread then gives way)."""

    drawing = Signal()

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
        self._layout: list[tuple] = []  # (plot, key, label, pen, symbol) of the curves above
        self._plot_of: dict[str, pg.PlotWidget] = {}  # each curve's plot, by key
        self.earlier: list[list[tuple]] = []  # per run: (plot, faint copy, low, high)
        self._earlier_bounds: dict[pg.PlotWidget, list[tuple[float, float]]] = {}
        self._ranges: dict[pg.PlotWidget, tuple[float, float] | None] = {}
        self._smoothed: float | None = None
        self._dirty: set[str] = set()
        self._turn = 0  # which plot the timer redraws next
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._redraw_next_plot)
        for plot in (self.loss_plot, self.metrics_plot):
            plot.scene().sigMouseMoved.connect(lambda pos, plot=plot: self._show_value(plot, pos))

    # -- a run's curves ---------------------------------------------------------------------------
    def prepare(self, metrics: list[str], validation: bool) -> None:
        """Create the curves a run with these metrics will draw, unless they exist already
        (the Train area does it when built, so a first run only has to clear them)."""
        layout = [(self.loss_plot, "batch", "loss per batch", _pen(COLORS[0], 1.0, 70), None),
                  (self.loss_plot, "batch_smooth", "loss per batch (smoothed)", _pen(COLORS[0], 2.0), None),
                  (self.loss_plot, "loss", "loss per epoch", _pen(COLORS[1], 2.0), "o")]
        if validation:
            layout.append((self.loss_plot, "val_loss", "validation loss", _pen(COLORS[2], 2.0, dashed=True), "s"))
        for i, name in enumerate(metrics):
            train_color, val_color = COLORS[(2 * i + 1) % len(COLORS)], COLORS[(2 * i + 2) % len(COLORS)]
            layout.append((self.metrics_plot, name, name, _pen(train_color, 2.0), "o"))
            if validation:
                layout.append((self.metrics_plot, "val_" + name, "validation " + name,
                               _pen(val_color, 2.0, dashed=True), "s"))
        if [entry[:3] for entry in layout] != [entry[:3] for entry in self._layout]:
            self._replace_curves(layout)

    def begin_run(self, metrics: list[str], validation: bool, epochs: int) -> None:
        """Fade the previous run's curves and clear (or, for other series, create) this
        run's; the epoch axis spans the whole run from the start."""
        self._fade_previous()
        for plot in (self.loss_plot, self.metrics_plot):
            plot.getPlotItem().setXRange(-0.02 * max(epochs, 1), 1.04 * max(epochs, 1), padding=0)
            self._ranges[plot] = None
        self.prepare(metrics, validation)
        for curve in self.curves.values():
            if curve.xData is not None and len(curve.xData):
                curve.setData([], [])
        self.series = {key: Series() for key in self.curves}
        self._smoothed = None
        self._dirty = set()
        self.timer.start()

    def _replace_curves(self, layout: list[tuple]) -> None:
        for plot in (self.loss_plot, self.metrics_plot):
            item = plot.getPlotItem()
            for key, curve in self.curves.items():
                if self._plot_of[key] is plot:
                    item.legend.removeItem(curve)
                    item.removeItem(curve)
        self.curves = {}
        for plot, key, label, pen, symbol in layout:
            self.curves[key] = plot.getPlotItem().plot(
                [], [], pen=pen, name=label, symbol=symbol, symbolSize=5, symbolPen=pen if symbol else None,
                symbolBrush=pen.color() if symbol else None, antialias=False, skipFiniteCheck=True)
        self._layout = layout
        self._plot_of = {key: plot for plot, key, *_ in layout}

    def _fade_previous(self) -> None:
        """Faint copies of the last run's curves (not the raw batch losses, which would only
        clutter a comparison), without symbols or legend entries."""
        if not self.series:
            return
        faded = []
        for key, series in self.series.items():
            if key == "batch" or series.low is None:
                continue
            curve = self.curves[key]
            plot = self._plot_of[key]
            color = QColor(curve.opts["pen"].color())
            x, y = series.finite_data()
            copy = pg.PlotCurveItem(x.copy(), y.copy(), pen=_pen(color.name(), 1.5, 45), antialias=False,
                                    skipFiniteCheck=True)
            copy.setZValue(-1)
            plot.getPlotItem().vb.addItem(copy, ignoreBounds=True)
            faded.append((plot, copy, series.low, series.high))
        self.series = {}
        self.earlier.append(faded)
        while len(self.earlier) > EARLIER_RUNS_KEPT:
            for plot, copy, _, _ in self.earlier.pop(0):
                plot.getPlotItem().vb.removeItem(copy)
        self._earlier_bounds = {}
        for run in self.earlier:
            for plot, _, low, high in run:
                self._earlier_bounds.setdefault(plot, []).append((low, high))

    # -- data ----------------------------------------------------------------------------------
    def add_batches(self, points: list[tuple[float, float]]) -> None:
        if "batch" not in self.series:
            return
        for x, y in points:
            self.series["batch"].append(x, y)
            if np.isfinite(y):
                self._smoothed = y if self._smoothed is None else SMOOTHING * self._smoothed + (1 - SMOOTHING) * y
                self.series["batch_smooth"].append(x, self._smoothed)
        if points:
            self._dirty.update(("batch", "batch_smooth"))

    def add_epoch(self, epoch: int, logs: dict) -> None:
        for key, value in logs.items():
            if key in self.series and key not in ("batch", "batch_smooth"):
                self.series[key].append(epoch + 1, value)
                self._dirty.add(key)

    def point_count(self, key: str) -> int:
        return self.series[key].size if key in self.series else 0

    def end_run(self) -> None:
        self.redraw()
        self.timer.stop()

    def _redraw_next_plot(self) -> None:
        plots = (self.loss_plot, self.metrics_plot)
        self._turn = (self._turn + 1) % len(plots)
        self.redraw(plots[self._turn])

    def redraw(self, plot: pg.PlotWidget | None = None) -> None:
        """Hand the changed series (of `plot`, or of both plots) to their curves, then move a
        value axis if they left it."""
        plots = (self.loss_plot, self.metrics_plot) if plot is None else (plot,)
        keys = {key for key in self._dirty if self._plot_of[key] in plots}
        if not keys:
            return
        self.drawing.emit()
        for key in keys:
            self.curves[key].setData(*self.series[key].finite_data(), skipFiniteCheck=True)
        self._dirty -= keys
        for plot in plots:
            bounds = [(s.low, s.high) for key, s in self.series.items()
                      if s.low is not None and self._plot_of[key] is plot]
            bounds += self._earlier_bounds.get(plot, [])
            if not bounds:
                continue
            low, high = min(b[0] for b in bounds), max(b[1] for b in bounds)
            new = stepped_range(self._ranges.get(plot), low, high)
            if new is not None:
                self._ranges[plot] = new
                plot.getPlotItem().setYRange(*new, padding=0)

    # -- cursor readout --------------------------------------------------------------------------
    def _show_value(self, plot: pg.PlotWidget, pos) -> None:
        item = plot.getPlotItem()
        if not item.sceneBoundingRect().contains(pos):
            return
        point = item.vb.mapSceneToView(pos)
        parts = [f"epoch {point.x():.2f}"]
        for key, curve in self.curves.items():
            if self._plot_of[key] is not plot or key == "batch":
                continue
            x, y = self.series[key].data()
            if len(x):
                i = int(np.clip(np.searchsorted(x, point.x()), 0, len(x) - 1))
                parts.append(f"{curve.name()} {y[i]:.4g}")
        self.readout.setText(" · ".join(parts))
