"""The PyTorch export's training runs unchanged under torchrun: two CPU processes on gloo, with
DistributedDataParallel, a DistributedSampler, and files written by rank 0 only."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from builder import Sequential, layers, set_random_seed
from builder.export import write_export
from builder.project import CompileSettings, DataSettings, Project
from reference import torch_or_skip


def test_the_script_trains_on_two_processes(tmp_path):
    torch = torch_or_skip()
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not installed beside this Python")
    rng = np.random.default_rng(0)
    rows = [",".join([*(f"{v:.4f}" for v in rng.normal(size=4)), ["cat", "dog", "eel"][i % 3]]) for i in range(48)]
    (tmp_path / "animals.csv").write_text("a,b,c,d,kind\n" + "\n".join(rows) + "\n")
    set_random_seed(0)
    model = Sequential([layers.Dense(6, activation="relu", input_shape=(4,)), layers.Dropout(0.2),
                        layers.Dense(3, activation="softmax")], name="animals")
    settings = CompileSettings(optimizer={"class_name": "RMSprop", "config": {}}, loss="categorical_crossentropy",
                               metrics=["accuracy"], epochs=2, batch_size=8, seed=1)
    data = DataSettings(path=str(tmp_path / "animals.csv"), target="kind", validation_split=0.25, standardize=True)
    script = write_export(Project(model=model, compile=settings, data=data), "pytorch", tmp_path / "animals.py",
                          weights=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([str(torchrun), "--standalone", "--nproc_per_node=2", str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("epoch 2/2 - loss:") == 1, done.stdout  # rank 0 alone reports
    assert done.stdout.count("parameters") == 1 and "val_accuracy" in done.stdout
    trained = torch.load(tmp_path / "animals.pt")
    exported = np.load(tmp_path / "animals.npz")
    assert set(trained) == set(exported.files)
    assert not np.allclose(trained["dense_1.weight"].numpy(), exported["dense_1.weight"])
