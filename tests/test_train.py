"""Training: resumable after an interruption, and clear errors."""

import json

import numpy as np

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


def test_keep_head_is_recorded_and_a_run_cut_another_way_is_refused(tmp_path, capsys):
    from tests.conftest import _require_data

    _require_data()
    out = tmp_path / "run"
    args = ARGS + ["--epochs", "1", "--qat-epochs", "0", "--out", str(out)]
    assert train.main(args + ["--keep-head", "8"]) == 0
    assert CheckpointInfo.load(out).keep_head == 8
    capsys.readouterr()
    assert train.main(args) == 2
    assert "holds a run with another --keep-head (8)" in capsys.readouterr().err


def test_class_weights_make_every_class_count_as_if_balanced():
    labels = np.array([0] * 6 + [1] * 3 + [2] * 1)
    weights = train.class_weights(labels)
    assert weights == pytest.approx({0: 10 / 18, 1: 10 / 9, 2: 10 / 3})
    assert sum(weights[c] * n for c, n in enumerate(np.bincount(labels))) == pytest.approx(len(labels))


def test_unknown_task_is_a_clear_error(tmp_path, capsys):
    assert train.main(["--task", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown task 'nope'" in capsys.readouterr().err


def test_a_model_is_scored_on_test_only_when_trained_on_todays_carve(tmp_path, tiny_checkpoint):
    from keras_models.checkpoint import CheckpointError
    from keras_models.data import SPLIT_PROTOCOL

    fresh = CheckpointInfo.load(tiny_checkpoint)
    assert fresh.splits == SPLIT_PROTOCOL
    fresh.check_scored_on("test")
    record = json.loads((tiny_checkpoint / "checkpoint.json").read_text())
    older = tmp_path / "older"
    older.mkdir()
    (older / "checkpoint.json").write_text(json.dumps({k: v for k, v in record.items() if k != "splits"}))
    info = CheckpointInfo.load(older)
    info.check_scored_on("validation")
    with pytest.raises(CheckpointError, match="earlier carve of the data whose train split contains today's test"):
        info.check_scored_on("test")


def test_resuming_a_run_trained_on_another_carve_is_refused(tmp_path, tiny_checkpoint, capsys):
    import shutil

    older = tmp_path / "older"
    shutil.copytree(tiny_checkpoint, older)
    record = json.loads((older / "checkpoint.json").read_text())
    (older / "checkpoint.json").write_text(json.dumps({**record, "splits": None}))
    assert train.main(ARGS + ["--epochs", "1", "--out", str(older)]) == 2
    assert "was trained on another carve of the data (the earlier 90/10 one)" in capsys.readouterr().err
