"""`seqstudio export` and `seqstudio import`, as argparse subcommands the command line wires in:

    add_export_parser(sub); add_import_parser(sub)
    ... "export": run_export, "import": run_import

Both raise SeqStudioError for what a user got wrong; the command line prints it as one line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import SeqStudioError


def add_export_parser(subparsers) -> None:
    from . import TARGETS

    export = subparsers.add_parser(
        "export", help="write a project or saved model as a Python script (SeqStudio, Keras 3 or PyTorch)",
        description="Write a project (.json) or a saved model as a self-contained Python script: build_model(), "
                    "the data loading and the training of the project, for SeqStudio itself, Keras 3 or PyTorch 2.")
    export.add_argument("source", metavar="FILE", help="a project file or a saved model (model.save)")
    export.add_argument("--to", choices=TARGETS, required=True, help="python (SeqStudio), keras or pytorch")
    export.add_argument("-o", "--output", metavar="OUT.py", help="the script to write (default: print it)")
    export.add_argument("--weights", action="store_true",
                        help="also write the weights to an .npz beside the script, which build_model() loads")
    export.add_argument("--force", action="store_true", help="overwrite an existing script")


def add_import_parser(subparsers) -> None:
    imported = subparsers.add_parser(
        "import", help="read a Keras Sequential model written in Python into a project",
        description="Read a Keras Sequential model from Python code (parsed, never run) into a project file.")
    imported.add_argument("source", metavar="MODEL.py", help="Python code building a keras Sequential model")
    imported.add_argument("-o", "--output", metavar="PROJECT", required=True, help="the project file to write")
    imported.add_argument("--force", action="store_true", help="overwrite an existing project file")


def load_source(path):
    """A project file, or else a model saved with model.save (by content, not by name)."""
    import zipfile

    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        from ..saving import load_model

        return load_model(path)
    from ..project import load_project

    return load_project(path)


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise SeqStudioError(f"{path}: already exists; pass --force to overwrite it")


def run_export(args) -> None:
    from . import export_code, weights_file, write_export

    source = load_source(args.source)
    if args.output is None:
        if args.weights:
            raise SeqStudioError("--weights needs -o OUT.py: the weights go beside the script")
        sys.stdout.write(export_code(source, args.to))
        return
    output = Path(args.output)
    _refuse_overwrite(output, args.force)
    write_export(source, args.to, output, weights=args.weights)
    written = f"{output} and {weights_file(output)}" if args.weights else str(output)
    print(f"wrote {written}")


def run_import(args) -> None:
    from ..importer import import_keras_file
    from ..project import save_project

    output = Path(args.output)
    _refuse_overwrite(output, args.force)
    project = import_keras_file(args.source)
    save_project(project, output)
    print(f"created {output} from {args.source}: {len(project.model.layers)} layers")
