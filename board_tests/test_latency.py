"""Latency, MLPerf Tiny style: N measured inferences of one input after W warm-ups; min / median / max."""

from board_tests import metrics


def test_latency(board, board_info, probe_ids, opts, run_report):
    ids = probe_ids
    res = board.run_example(ids, runs=opts.runs, warmup=opts.warmup)
    clock = run_report["run"]["clock_hz"]
    stats = metrics.latency_stats(res.cycles, clock)
    stats.update({"warmup": opts.warmup, "cycles": res.cycles, 
                  "cycle_source": board_info.get("cycle_source"),
                  "note": ("QEMU: counts are executed instructions (-icount), not real-board cycles"
                           if run_report["run"]["emulated"] else "board cycle counter")})
    run_report["latency"] = stats
    assert len(res.cycles) == opts.runs
    assert min(res.cycles) > 0, "the board's cycle counter reads 0"
    if board_info.get("cycle_source") == "systick-icount":
        # instruction counting is deterministic; allow a tiny spread for timer-interrupt bookkeeping
        assert max(res.cycles) <= 1.01 * min(res.cycles), f"QEMU counts vary run to run: {res.cycles}"
