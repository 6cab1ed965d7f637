import json

import numpy as np
import pandas as pd
import pytest

from keras_models.data import Split, carve_splits, load_task
from keras_models.paths import data_dir
from keras_models.tasks import get_task


def _write_task(folder, n=50, labels=("no", "yes")):
    folder.mkdir(parents=True)
    frame = pd.DataFrame({"text": [f"example {i}" for i in range(n)], "label": [i % 2 for i in range(n)]})
    frame.to_parquet(folder / "train.parquet")
    (folder / "meta.json").write_text(json.dumps({"label_names": list(labels)}))


def test_local_folder_loads_with_seeded_ten_percent_validation_and_test(tmp_path):
    folder = tmp_path / "tinynlp" / "limit"
    _write_task(folder)
    task = load_task("limit", source=tmp_path)
    train, validation, test = (task.splits[k] for k in ("train", "validation", "test"))
    assert (len(train), len(validation), len(test)) == (40, 5, 5)
    assert task.label_names == ["no", "yes"] and task.num_outputs == 2
    again = load_task(str(folder))  # a folder named after its task works too
    assert again.splits["test"].texts == test.texts
    assert sorted(train.texts + validation.texts + test.texts) == sorted(f"example {i}" for i in range(50))


def test_carving_is_deterministic_disjoint_and_keeps_the_earlier_validation():
    split = Split([str(i) for i in range(100)], np.arange(100))
    (train_a, val_a, test_a), (train_b, val_b, test_b) = carve_splits(split), carve_splits(split)
    assert (val_a.texts, test_a.texts, train_a.texts) == (val_b.texts, test_b.texts, train_b.texts)
    assert (len(train_a), len(val_a), len(test_a)) == (80, 10, 10)
    assert not set(val_a.texts) & set(test_a.texts) and not (set(val_a.texts) | set(test_a.texts)) & set(train_a.texts)
    # Validation is the first 10% of the seeded permutation, as the two-way carve of earlier releases had it.
    first_tenth = np.sort(np.random.default_rng(42).permutation(100)[:10])
    assert val_a.texts == [str(i) for i in first_tenth]
    assert np.array_equal(val_a.labels, first_tenth)


def test_carving_too_few_examples_is_a_clear_error():
    with pytest.raises(ValueError, match="too few to carve"):
        carve_splits(Split(["a", "b"], np.arange(2)))


def test_emotion_trains_on_its_official_validation_too(tmp_path):
    folder = tmp_path / "tinynlp" / "emotion"
    _write_task(folder, labels=[str(i) for i in range(2)])
    pd.DataFrame({"text": ["official 1", "official 2"], "label": [0, 1]}).to_parquet(folder / "validation.parquet")
    task = load_task("emotion", source=tmp_path)
    assert task.splits["train"].texts[-2:] == ["official 1", "official 2"] and len(task.splits["train"]) == 42
    assert task.splits["official_validation"].texts == ["official 1", "official 2"]


def test_unknown_task_and_missing_folder_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown task 'qqp2'"):
        load_task("qqp2")
    with pytest.raises(FileNotFoundError, match="dataset folder not found"):
        load_task("snips", source=tmp_path)


def test_task_names_resolve_with_or_without_group():
    assert get_task("glue/cola") == get_task("cola") and get_task("cola").metric == "mcc"
    assert get_task("stsb").regression and get_task("mrpc").pair


@pytest.mark.parametrize("name", ["snips", "emotion", "rte", "stsb"])
def test_shared_datasets_load(name):
    if not (data_dir() / get_task(name).folder).is_dir():
        pytest.skip(f"{name} not in {data_dir()}")
    task = load_task(name)
    train, validation, test = (task.splits[k] for k in ("train", "validation", "test"))
    carved_from = len(train) + len(validation) + len(test) - len(task.splits.get("official_validation", [])
                                                                if name == "emotion" else [])
    assert abs(len(validation) / carved_from - 0.1) < 0.001 and abs(len(test) / carved_from - 0.1) < 0.001
    assert (train.pairs is not None) == task.spec.pair
    if task.spec.regression:
        assert task.num_outputs == 1 and train.labels.dtype == np.float32
    else:
        assert train.labels.max() == len(task.label_names) - 1
