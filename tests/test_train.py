"""Training: resumable after an interruption, and clear errors."""

import json

import pytest

from keras_models import train
from keras_models.checkpoint import CheckpointInfo

ARGS = ["--task", "snips", "--preset", "tiny", "--limit", "96", "--batch-size", "32"]


def test_checkpoint_records_both_stages(tiny_checkpoint):
    info = CheckpointInfo.load(tiny_checkpoint)
    assert info.float_weights.is_file() and info.qat_weights.is_file()
    # QAT scores its calibrated starting point as epoch 0.
    assert [(h["stage"], h["epoch"]) for h in info.history] == [("float", 1), ("qat", 0), ("qat", 1)]
    assert set(info.scores) == {"float_val_accuracy", "qat_val_accuracy"}
    assert info.config.seq_len == 32 and info.num_outputs == 7
    assert not info.tokenizer.startswith("/"), "the checkpoint must not hold a machine-specific path"


def test_rerun_resumes_without_repeating_finished_epochs(tmp_path, capsys, conftest_data=None):
    from tests.conftest import _require_data

    _require_data()
    out = tmp_path / "run"
    assert train.main(ARGS + ["--epochs", "1", "--qat-epochs", "0", "--out", str(out)]) == 0
    first = json.loads((out / "checkpoint.json").read_text())["history"]
    capsys.readouterr()
    assert train.main(ARGS + ["--epochs", "2", "--qat-epochs", "0", "--out", str(out)]) == 0
    output = capsys.readouterr().out
    assert "[float] resuming after epoch 1" in output
    assert "the float model changed: quantization-aware training starts again" in output
    history = json.loads((out / "checkpoint.json").read_text())["history"]
    assert history[0] == first[0]
    assert [(h["stage"], h["epoch"]) for h in history] == [("float", 1), ("float", 2), ("qat", 0)]


def test_a_different_run_in_the_same_folder_is_refused(tiny_checkpoint, capsys):
    status = train.main(["--task", "emotion", "--preset", "tiny", "--out", str(tiny_checkpoint)])
    assert status == 2
    assert "holds a different run" in capsys.readouterr().err


def test_unknown_task_is_a_clear_error(tmp_path, capsys):
    assert train.main(["--task", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown task 'nope'" in capsys.readouterr().err
