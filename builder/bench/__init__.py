"""Benchmarks run by `seqstudio bench`: SeqStudio side by side with the reference in one run.

Sections: `mlp` (the seed's two MLPs), `seed` (its convnets and LSTMs), `memory` (peak memory
of the VGG-like training per framework), `studio` (the window's figures, measured by
`python -m ui.bench` in a subprocess so that builder never imports Qt), `stalls` (the longest
the GUI thread stalls while the studio trains, `python -m ui.bench_training`), `soak` (memory,
threads and timers over many cycles of editing and training). `--device cuda` runs
SeqStudio's side of `mlp` and `seed` on the GPU (PyTorch stays on the CPU, the reference).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from ..errors import ConfigError

SECTIONS = ("mlp", "seed", "memory", "studio", "stalls", "soak")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--epochs", type=int, default=30, metavar="N", help="epochs of the MLP section")
    parser.add_argument("--repeats", type=int, default=3, metavar="N", help="repetitions of the mlp and seed sections, alternating SeqStudio and PyTorch "
                             "(the best of each kept)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where SeqStudio trains in the mlp and seed sections (cuda needs a GPU)")


def check_device(device: str) -> None:
    """A benchmark on "cuda" needs a real GPU: Numba's simulator would time Python."""
    from ..devices import gpu_present

    if device == "cuda" and not gpu_present():
        raise ConfigError("bench --device cuda: no CUDA GPU found (install the 'cuda' extra and an NVIDIA driver; "
                          "Numba's CUDA simulator is not timed)")


def run(args, print_fn=print) -> None:
    sections = args.only or SECTIONS
    device = getattr(args, "device", "cpu")
    check_device(device)
    if "mlp" in sections:
        from .mlp import run as run_mlp

        print_fn(f"== the seed's MLPs (1,000 x 20, batch 128), SeqStudio on {device} ==")
        run_mlp(epochs=args.epochs, repeats=args.repeats, print_fn=print_fn, device=device)
    if "seed" in sections:
        from .seed_models import run as run_seed

        print_fn(f"\n== the seed's convnets and LSTMs, SeqStudio on {device} ==")
        run_seed(repeats=args.repeats, print_fn=print_fn, device=device)
    if "memory" in sections:
        from .seed_models import run_memory

        print_fn("\n== memory ==")
        run_memory(print_fn=print_fn)
    if "studio" in sections:
        print_fn("\n== the studio ==")
        _run_studio_bench(["ui.bench"], print_fn)
    if "stalls" in sections:
        print_fn("\n== GUI stalls while the studio trains (3 runs of the default, 10 ms timer) ==")
        _run_studio_bench(["ui.bench_training", "--runs", "3"], print_fn)
    if "soak" in sections:
        from .soak import run as run_soak

        print_fn("\n== soak: the studio edits and trains for many cycles ==")
        run_soak(print_fn=print_fn)


def _run_studio_bench(module_and_arguments: list[str], print_fn) -> None:
    """A studio benchmark in its own process (builder never imports Qt); its figures, or why
    it could not run. A missed target (exit status 1) still prints its figures."""
    result = subprocess.run([sys.executable, "-m", *module_and_arguments], capture_output=True, text=True)
    if result.returncode in (0, 1) and result.stdout.strip():
        print_fn(result.stdout.rstrip())
    else:
        print_fn(f"not available: {result.stderr.strip()[-300:]}")
