"""What a training run starts from: a copy of the project taken on the GUI thread.

The worker never touches objects the views own (Orange3's rule): it gets the stack's config,
copies of its built weights and copies of the settings, and rebuilds a project of its own.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from builder.data import Dataset
from builder.project import CompileSettings, DataSettings, Project


@dataclass(frozen=True)
class RunRequest:
    config: dict
    weights: tuple  # per layer: (built input shape, [arrays]) or None when unbuilt
    compile: CompileSettings
    data: DataSettings
    path: Path | None
    train_data: Dataset | None = None  # the training file already read (never changed by the run)

    @classmethod
    def of(cls, project: Project, train_data: Dataset | None = None) -> RunRequest:
        """Copy what a run needs; cheap (a memcpy of the weights), so done on the GUI thread.
        `train_data`: the training file as the data panel read it, if it still holds."""
        weights = tuple(
            (layer.built_input_shape, layer.get_weights()) if layer.built else None for layer in project.model.layers
        )
        return cls(copy.deepcopy(project.model.get_config()), weights, copy.deepcopy(project.compile),
                   copy.deepcopy(project.data), project.path, train_data)

    def project(self) -> Project:
        """A project of the worker's own, holding the copied weights in its layers."""
        from builder.random import global_rng
        from builder.sequential import Sequential

        model = Sequential.from_config(copy.deepcopy(self.config))
        for layer, saved in zip(model.layers, self.weights):
            if saved is None:
                continue
            shape, arrays = saved
            layer.build(shape, global_rng())
            layer.set_weights([np.array(a) for a in arrays])
        return Project(model=model, compile=copy.deepcopy(self.compile), data=copy.deepcopy(self.data),
                       path=self.path)
