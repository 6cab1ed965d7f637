from experiments import reproduce
from experiments.recipes import RECIPES, get_recipe
from keras_models.tasks import TASKS


def test_every_task_has_a_recipe_within_the_presets_length():
    assert set(RECIPES) == set(TASKS)
    assert all(r.seq_len <= 256 and r.epochs >= 1 for r in RECIPES.values())


def test_results_table_names_the_gap_to_the_paper(tmp_path, monkeypatch):
    monkeypatch.setattr(reproduce, "RESULTS_DIR", tmp_path)
    row = {"task": "snips", "metric": "accuracy", "seq_len": 64, "float_keras": 0.979, "qat_keras": 0.982,
           "int8_tflm": 0.981, "paper": 97.9, "board": {"value": 0.983}}
    no_board = {**row, "task": "emotion", "paper": 89.9, "int8_tflm": 0.848, "board": None}
    no_paper = {**row, "task": "wnli", "paper": None, "board": None}
    reproduce.write_table([row, no_board, no_paper])
    lines = (tmp_path / "results.md").read_text().splitlines()
    assert "| snips | accuracy | 64 | 97.9 | 98.2 | 98.1 | 98.3 | 97.9 | +0.4 |" in lines
    assert "| emotion | accuracy | 64 | 97.9 | 98.2 | 84.8 | – | 89.9 | -5.1 |" in lines
    assert "| wnli | accuracy | 64 | 97.9 | 98.2 | 98.1 | – | – | – |" in lines


def test_unknown_task_is_refused():
    import pytest

    with pytest.raises(ValueError, match="no recipe for 'qqp'"):
        get_recipe("qqp")
