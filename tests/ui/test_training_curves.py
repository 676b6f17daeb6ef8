"""The live curves on their own: the plots take turns at redrawing, and the value axis moves
in steps rather than with every point."""

from __future__ import annotations

import pyqtgraph as pg
import pytest

from ui.training.curves import CurvesPanel, stepped_range


@pytest.fixture
def curves(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.begin_run(["accuracy"], validation=True, epochs=5)
    yield panel
    panel.end_run()


def drawn(panel: CurvesPanel, key: str) -> int:
    x, _ = panel.curves[key].getData()
    return 0 if x is None else len(x)


def test_each_tick_of_the_timer_redraws_one_plot_the_next_the_other(curves):
    curves.add_batches([(0.5, 1.2), (1.0, 0.9)])
    curves.add_epoch(0, {"loss": 1.0, "val_loss": 1.1, "accuracy": 0.5, "val_accuracy": 0.4})
    curves.timer.timeout.emit()
    first = {key: drawn(curves, key) for key in ("batch", "loss", "accuracy", "val_accuracy")}
    curves.timer.timeout.emit()
    second = {key: drawn(curves, key) for key in first}

    loss_first = first["loss"] > 0
    assert first == ({"batch": 2, "loss": 1, "accuracy": 0, "val_accuracy": 0} if loss_first
                     else {"batch": 0, "loss": 0, "accuracy": 1, "val_accuracy": 1})
    assert second == {"batch": 2, "loss": 1, "accuracy": 1, "val_accuracy": 1}


def test_the_end_of_a_run_draws_both_plots_at_once(curves):
    curves.add_batches([(1.0, 0.9)])
    curves.add_epoch(0, {"loss": 1.0, "val_loss": 1.1, "accuracy": 0.5, "val_accuracy": 0.4})
    curves.end_run()
    assert [drawn(curves, key) for key in ("batch", "loss", "val_loss", "accuracy", "val_accuracy")] == [1] * 5


def test_the_value_axis_moves_only_when_the_values_leave_it_or_shrink_well_inside():
    axis = stepped_range(None, 1.0, 2.0)
    assert axis == pytest.approx((0.75, 2.25))
    assert stepped_range(axis, 1.2, 2.0) is None  # still fits, still uses most of it
    assert stepped_range(axis, 1.0, 2.5) is not None  # left it
    assert stepped_range(axis, 1.0, 1.2) == pytest.approx((0.95, 1.25))  # uses under 40% of it


def test_a_single_value_gets_an_axis_a_tenth_of_its_size_wide():
    assert stepped_range(None, 2.3, 2.3) == pytest.approx((2.3 - 0.0575, 2.3 + 0.0575))
    assert stepped_range(None, 0.0, 0.0) == pytest.approx((-2.5e-7, 2.5e-7))


def test_the_cursor_readout_names_the_values_of_the_plot_under_it(curves, qtbot):
    curves.resize(400, 500)
    curves.show()
    qtbot.waitExposed(curves)
    curves.add_batches([(1.0, 0.9)])
    curves.add_epoch(0, {"loss": 1.25, "val_loss": 1.5, "accuracy": 0.5, "val_accuracy": 0.375})
    curves.end_run()
    for plot, value, expected, absent in ((curves.loss_plot, 1.2, "loss per epoch 1.25", "accuracy"),
                                          (curves.metrics_plot, 0.45, "validation accuracy 0.375", "loss")):
        view = plot.getPlotItem().vb
        plot.scene().sigMouseMoved.emit(view.mapViewToScene(pg.Point(1.0, value)))
        text = curves.readout.text()
        assert text.startswith("epoch 1.00") and expected in text and absent not in text
