"""Files: New from template, Open, Save, Save As, recent files and the unsaved-changes prompt.

Project files are builder's (JSON with weights beside); this controller only decides when to
ask, what to call, and keeps the recent list in QSettings.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from builder.errors import SeqStudioError
from builder.project import load_project, new_project, save_project
from builder.templates import DEFAULT_TEMPLATE, TEMPLATES, template_info

from . import dialogs
from .icons import action_icon
from .settings import settings

RECENT_KEY = "files/recent"
MAX_RECENT = 8


def save_failure(path, err: Exception) -> str:
    """The message for a failed save, naming the file and the reason: "Could not save
    /x/model.json: No space left on device" (or the error's own sentence when it names the file)."""
    reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    if str(path) in reason:
        return reason[:1].upper() + reason[1:]
    return f"Could not save {path}: {reason}"


class FileActions(QObject):
    """The File menu's actions over `document`; dialogs come from ui.dialogs."""

    projectOpened = Signal(str)  # a status line: what was opened or created

    def __init__(self, document, window: QWidget):
        super().__init__(window)
        self.document = document
        self.window = window
        self.new = QAction(action_icon("new"), "New", self)
        self.new.setShortcut(QKeySequence.StandardKey.New)
        self.new.setToolTip("New project from the default template (digits MLP)")
        self.new.triggered.connect(lambda: self.new_from_template(DEFAULT_TEMPLATE))
        self.open = QAction(action_icon("open"), "Open…", self)
        self.open.setShortcut(QKeySequence.StandardKey.Open)
        self.open.triggered.connect(self.open_dialog)
        self.save = QAction(action_icon("save"), "Save", self)
        self.save.setShortcut(QKeySequence.StandardKey.Save)
        self.save.triggered.connect(self.save_current)
        self.save_as = QAction("Save As…", self)
        self.save_as.setShortcut(QKeySequence.StandardKey.SaveAs)
        self.save_as.triggered.connect(self.save_current_as)

        self.import_keras = QAction("Import Keras Code…", self)
        self.import_keras.setToolTip("Read a Keras Sequential model from a Python file (the file is never run)")
        self.import_keras.triggered.connect(self.import_dialog)
        self.export = QAction("Export as Python…", self)
        self.export.setShortcut(QKeySequence("Ctrl+E"))
        self.export.triggered.connect(self.export_dialog)

        self.templates_menu = QMenu("New from Template", window)
        for name in TEMPLATES:
            title, description, expects = template_info(name)
            action = self.templates_menu.addAction(title)
            action.setToolTip(f"{description}\nData: {expects}")
            action.setData(name)
            action.triggered.connect(lambda checked=False, n=name: self.new_from_template(n))
        self.templates_menu.setToolTipsVisible(True)
        self.recent_menu = QMenu("Open Recent", window)
        self.recent_menu.aboutToShow.connect(self._fill_recent)

    # -- commands ------------------------------------------------------------------------------
    def new_from_template(self, name: str) -> bool:
        if not self.maybe_save():
            return False
        try:
            project = new_project(name)
        except SeqStudioError as err:
            dialogs.show_error(self.window, "New project", str(err))
            return False
        self.document.set_project(project)
        self.projectOpened.emit(f"New project from the template “{template_info(name)[0]}”")
        return True

    def open_dialog(self) -> bool:
        if not self.maybe_save():
            return False
        folder = str(self.document.path.parent) if self.document.path else ""
        path = dialogs.ask_open_path(self.window, folder)
        return self.open_path(path, ask=False) if path else False

    def open_path(self, path, ask: bool = True) -> bool:
        """Open the project at `path` (asking first about unsaved changes when `ask`)."""
        if ask and not self.maybe_save():
            return False
        try:
            project = load_project(path)
        except SeqStudioError as err:
            dialogs.show_error(self.window, "Open project", str(err))
            self._forget(path)
            return False
        self.document.set_project(project)
        self._remember(project.path)
        self.projectOpened.emit(f"Opened {project.path}")
        return True

    def import_dialog(self) -> bool:
        if not self.maybe_save():
            return False
        path = dialogs.ask_import_path(self.window)
        return self.import_path(path) if path else False

    def import_path(self, path) -> bool:
        """Replace the project with the Keras model read (never run) from the file at `path`."""
        from builder.importer import import_keras_file

        try:
            project = import_keras_file(path)
        except SeqStudioError as err:
            dialogs.show_error(self.window, "Import Keras code", str(err))
            return False
        self.document.set_project(project)
        self.projectOpened.emit(f"Imported {Path(path).name}: save it to keep it as a project")
        return True

    def export_dialog(self) -> None:
        from .export_dialog import ExportDialog

        ExportDialog(self.document.project, self.window).exec()

    def save_current(self) -> bool:
        if self.document.path is None:
            return self.save_current_as()
        return self._save_to(self.document.path)

    def save_current_as(self) -> bool:
        suggested = str(self.document.path or Path.cwd() / f"{self.document.model.name}.json")
        path = dialogs.ask_save_path(self.window, suggested)
        return self._save_to(Path(path)) if path else False

    def _save_to(self, path: Path) -> bool:
        """Save; a failure (no space, no permission) is reported naming the file and the
        reason, the document stays unsaved and the previous file stays as it was (atomic)."""
        data = self.document.project.data
        before = asdict(data)  # save_project rebases relative data paths for the new folder
        try:
            save_project(self.document.project, path)
        except (SeqStudioError, OSError) as err:
            for name, value in before.items():
                setattr(data, name, value)
            dialogs.show_error(self.window, "Save project", save_failure(path, err))
            return False
        self.document.mark_saved()
        self._remember(self.document.path)
        self.projectOpened.emit(f"Saved {self.document.path}")
        return True

    def maybe_save(self) -> bool:
        """True when the current project may be replaced or closed (saved, discarded or clean)."""
        if not self.document.modified:
            return True
        answer = dialogs.ask_unsaved(self.window, self.document.display_name)
        if answer == "save":
            return self.save_current()
        return answer == "discard"

    # -- recent files ----------------------------------------------------------------------------
    def recent_paths(self) -> list[str]:
        value = settings().value(RECENT_KEY, [])
        if isinstance(value, str):
            value = [value]
        return [str(p) for p in value or []]

    def _remember(self, path) -> None:
        path = str(Path(path).resolve())
        paths = [path] + [p for p in self.recent_paths() if p != path]
        settings().setValue(RECENT_KEY, paths[:MAX_RECENT])

    def _forget(self, path) -> None:
        path = str(Path(path).resolve())
        settings().setValue(RECENT_KEY, [p for p in self.recent_paths() if p != path])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = self.recent_paths()
        for path in paths:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_path(p))
        if not paths:
            self.recent_menu.addAction("No recent projects").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", lambda: settings().setValue(RECENT_KEY, []))
