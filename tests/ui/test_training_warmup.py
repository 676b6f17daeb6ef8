"""First runs compile kernels in a child process (builder.warmup), never in the studio's
threads: the spec and its stamp, the worker waiting for the child, Stop while it compiles."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from training_helpers import run_and_wait, set_compile, trainer  # noqa: F401

from builder import warmup
from builder.project import new_project
from builder.project.data import model_arrays
from builder.sequential import Sequential
from ui.training import worker as worker_module


def _digits_fit():
    project = new_project()
    train, _ = project.load_data()
    model = project.compiled_model()
    x, y = model_arrays(train, model)
    return project, model, x, y


def test_a_warmed_spec_leaves_a_stamp_keyed_by_what_compiles(tmp_path, monkeypatch):
    monkeypatch.setattr(warmup, "_stamp_folder", lambda: tmp_path)
    project, model, x, y = _digits_fit()
    spec = tmp_path / "spec"
    spec.mkdir()
    key = warmup.write_spec(spec, model, project.compile, x, y, batch_size=32, validation=True)
    assert not warmup.is_warm(key)
    assert warmup.warm_spec(spec) == key
    assert warmup.is_warm(key)
    model.layers[0].name = "renamed"  # names compile nothing
    assert warmup.write_spec(spec, model, project.compile, x, y, batch_size=32, validation=True) == key
    config = model.get_config()
    config["layers"][-1]["config"]["activation"] = "sigmoid"
    other = Sequential.from_config(config)
    assert warmup.write_spec(spec, other, project.compile, x, y, batch_size=32, validation=True) != key
    mse = dataclasses.replace(project.compile, loss="mean_squared_error")
    assert warmup.write_spec(spec, model, mse, x, y, batch_size=32, validation=True) != key


def test_a_spec_that_cannot_be_read_fails_with_a_message(tmp_path, capsys):
    (tmp_path / warmup.SPEC_FILE).write_text('{"project": {"format": 1}}', encoding="utf-8")
    assert warmup.main([str(tmp_path)]) == 1
    assert "warmup:" in capsys.readouterr().err


def _record_children(monkeypatch, command=None):
    """Popen calls made by the worker, started for real (or `command` instead)."""
    started = []
    real_popen = subprocess.Popen

    def popen(args, **kwargs):
        process = real_popen(command or args, **kwargs)
        started.append((args, process))
        return process

    monkeypatch.setattr(worker_module.subprocess, "Popen", popen)
    monkeypatch.setattr(warmup, "is_warm", lambda key: False)
    return started


def test_uncached_kernels_compile_in_a_child_process_the_run_waits_for(window, trainer, qtbot, monkeypatch):
    started = _record_children(monkeypatch)
    set_compile(window, epochs=1)
    statuses = []
    with qtbot.waitSignal(trainer.runFinished, timeout=120_000) as blocker:
        trainer.train_button.click()
        trainer.run.worker.status.connect(statuses.append)  # the thread starts once the GUI is idle
    assert blocker.args[0].kind == "finished"
    (args, process), = started
    assert args[:3] == [sys.executable, "-m", "builder.warmup"]
    assert process.returncode == 0
    compiling = worker_module.COMPILING
    assert compiling in statuses and statuses.index(compiling) < statuses.index("training…")


def test_stop_while_kernels_compile_ends_the_child_and_the_run(window, trainer, qtbot, monkeypatch):
    started = _record_children(monkeypatch, [sys.executable, "-c", "import time; time.sleep(60)"])
    trainer.train_button.click()
    qtbot.waitUntil(lambda: trainer.status.text() == worker_module.COMPILING, timeout=30_000)
    with qtbot.waitSignal(trainer.runFinished, timeout=10_000) as blocker:
        trainer.stop_button.click()
    assert blocker.args[0].kind == "stopped"
    (_, process), = started
    assert process.returncode is not None  # killed, not left behind
    assert not any(layer.built for layer in window.document.model.layers)
