import json

from experiments import reproduce
from experiments.recipes import RECIPES, get_recipe
from keras_models.tasks import TASKS


def test_every_task_has_a_recipe_within_the_presets_length():
    assert set(RECIPES) == set(TASKS)
    assert all(r.seq_len <= 256 and r.epochs >= 1 for r in RECIPES.values())


def test_results_table_names_the_gap_to_the_paper(tmp_path, monkeypatch):
    monkeypatch.setattr(reproduce, "RESULTS_DIR", tmp_path)
    row = {"task": "snips", "metric": "accuracy", "seq_len": 64, "float_keras": 0.979, "qat_keras": 0.982,
           "int8_tflm": 0.981, "paper": 97.9, "paper_metric": "accuracy", "init": "pretrained",
           "board": {"value": 0.983, "cycles_median": 78910200, "peak_ram": 96384}}
    no_board = {**row, "task": "emotion", "paper": 89.9, "int8_tflm": 0.848, "board": None, "init": None}
    no_paper = {**row, "task": "wnli", "paper": None, "board": None}
    mrpc = {**no_board, "task": "mrpc", "metric": "f1", "paper": 68.0,
            "paper_metric": "weighted f1 (we report binary f1)"}
    reproduce.write_table([row, no_board, no_paper, mrpc])
    lines = (tmp_path / "results.md").read_text().splitlines()
    assert "| snips | accuracy | 64 | pretrained | 97.9 | 98.2 | 98.1 | 98.3 | 97.9 | +0.4 | 78.9 M | 94.1 KB |" in lines
    assert "| emotion | accuracy | 64 | random | 97.9 | 98.2 | 84.8 | – | 89.9 | -5.1 | – | – |" in lines
    assert "| wnli | accuracy | 64 | pretrained | 97.9 | 98.2 | 98.1 | – | – | – | – | – |" in lines
    assert "- Match or beat the paper: snips (+0.4), mrpc (+16.8)." in lines
    assert "- Short of the paper: emotion (-5.1)." in lines
    assert "- mrpc: the paper reports weighted f1; we report f1, so that row is not like for like." in lines
    assert [r["task"] for r in json.loads((tmp_path / "results.json").read_text())] == ["snips", "emotion", "wnli",
                                                                                       "mrpc"]


def test_results_say_what_a_shorter_sequence_costs(tmp_path, monkeypatch):
    monkeypatch.setattr(reproduce, "RESULTS_DIR", tmp_path)
    row = {"task": "snips", "metric": "accuracy", "seq_len": 64, "float_keras": 0.979, "qat_keras": 0.982,
           "int8_tflm": 0.9817, "paper": 97.9, "board": None, "host_arena_bytes": 70928,
           "at_paper_seq_len": {"seq_len": 256, "int8_tflm": 0.9824, "model_bytes": 431360,
                                "host_arena_bytes": 252304}}
    reproduce.write_table([row, {**row, "task": "emotion", "at_paper_seq_len": None}])
    lines = (tmp_path / "results.md").read_text().splitlines()
    assert "| snips | 64 | 98.2 | 98.2 | +0.07 points | 69.3 KB | 246.4 KB |" in lines
    assert not any(line.startswith("| emotion | 64 | ") for line in lines)


def test_unknown_task_is_refused():
    import pytest

    with pytest.raises(ValueError, match="no recipe for 'qqp'"):
        get_recipe("qqp")
