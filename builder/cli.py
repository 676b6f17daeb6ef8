"""The command line without Qt: `seqstudio new|summary|train|evaluate|export|import|demo|bench`.

Every user error (a `SeqStudioError`, an unreadable file, a bad argument) becomes one line
`error: <message>` on stderr with exit status 2; a user never sees a traceback for something
they did. Heavy modules (Numba kernels above all) are imported inside the commands, so the
command starts at once and `--help` costs nothing.
"""

from __future__ import annotations

import argparse
import sys

from .errors import SeqStudioError

SUBCOMMANDS = ("new", "summary", "train", "evaluate", "export", "import", "demo", "bench")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one `error:` line, like every other user error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _split(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 to below 1, got {text!r}")
    return value


def _column(text: str) -> str | int:
    """A target column by name, or by index when it is a whole number."""
    try:
        return int(text)
    except ValueError:
        return text


def _add_data_arguments(command: argparse.ArgumentParser, purpose: str) -> None:
    command.add_argument("--data", metavar="FILE", help=f"{purpose} data (.csv, .npy or .npz); default: the project's")
    command.add_argument("--labels", metavar="FILE", help="targets in their own file (y.npy beside x.npy, or a CSV)")
    command.add_argument("--target", metavar="COLUMN", type=_column,
                         help="CSV target column, by name or index (default: the project's, else the last)")
    command.add_argument("--batch-size", type=_positive_int, metavar="N",
                         help="samples per batch (default: the project's)")


def _parser() -> argparse.ArgumentParser:
    from .templates import DEFAULT_TEMPLATE, TEMPLATES

    parser = _Parser(prog="seqstudio", description="Design and train Sequential neural networks.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    new = sub.add_parser("new", help="create a project from one of the seed's templates",
                         description="Create a project file from a template (list them with --list).")
    new.add_argument("--template", default=DEFAULT_TEMPLATE, metavar="NAME",
                     help=f"one of {', '.join(TEMPLATES)} (default: {DEFAULT_TEMPLATE})")
    new.add_argument("-o", "--output", metavar="PROJECT", help="the project file to write (e.g. model.json)")
    new.add_argument("--force", action="store_true", help="overwrite an existing project file")
    new.add_argument("--list", action="store_true", help="list the templates and the data each expects")

    summary = sub.add_parser("summary", help="print a project's layers, output shapes and parameter counts",
                             description="Print the Keras-style summary table of a project and its settings.")
    summary.add_argument("project", metavar="PROJECT")

    train = sub.add_parser("train", help="train a project and save its weights beside it",
                           description="Train a project on its data (or --data), showing a progress bar and "
                                       "per-epoch metrics, then save the weights beside the project file.")
    train.add_argument("project", metavar="PROJECT")
    _add_data_arguments(train, "training")
    train.add_argument("--epochs", type=_positive_int, metavar="N", help="epochs to train (default: the project's)")
    train.add_argument("--validation-split", type=_split, metavar="F",
                       help="fraction of the data held out for validation (default: the project's)")

    evaluate = sub.add_parser("evaluate", help="loss and metrics of a project's trained model on data",
                              description="Evaluate a project's saved weights on --data, or on the project's "
                                          "validation data (its training data when it has none).")
    evaluate.add_argument("project", metavar="PROJECT")
    _add_data_arguments(evaluate, "evaluation")

    from .export.cli_commands import add_export_parser, add_import_parser

    add_export_parser(sub)
    add_import_parser(sub)

    demo = sub.add_parser("demo", help="train the default model on the bundled digits and print its accuracy",
                          description="Train the digits template on the bundled digits; print the test accuracy.")
    demo.add_argument("--epochs", type=_positive_int, default=30, metavar="N")

    bench = sub.add_parser("bench", help="training speed and memory, side by side with PyTorch",
                           description="Samples/s of the seed's models, SeqStudio beside PyTorch; memory; the studio.")
    from .bench import add_arguments

    add_arguments(bench)
    return parser


# -- the commands (heavy imports stay inside them) ----------------------------------------------
def _new(args) -> None:
    from .templates import TEMPLATES, template_info

    if args.list:
        for name in TEMPLATES:
            title, description, expects = template_info(name)
            print(f"{name}: {title}\n    {description}\n    data: {expects}")
        return
    if not args.output:
        raise SeqStudioError("seqstudio new needs -o PROJECT, the project file to write (e.g. -o model.json)")
    from pathlib import Path

    from .project import new_project, save_project

    output = Path(args.output)
    if output.exists() and not args.force:
        raise SeqStudioError(f"{output}: already exists; pass --force to overwrite it")
    project = new_project(args.template)
    save_project(project, output)
    title, _, expects = template_info(args.template)
    print(f"created {output} from template {args.template!r} ({title})\ndata: {expects}")


def _summary(args) -> None:
    from .project import load_project

    project = load_project(args.project)
    project.model.summary()
    settings = project.compile
    optimizer = settings.optimizer["class_name"]
    learning_rate = settings.optimizer.get("config", {}).get("learning_rate")
    if learning_rate is not None:
        optimizer += f" (learning rate {learning_rate:g})"
    print(f"Compile: optimizer {optimizer}, loss {settings.loss}, metrics {', '.join(settings.metrics) or 'none'}")
    shuffle = "on" if settings.shuffle else "off"
    print(f"Fit: {settings.epochs} epochs, batch size {settings.batch_size}, shuffle {shuffle}")
    data = project.data
    print(f"Data: {data.path or 'none set'}" + (f" (target {data.target!r})" if data.target is not None else ""))
    trained = sum(layer.built for layer in project.model.layers)
    print(f"Weights: {'saved for ' + str(trained) + ' layers' if trained else 'not trained yet'}")


def _run_settings(project, args):
    """The project with this run's command-line overrides (the saved settings stay as they are)."""
    from dataclasses import replace
    from pathlib import Path

    data = project.data
    if args.data is not None:
        data = replace(data, path=str(Path(args.data).absolute()), validation_path=None,
                       labels_path=None if args.labels is None else str(Path(args.labels).absolute()))
    elif args.labels is not None:
        raise SeqStudioError("--labels needs --data: give the features file too")
    if args.target is not None:
        data = replace(data, target=args.target)
    if getattr(args, "validation_split", None) is not None:
        data = replace(data, validation_split=args.validation_split)
    elif args.command == "evaluate" and args.data is not None:
        data = replace(data, validation_split=0.0)  # evaluate on the whole file
    settings = project.compile
    if args.batch_size is not None:
        settings = replace(settings, batch_size=args.batch_size)
    if getattr(args, "epochs", None) is not None:
        settings = replace(settings, epochs=args.epochs)
    return replace(project, compile=settings, data=data)


def _reading_progress(project):
    """A percentage on the terminal while a big data file is read; nothing when piped."""
    if not sys.stderr.isatty():
        return None
    name = project.data.path

    def show(fraction: float) -> None:
        end = "\n" if fraction >= 1.0 else ""
        print(f"\rreading {name}: {fraction:.0%}", end=end, file=sys.stderr, flush=True)

    return show


def _train(args) -> None:
    from .project import load_project, save_project, weights_path
    from .project.data import model_arrays

    project = load_project(args.project)
    run = _run_settings(project, args)
    train_set, validation_set = run.load_data(progress=_reading_progress(run))
    model = run.compiled_model()
    x, y = model_arrays(train_set, model)
    validation = None if validation_set is None else model_arrays(validation_set, model)
    print(f"training on {len(x)} samples" + (f", validating on {len(validation[0])}" if validation else ""))
    model.fit(x, y, validation_data=validation, verbose=1, **run.compile.fit_arguments())
    project.store_weights(model)
    if run.data.standardize:  # the statistics these weights were trained with
        project.data.mean, project.data.std = run.data.mean, run.data.std
    save_project(project, project.path)
    print(f"saved the weights to {weights_path(project.path)}")


def _evaluate(args) -> None:
    from .project import load_project
    from .project.data import model_arrays
    from .progress import format_logs

    project = load_project(args.project)
    run = _run_settings(project, args)
    train_set, validation_set = run.load_data()
    if validation_set is not None and args.data is None:
        dataset, part = validation_set, "the validation part of "
    else:
        dataset, part = train_set, ""
    model = run.compiled_model()
    x, y = model_arrays(dataset, model)
    results = model.evaluate(x, y, batch_size=run.compile.batch_size, verbose=0)
    values = results if isinstance(results, list) else [results]
    names = ["loss", *run.compile.metrics]
    print(f"evaluated on {len(x)} samples ({part}{dataset.source}): {format_logs(dict(zip(names, values)))}")
    if not any(layer.built for layer in project.model.layers):
        print(f"note: {project.path} has no trained weights yet: these are its initial weights", file=sys.stderr)


def _demo(args) -> None:
    from .demo import run_demo

    run_demo(epochs=args.epochs)


def _export(args) -> None:
    from .export.cli_commands import run_export

    run_export(args)


def _import(args) -> None:
    from .export.cli_commands import run_import

    run_import(args)


_COMMANDS = {"new": _new, "summary": _summary, "train": _train, "evaluate": _evaluate, "export": _export,
             "import": _import, "demo": _demo}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "bench":
            from .bench import run

            run(args)
        else:
            _COMMANDS[args.command](args)
    except SeqStudioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
