"""The command line without Qt: `seqstudio bench`, `seqstudio demo`, ...

Every `SeqStudioError` becomes `error: <message>` on stderr with exit status 2; a user never
sees a traceback for something they did.
"""

from __future__ import annotations

import argparse
import sys

from .errors import SeqStudioError

SUBCOMMANDS = ("demo", "bench")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seqstudio", description="Design and train Sequential neural networks.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train the default model on the bundled digits and print its accuracy")
    demo.add_argument("--epochs", type=int, default=30)
    bench = sub.add_parser("bench", help="training speed of the seed's MLPs, side by side with PyTorch")
    bench.add_argument("--epochs", type=int, default=30)
    bench.add_argument("--repeats", type=int, default=3)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from .demo import run_demo

            run_demo(epochs=args.epochs)
        elif args.command == "bench":
            from .bench.mlp import run

            run(epochs=args.epochs, repeats=args.repeats)
    except SeqStudioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
