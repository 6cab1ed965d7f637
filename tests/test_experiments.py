import json

from experiments import reproduce
from experiments.recipes import RECIPES, get_recipe
from keras_models.tasks import TASKS


def test_every_task_has_a_recipe_within_the_presets_length():
    assert set(RECIPES) == set(TASKS)
    assert all(r.seq_len <= 256 and r.epochs >= 1 for r in RECIPES.values())


def test_results_table_names_the_gap_to_the_paper_and_to_the_baseline(tmp_path, monkeypatch):
    from experiments import baseline

    monkeypatch.setattr(reproduce, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(reproduce, "CHECKPOINTS_DIR", tmp_path)
    monkeypatch.setattr(baseline, "RESULTS_PATH", tmp_path / "baselines.json")
    (tmp_path / "baselines.json").write_text(json.dumps({
        "snips": {"metric": "accuracy", "model": "TF-IDF", "parameters": 70, "bytes": 2048, "validation": 0.99,
                  "test": 0.989},
        "mrpc": {"metric": "f1", "model": "TF-IDF", "parameters": 2, "bytes": 1024, "validation": 0.8, "test": 0.81,
                 "test_accuracy": 0.7}}))
    row = {"task": "snips", "metric": "accuracy", "split": "test", "seq_len": 64, "float_keras": 0.979,
           "qat_keras": 0.982, "int8_tflm": 0.981, "paper": 97.9, "paper_metric": "accuracy", "init": "pretrained",
           "board": {"value": 0.983, "interval_95": [0.975, 0.99], "cycles_median": 78910200, "peak_ram": 96384}}
    no_board = {**row, "task": "emotion", "paper": 89.9, "int8_tflm": 0.848, "board": None, "init": None, "distill": 0.5}
    no_paper = {**row, "task": "wnli", "paper": None, "board": None}
    mrpc = {**no_board, "distill": 0.0, "task": "mrpc", "metric": "f1", "paper": 68.0, "split": "validation",
            "paper_metric": "f1_weighted", "int8_tflm_accuracy": 0.675, "majority_class_accuracy": 0.665,
            "int8_tflm_binary_f1": 0.803}
    reproduce.write_table([row, no_board, no_paper, mrpc])
    lines = (tmp_path / "results.md").read_text().splitlines()
    assert ("| snips | accuracy | test | 64 | pretrained | 98.9 | 97.9 | 98.2 | 98.1 | 98.3 | 97.5–99.0 | 97.9 | +0.4 "
            "| -0.6 | 78.9 M | 94.1 KB |") in lines
    assert ("| emotion | accuracy | test | 64 | random, teacher 0.5 | – | 97.9 | 98.2 | 84.8 | – | – | 89.9 | -5.1 | – "
            "| – | – |") in lines
    assert "| wnli | accuracy | test | 64 | pretrained | – | 97.9 | 98.2 | 98.1 | – | – | – | – | – | – | – |" in lines
    # A row scored on validation is not set beside the baseline's test score.
    assert ("| mrpc | f1 | validation | 64 | random | – | 97.9 | 98.2 | 84.8 | – | – | 68.0 | +16.8 | – | – "
            "| – |") in lines
    assert "- TF-IDF's test score lies inside the 95% interval (a gap this split cannot resolve): snips (-0.6)." in lines
    assert "- Match or beat the paper: snips (+0.4, inside the 95% interval), mrpc (+16.8)." in lines
    assert "- Short of the paper: emotion (-5.1)." in lines
    assert "- mrpc: the paper reports f1_weighted; we report f1, so that row is not like for like." in lines
    assert "- mrpc: int8 host TFLM accuracy 67.5 (always the majority class: 66.5), binary F1 80.3." in lines
    assert not any(line.startswith("- snips: int8 host TFLM accuracy") for line in lines)
    assert any(line.startswith("- Rows on `validation` come from checkpoints that chose") for line in lines)
    assert "| snips | accuracy | TF-IDF | 99.0 | 98.9 | 98.9 | 70 weights, 2 KB |" in lines
    assert "| mrpc | f1 | TF-IDF | 80.0 | 81.0 | 70.0 | 2 weights, 1 KB |" in lines
    assert [r["task"] for r in json.loads((tmp_path / "results.json").read_text())] == ["snips", "emotion", "wnli",
                                                                                       "mrpc"]


def test_results_carry_the_pretraining_record(tmp_path, monkeypatch):
    monkeypatch.setattr(reproduce, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(reproduce, "CHECKPOINTS_DIR", tmp_path)
    (tmp_path / "pretrained").mkdir()
    (tmp_path / "pretrained" / "pretraining.json").write_text(json.dumps({
        "objective": "mlm+next-segment", "steps": 2500, "tokens": 20_480_000, "real_tokens": 15_000_000,
        "seconds": 5400, "history": [{"step": 2000, "held_out_loss": 5.5},
                                     {"step": 2500, "held_out_loss": 5.25, "held_out_masked_accuracy": 0.2,
                                      "held_out_pair_accuracy": 0.7}]}))
    reproduce.write_table([])
    text = (tmp_path / "results.md").read_text()
    assert ("mlm+next-segment: 2,500 steps, 20.5 M token slots (15.0 M real tokens), 1.50 h; held-out masked-LM "
            "loss 5.25, masked accuracy 20.0%, next-segment accuracy 70.0%.") in text
    assert "earlier snapshots" not in text  # no row started from an older encoder
    rows = [{"task": "snips", "metric": "accuracy", "split": "test", "seq_len": 64, "init": init, "float_keras": 0.9,
             "qat_keras": 0.9, "int8_tflm": 0.9, "paper": None, "paper_metric": "accuracy"}
            for init in ("pretrained (2,000 steps)", "pretrained (2,500 steps)", "random")]
    reproduce.write_table(rows)
    text = (tmp_path / "results.md").read_text()
    assert ("Rows fine-tuned from earlier snapshots of this encoder, by step (held-out masked-LM loss then): "
            "2,000 (5.50).") in text


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


def test_training_follows_the_recipe_down_to_how_long_texts_are_cut(monkeypatch):
    import pytest

    commands = []

    class Trained(Exception):
        pass

    def run(command):
        commands.append(command)
        raise Trained

    monkeypatch.setattr(reproduce, "_run", run)
    for task in ("imdb", "snips"):
        with pytest.raises(Trained):
            reproduce.reproduce(task, None, None)
    imdb, snips = commands
    assert imdb[imdb.index("--keep-head") + 1] == str(get_recipe("imdb").keep_head) == "64"
    assert imdb[imdb.index("--distill") + 1] == "0.5" and imdb[imdb.index("--seq-len") + 1] == "256"
    assert "--keep-head" not in snips


def test_table_rewrite_takes_the_score_and_its_interval_from_the_board_report(tmp_path, monkeypatch):
    from experiments import baseline

    monkeypatch.setattr(baseline, "RESULTS_PATH", tmp_path / "no-baselines.json")
    monkeypatch.setattr(reproduce, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(reproduce, "CHECKPOINTS_DIR", tmp_path)
    monkeypatch.setattr(reproduce, "REPO_ROOT", tmp_path)
    (tmp_path / "report.json").write_text(json.dumps({
        "accuracy": {"n": 400, "device": {"primary": {"name": "accuracy", "value": 0.9, "interval_95": [0.87, 0.93]}},
                     "agreement": {"bit_exact": 400, "argmax_agree_rate": 1.0}},
        "latency": {"cycles_median": 24e6}, "memory": {"peak_ram": 64 * 1024}}))
    row = {"task": "snips", "metric": "accuracy", "split": "test", "seq_len": 64, "float_keras": 0.9, "qat_keras": 0.9,
           "int8_tflm": 0.9, "paper": 97.9, "board": {"port": "qemu", "report": "report.json", "value": 0.5}}
    (tmp_path / "results.json").write_text(json.dumps([row]))
    assert reproduce.main(["--table"]) == 0
    board = json.loads((tmp_path / "results.json").read_text())[0]["board"]
    assert board["value"] == 0.9 and board["interval_95"] == [0.87, 0.93] and board["examples"] == 400
    lines = (tmp_path / "results.md").read_text().splitlines()
    assert ("| snips | accuracy | test | 64 | random | – | 90.0 | 90.0 | 90.0 | 90.0 | 87.0–93.0 | 97.9 | -7.9 | – "
            "| 24.0 M | 64.0 KB |") in lines
