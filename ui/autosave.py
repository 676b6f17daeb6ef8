"""Autosave and recovery: while the project has unsaved edits, a copy goes to a recovery file
every minute or so; a copy that outlives its session (a crash) is offered back at the next start.

Each window writes its own file, `<session>.json` in the recovery folder, held by a QLockFile
(`<session>.lock`) for as long as the window lives: two studios never overwrite each other's
copy, and a copy whose lock has no living owner is one a crash left behind. The file holds the
project in the project-file format (builder's project_to_dict) inside a small envelope that
remembers the project's own path. A clean save, or closing after Save or Discard, removes it.

The folder is SEQSTUDIO_RECOVERY_DIR when set (tests point it at a temporary folder), else
the platform's application data folder plus "/recovery".
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import QLockFile, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from builder.atomic import atomic_write
from builder.errors import ConfigError, SeqStudioError
from builder.project import Project, project_from_dict, project_to_dict

from . import crash_log, dialogs

RECOVERY_DIR_ENV = "SEQSTUDIO_RECOVERY_DIR"
DEFAULT_INTERVAL_S = 60.0
RECOVERY_FORMAT = 1


def recovery_dir() -> Path:
    return crash_log.user_folder(RECOVERY_DIR_ENV, "recovery")


def recovery_text(project: Project) -> str:
    """The recovery file's JSON: the project as a project file writes it, its path (None if
    never saved) and the folder its relative data paths start from."""
    return json.dumps({
        "recovery": RECOVERY_FORMAT,
        "saved_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "path": None if project.path is None else str(Path(project.path).absolute()),
        "base_dir": str(project.base_dir.absolute()),
        "project": project_to_dict(project),
    })


def read_recovery(path: Path) -> tuple[Project, str]:
    """(the project, when it was saved) from a recovery file. The project is unsaved and
    keeps its original path; ConfigError when the file is damaged."""
    try:
        envelope = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"{path}: not a readable recovery file ({err})") from None
    if not isinstance(envelope, dict) or envelope.get("recovery") != RECOVERY_FORMAT:
        raise ConfigError(f"{path}: not a recovery file of this SeqStudio version")
    original, base_dir = envelope.get("path"), envelope.get("base_dir")
    if not isinstance(original, (str, type(None))) or not isinstance(base_dir, str):
        raise ConfigError(f"{path}: path or base_dir: expected text")
    # Relative data paths start from the original project's folder; an unsaved project's
    # start from the folder it was edited in, so they come back absolute.
    project = project_from_dict(envelope.get("project"), base_dir=None if original else base_dir, source=path.name)
    project.path = Path(original) if original else None
    return project, _readable_time(envelope.get("saved_at"))


def _readable_time(stamp) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return "an unknown time"


def _lock(path: Path) -> QLockFile:
    lock = QLockFile(str(path.with_suffix(".lock")))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however old the lock
    return lock


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # offered again at the next start: better than lost


class Autosave(QObject):
    """Keeps `document`'s recovery copy: written `interval_s` after the first edit it does
    not hold yet, removed when the document is saved, replaced or closed."""

    status = Signal(str)  # a status-bar line: a copy that could not be written, a restore

    def __init__(self, document, parent: QWidget, interval_s: float = DEFAULT_INTERVAL_S):
        super().__init__(parent)
        self.document = document
        self.folder = recovery_dir()
        self.path = self.folder / f"{uuid.uuid4().hex}.json"
        self._lock = _lock(self.path)
        self._edits = 0
        self._written = 0
        self._problem = ""
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(interval_s * 1000))
        self.timer.timeout.connect(self.save_now)
        document.undo_stack.indexChanged.connect(self._edited)
        document.modifiedChanged.connect(self._modified_changed)

    def _edited(self, *_) -> None:
        # No look at the undo stack here: it also signals from its destructor. A tick that
        # finds the document clean writes nothing; by then the timer itself may be gone.
        self._edits += 1
        if shiboken6.isValid(self.timer) and not self.timer.isActive():
            self.timer.start()

    def _modified_changed(self, modified: bool) -> None:
        if modified:
            self._edited()
        else:  # saved, undone back to the saved state, or another project
            self.discard()

    def save_now(self) -> bool:
        """Write the copy if the document has edits it does not hold yet; False (and a status
        line, and the crash log once per distinct problem) when it cannot be written."""
        if not self.document.modified or self._written == self._edits:
            return True
        edits = self._edits
        try:
            text = recovery_text(self.document.project)
            if not self._lock.isLocked():
                self.folder.mkdir(parents=True, exist_ok=True)
                if not self._lock.tryLock(0):
                    raise OSError(f"cannot lock {self._lock.fileName()} (error {self._lock.error().name})")
            with atomic_write(self.path) as handle:
                handle.write(text.encode("utf-8"))
        except Exception as err:  # noqa: BLE001 - a background copy must never take the window down
            self._report(f"Autosave failed: {err}")
            return False
        self._written = edits
        self._problem = ""
        return True

    def _report(self, problem: str) -> None:
        self.status.emit(f"{problem}. Save the project to keep your changes.")
        if problem != self._problem:
            self._problem = problem
            try:
                crash_log.append(f"{problem} (recovery file {self.path})")
            except OSError:
                pass  # the status line has said it already

    def discard(self) -> None:
        """Remove the copy: the document is saved, or its changes were dropped on purpose."""
        self.timer.stop()
        self._written = self._edits
        if not self._lock.isLocked():  # taken before the first write: nothing was written
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError as err:
            self._report(f"Could not remove the recovery file: {err}")
        self._lock.unlock()

    # -- after a crash ---------------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """At startup: offer the newest copy a crashed session left behind (Restore/Discard).
        Restored, it becomes the unsaved document (original path kept). True when restored."""
        found = self._orphan()
        if found is None:
            return False
        path, lock = found
        try:
            return self._offer(path)
        finally:
            lock.unlock()

    def _orphan(self) -> tuple[Path, QLockFile] | None:
        """The newest recovery file whose session is gone, locked now by this one."""
        try:
            candidates = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return None
        for path in candidates:
            if path == self.path:
                continue
            lock = _lock(path)
            if lock.tryLock(0):
                return path, lock
        return None

    def _offer(self, path: Path) -> bool:
        parent = self.parent()
        try:
            project, saved_at = read_recovery(path)
        except SeqStudioError as err:
            kept = path.with_suffix(".unreadable")  # kept to look at, never offered again
            try:
                path.replace(kept)
            except OSError:
                kept = path
            dialogs.show_error(parent, "Recover unsaved changes", f"{err}\n\nThe file is kept as {kept}.")
            return False
        name = project.path.name if project.path is not None else project.model.name
        if dialogs.ask_restore(parent, name, saved_at) != "restore":
            _remove(path)
            return False
        self.document.set_project(project)
        self.document.undo_stack.resetClean()  # unsaved, though no edit made it so
        if self.save_now():
            _remove(path)  # this session's copy holds it now
        self.status.emit(f"Restored unsaved changes to {name} from {saved_at}: save to keep them")
        return True
