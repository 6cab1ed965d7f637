"""firmware/scripts/bench.py's table: per-op instructions of each kernel set, totals, arena, ratio."""

import importlib.util
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench", REPO / "firmware" / "scripts" / "bench.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_table_orders_ops_by_baseline_cost_and_gives_ratios():
    results = {
        "cmsis_nn": {"seq_len": 64, "ops": {"SOFTMAX": 4000, "FULLY_CONNECTED": 9000, "GATHER": 10},
                     "total": 13100, "arena": 65000, "exact": False},
        "fast": {"seq_len": 64, "ops": {"SOFTMAX": 1000, "FULLY_CONNECTED": 6000, "GATHER": 10},
                 "total": 7100, "arena": 64000, "exact": True},
    }
    lines = bench.table("build/model", results).splitlines()
    assert lines[0] == "build/model (L=64)"
    assert lines[2] == "| op | cmsis_nn | fast | cmsis_nn / fast |"
    assert lines[4:7] == ["| FULLY_CONNECTED | 9,000 | 6,000 | 1.50x |", "| SOFTMAX | 4,000 | 1,000 | 4.00x |",
                          "| GATHER | 10 | 10 | 1.00x |"]
    assert lines[7] == "| **total** | **13,100** | **7,100** | **1.85x** |"
    assert lines[8] == "| arena used (bytes) | 65,000 | 64,000 | |"
    assert lines[9] == "| logits == host TFLM | no | yes | |"


def test_missing_model_is_a_one_line_error(tmp_path, capsys):
    assert bench.main(["--model", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"bench: no converted model in {tmp_path / 'nothing'} (python convert/to_tflite.py --out "
                   f"{tmp_path / 'nothing'})"]
