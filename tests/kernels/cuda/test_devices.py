"""Device discovery: CUDA is listed under the simulator, and an absent numba-cuda means CPU."""

import importlib

import pytest

from builder import devices


def test_simulator_lists_cuda():
    pytest.importorskip("numba.cuda")
    assert devices.available_devices() == ["cpu", "cuda"]


def test_absent_numba_cuda_gives_cpu_only(monkeypatch):
    real_import = importlib.import_module

    def no_cuda(name, *args):
        if name == "numba.cuda":
            raise ImportError("No module named 'numba.cuda'")
        return real_import(name, *args)

    monkeypatch.setattr(devices.importlib, "import_module", no_cuda)
    assert devices.available_devices() == ["cpu"]


def test_no_gpu_without_simulator_gives_cpu_only(monkeypatch):
    cuda = pytest.importorskip("numba.cuda")
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM")
    monkeypatch.setattr(cuda, "is_available", lambda: False)
    assert devices.available_devices() == ["cpu"]
