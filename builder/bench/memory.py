"""Peak memory of one VGG-like training epoch, measured in a fresh process per framework.

    python -m builder.bench.memory seqstudio|pytorch   -> prints "<peak MiB> <growth MiB>"

Peak is the process's maximum resident set; growth is that peak minus the resident set just
before training (after imports, data and model), i.e. what training itself needs.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import numpy as np


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    """This process's resident high-water mark. Linux's VmHWM belongs to the address space
    exec made; getrusage's ru_maxrss survives exec and would report the parent's peak when
    `seqstudio bench` has already trained the seed models in it."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(framework: str) -> tuple[float, float]:
    from . import seed_models

    case = seed_models.CASES[0]
    if framework == "seqstudio":
        x, y = case.make_data(np.random.default_rng(0))
        model = case.make_ours("cpu")
        model.build()
        before = _rss_mib()
        model.fit(x, y, batch_size=case.batch, epochs=1, verbose=0)
    else:
        import torch

        module, make_optimizer, loss_fn = case.make_torch(torch)
        optimizer = make_optimizer(module.parameters())
        x_np, y_np = case.make_data(np.random.default_rng(0))
        x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
        before = _rss_mib()
        for start in range(0, len(x), case.batch):
            optimizer.zero_grad()
            loss_fn(module(x[start : start + case.batch]), y[start : start + case.batch]).backward()
            optimizer.step()
    return _peak_mib(), _peak_mib() - before


def in_subprocess(framework: str) -> tuple[float, float] | None:
    result = subprocess.run([sys.executable, "-m", "builder.bench.memory", framework],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return None
    peak, growth = result.stdout.split()
    return float(peak), float(growth)


if __name__ == "__main__":
    peak, growth = measure(sys.argv[1])
    print(f"{peak:.1f} {growth:.1f}")
