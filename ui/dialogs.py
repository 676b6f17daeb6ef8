"""Every question the studio asks the user, in one place (tests replace these functions)."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

PROJECT_FILTER = "SeqStudio projects (*.json);;All files (*)"


def ask_open_path(parent: QWidget, folder: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open project", folder, PROJECT_FILTER)
    return path or None


def ask_save_path(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save project as", suggested, PROJECT_FILTER)
    if not path:
        return None
    return path if path.lower().endswith(".json") else path + ".json"


def ask_export_path(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Export as", suggested, "Python scripts (*.py)")
    if not path:
        return None
    return path if path.lower().endswith(".py") else path + ".py"


def ask_import_path(parent: QWidget, folder: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Import a Keras model from Python code", folder,
                                          "Python files (*.py);;All files (*)")
    return path or None


def ask_unsaved(parent: QWidget, name: str) -> str:
    """'save', 'discard' or 'cancel' for a project with unsaved changes."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent, "Unsaved changes", f"Save the changes to {name} before closing it?",
        buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save,
    )
    return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")


def ask_restore(parent: QWidget, name: str, saved_at: str) -> str:
    """'restore' or 'discard' for the copy of `name` autosaved at `saved_at` by a session that
    did not end normally."""
    box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved changes",
                      f"SeqStudio did not close normally last time. Unsaved changes to {name} were "
                      f"autosaved at {saved_at}.\n\nRestore them?", QMessageBox.StandardButton.NoButton, parent)
    box.setDefaultButton(box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole))
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.exec()
    clicked = box.clickedButton()  # anything but Discard keeps the changes
    discarded = clicked is not None and box.buttonRole(clicked) == QMessageBox.ButtonRole.DestructiveRole
    return "discard" if discarded else "restore"


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.exec()
