"""Undoable steps the Train area pushes: keeping a run's trained weights, and settings edits."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from builder.project.settings import trained_weights
from builder.random import global_rng


class StoreTrainedWeights(QUndoCommand):
    """Put a run's trained weights (and fitted standardization) into the project's stack.

    Undo gives every layer back the weights it had; a layer untrained before is untrained again.
    Only the weights are kept, never the trained model: the undo history would otherwise hold
    its optimizer slots, gradients and cached batches for every run.
    """

    def __init__(self, document, trained_model, mean, std, text: str):
        super().__init__(text)
        self._document = document
        self._trained = trained_weights(trained_model)
        project = document.project
        self._before = [(layer, layer.built_input_shape, layer.get_weights()) if layer.built else (layer, None, None)
                        for layer in project.model.layers]
        self._data_before = (project.data.mean, project.data.std)
        self._data_after = (mean, std)
        self.layers_taken = 0

    def redo(self) -> None:
        project = self._document.project
        self.layers_taken = project.store_weights(self._trained)
        project.data.mean, project.data.std = self._data_after

    def undo(self) -> None:
        project = self._document.project
        for layer, shape, arrays in self._before:
            if shape is None:
                layer.weights, layer.built, layer.built_input_shape = [], False, None
                continue
            if layer.built_input_shape != shape:
                layer.build(shape, global_rng())
            layer.set_weights(arrays)
        project.data.mean, project.data.std = self._data_before


class SetSetting(QUndoCommand):
    """Set one field of the project's compile or data settings. Successive edits of the same
    field (typing, a spin box) merge into one undo step unless `mergeable` is False (a button's
    choice). `changed` is called after every redo and undo."""

    ID = 6001

    def __init__(self, document, section: str, name: str, value, changed=None, mergeable: bool = True):
        super().__init__(f"Set {name.replace('_', ' ')}")
        self._document = document
        self._section, self._name = section, name
        self._before = getattr(getattr(document.project, section), name)
        self._after = value
        self._changed = changed
        self._mergeable = mergeable

    def id(self) -> int:
        return self.ID if self._mergeable else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetSetting) or not other._mergeable or \
                (other._section, other._name) != (self._section, self._name):
            return False
        self._after = other._after
        return True

    def _set(self, value) -> None:
        setattr(getattr(self._document.project, self._section), self._name, value)
        if self._changed is not None:
            self._changed()

    def redo(self) -> None:
        self._set(self._after)

    def undo(self) -> None:
        self._set(self._before)
