"""The `seqstudio` command: subcommands go to builder's command line without importing Qt."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from builder.cli import SUBCOMMANDS, main as cli_main

    if argv and (argv[0] in SUBCOMMANDS or argv[0].startswith("-")):
        return cli_main(argv)
    # The studio window arrives with the studio issue; until then the main job is the demo.
    return cli_main(["demo", *argv])


if __name__ == "__main__":
    sys.exit(main())
