import json

import numpy as np
import pandas as pd
import pytest

from keras_models.data import carve_validation, load_task
from keras_models.paths import data_dir
from keras_models.tasks import get_task


def _write_task(folder, n=50, labels=("no", "yes")):
    folder.mkdir(parents=True)
    frame = pd.DataFrame({"text": [f"example {i}" for i in range(n)], "label": [i % 2 for i in range(n)]})
    frame.to_parquet(folder / "train.parquet")
    (folder / "meta.json").write_text(json.dumps({"label_names": list(labels)}))


def test_local_folder_loads_with_a_seeded_ten_percent_validation(tmp_path):
    folder = tmp_path / "tinynlp" / "limit"
    _write_task(folder)
    task = load_task("limit", source=tmp_path)
    assert len(task.splits["train"]) == 45 and len(task.splits["validation"]) == 5
    assert task.label_names == ["no", "yes"] and task.num_outputs == 2
    again = load_task(str(folder))  # a folder named after its task works too
    assert again.splits["validation"].texts == task.splits["validation"].texts
    assert not set(task.splits["train"].texts) & set(task.splits["validation"].texts)


def test_carving_is_deterministic_and_disjoint():
    from keras_models.data import Split

    split = Split([str(i) for i in range(100)], np.arange(100))
    (train_a, val_a), (train_b, val_b) = carve_validation(split), carve_validation(split)
    assert val_a.texts == val_b.texts and len(val_a) == 10 and len(train_a) == 90


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
    train, validation = task.splits["train"], task.splits["validation"]
    assert abs(len(validation) / (len(train) + len(validation)) - 0.1) < 0.001
    assert (train.pairs is not None) == task.spec.pair
    if task.spec.regression:
        assert task.num_outputs == 1 and train.labels.dtype == np.float32
    else:
        assert train.labels.max() == len(task.label_names) - 1
