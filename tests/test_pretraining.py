import json
import shutil
import time

import numpy as np

from keras_models.config import CLS_ID, MASK_ID, PAD_ID, SEP_ID
from keras_models.masking import mask_tokens, max_masked_for
from keras_models.pretraining_data import PairExample, buckets_up_to, make_batches, make_examples, pack


def test_masking_follows_bert():
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 1000, (400, 40)).astype(np.int32)
    ids[:, 0], ids[:, 20], ids[:, 35:] = CLS_ID, SEP_ID, PAD_ID
    corrupted, positions, labels, weights = mask_tokens(ids, np.random.default_rng(1), vocab_size=1000)
    assert positions.shape == labels.shape == weights.shape == (400, max_masked_for(40))
    chosen = weights > 0
    rows = np.repeat(np.arange(400)[:, None], positions.shape[1], 1)[chosen]
    cols = positions[chosen]
    assert np.all(labels[chosen] == ids[rows, cols])
    assert not np.isin(ids[rows, cols], [PAD_ID, CLS_ID, SEP_ID]).any()
    assert abs(chosen.sum() / (400 * 33) - 0.15) < 0.01  # 33 real, maskable tokens a row
    after = corrupted[rows, cols]
    assert abs(np.mean(after == MASK_ID) - 0.8) < 0.03
    assert abs(np.mean(after == ids[rows, cols]) - 0.1) < 0.03
    untouched = np.ones_like(ids, bool)
    untouched[rows, cols] = False
    assert np.array_equal(corrupted[untouched], ids[untouched])


def test_long_documents_become_next_segment_pairs_half_of_them_true():
    documents = [list(range(1000 * d + 10, 1000 * d + 10 + 200)) for d in range(200)]
    examples = make_examples(documents, [], max_len=64, rng=np.random.default_rng(0))
    # Each 200-token document gives 62-token pieces: 4 pieces (the last, 14 tokens, still splits).
    assert len(examples) == 200 * 4
    positives = [e for e in examples if e.is_next == 1]
    assert abs(len(positives) / len(examples) - 0.5) < 0.05
    for example in examples:
        assert 1 <= len(example.first) and len(example.first) + len(example.second) <= 62
        same_document = example.second[0] // 1000 == example.first[0] // 1000
        follows = example.second[0] == example.first[-1] + 1
        if example.is_next:
            assert same_document and follows
        else:
            assert not same_document  # a negative's b comes from another document


def test_short_texts_split_in_halves_and_the_tiniest_train_the_masked_lm_alone():
    examples = make_examples([[7, 8, 9, 10, 11, 12], [5, 6]], [], max_len=64, rng=np.random.default_rng(1))
    split, alone = examples
    assert alone == PairExample([5, 6], [], -1)
    assert split.is_next in (0, 1) and len(split.first) in (1, 2, 3, 4)
    if split.is_next:
        assert split.first + split.second == [7, 8, 9, 10, 11, 12]


def test_task_pairs_are_positives_and_mismatched_pairs_negatives():
    pairs = [([10 + i], [100 + i, 200 + i]) for i in range(400)]
    examples = make_examples([], pairs, max_len=64, rng=np.random.default_rng(2))
    assert len(examples) == 400
    for example in examples:
        own = 100 + example.first[0] - 10
        assert (example.second == [own, own + 100]) == bool(example.is_next)


def test_rows_pack_as_the_pair_tasks_do_and_fill_length_buckets():
    assert pack(PairExample([5, 6, 7, 8], [9, 10], 1), max_len=6) == [CLS_ID, 5, 6, SEP_ID, 9, 10]
    assert pack(PairExample([5, 6], [], -1), max_len=6) == [CLS_ID, 5, 6]
    assert buckets_up_to(256) == (32, 64, 128, 256) and buckets_up_to(48) == (32, 48)
    examples = [PairExample([5] * 10, [6] * 10, 1)] * 40 + [PairExample([5] * 50, [6] * 50, 0)] * 10 + [
        PairExample([7], [], -1)] * 8
    batches = make_batches(examples, tokens_per_batch=256, rng=np.random.default_rng(3), max_len=128)
    shapes = sorted(b.token_ids.shape for b in batches)
    # 48 rows of <= 32 tokens: 6 batches of 8; 10 rows of 102 tokens: 5 batches of 2.
    assert shapes == [(2, 128)] * 5 + [(8, 32)] * 6
    partial = make_batches(examples[:45], tokens_per_batch=256, rng=np.random.default_rng(3), max_len=128,
                           keep_partial=True)
    assert sorted(b.token_ids.shape for b in partial) == [(1, 128), (2, 128), (2, 128)] + [(8, 32)] * 5
    for batch in batches:
        real = batch.token_ids != PAD_ID
        assert np.all(batch.token_ids[:, 0] == CLS_ID)
        is_single = (batch.token_ids == SEP_ID).sum(axis=1) == 0
        assert np.array_equal(batch.pair_weights, (~is_single).astype(np.float32))
        assert np.array_equal(real.sum(axis=1), np.where(is_single, 2, np.where(batch.token_ids.shape[1] == 32, 22, 102)))


def test_pretraining_resumes_and_initialises_fine_tuning(tmp_path, capsys, monkeypatch):
    from tests.conftest import _require_data

    _require_data()
    from keras_models import pretrain, train

    out = tmp_path / "pre"
    # A tiny corpus stands in: the tokenised sources are what pretraining reads once cached.
    out.mkdir()
    rng = np.random.default_rng(0)
    texts = [rng.integers(5, 8192, rng.integers(5, 80)).tolist() for _ in range(300)]
    pairs = [rng.integers(5, 8192, 9).tolist() for _ in range(2 * 100)]
    pieces = texts + pairs
    np.savez(out / "sources.npz", ids=np.concatenate(pieces).astype(np.int32),
             offsets=np.cumsum([0] + [len(p) for p in pieces]), pair_start=len(texts))
    argv = ["--preset", "tiny", "--tokens-per-batch", "256", "--save-every", "2", "--warmup-steps", "2",
            "--out", str(out)]
    started = time.monotonic()
    assert pretrain.main(argv + ["--steps", "2"]) == 0
    first = time.monotonic() - started
    wall_clock = time.time
    monkeypatch.setattr(time, "time", lambda: wall_clock() + 3600)  # the run is resumed an hour later
    started = time.monotonic()
    assert pretrain.main(argv + ["--steps", "4"]) == 0
    second = time.monotonic() - started
    monkeypatch.undo()
    assert "resuming after step 2" in capsys.readouterr().out
    record = json.loads((out / "pretraining.json").read_text())
    assert [h["step"] for h in record["history"]] == [2, 4] and record["tokens"] == 4 * 256
    assert 0 < record["real_tokens"] <= record["tokens"]
    held_out = [record["history"][-1][k] for k in ("held_out_loss", "held_out_masked_accuracy", "held_out_pair_accuracy")]
    assert 5 < held_out[0] < 12 and 0 <= held_out[1] <= 1 and 0 <= held_out[2] <= 1  # ln(8192) = 9.0 untrained
    # the time the two runs took, not the hour between them (each run's figure is rounded to 0.1 s)
    assert 0 < record["seconds"] <= first + second + 0.1
    shutil.rmtree(out / "state")  # as in a fresh clone: the encoder ships, its optimizer state does not
    assert pretrain.main(argv + ["--steps", "6"]) == 0
    assert "continuing from pretrained.h5 after step 4" in capsys.readouterr().out
    # AdamW's fresh moments count their own 2 steps, so that its bias correction holds (not the global 6)
    import tensorflow as tf

    state = tf.train.latest_checkpoint(str(out / "state"))
    counters = [name for name, _ in tf.train.list_variables(state) if name.startswith("optimizer/_iterations")]
    assert [int(tf.train.load_variable(state, name)) for name in counters] == [2]
    record = json.loads((out / "pretraining.json").read_text())
    assert [h["step"] for h in record["history"]] == [2, 4, 6]
    assert pretrain.main(argv[:2] + ["--tokens-per-batch", "512"] + argv[4:] + ["--steps", "8"]) == 2
    assert "pretrained with --tokens-per-batch 256" in capsys.readouterr().err
    fine = ["--task", "snips", "--preset", "tiny", "--limit", "64", "--epochs", "1", "--qat-epochs", "0",
            "--out", str(tmp_path / "fine")]
    assert train.main(fine + ["--init", str(out)]) == 0
    assert f"initialised 9 layers from {out} (pretrained for 6 steps)" in capsys.readouterr().out
    fine_record = json.loads((tmp_path / "fine" / "checkpoint.json").read_text())
    assert (fine_record["init"], fine_record["init_steps"]) == (str(out), 6)
    assert train.main(fine) == 2  # resuming it as a run from a random encoder would mix two runs
    assert f"holds a run started from {out}, not from a random encoder" in capsys.readouterr().err
