import json
import os
import subprocess

import pytest

from convert import by_task
from keras_models.paths import CHECKPOINTS_DIR


def _fake_converted(models_dir, task, older_than_checkpoint, split="validation"):
    model_dir = models_dir / task
    model_dir.mkdir(parents=True)
    info = model_dir / "model_info.json"
    info.write_text(json.dumps({"evaluation": {"split": f"{split} (seeded 10% carved from train)"}}))
    qat_time = (CHECKPOINTS_DIR / task / "qat.h5").stat().st_mtime
    stamp = qat_time - 60 if older_than_checkpoint else qat_time + 60
    os.utime(info, (stamp, stamp))
    return model_dir


def test_an_up_to_date_model_is_reused(tmp_path, monkeypatch):
    model_dir = _fake_converted(tmp_path, "snips", older_than_checkpoint=False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("converted again"))
    assert by_task.converted_model("snips", tmp_path) == model_dir


def test_a_model_older_than_its_checkpoint_is_converted_again(tmp_path, monkeypatch):
    model_dir = _fake_converted(tmp_path, "snips", older_than_checkpoint=True)
    commands = []
    monkeypatch.setattr(subprocess, "run", lambda command, **k: commands.append(command))
    assert by_task.converted_model("snips", tmp_path) == model_dir
    assert commands and commands[0][-6:] == ["--checkpoint", str(CHECKPOINTS_DIR / "snips"), "--out", str(model_dir),
                                             "--eval-split", "validation"]


def test_a_model_scored_on_another_split_is_converted_again(tmp_path, monkeypatch):
    _fake_converted(tmp_path, "snips", older_than_checkpoint=False, split="validation")
    commands = []
    monkeypatch.setattr(subprocess, "run", lambda command, **k: commands.append(command))
    by_task.converted_model("snips", tmp_path, eval_split="test")
    assert commands and commands[0][-2:] == ["--eval-split", "test"]


def test_a_missing_model_is_converted(tmp_path, monkeypatch):
    commands = []
    monkeypatch.setattr(subprocess, "run", lambda command, **k: commands.append(command))
    by_task.converted_model("emotion", tmp_path)
    assert commands[0][-3] == str(tmp_path / "emotion")


def test_an_unknown_task_names_the_shipped_ones():
    with pytest.raises(FileNotFoundError, match=r"no trained checkpoint for 'agnews'.*shipped: .*emotion.*snips"):
        by_task.converted_model("agnews")
