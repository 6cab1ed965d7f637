"""Noisy copies of the train texts and the teacher's targets for them (distillation on a transfer set)."""

import numpy as np
import pytest

from keras_models import distillation, train
from keras_models.augmentation import DROP, augment_texts
from keras_models.checkpoint import CheckpointInfo
from keras_models.tasks import get_task
from tests.test_distillation import WORDS, _similarity_task, _task

TEXTS = ["set an alarm for seven tomorrow morning please", "play the new album by the band", "rain"]


def test_copies_come_copy_after_copy_and_are_seeded():
    copies = augment_texts(TEXTS, 3, seed=1)
    assert len(copies) == 9
    assert copies == augment_texts(TEXTS, 3, seed=1)
    assert copies != augment_texts(TEXTS, 3, seed=2)
    vocabulary = {word for text in TEXTS for word in text.split()}
    for index, copy in enumerate(copies):
        assert copy and set(copy.split()) <= vocabulary
        if TEXTS[index % 3] == "rain":  # a one-word text can lose its word only to a replacement, never vanish
            assert len(copy.split()) == 1
    assert augment_texts(TEXTS, 0) == []


def test_copies_keep_most_words_and_perturb_most_texts():
    text = " ".join(f"w{i}" for i in range(40))
    others = " ".join(f"x{i}" for i in range(40))
    copies = augment_texts([text, others], 200, seed=0)[::2]
    kept = np.array([len(set(copy.split()) & set(text.split())) / 40 for copy in copies])
    replaced = np.array([sum(word.startswith("x") for word in copy.split()) for copy in copies])
    # No span cut: 1 - DROP - REPLACE of the words survive; a cut keeps at least half of them.
    assert 0.55 < kept.mean() < 1 - DROP
    assert (kept < 1).mean() > 0.95 and (replaced > 0).mean() > 0.5


def test_bad_numbers_of_copies_are_refused():
    with pytest.raises(ValueError, match="at least 0"):
        augment_texts(TEXTS, -1)
    with pytest.raises(ValueError, match="no words"):
        augment_texts(["", "  "], 2)


def test_the_teacher_labels_the_copies_and_caches_its_targets(tmp_path, monkeypatch):
    labels = np.random.default_rng(4).integers(0, 3, 300)
    task = _task(labels)
    _, record = distillation.teacher_targets(task, cache_dir=tmp_path, log=lambda _: None)
    copied, targets = distillation.transfer_targets(task, record, 2, cache_dir=tmp_path, log=lambda _: None)
    texts = copied.texts
    assert len(texts) == 600 and targets.shape == (600, 3) and targets.dtype == np.float32
    assert copied.pairs is None
    np.testing.assert_array_equal(copied.labels, targets.argmax(axis=1))
    np.testing.assert_allclose(targets.sum(axis=1), 1.0, rtol=1e-5)
    # Where a copy still holds exactly one class's keyword, the teacher names that class.
    keyword_class = {word: label for label, words in WORDS.items() for word in words}
    found = [{keyword_class[w] for w in text.split() if w in keyword_class} for text in texts]
    single = [i for i, classes in enumerate(found) if len(classes) == 1]
    assert len(single) > 400
    assert np.mean([targets[i].argmax() == next(iter(found[i])) for i in single]) > 0.95

    from keras_models import tfidf

    monkeypatch.setattr(tfidf, "linear_svm", lambda *a: pytest.fail("the cached targets were not reused"))
    again_copied, again = distillation.transfer_targets(task, record, 2, cache_dir=tmp_path, log=lambda _: None)
    assert again_copied.texts == texts
    np.testing.assert_array_equal(again_copied.labels, copied.labels)
    np.testing.assert_array_equal(again, targets)
    monkeypatch.undo()
    messages = []
    more_copied, more = distillation.transfer_targets(task, record, 3, cache_dir=tmp_path, log=messages.append)
    assert len(more_copied) == 900 and more.shape == (900, 3)
    assert any("recomputing" in message for message in messages)


def test_copies_are_for_classification():
    with pytest.raises(ValueError, match="classification tasks only"):
        distillation.transfer_targets(_similarity_task(50), {"c": 1.0, "temperature": 1.0}, 2, log=lambda _: None)


def test_both_texts_of_a_pair_are_copied_and_perturbed_independently():
    task = _similarity_task(300)
    train_split = task.splits["train"]
    # The same pairs as a paraphrase task: equivalent when the second text keeps at least half the words.
    task.spec, task.label_names = get_task("mrpc"), ["not_equivalent", "equivalent"]
    train_split.labels = (train_split.labels >= 2.5).astype(np.int64)
    task.splits["validation"].labels = (task.splits["validation"].labels >= 2.5).astype(np.int64)
    _, record = distillation.teacher_targets(task, log=lambda _: None)
    copied, targets = distillation.transfer_targets(task, record, 2, log=lambda _: None)
    assert len(copied) == 600 and len(copied.pairs) == 600 and targets.shape == (600, 2)
    np.testing.assert_array_equal(copied.labels, targets.argmax(axis=1))
    firsts = [set(t.split()) for t in copied.texts]
    seconds = [set(t.split()) for t in copied.pairs]
    sources = train_split.texts + train_split.texts
    source_pairs = train_split.pairs + train_split.pairs
    # Each copy keeps most words of its own example's texts; the two sides are not perturbed alike.
    assert np.mean([len(f & set(a.split())) / len(f) for f, a in zip(firsts, sources)]) > 0.8
    assert np.mean([len(s & set(b.split())) / len(s) for s, b in zip(seconds, source_pairs)]) > 0.8
    changed_first = [set(a.split()) != f for f, a in zip(firsts, sources)]
    changed_second = [set(b.split()) != s for s, b in zip(seconds, source_pairs)]
    assert sum(changed_first) > 300 and sum(changed_second) > 300 and changed_first != changed_second
    # The teacher still tells most copies' relation: overlap survives moderate noise.
    overlap = np.array([len(f & s) / max(1, len(f)) for f, s in zip(firsts, seconds)])
    assert np.corrcoef(overlap, targets[:, 1])[0, 1] > 0.5


@pytest.mark.parametrize("task", ["snips", "mrpc"])
def test_training_learns_from_the_copies_and_refuses_another_number(tmp_path, capsys, task):
    from tests.conftest import _require_data

    _require_data()
    out = tmp_path / "run"
    args = ["--task", task, "--preset", "tiny", "--limit", "200", "--epochs", "1", "--qat-epochs", "0",
            "--distill", "0.5", "--out", str(out)]
    assert train.main(args + ["--noisy-copies", "2"]) == 0
    assert "400 noisy copies labelled by the teacher" in capsys.readouterr().out
    info = CheckpointInfo.load(out)
    assert info.distillation["copies"] == 2 and info.distillation["weight"] == 0.5
    assert (out / distillation.TRANSFER_CACHE_NAME).is_file()
    assert train.main(args + ["--epochs", "2", "--noisy-copies", "3"]) == 2
    assert "another --noisy-copies" in capsys.readouterr().err
    assert train.main(args[:-4] + ["--out", str(tmp_path / "other"), "--noisy-copies", "2"]) == 2
    assert "--noisy-copies needs --distill" in capsys.readouterr().err
    assert not (tmp_path / "other" / "checkpoint.json").exists()
