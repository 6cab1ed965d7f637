"""Host tests of the board harness's evaluation side: metrics, the resumable journal, the report, ELF sizes,
and the example loop against the fake board (link cut, interruption, resume)."""

import dataclasses
import json
import shutil
import subprocess

import numpy as np
import pytest

from board_tests import metrics
from board_tests.artifacts import ModelArtifacts, segment_ids
from board_tests.client import BoardClient, input_crc
from board_tests.data import Examples
from board_tests.elf import elf_sizes
from keras_models.metrics import score
from board_tests.evaluate import evaluate, summarize
from board_tests.fake_board import FakeBoard, default_logits
from board_tests.journal import Journal
from board_tests.report import op_breakdown, summary_lines, write_report
from keras_models.paths import data_dir

L = 16


# -- metrics -------------------------------------------------------------------------------------------
def test_classification_scores():
    y, p = [0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 2]
    s = metrics.classification_scores(y, p, ["a", "b", "c"], "accuracy")
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert s["confusion"] == [[1, 1, 0], [1, 2, 0], [0, 0, 1]]
    assert s["per_class"]["b"] == {"precision": 2 / 3, "recall": 2 / 3, "f1": pytest.approx(2 / 3), "support": 3}
    assert s["primary"] == {"name": "accuracy", "value": s["accuracy"]}


def test_binary_f1_and_mcc():
    y, p = [1, 1, 0, 0, 1], [1, 0, 0, 1, 1]
    f1 = metrics.classification_scores(y, p, ["no", "yes"], "f1")
    assert f1["primary"]["value"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))  # tp 2, fp 1, fn 1
    mcc = metrics.classification_scores(y, p, ["no", "yes"], "mcc")
    assert mcc["primary"]["name"] == "mcc" and mcc["mcc"] == pytest.approx(1 / 6)


def test_weighted_f1_is_mrpcs_primary_metric_and_not_reached_by_the_majority_class():
    y, always_yes = [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]
    s = metrics.classification_scores(y, always_yes, ["no", "yes"], "f1_weighted")
    assert s["primary"]["name"] == "f1_weighted"
    assert s["f1"] == pytest.approx(0.75)  # binary F1 rewards always answering the majority class
    assert s["primary"]["value"] == pytest.approx(0.6 * 0.75)  # weighted by support: "no" scores 0
    assert score("f1_weighted", y, always_yes) == pytest.approx(s["primary"]["value"])


def test_regression_scores_spearman():
    s = metrics.regression_scores([0.0, 1.0, 2.0, 3.0], [0.1, 0.5, 0.4, 9.0])
    assert s["spearman"] == pytest.approx(0.8) and s["primary"]["name"] == "spearman"


def test_bootstrap_interval_is_seeded_and_as_wide_as_sampling_noise():
    from keras_models.metrics import bootstrap_interval

    labels = np.arange(1000) % 2
    half_right = np.where(np.arange(1000) < 500, 1 - labels, labels)
    low, high = bootstrap_interval("accuracy", labels, half_right)
    assert low < 0.5 < high and high - low == pytest.approx(2 * 1.96 * 0.5 / np.sqrt(1000), abs=0.008)
    assert bootstrap_interval("accuracy", labels, half_right) == (low, high)
    assert bootstrap_interval("accuracy", labels, labels) == (1.0, 1.0)
    mcc_low, mcc_high = bootstrap_interval("mcc", labels, half_right, resamples=200)
    assert mcc_low < 0.0 < mcc_high


def test_agreement():
    a = metrics.agreement([[1, 2, 3], [5, 0, 0], [0, 9, 1]], [[1, 2, 3], [4, 0, 1], [0, 7, 8]])
    assert (a["bit_exact"], a["max_abs_diff"], a["argmax_agree"]) == (1, 7, 2)


def test_latency_stats_in_cycles_and_us():
    s = metrics.latency_stats([100, 300, 200], clock_hz=100e6)
    assert (s["cycles_min"], s["cycles_median"], s["cycles_max"]) == (100, 200, 300)
    assert s["us_median"] == pytest.approx(2.0)


# -- journal -------------------------------------------------------------------------------------------
def test_journal_resumes_and_never_double_counts(tmp_path):
    path = tmp_path / "j.jsonl"
    key = {"model_hash": "aaaa0000", "dataset": "snips", "split": "validation"}
    j = Journal(path, key)
    j.append({"index": 0, "input_crc": "c0", "device": [1]})
    j.append({"index": 1, "input_crc": "c1", "device": [2]})
    with open(path, "a") as f:
        f.write(json.dumps({**key, "model_hash": "bbbb1111", "index": 2}) + "\n")  # another model
        f.write('{"index": 3, "model_ha')  # cut off by a crash
    j2 = Journal(path, key)
    assert sorted(j2.records) == [0, 1] and j2.skipped_lines == 2
    assert j2.has(1, "c1") and not j2.has(1, "changed") and not j2.has(2)
    j2.append({"index": 1, "input_crc": "changed", "device": [3]})  # a stale record re-run
    j3 = Journal(path, key)
    assert len(j3) == 2 and j3.get(1)["device"] == [3]
    assert path.read_text().endswith("\n") and all(json.loads(l) for l in path.read_text().splitlines())


# -- report --------------------------------------------------------------------------------------------
def _report():
    ops = [("FULLY_CONNECTED", 500), ("SOFTMAX", 300), ("FULLY_CONNECTED", 200)]
    return {
        "run": {"board": "qemu", "port": "qemu", "emulated": True, "clock_hz": 25e6, "model_name": "m",
                "model_hash": "12345678", "seq_len": 16, "kernels": "cmsis_nn", "wall_s": 3.0},
        "accuracy": {"task": "snips", "split": "validation", "source": "x", "n": 3, "split_total": 10,
                     "metric": "accuracy",
                     "device": metrics.classification_scores([0, 1, 1], [0, 1, 0], ["a", "b"], "accuracy"),
                     "agreement": metrics.agreement([[1, 2]], [[1, 2]]), "example_cycles": [10, 12, 11],
                     "example_latency": metrics.latency_stats([10, 12, 11], 25e6)},
        "latency": {**metrics.latency_stats([1000, 1000, 1001], 25e6), "warmup": 2, "cycles": [1000, 1000, 1001]},
        "memory": {"arena_size": 2048, "arena_used": 1000, "stack_size": 1024, "stack_used": 100,
                   "static_ram": 4000, "peak_ram": 4100, "flash": 9000, "model_bytes": 5000},
        "profile": {"total": 1000, "ops": ops, "by_type": op_breakdown(ops)},
    }


def test_op_breakdown_groups_by_type():
    rows = op_breakdown([("FULLY_CONNECTED", 500), ("SOFTMAX", 300), ("FULLY_CONNECTED", 200)])
    assert rows[0] == {"op": "FULLY_CONNECTED", "count": 2, "cycles": 700, "share": 0.7}


def test_report_files_and_summary(tmp_path):
    paths = write_report(tmp_path, _report())
    for name in ("report.json", "report.md", "latency.png", "profile.png", "confusion.png"):
        assert (tmp_path / name).exists(), name
    for png in ("latency.png", "profile.png", "confusion.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = paths["md"].read_text()
    assert "not real Cortex-M4 cycles" in md and "| FULLY_CONNECTED | 2 | 700 | 70.0 % |" in md
    data = json.loads(paths["json"].read_text())
    assert data["accuracy"]["device"]["accuracy"] == pytest.approx(2 / 3)
    lines = summary_lines(_report())
    assert any("QEMU instruction counts" in l for l in lines)
    assert any(l.startswith("snips/validation: accuracy 0.6667 on 3 of 10") for l in lines)
    report = _report()
    report["accuracy"]["device"]["primary"]["interval_95"] = [0.25, 1.0]
    assert any(l.startswith("snips/validation: accuracy 0.6667 (95% interval 0.2500–1.0000) on 3 of 10")
               for l in summary_lines(report))


# -- converter outputs ---------------------------------------------------------------------------------
def test_segment_rule():
    assert segment_ids([2, 7, 4, 9, 4, 0]).tolist() == [1, 1, 2, 2, 2, 0]


def test_missing_converter_output_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="model.tflite, model_info.json, golden.json not found: run the conv"):
        ModelArtifacts(tmp_path)


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")
def test_elf_sizes_match_arm_none_eabi_size(tmp_path):
    src = tmp_path / "t.c"
    src.write_text('int big[1000]; int d = 5; const char r[300] = "x";\n'
                   "int main(void) { return big[0] + d + r[1]; }\n")
    elf = tmp_path / "t.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-specs=nosys.specs", "-O1", str(src), "-o", str(elf)],
                   check=True)
    berkeley = subprocess.run(["arm-none-eabi-size", str(elf)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in berkeley.stdout.splitlines()[1].split()[:3])
    s = elf_sizes(elf)
    assert (s["text"], s["data"], s["bss"]) == (text, data, bss)
    tables = sum(v for k, v in s["sections"].items() if k in (".init_array", ".fini_array", ".preinit_array"))
    assert tables > 0  # newlib's crt0 brings constructor tables, so the subtraction below is exercised
    assert s["flash"] == text + data and s["static_ram"] == data + bss - tables


# -- the example loop against the fake board -----------------------------------------------------------
def _examples(n=6):
    rng = np.random.default_rng(1)
    ids = np.zeros((n, L), np.int32)
    for i in range(n):
        k = int(rng.integers(3, L))
        ids[i, :k] = rng.integers(5, 8192, k)
        ids[i, 0] = 2
    seg = np.stack([segment_ids(r) for r in ids])
    return Examples(task="t", split="validation", source="test", metric="accuracy", regression=False,
                    label_names=["a", "b", "c"], texts=[f"x{i}" for i in range(n)], pairs=None,
                    labels=np.arange(n) % 3, token_ids=ids, segment_ids=seg, total=n)


def _host(ids, seg):
    return default_logits(np.asarray(ids, dtype="<i4"), 3)


@pytest.fixture
def fake():
    with FakeBoard(seq_len=L, classes=3) as board:
        yield board


def test_evaluate_survives_a_cut_link_and_journals_each_example_once(fake, tmp_path):
    ex = _examples()
    client = BoardClient(fake.url, timeout=1.0, retries=2, reconnect_timeout=2.0).open()
    fake.drop_on_command = None

    def on_example(i):
        if i == 3:  # the link drops while the board answers example 3's infer
            fake.drop_on_command = lambda cmd: cmd.startswith("infer")

    records = evaluate(client, ex, _host, Journal(tmp_path / "j.jsonl", {}), progress=False, on_example=on_example)
    client.close()
    assert [r["index"] for r in records] == list(range(6))
    assert len((tmp_path / "j.jsonl").read_text().splitlines()) == 6
    assert client.stats["reconnects"] == 1
    s = summarize(records, ex, clock_hz=64e6)
    assert s["agreement"]["bit_exact"] == 6 and s["n"] == 6
    low, high = s["device"]["primary"]["interval_95"]
    assert low <= s["device"]["primary"]["value"] <= high
    assert s["device"]["confusion"] and s["example_latency"]["runs"] == 6


def test_evaluate_resumes_after_interruption(fake, tmp_path):
    ex = _examples()
    client = BoardClient(fake.url, timeout=1.0).open()
    path = tmp_path / "j.jsonl"

    def boom(i):
        if i == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        evaluate(client, ex, _host, Journal(path, {}), progress=False, on_example=boom)
    loads_before = sum(c.startswith("load") for c in fake.commands)
    sent = []
    records = evaluate(client, ex, _host, Journal(path, {}), progress=False, on_example=sent.append)
    client.close()
    assert sent == [4, 5] and loads_before == 4
    assert [r["index"] for r in records] == list(range(6))
    # a changed input (e.g. a new tokenizer) makes its record stale: re-run, still one record per index
    ex2 = dataclasses.replace(ex, token_ids=ex.token_ids.copy())
    ex2.token_ids[0, 1] = 4242
    client = BoardClient(fake.url, timeout=1.0).open()
    sent.clear()
    records = evaluate(client, ex2, _host, Journal(path, {}), progress=False, on_example=sent.append)
    client.close()
    assert sent == [0] and records[0]["input_crc"] == input_crc(ex2.token_ids[0], L)
    assert len(Journal(path, {})) == 6


def test_regression_task_is_scored_with_spearman_on_dequantized_output(tmp_path):
    with FakeBoard(seq_len=L, classes=1) as fake:
        ex = dataclasses.replace(_examples(8), regression=True, metric="spearman", label_names=[],
                                 labels=np.linspace(0, 5, 8))
        client = BoardClient(fake.url, timeout=1.0).open()
        host = lambda ids, seg: default_logits(np.asarray(ids, dtype="<i4"), 1)  # noqa: E731
        records = evaluate(client, ex, host, Journal(tmp_path / "j.jsonl", {}), progress=False)
        client.close()
    s = summarize(records, ex, output_quant=(0.05, -10))
    pred = [(r["device"][0] + 10) * 0.05 for r in records]
    assert s["device"]["primary"]["name"] == "spearman"
    assert s["device"]["spearman"] == pytest.approx(metrics.regression_scores(ex.labels, pred)["spearman"])
    assert s["agreement"]["bit_exact"] == 8 and "confusion" not in s["device"]
    low, high = s["device"]["primary"]["interval_95"]
    assert -1.0 <= low <= s["device"]["spearman"] <= high <= 1.0


@pytest.mark.skipif(not (data_dir() / "glue" / "mrpc").is_dir(), reason=f"MRPC not found under {data_dir()}")
def test_pair_task_examples_are_tokenized_as_pairs():
    from board_tests.data import load_examples

    # the local folder given explicitly: a missing one is an error, never a download from the hub
    ex = load_examples(str(data_dir() / "glue" / "mrpc"), "validation", seq_len=64, limit=5)
    assert len(ex) == 5 and ex.total > 5 and ex.pairs is not None and ex.metric == "f1_weighted"
    assert ex.token_ids.shape == (5, 64) and all(4 in row for row in ex.token_ids.tolist())
    assert np.array_equal(ex.segment_ids, np.stack([segment_ids(r) for r in ex.token_ids]))
