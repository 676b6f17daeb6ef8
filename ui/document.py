"""The open project as the views see it: its stack, the stack's summary rows, the undo stack.

Views never edit the Sequential: they push commands on `undo_stack`. The Sequential tells
the document of every change (its subscribe callback); the document recomputes the summary
rows once (pure shape rules, no weights) and emits `stackChanged`, which every view follows.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from builder.project import Project, new_project
from builder.shapes import LayerShape


class Document(QObject):
    """One open project. `projectReplaced` after New/Open; `stackChanged` after every edit."""

    stackChanged = Signal()
    projectReplaced = Signal()
    modifiedChanged = Signal(bool)
    saved = Signal()

    def __init__(self, project: Project | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self._project: Project | None = None
        self._rows: list[LayerShape] = []
        self.set_project(project if project is not None else new_project())

    # -- the project ---------------------------------------------------------------------------
    @property
    def project(self) -> Project:
        return self._project

    @property
    def model(self):
        return self._project.model

    @property
    def path(self) -> Path | None:
        return self._project.path

    @property
    def rows(self) -> list[LayerShape]:
        """The summary rows of the current stack (recomputed once per edit)."""
        return self._rows

    @property
    def display_name(self) -> str:
        return self.path.name if self.path is not None else f"{self.model.name} (unsaved)"

    def set_project(self, project: Project) -> None:
        """Show `project` instead of the current one; the undo history starts afresh."""
        self._project = project
        model = project.model
        model.subscribe(lambda: self._model_changed(model))
        self._rows = model.shape_rows()
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.projectReplaced.emit()
        self.modifiedChanged.emit(False)

    def _model_changed(self, model) -> None:
        if model is not self.model:  # an earlier project's stack: nobody shows it any more
            return
        self._rows = model.shape_rows()
        self.stackChanged.emit()

    def _clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    # -- edits -------------------------------------------------------------------------------
    def push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def mark_saved(self) -> None:
        """The project was just written to `path`: no unsaved changes from here."""
        self.undo_stack.setClean()
        self.saved.emit()

    # -- derived figures -----------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        """The batch the memory estimate assumes: the fixed one of the input, else fit's."""
        shape = self.model.input_shape
        if shape is not None and shape[0] is not None:
            return int(shape[0])
        return int(self._project.compile.batch_size or 32)
