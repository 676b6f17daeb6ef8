"""Projects: a layer stack with its compile, training and data settings, saved as one JSON
file (format 1) with its trained weights in an .npz beside it."""

from .files import load_project, save_project, weights_path
from .limits import check_model_size
from .schema import FORMAT, project_from_dict, project_to_dict
from .settings import CompileSettings, DataSettings, Project

__all__ = [
    "FORMAT",
    "CompileSettings",
    "DataSettings",
    "Project",
    "check_model_size",
    "load_project",
    "new_project",
    "project_from_dict",
    "project_to_dict",
    "save_project",
    "weights_path",
]


def new_project(template: str = "digits") -> Project:
    """A new, unsaved project from one of the seed's templates (default: digits)."""
    from ..templates import build_template

    return build_template(template)
