import json
import shutil
import time

import numpy as np

from keras_models.config import CLS_ID, MASK_ID, PAD_ID, SEP_ID
from keras_models.masking import mask_tokens, max_masked_for
from keras_models.pretrain import chunk_documents


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


def test_chunks_pack_short_documents_and_split_long_ones():
    long, short, tiny, other = list(range(10, 40)), list(range(50, 58)), [5, 6, 7], list(range(60, 69))
    chunks = chunk_documents([long, short, tiny, other], seq_len=16)
    assert chunks.tolist() == [
        [CLS_ID] + list(range(10, 25)),  # a full row of its own
        [CLS_ID] + list(range(25, 40)),
        [CLS_ID] + short + [PAD_ID] * 7,  # `other` does not fit beside it; `tiny` is dropped
        [CLS_ID] + other + [PAD_ID] * 6,
    ]
    packed = chunk_documents([short[:4] * 2, other[:8]], seq_len=20)
    assert packed.tolist() == [[CLS_ID] + short[:4] * 2 + [SEP_ID] + other[:8] + [PAD_ID] * 2]


def test_pretraining_resumes_and_initialises_fine_tuning(tmp_path, capsys, monkeypatch):
    from tests.conftest import _require_data

    _require_data()
    from keras_models import pretrain, train

    out = tmp_path / "pre"
    # A tiny corpus stands in: the chunk cache is what pretraining reads once tokenised.
    out.mkdir()
    rng = np.random.default_rng(0)
    chunks = rng.integers(5, 8192, (600, 32)).astype(np.int32)
    chunks[:, 0] = CLS_ID
    np.save(out / "chunks-L32.npy", chunks)
    argv = ["--preset", "tiny", "--batch-size", "8", "--save-every", "2", "--out", str(out)]
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
    assert [h["step"] for h in record["history"]] == [2, 4] and record["tokens"] == 4 * 8 * 32
    # the time the two runs took, not the hour between them (each run's figure is rounded to 0.1 s)
    assert 0 < record["seconds"] <= first + second + 0.1
    shutil.rmtree(out / "state")  # as in a fresh clone: the encoder ships, its optimizer state does not
    assert pretrain.main(argv + ["--steps", "6"]) == 0
    assert "continuing from pretrained.h5 after step 4" in capsys.readouterr().out
    record = json.loads((out / "pretraining.json").read_text())
    assert [h["step"] for h in record["history"]] == [2, 4, 6]
    fine = ["--task", "snips", "--preset", "tiny", "--limit", "64", "--epochs", "1", "--qat-epochs", "0",
            "--out", str(tmp_path / "fine")]
    assert train.main(fine + ["--init", str(out)]) == 0
    assert "initialised 9 layers from" in capsys.readouterr().out
    assert json.loads((tmp_path / "fine" / "checkpoint.json").read_text())["init"] == str(out)
    assert train.main(fine) == 2  # resuming it as a run from a random encoder would mix two runs
    assert f"holds a run started from {out}, not from a random encoder" in capsys.readouterr().err
