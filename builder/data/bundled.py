"""The datasets shipped in resources/datasets (see the README there for sources and licence)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import DataError
from .csv_loader import load_csv
from .dataset import Dataset

BUNDLED_TARGETS = {"digits": "digit", "iris": "species"}


def bundled_path(name: str) -> Path:
    """The CSV file of a bundled dataset, found through the installed `resources` package."""
    if name not in BUNDLED_TARGETS:
        raise DataError(f"unknown bundled dataset {name!r}; available: "
                        f"{', '.join(BUNDLED_TARGETS)}")
    return Path(str(resources.files("resources") / "datasets" / f"{name}.csv"))


def load_bundled(name: str, **options) -> Dataset:
    """A bundled dataset with its label column as target; options go to load_csv."""
    return load_csv(bundled_path(name), BUNDLED_TARGETS[name], **options)
