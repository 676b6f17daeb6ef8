"""Benchmarks run by `seqstudio bench`: SeqStudio side by side with the reference in one run.

Sections: `mlp` (the seed's two MLPs), `seed` (its convnets and LSTMs), `memory` (peak memory
of the VGG-like training per framework), `studio` (the window's figures, measured by
`python -m ui.bench` in a subprocess so that builder never imports Qt).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

SECTIONS = ("mlp", "seed", "memory", "studio")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--epochs", type=int, default=30, metavar="N", help="epochs of the MLP section")
    parser.add_argument("--repeats", type=int, default=3, metavar="N", help="repetitions of the MLP section (best kept)")


def run(args, print_fn=print) -> None:
    sections = args.only or SECTIONS
    if "mlp" in sections:
        from .mlp import run as run_mlp

        print_fn("== the seed's MLPs (1,000 x 20, batch 128) ==")
        run_mlp(epochs=args.epochs, repeats=args.repeats, print_fn=print_fn)
    if "seed" in sections:
        from .seed_models import run as run_seed

        print_fn("\n== the seed's convnets and LSTMs ==")
        run_seed(print_fn=print_fn)
    if "memory" in sections:
        from .seed_models import run_memory

        print_fn("\n== memory ==")
        run_memory(print_fn=print_fn)
    if "studio" in sections:
        print_fn("\n== the studio ==")
        result = subprocess.run([sys.executable, "-m", "ui.bench"], capture_output=True, text=True)
        print_fn(result.stdout.rstrip() if result.returncode == 0 else f"not available: {result.stderr.strip()[-300:]}")
