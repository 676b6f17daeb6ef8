"""The `seqstudio` command: subcommands go to builder's command line without importing Qt;
no arguments (or a project path) open the studio window."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from builder.cli import SUBCOMMANDS, main as cli_main

    if argv and (argv[0] in SUBCOMMANDS or argv[0].startswith("-")):
        return cli_main(argv)
    if len(argv) > 1:
        print("usage: seqstudio [PROJECT.json] | seqstudio COMMAND ... (see seqstudio --help)", file=sys.stderr)
        return 2
    from .platform_check import startup_problem

    problem = startup_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    return run_studio(argv[0] if argv else None)


def run_studio(project_path: str | None = None) -> int:
    """Open the window (on `project_path`, or on the default template) and run Qt's loop."""
    from PySide6.QtWidgets import QApplication

    from . import guard
    from .icons import app_icon
    from .main_window import MainWindow
    from .settings import APPLICATION, ORGANIZATION

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("SeqStudio")
    app.setWindowIcon(app_icon())
    guard.install()
    window = MainWindow()
    window.show()
    if project_path is not None:
        window.open_path(project_path)
    window.autosave.offer_recovery()  # after a crash: restore the autosaved changes?
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
