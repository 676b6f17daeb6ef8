"""A training run from the studio: curves and progress move, Stop, a NaN loss, an error in
the worker, continuing after an edit."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from training_helpers import run_and_wait, screenshot, set_compile, trainer  # noqa: F401

from builder.layers import Dense
from ui.commands import ReplaceLayer, SetInputShape
from ui.training.commands import StoreTrainedWeights


def curve_length(panel, key: str) -> int:
    x, _ = panel.curves.curves[key].getData()
    return 0 if x is None else len(x)


def test_training_the_default_draws_curves_and_keeps_the_weights(window, trainer, qtbot):
    set_compile(window, epochs=2)
    bar = trainer.progress_bar
    with qtbot.waitSignal(trainer.runFinished, timeout=120_000) as blocker:
        trainer.train_button.click()
        assert not trainer.train_button.isEnabled() and trainer.stop_button.isEnabled()
        qtbot.waitUntil(lambda: trainer.curves.point_count("batch") > 0, timeout=120_000)
        trainer.curves.redraw()
        screenshot(window, "training_during")
    outcome = blocker.args[0]
    assert outcome.kind == "finished", outcome.message
    assert bar.value() == bar.maximum() == 2 * trainer.steps
    assert trainer.curves.point_count("batch") == 2 * trainer.steps
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert curve_length(trainer, key) == 2
    assert curve_length(trainer, "batch_smooth") == 2 * trainer.steps
    assert window.document.undo_stack.undoText() == "Train 2 epochs"
    assert window.document.model.layers[0].built and window.document.model.layers[-1].built
    assert window.document.project.data.mean is not None
    assert "val_accuracy" in trainer.results.summary.text()
    assert trainer.results.shown.confusion.sum() == 360
    trainer.tabs.setCurrentWidget(trainer.results)
    screenshot(window, "training_results")
    trainer.tabs.setCurrentWidget(trainer.curves)
    screenshot(window, "training_after")


def test_undo_forgets_a_runs_weights(window, trainer, qtbot):
    set_compile(window, epochs=1)
    assert run_and_wait(trainer, qtbot).kind == "finished"
    window.document.undo_stack.undo()
    assert not any(layer.built for layer in window.document.model.layers)
    assert window.document.project.data.mean is None


def test_the_undo_history_keeps_a_runs_weights_not_its_model(window):
    """The trained model also holds optimizer slots, gradients and cached batches: an undo
    step per run must not keep them alive."""
    trained = window.document.project.compiled_model()
    expected = [layer.get_weights() for layer in trained.layers]
    assert any(expected)
    window.document.push(StoreTrainedWeights(window.document, trained, None, None, "Train 1 epoch"))
    model_alive = weakref.ref(trained)
    del trained
    gc.collect()
    assert model_alive() is None
    window.document.undo_stack.undo()
    window.document.undo_stack.redo()
    for layer, arrays in zip(window.document.model.layers, expected):
        for got, want in zip(layer.get_weights(), arrays):
            np.testing.assert_array_equal(got, want)


def test_stop_ends_the_run_within_a_batch(window, trainer, qtbot):
    set_compile(window, epochs=500, batch_size=8)
    trainer.train_button.click()
    qtbot.waitUntil(lambda: trainer.progress_bar.value() > 0, timeout=120_000)
    with qtbot.waitSignal(trainer.runFinished, timeout=10_000) as blocker:
        trainer.stop_button.click()
    outcome = blocker.args[0]
    assert outcome.kind == "stopped"
    assert outcome.epochs_done < 500
    assert trainer.train_button.isEnabled() and not trainer.stop_button.isEnabled()


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_a_nan_loss_stops_the_run_and_leaves_the_project(window, trainer, qtbot):
    set_compile(window, epochs=3, optimizer={"class_name": "SGD", "config": {"learning_rate": 1e30}})
    steps_before = window.document.undo_stack.count()
    outcome = run_and_wait(trainer, qtbot)
    assert outcome.kind == "diverged"
    assert "NaN or infinite at epoch 1, batch" in outcome.message
    assert trainer.message.isVisible() and "epoch 1" in trainer.message.text()
    assert window.document.undo_stack.count() == steps_before
    assert not any(layer.built for layer in window.document.model.layers)


def _input_too_small(document):
    document.push(SetInputShape(document, (None, 10)))


def _conv_on_flat_rows(document):
    from builder.layers import Conv2D
    from ui.commands import InsertLayers

    document.push(InsertLayers(document, 0, [Conv2D(4, 3)]))


def _memory_runs_out(document):
    """(object, attribute, replacement) for monkeypatch: fit runs out of memory."""
    from builder.sequential import Sequential

    def fit(*args, **kwargs):
        raise MemoryError

    return Sequential, "fit", fit


@pytest.mark.parametrize("cause, kind, detail", [
    (_input_too_small, "Data error", "64"),
    (_conv_on_flat_rows, "Shape error", "conv2d"),
    (_memory_runs_out, "Out of memory", "smaller batch size"),
])
def test_an_error_in_the_worker_ends_the_run_with_a_message_naming_its_kind(window, trainer, qtbot, monkeypatch,
                                                                           cause, kind, detail):
    patch = cause(window.document)
    if patch is not None:
        monkeypatch.setattr(*patch)
    steps_before = window.document.undo_stack.count()
    outcome = run_and_wait(trainer, qtbot)
    assert outcome.kind == "failed"
    assert outcome.message.startswith(kind + ":") and detail in outcome.message
    assert trainer.message.isVisible() and trainer.message.text() == outcome.message
    assert window.isVisible() and trainer.train_button.isEnabled()
    assert window.document.undo_stack.count() == steps_before
    assert not any(layer.built for layer in window.document.model.layers)


def test_training_again_after_an_edit_keeps_the_layers_that_still_fit(window, trainer, qtbot):
    set_compile(window, epochs=1)
    assert run_and_wait(trainer, qtbot).kind == "finished"
    model = window.document.model
    first = model.layers[0].get_weights()
    last = model.layers[-1]
    config = dict(last.get_config(), units=12)
    window.document.push(ReplaceLayer(window.document, len(model.layers) - 1, Dense.from_config(config), "units"))
    fresh = window.document.project.compiled_model()
    for kept, trained in zip(fresh.layers[0].get_weights(), first):
        np.testing.assert_array_equal(kept, trained)
    window.document.undo_stack.undo()  # back to 10 classes, so the digits fit again
    outcome = run_and_wait(trainer, qtbot)
    assert outcome.kind == "finished"
    assert len(trainer.curves.earlier) == 1  # the first run stays, faint
    assert not np.array_equal(model.layers[0].get_weights()[0], first[0])


def test_a_regression_run_shows_predicted_against_true_values(window, trainer, qtbot, tmp_path, monkeypatch):
    from ui.training import data_panel

    path = tmp_path / "houses.csv"
    path.write_text("rooms,area,price\n" + "".join(f"{i % 5},{i * 1.5},{i * 2.25 + i % 5}\n" for i in range(60)))
    monkeypatch.setattr(data_panel, "ask_data_path", lambda parent: str(path))
    trainer.data_panel.open_button.click()
    qtbot.waitUntil(lambda: "60 samples of shape (2,)" in trainer.data_panel.info.text(), timeout=10_000)
    document = window.document
    document.push(SetInputShape(document, (None, 2)))
    last = document.model.layers[-1]
    document.push(ReplaceLayer(document, len(document.model.layers) - 1,
                               Dense.from_config(dict(last.get_config(), units=1, activation="linear")), "units"))
    set_compile(window, epochs=2, loss="mean_squared_error", metrics=["mae"])
    outcome = run_and_wait(trainer, qtbot)
    assert outcome.kind == "finished", outcome.message
    results = trainer.results.shown
    assert results.confusion is None and results.source == "validation"
    assert len(results.true_values) == len(results.predicted_values) == 12  # the 20% validation rows
    trainer.tabs.setCurrentWidget(trainer.results)
    x, y = trainer.results.scatter.getData()
    np.testing.assert_array_equal(x, results.true_values)
    np.testing.assert_array_equal(y, results.predicted_values)
    assert trainer.results.plot.isVisible() and not trainer.results.worst.isVisible()
    assert "val_mae" in trainer.results.summary.text()
    screenshot(window, "training_regression_results")


def test_a_run_trains_on_the_previewed_data_unless_the_file_changed(window, trainer, qtbot, tmp_path, monkeypatch):
    import builder.data
    from builder.data import load_data

    source = window.document.project.resolve(window.document.project.data.path)
    copied = tmp_path / "digits.csv"
    copied.write_bytes(source.read_bytes())
    window.document.project.data.path = str(copied)
    trainer.data_panel.refresh()
    qtbot.waitUntil(lambda: trainer.data_panel.dataset_for_run() is not None, timeout=20_000)
    set_compile(window, epochs=1)
    reads = []
    monkeypatch.setattr(builder.data, "load_data", lambda *a, **k: reads.append(a[0]) or load_data(*a, **k))

    assert run_and_wait(trainer, qtbot).kind == "finished"
    assert reads == []  # the preview's rows, not a second reading of the file

    copied.write_bytes(source.read_bytes() + b"\n")  # saved again by another program
    assert trainer.data_panel.dataset_for_run() is None
    assert run_and_wait(trainer, qtbot).kind == "finished"
    assert reads == [copied]
