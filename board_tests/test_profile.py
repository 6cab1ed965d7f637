"""Per-op profile: cycles per operator type and its share of one inference."""

import pytest

from board_tests.client import BoardErrorReply
from board_tests.report import op_breakdown
from convert.flatbuffer import summarize


def test_profile(board, model, target, probe_ids, run_report):
    board.load(probe_ids)
    try:
        prof = board.profile()
    except BoardErrorReply as e:
        run_report["profile"] = {"skipped": f"board says: {e.message} (build with profiling to get it)"}
        pytest.skip(f"profiling not available: {e.message}")
    rows = op_breakdown(prof.ops)
    run_report["profile"] = {"total": prof.total, "ops": [list(o) for o in prof.ops], "by_type": rows}
    assert prof.ops, "profile returned no operators"
    summed = sum(c for _, c in prof.ops)
    assert summed <= prof.total * 1.001 + 16, f"ops sum to {summed} > total {prof.total}"
    if target.kind != "fake":  # the fake board's profile is a fixed stand-in
        graph = model.graph_bytes_for(board.info().get("kernels"))
        assert [name for name, _ in prof.ops] == summarize(graph).sequence, (
            "the board's profile is not the model's operators in execution order")
