"""The command line end to end, in subprocesses: new, summary, train, evaluate, their data
options, and every user error as one `error:` line with exit status 2."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from builder.cli import SUBCOMMANDS, main

ROOT = Path(__file__).resolve().parents[2]
SEQSTUDIO = Path(sys.executable).parent / "seqstudio"


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "builder.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def assert_user_error(result, message):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0]


def binary_csv(path, rows=40, features=20):
    rng = np.random.default_rng(0)
    x = rng.random((rows, features))
    label = (x[:, 0] > 0.5).astype(int)
    header = ",".join([f"f{i}" for i in range(features)] + ["label"])
    body = "\n".join(",".join(f"{v:.4f}" for v in row) + f",{y}" for row, y in zip(x, label))
    path.write_text(header + "\n" + body + "\n")


# -- help, in process ------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [*SUBCOMMANDS, None])
def test_help_for_each_subcommand(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"] if command else ["--help"])
    assert done.value.code == 0
    assert "usage: seqstudio" in capsys.readouterr().out


# -- the main flow ---------------------------------------------------------------------------------
def test_new_summary_train_evaluate_on_the_bundled_digits(tmp_path, monkeypatch, capsys):
    created = cli("new", "-o", "digits.json", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "template 'digits'" in created.stdout
    assert json.loads((tmp_path / "digits.json").read_text())["data"]["path"] == "bundled:digits"

    monkeypatch.chdir(tmp_path)  # summary and the second evaluation run in process, to keep the file fast
    assert main(["summary", "digits.json"]) == 0
    summary = capsys.readouterr().out
    assert "Total params: 4,810" in summary and "not trained yet" in summary

    trained = cli("train", "digits.json", "--epochs", "2", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert "Epoch 2/2" in trained.stdout and "val_accuracy" in trained.stdout
    assert (tmp_path / "digits.weights.npz").is_file()
    assert len(json.loads((tmp_path / "digits.json").read_text())["data"]["mean"]) == 64

    evaluated = cli("evaluate", "digits.json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "evaluated on 360 samples (the validation part of" in evaluated.stdout
    accuracy = float(evaluated.stdout.rsplit("accuracy: ", 1)[1])
    assert accuracy > 0.6

    digits_csv = str(ROOT / "resources" / "datasets" / "digits.csv")
    assert main(["evaluate", "digits.json", "--data", digits_csv, "--target", "digit"]) == 0
    assert "evaluated on 1797 samples (" in capsys.readouterr().out


def test_train_and_evaluate_with_data_options(tmp_path):
    binary_csv(tmp_path / "train.csv")
    assert cli("new", "--template", "mlp_binary", "-o", "p.json", cwd=tmp_path).returncode == 0
    trained = cli("train", "p.json", "--data", "train.csv", "--target", "label", "--epochs", "1",
                  "--batch-size", "8", "--validation-split", "0.25", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert "training on 30 samples, validating on 10" in trained.stdout
    assert "4/4" in trained.stdout  # 30 samples in batches of 8
    saved = json.loads((tmp_path / "p.json").read_text())
    assert saved["data"]["path"] is None and saved["compile"]["epochs"] == 20  # overrides are for one run

    rng = np.random.default_rng(1)
    np.save(tmp_path / "x.npy", rng.random((12, 20), dtype=np.float32))
    np.save(tmp_path / "y.npy", rng.integers(0, 2, (12, 1)))
    evaluated = cli("evaluate", "p.json", "--data", "x.npy", "--labels", "y.npy", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "evaluated on 12 samples" in evaluated.stdout and "accuracy: " in evaluated.stdout


def test_entry_point_hands_subcommands_to_the_cli(tmp_path):
    if not SEQSTUDIO.exists():
        pytest.skip("the seqstudio script is not installed")
    result = subprocess.run([str(SEQSTUDIO), "new", "--template", "mlp", "-o", "m.json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m.json").is_file()


# -- user errors -----------------------------------------------------------------------------------
def test_user_errors_are_one_line_with_status_2(tmp_path):
    (tmp_path / "broken.json").write_text("{\n  \"format\": 1,\n")
    (tmp_path / "exists.json").write_text("{}")
    cases = [
        (("summary", "missing.json"), "missing.json: no such project file"),
        (("summary", "broken.json"), "broken.json: line 3, column 1: not valid JSON"),
        (("new", "--template", "cnn", "-o", "x.json"), "unknown template 'cnn'"),
        (("new", "-o", "exists.json"), "exists.json: already exists; pass --force"),
        (("new",), "seqstudio new needs -o PROJECT"),
        (("export", "missing.json", "--to", "keras"), "missing.json: no such project file"),
        (("fly",), "invalid choice: 'fly'"),
    ]
    for args, message in cases:
        assert_user_error(cli(*args, cwd=tmp_path), message)
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("args, message", [
    (("train", "p.json", "--epochs", "0"), "argument --epochs: expected a positive integer, got '0'"),
    (("train", "p.json", "--batch-size", "x"), "argument --batch-size: expected a positive integer, got 'x'"),
    (("train", "p.json", "--validation-split", "1"), "argument --validation-split: expected a fraction"),
    (("train",), "the following arguments are required: PROJECT"),
])
def test_argument_errors_in_process(args, message, capsys):
    with pytest.raises(SystemExit) as done:
        main(list(args))
    assert done.value.code == 2
    stderr = capsys.readouterr().err
    assert stderr.count("\n") == 1 and stderr.startswith("error: ") and message in stderr


def test_data_errors_are_one_line_with_status_2(tmp_path, monkeypatch, capsys):
    """In process (main's return value is the exit status), to keep the file fast."""
    monkeypatch.chdir(tmp_path)
    binary_csv(tmp_path / "narrow.csv", features=5)
    assert main(["new", "--template", "mlp_binary", "-o", "p.json"]) == 0
    cases = [
        (["train", "p.json"], "the project names no training data"),
        (["train", "p.json", "--data", "nothing.csv"], "nothing.csv: no such file"),
        (["train", "p.json", "--labels", "y.npy"], "--labels needs --data"),
        (["train", "p.json", "--data", "narrow.csv"], "do not fit the model's input shape (20,)"),
        (["evaluate", "p.json", "--data", "narrow.csv", "--target", "nope"], "nope"),
    ]
    capsys.readouterr()
    for args, message in cases:
        assert main(args) == 2
        stderr = capsys.readouterr().err
        assert stderr.count("\n") == 1 and stderr.startswith("error: ") and message in stderr, stderr
    assert not (tmp_path / "p.weights.npz").exists()


def test_importing_the_cli_imports_no_kernels_numba_or_qt():
    code = ("import sys, builder.cli; builder.cli._parser(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'numba', 'kernels', 'numpy', 'PySide6'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stderr
