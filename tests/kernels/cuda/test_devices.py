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


def test_a_driver_without_a_usable_gpu_gives_cpu_only(monkeypatch):
    cuda = pytest.importorskip("numba.cuda")
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM")
    monkeypatch.setattr(devices, "_nvidia_driver_installed", lambda: True)
    monkeypatch.setattr(cuda, "is_available", lambda: False)
    assert devices.available_devices() == ["cpu"] and not devices.gpu_present()


def test_without_a_driver_numba_cuda_is_not_even_imported(monkeypatch):
    """Its import holds the GIL for about 45 ms: a CPU-only machine never pays for it."""
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM")
    monkeypatch.setattr(devices, "_nvidia_driver_installed", lambda: False)
    monkeypatch.setattr(devices, "_cuda_module", lambda: pytest.fail("numba.cuda was imported"))
    assert devices.available_devices() == ["cpu"] and not devices.gpu_present()
    assert devices.resolve_device("auto") == "cpu"
