"""End to end: the on-device suite (`pytest board_tests/`) run as a user runs it, on a freshly converted
small model (untrained `embbert-q` preset at L=16: real ops, quick), against the fake board and against
the firmware under QEMU. The QEMU run skips only when the firmware cannot be built here."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
PY = sys.executable
LIMIT = 12


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    cmd = [PY, str(REPO / "convert" / "to_tflite.py"), "--preset", "embbert-q", "--seq-len", "16", "--task", "snips",
           "--out", str(out), "--eval-samples", "16", "--calibration-samples", "32"]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        pytest.fail(f"converter failed ({r.returncode}):\n{(r.stdout + r.stderr)[-2000:]}")
    return out


def _run_suite(port, model_dir, report_dir, *extra, timeout=1200):
    cmd = [PY, "-m", "pytest", str(REPO / "board_tests"), "--port", port, "--model-dir", str(model_dir),
           "--dataset", "snips", "--limit", str(LIMIT), "--runs", "5", "--warmup", "1",
           "--report-dir", str(report_dir), "-q", "-rs", "-p", "no:cacheprovider", *extra]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=env)
    return r.returncode, r.stdout + r.stderr


def _report(report_dir):
    found = list(pathlib.Path(report_dir).glob("*/report.json"))
    assert len(found) == 1, found
    return found[0].parent, json.loads(found[0].read_text())


def _check_report(folder, rep, model_dir):
    info = json.loads((pathlib.Path(model_dir) / "model_info.json").read_text())
    assert rep["run"]["model_hash"] == info["hash"]
    acc = rep["accuracy"]
    assert acc["n"] == LIMIT and acc["task"] == "snips" and acc["device"]["primary"]["name"] == "accuracy"
    assert acc["agreement"]["n"] == LIMIT
    assert len(acc["device"]["confusion"]) == 7
    assert rep["latency"]["runs"] == 5 and rep["latency"]["cycles_min"] > 0
    assert rep["memory"]["arena_used"] <= rep["memory"]["arena_size"]
    assert rep["profile"]["by_type"] and sum(c for _, c in rep["profile"]["ops"]) <= rep["profile"]["total"]
    assert len(rep["robustness"]) >= 4
    for name in ("report.md", "latency.png", "profile.png", "confusion.png", "journal.jsonl"):
        assert (folder / name).exists(), name
    lines = (folder / "journal.jsonl").read_text().splitlines()
    assert sorted(json.loads(l)["index"] for l in lines) == list(range(LIMIT))


def test_board_suite_against_fake_board(small_model, tmp_path):
    rc, out = _run_suite("fake", small_model, tmp_path)
    assert rc == 0, out[-4000:]
    # the fake answers with the host interpreter's logits: equal here means they crossed the protocol (hex ids,
    # CRCs, parsing, the journal) unchanged; the firmware's own agreement is the QEMU runs' below
    assert "board report" in out and "device vs host: 12/12 bit-exact" in out
    folder, rep = _report(tmp_path)
    _check_report(folder, rep, small_model)
    # a second run resumes from the journal: nothing re-sent, nothing counted twice
    rc, out = _run_suite("fake", small_model, tmp_path)
    assert rc == 0, out[-4000:]
    folder, rep = _report(tmp_path)
    assert rep["accuracy"]["resumed_from_journal"] == LIMIT
    _check_report(folder, rep, small_model)


@pytest.mark.parametrize("kernels", ["cmsis_nn", "reference"])
def test_board_suite_on_qemu(small_model, tmp_path, kernels):
    rc, out = _run_suite("qemu", small_model, tmp_path, "--kernels", kernels)
    if rc == 0 and "cannot be built here" in out:
        pytest.skip("firmware cannot be built here: " + out[out.index("cannot be built here"):][:400])
    assert rc == 0, out[-4000:]
    folder, rep = _report(tmp_path)
    _check_report(folder, rep, small_model)
    assert rep["run"]["emulated"] and rep["run"]["cycle_source"] == "systick-icount"
    assert "not real Cortex-M4 cycles" in (folder / "report.md").read_text()
    assert rep["identity"]["golden_vectors"] > 0
    assert rep["run"]["kernels"] == kernels
    if kernels == "reference":  # the firmware's contract: bit for bit with the host TFLM interpreter
        assert rep["accuracy"]["agreement"]["bit_exact"] == LIMIT
        assert rep["identity"]["golden_bit_exact"] == rep["identity"]["golden_vectors"]
    assert rep["memory"]["static_ram_elf"] == rep["memory"]["static_ram"]
