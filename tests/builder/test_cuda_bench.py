"""`seqstudio bench --device cuda`: a clear error without a real GPU (the simulator is not
timed), and the benchmark models compiled for the device asked for."""

import pytest

pytest.importorskip("numba.cuda")

from builder.bench import mlp, seed_models  # noqa: E402
from builder.cli import main  # noqa: E402


def test_bench_on_cuda_without_a_gpu_is_a_clear_error(capsys):
    assert main(["bench", "--device", "cuda", "--only", "mlp"]) == 2
    assert "bench --device cuda: no CUDA GPU found" in capsys.readouterr().err


def test_bench_refuses_an_unknown_device(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--device", "tpu"])
    assert "invalid choice: 'tpu'" in capsys.readouterr().err


@pytest.mark.parametrize("make", [lambda d: mlp._seqstudio_model(mlp.CASES[0], d), seed_models._vgg,
                                  seed_models._conv1d, seed_models._stacked_lstm, seed_models._embedding_lstm])
def test_benchmark_models_compile_for_the_device_asked(make):
    assert make("cpu").device == "cpu"
    assert make("cuda").device == "cuda"
