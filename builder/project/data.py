"""A project's data: its files read as its settings say, and arrays shaped for its model.

Standardization is fitted on the training part only and its mean and std are written back
into the settings, so evaluation, a later run and the saved project all scale alike.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError


def load_project_data(project, progress=None, train=None):
    """(training Dataset, validation Dataset or None) from `project.data`; `train` is the
    training file as `load_data` read it with these settings, or None to read it now."""
    from ..data import Standardization, load_data, split_validation

    settings = project.data
    if settings.path is None:
        raise DataError("the project names no training data: set its data file (or pass --data FILE)")
    target = -1 if settings.target is None else settings.target
    labels = None if settings.labels_path is None else project.resolve(settings.labels_path)
    shared = train is not None  # the caller's: copied before standardizing changes it
    if not shared:
        train = load_data(project.resolve(settings.path), labels, target=target, progress=progress)
    elif progress is not None:
        progress(1.0)
    validation = None
    if settings.validation_path is not None:
        validation = load_data(project.resolve(settings.validation_path), target=target,
                               class_labels=train.class_labels)
    elif settings.validation_split > 0:
        seed = project.compile.seed if project.compile.seed is not None else 0
        train, validation = split_validation(train, settings.validation_split, seed=seed)
        shared = False
    if settings.standardize:
        if shared:
            train = train.copy()
        if settings.mean is None:
            stats = Standardization.fit(train.x)
            settings.mean, settings.std = stats.mean.ravel().tolist(), stats.std.ravel().tolist()
        else:
            stats = _saved_standardization(settings, train)
        for dataset in (train, validation):
            if dataset is not None:
                dataset.standardize(stats)
    return train, validation


def _saved_standardization(settings, dataset):
    from ..data import Standardization

    shape = dataset.x.shape[1:]
    if len(settings.mean) != int(np.prod(shape)):
        raise DataError(
            f"{dataset.source}: rows of {int(np.prod(shape))} features, but the project's standardization "
            f"has {len(settings.mean)} values (clear data.mean and data.std to fit it again)"
        )
    return Standardization.from_dict({"shape": list(shape), "mean": settings.mean, "std": settings.std})


def model_arrays(dataset, model):
    """(x, y) ready for `model.fit`: rows reshaped to the model's input, class labels checked
    against the output layer and one-hot encoded when the loss wants one-hot targets."""
    from ..data import check_class_indices, one_hot, reshape_features

    if dataset.y is None:
        raise DataError(f"{dataset.source}: holds no targets; training and evaluation need a target column or labels")
    if model.input_shape is None:
        model.build((None, *dataset.x.shape[1:]))
    x = reshape_features(dataset.x, model.input_shape[1:], dataset.source)
    y = dataset.y
    units = model.output_shape[-1]
    loss = model.loss.name
    if loss == "categorical_crossentropy":
        y = one_hot(y, units, dataset.source)
    elif loss == "sparse_categorical_crossentropy":
        check_class_indices(y, units, dataset.source)
    elif loss == "binary_crossentropy" and y.dtype.kind in "iu":
        check_class_indices(y, 2, dataset.source)
    return x, y
