"""Distillation from the TF-IDF teacher: out-of-fold soft targets (classes) or predictions (regression), the mixed loss target."""

import json

import numpy as np
import pytest

from keras_models import distillation, train
from keras_models.checkpoint import CheckpointInfo
from keras_models.data import Split, TaskData
from keras_models.tasks import get_task

WORDS = {0: ["rain", "snow", "storm", "cloud"], 1: ["song", "music", "play", "album"], 2: ["alarm", "wake", "timer", "clock"]}


def _task(labels: np.ndarray, seed: int = 0, name: str = "snips") -> TaskData:
    """Texts whose class shows in one keyword among shared filler words."""
    rng = np.random.default_rng(seed)
    filler = ["the", "a", "please", "now", "me", "for", "today", "some"]

    def text(label):
        words = list(rng.choice(filler, 4)) + [str(rng.choice(WORDS[int(label)]))]
        rng.shuffle(words)
        return " ".join(words)

    def split(y):
        return Split([text(label) for label in y], np.asarray(y, np.int64))

    return TaskData(get_task(name), ["weather", "music", "alarm"], {"train": split(labels), "validation": split(labels[:60])}, "made")


def test_temperature_is_the_one_that_drew_the_labels():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, (20000, 4))
    probabilities = distillation.softmax(logits, 0.5)
    labels = np.array([rng.choice(4, p=p) for p in probabilities])
    assert distillation.fit_temperature(logits, labels) == pytest.approx(0.5, rel=0.15)


def test_mixed_targets_weigh_labels_against_the_teacher():
    teacher = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    labels = np.array([1, 2])
    np.testing.assert_allclose(distillation.mixed_targets(labels, teacher, 0.0), [[0, 1, 0], [0, 0, 1]])
    np.testing.assert_allclose(distillation.mixed_targets(labels, teacher, 1.0), teacher)
    np.testing.assert_allclose(distillation.mixed_targets(labels, teacher, 0.5), [[0.35, 0.6, 0.05], [0.05, 0.05, 0.9]])
    with pytest.raises(ValueError, match="must lie in"):
        distillation.mixed_targets(labels, teacher, 1.5)


def test_teacher_targets_are_out_of_fold_and_cached(tmp_path, monkeypatch):
    labels = np.random.default_rng(2).integers(0, 3, 300)
    probabilities, record = distillation.teacher_targets(_task(labels), cache_dir=tmp_path, log=lambda _: None)
    assert probabilities.shape == (300, 3) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert record["out_of_fold_accuracy"] > 0.95 and record["c"] in (0.1, 0.3, 1.0, 3.0)
    assert (probabilities.argmax(axis=1) == labels).mean() > 0.95

    from keras_models import tfidf

    monkeypatch.setattr(tfidf, "linear_svm", lambda *a: pytest.fail("the cached targets were not reused"))
    again, again_record = distillation.teacher_targets(_task(labels), cache_dir=tmp_path, log=lambda _: None)
    np.testing.assert_array_equal(again, probabilities)
    assert again_record == record


def test_teacher_cannot_memorise_labels_it_scores():
    # Labels with no relation to the text: an SVM scoring its own training rows would fit them, one that
    # never saw a row's label can only guess.
    rng = np.random.default_rng(3)
    task = _task(rng.integers(0, 3, 300))
    task.splits["train"].labels = rng.integers(0, 3, 300)
    _, record = distillation.teacher_targets(task, log=lambda _: None)
    assert record["out_of_fold_accuracy"] < 0.45


def _similarity_task(size: int, seed: int = 0) -> TaskData:
    """Pairs whose label (0-5) is the share of the first text's words the second one keeps."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(200)]

    def split(n):
        texts, pairs, labels = [], [], []
        for _ in range(n):
            words = list(rng.choice(vocabulary, 8, replace=False))
            kept = int(rng.integers(0, 9))
            others = [w for w in vocabulary if w not in words]
            pair = words[:kept] + list(rng.choice(others, 8 - kept, replace=False))
            texts.append(" ".join(words))
            pairs.append(" ".join(pair))
            labels.append(5.0 * kept / 8)
        return Split(texts, np.asarray(labels, np.float32), pairs)

    return TaskData(get_task("stsb"), [], {"train": split(size), "validation": split(size // 5)}, "made")


def test_a_regression_teacher_predicts_the_label_out_of_fold(tmp_path, monkeypatch):
    task = _similarity_task(400)
    targets, record = distillation.teacher_targets(task, cache_dir=tmp_path, log=lambda _: None)
    assert targets.shape == (400,) and targets.dtype == np.float32
    assert record["validation_spearman"] > 0.9 and record["out_of_fold_spearman"] > 0.9
    assert record["folds"] == distillation.FOLDS
    labels = task.splits["train"].labels
    assert np.abs(targets - labels).mean() < 0.6
    np.testing.assert_allclose(distillation.mixed_targets(labels, targets, 0.25), 0.75 * labels + 0.25 * targets,
                               rtol=1e-6)
    monkeypatch.setattr(distillation, "_regression_teacher", lambda *a: pytest.fail("the cached targets were not reused"))
    again, _ = distillation.teacher_targets(task, cache_dir=tmp_path, log=lambda _: None)
    np.testing.assert_array_equal(again, targets)


def test_a_regression_teacher_needs_pairs():
    task = _similarity_task(50)
    task.splits["train"].pairs = None
    with pytest.raises(ValueError, match="has none"):
        distillation.teacher_targets(task, log=lambda _: None)


@pytest.mark.parametrize("task", ["snips", "stsb"])
def test_training_with_a_teacher_records_it_and_refuses_another_weight(tmp_path, capsys, task):
    from tests.conftest import _require_data

    _require_data()
    out = tmp_path / "run"
    args = ["--task", task, "--preset", "tiny", "--limit", "200", "--epochs", "1", "--qat-epochs", "0", "--out", str(out)]
    assert train.main(args + ["--distill", "0.5"]) == 0
    info = CheckpointInfo.load(out)
    assert info.distillation["weight"] == 0.5 and info.distillation["teacher"]["folds"] == distillation.FOLDS
    assert (out / "teacher.npz").is_file()
    capsys.readouterr()
    assert train.main(args + ["--epochs", "2"]) == 2
    assert "another --distill" in capsys.readouterr().err
    assert json.loads((out / "checkpoint.json").read_text())["distillation"]["weight"] == 0.5
