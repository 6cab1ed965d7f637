"""The MLPerf Tiny host runner's exact command sequence (mlcommons/tiny `benchmark/runner`, at commit
1afd2c9) against the firmware on QEMU, with its replies parsed the way the runner parses them.

The runner's own code is not vendored: what it sends and the regular expressions it applies are restated
here, each with the runner file it comes from. `SerialDevice.send_command` (serial_device.py) writes
`<command>%`, reads lines split at `\\n` with `\\r` and `\\0` dropped, and stops at the first line that
contains `m-ready`; one line comes back as a string, more as a list.
"""

import csv
import re

import numpy as np
import pytest

from board_tests.mlperf_dataset import runner_test_scripts, write_dataset
from tests.test_firmware import MODEL_DIR, boot, build, environment  # noqa: F401  (fixtures)


class RunnerPort:
    """serial_device.SerialDevice as the runner's DUT uses it: delimiter '%', end of response 'm-ready'."""

    def __init__(self, ser):
        self.ser = ser
        self.sent = []

    def send_command(self, command):
        self.sent.append(command)
        self.ser.write((command + "%").encode())
        lines = []
        while True:
            raw = self.ser.readline()
            assert raw, f"no response to command {command}"  # the runner raises RuntimeError here
            resp = "".join(c for c in raw.decode() if c not in "\n\r\0")
            if resp:
                lines.append(resp)
            if "m-ready" in resp:
                break
        return lines if len(lines) != 1 else lines[0]


def runner_identify(port):
    """main.init_dut: name, then profile (device_under_test.DUT._get_name / _get_profile)."""
    found = {}
    for line in port.send_command("name"):
        m = re.match(r"^m-(name)-dut-\[([^]]+)]$", line)
        if m:
            found[m.group(1)] = m.group(2)
    for line in port.send_command("profile"):
        m = re.match(r"^m-(model|profile)-\[([^]]+)]$", line)
        if m:
            found[m.group(1)] = m.group(2)
    return found


def runner_load(port, data, max_bytes=31):
    """device_under_test.DUT.load: `db load N`, then `db <hex>` chunks of 31 bytes."""
    port.send_command(f"db load {len(data)}")
    result = None
    for i in range(0, len(data), max_bytes):
        result = port.send_command(f"db {''.join(f'{d:02x}' for d in data[i:i + max_bytes])}")
    return result


def runner_gather(cmd_results):
    """script._ScriptInferStep._gather_infer_results (mode 'a' or 'p')."""
    result = {}
    for res in cmd_results:
        m = re.match(r"^m-results-\[([^]]+)\]$", res)
        if m:
            result["results"] = [float(x) for x in m.group(1).split(",") if x.strip()]
            continue
        m = re.match(r"^m-lap-us-([0-9]+)$", res)
        if m:
            result["end_time" if "start_time" in result else "start_time"] = int(m.group(1))
    if "start_time" in result and "end_time" in result:
        result["elapsed_time"] = result["end_time"] - result["start_time"]
    return result


def runner_truth(folder):
    """datasets.DataSet._read_truth_file."""
    with open(folder / "y_labels.csv") as f:
        return list(csv.DictReader(f, fieldnames=["file", "classes", "class", "bytes_to_send", "stride"]))


def _settings():
    text = (MODEL_DIR / "model_settings.h").read_text()
    scale = float(re.search(r"kOutputScale = ([0-9.e+-]+)f;", text).group(1))
    zero = int(re.search(r"kOutputZeroPoint = (-?\d+);", text).group(1))
    return scale, zero


def _softmax(logits, scale, zero):
    v = scale * (np.asarray(logits, dtype=np.float32) - zero)
    e = np.exp(v - v.max())
    return e / e.sum()


@pytest.fixture
def runner_board(boot, environment, tmp_path):
    golden = environment
    b = boot("qemu")
    folder = tmp_path / "datasets" / golden.get("name", "model")
    vectors = golden["vectors"][:3]
    labels = [int(np.argmax(v["logits"])) for v in vectors]
    write_dataset(folder, [v["token_ids"] for v in vectors], labels, len(vectors[0]["logits"]))
    return b, RunnerPort(b.ser), folder, vectors


def test_runner_accuracy_mode_sequence(runner_board, environment):
    b, port, folder, vectors = runner_board
    ident = runner_identify(port)
    info = b.values("info", "m-info-")
    assert ident == {"name": "embbert-q", "profile": "EmbBERT-Q firmware protocol 2", "model": info["model_name"]}
    scale, zero = _settings()
    y_pred, y_true = [], []
    for row, vector in zip(runner_truth(folder), vectors):
        data = (folder / row["file"]).read_bytes()
        assert len(data) == 2 * int(info["seq_len"])
        done = runner_load(port, data)
        assert done[0] == "m-load-done", done
        raw = port.send_command("infer 1 0")
        assert raw[:3] == ["m-warmup-start-0", "m-warmup-done", "m-infer-start-1"], raw
        assert re.fullmatch(r"m-lap-us-\d+", raw[3]) and re.fullmatch(r"m-lap-us-\d+", raw[4]), raw
        assert raw[5] == "m-infer-done" and raw[6].startswith("m-results-[") and raw[-1] == "m-ready", raw
        res = runner_gather(raw)
        board_logits = [int(v) for v in next(x for x in raw if x.startswith("m-logits="))[9:].split(",")]
        # The results are the softmax of the dequantized int8 output, to 6 decimals.
        np.testing.assert_allclose(res["results"], _softmax(board_logits, scale, zero), atol=1e-6)
        assert abs(sum(res["results"]) - 1) < 1e-5
        assert int(np.argmax(board_logits)) == int(np.argmax(vector["logits"]))
        # main.summarize_result: normalize by the sum, argmax
        y_pred.append(np.asarray(res["results"]) / sum(res["results"]))
        y_true.append(int(row["class"]))
        assert port.send_command("results") == [next(x for x in raw if x.startswith("m-results-")), "m-ready"]
    accuracy = 100 * np.mean(np.argmax(y_pred, axis=1) == np.asarray(y_true))
    assert accuracy == 100.0


def test_runner_performance_mode_sequence(runner_board):
    b, port, folder, vectors = runner_board
    clock_hz = int(b.values("info", "m-info-")["clock_hz"])
    runner_load(port, (folder / runner_truth(folder)[0]["file"]).read_bytes())
    before = int(re.match(r"m-lap-us-(\d+)", port.send_command("timestamp")[0]).group(1))
    raw = port.send_command("infer 3 2")
    assert raw[:3] == ["m-warmup-start-2", "m-warmup-done", "m-infer-start-3"], raw
    res = runner_gather(raw)
    cycles = [int(x.split("=")[1]) for x in raw if re.match(r"m-run-\d+-cycles=", x)]
    total = int(next(x for x in raw if x.startswith("m-runs-cycles-total="))[20:])
    assert len(cycles) == 3 and sum(cycles) == total
    assert res["start_time"] == before
    assert abs(res["elapsed_time"] - total * 1e6 / clock_hz) <= 1
    throughput = 3 / (res["elapsed_time"] / 1e6)  # script._print_AP_results
    assert throughput > 0
    # `infer N` alone: the runner's default of 10 warm-up inferences
    assert port.send_command("infer 1")[0] == "m-warmup-start-10"


def test_rejected_db_load_leaves_no_input(runner_board):
    b, port, folder, vectors = runner_board
    data = (folder / runner_truth(folder)[0]["file"]).read_bytes()
    runner_load(port, data)
    assert port.send_command("db print")[0] == "m-buffer-" + "-".join(f"{x:02x}" for x in data[:8])
    assert port.send_command("db load 4") == ["m-[Expecting 4 bytes]", "m-ready"]
    assert port.send_command("db 02zz") == ["e-[db: bad hex digit at offset 2]", "m-ready"]
    assert port.send_command("infer 1 0") == ["e-[no input loaded]", "m-ready"]
    assert "results" not in runner_gather(port.send_command("infer 1 0"))
    vocab = int(b.values("info", "m-info-")["vocab"])
    port.send_command("db load 2")
    bad = port.send_command(f"db {vocab & 0xFF:02x}{vocab >> 8:02x}")
    assert bad[0] == f"e-[token id {vocab} at position 0 out of range (vocab {vocab})]", bad
    assert port.send_command("infer 1 0")[0] == "e-[no input loaded]"
    assert port.send_command("db 0200")[0].startswith("e-[db: no load in progress")
    help_lines = port.send_command("help")
    assert help_lines[0] == "m-help-EmbBERT-Q firmware protocol 2" and len(help_lines) > 8


def test_test_scripts_name_the_model_id():
    scripts = runner_test_scripts("embbert-snips-L64", perf_runs=200, perf_warmup=10)
    assert scripts["tests_performance.yaml"].splitlines()[:2] == ["embbert-snips-L64:", "  name: text_classification"]
    assert "    - loop 5:\n      - download\n      - infer 200 10\n" in scripts["tests_performance.yaml"]
    assert "      - infer 1 0\n" in scripts["tests_accuracy.yaml"]


def test_dataset_folder_holds_little_endian_ids_and_the_truth_file(tmp_path):
    names = write_dataset(tmp_path, [[2, 300, 4, 0], [2, 8191, 4, 0]], [5, 1], num_classes=7)
    assert names == ["0000.bin", "0001.bin"]
    assert (tmp_path / "0000.bin").read_bytes() == bytes([2, 0, 0x2C, 0x01, 4, 0, 0, 0])
    assert [(r["file"], r["classes"], r["class"]) for r in runner_truth(tmp_path)] == [
        ("0000.bin", "7", "5"), ("0001.bin", "7", "1")]
