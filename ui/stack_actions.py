"""Delete, duplicate and move for the canvas's selection: one set of QActions shared by the
canvas's keys, its context menu, the Edit menu and the toolbar."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from .commands import InsertLayers, RemoveLayers, ReorderLayers, plural, step_order
from .icons import action_icon
from .layer_factory import copy_layer


class StackActions(QObject):
    """Actions over `view`'s selected rows; enabled only when they can do something."""

    def __init__(self, document, view, parent=None):
        super().__init__(parent)
        self.document = document
        self.view = view
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.delete = self._action("Delete", "delete", [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)], context, self.delete_selected)
        self.duplicate = self._action("Duplicate", "duplicate", [QKeySequence("Ctrl+D")], context, self.duplicate_selected)
        self.move_up = self._action("Move Up", "up", [QKeySequence("Alt+Up")], context, lambda: self.step_selected(-1))
        self.move_down = self._action("Move Down", "down", [QKeySequence("Alt+Down")], context, lambda: self.step_selected(+1))
        for action in self.all():
            view.addAction(action)
        view.selectionModel().selectionChanged.connect(self.update_enabled)
        document.stackChanged.connect(self.update_enabled)
        document.projectReplaced.connect(self.update_enabled)
        self.update_enabled()

    def _action(self, text, icon, shortcuts, context, slot) -> QAction:
        action = QAction(action_icon(icon), text, self)
        action.setShortcuts(shortcuts)
        action.setShortcutContext(context)
        action.setToolTip(f"{text} ({shortcuts[0].toString(QKeySequence.SequenceFormat.NativeText)})")
        action.triggered.connect(slot)
        return action

    def all(self) -> list[QAction]:
        return [self.duplicate, self.delete, self.move_up, self.move_down]

    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.view.selectionModel().selectedRows()})

    def update_enabled(self) -> None:
        rows = self.selected_rows()
        count = len(self.document.model.layers)
        self.delete.setEnabled(bool(rows))
        self.duplicate.setEnabled(bool(rows))
        self.move_up.setEnabled(bool(rows) and rows != list(range(len(rows))))
        self.move_down.setEnabled(bool(rows) and rows != list(range(count - len(rows), count)))

    def delete_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.document.push(RemoveLayers(self.document, rows))

    def duplicate_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            layers = self.document.model.layers
            copies = [copy_layer(layers[r]) for r in rows]
            self.document.push(InsertLayers(self.document, rows[-1] + 1, copies, text=f"Duplicate {plural(len(copies), 'layer')}"))

    def step_selected(self, step: int) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        command = ReorderLayers(self.document, step_order(self.document.model.layers, rows, step),
                                "Move up" if step < 0 else "Move down")
        if command.changes_anything:
            self.document.push(command)
