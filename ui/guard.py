"""The exception guard: an exception escaping a slot shows a message instead of killing the
window. Errors the user caused (SeqStudioError) read as plain sentences; anything else comes
with its traceback under "Show Details"."""

from __future__ import annotations

import sys
import traceback

from builder.errors import SeqStudioError

from . import dialogs


def _report(kind, value, tb) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    details = "".join(traceback.format_exception(kind, value, tb))
    print(details, file=sys.stderr)
    if issubclass(kind, SeqStudioError):
        dialogs.show_error(None, "SeqStudio", str(value))
    else:
        dialogs.show_error(None, "SeqStudio: unexpected error",
                           f"Something went wrong: {kind.__name__}: {value}\n\nThe window stays open.", details)


def install() -> None:
    """Route uncaught exceptions (Qt calls sys.excepthook for exceptions in slots) to a dialog."""
    sys.excepthook = _report
