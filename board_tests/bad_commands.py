"""Bad commands and the exact error message the firmware answers each with (`firmware/src/app.cc`).

One table for the firmware (`board_tests/test_robustness.py`, on the board) and the fake board
(`tests/test_fake_board.py`), so that the two answer alike.
"""

from __future__ import annotations

from board_tests.protocol import MAX_RUNS, MAX_WARMUP, line_max


def bad_commands(seq_len: int, vocab: int) -> list[tuple[str, str]]:
    """(command, the message of its `e-[...]` reply) for a model of sequence length `seq_len`, vocabulary `vocab`."""
    big = min(vocab, 0xFFFF)
    over = seq_len + 1
    return [
        ("bogus", "unknown command 'bogus'"),
        ("name extra", "name expects 0 arguments"),
        ("mem 1", "mem expects 0 arguments"),
        ("load", "load expects 2 arguments"),
        ("load 1", "load expects 2 arguments"),
        ("load 1 0002 3 4 5", "too many arguments"),
        ("load x 0002", "bad number 'x' for count"),
        ("load 0 0002", f"count 0 out of range 1..{seq_len}"),
        (f"load {over} " + "0002" * over, f"count {over} out of range 1..{seq_len}"),
        ("load 2 0002", "hex length 4, expected 8"),
        ("load 1 00g2", "bad hex digit at offset 2"),
        (f"load 2 0002{big:04x}", f"token id {big} at position 1 out of range (vocab {vocab})"),
        ("infer", "infer expects 2 arguments"),
        ("infer 1", "infer expects 2 arguments"),
        ("infer 1 0 7", "infer expects 2 arguments"),
        ("infer 0 0", f"runs 0 out of range 1..{MAX_RUNS}"),
        (f"infer {MAX_RUNS + 1} 0", f"runs {MAX_RUNS + 1} out of range 1..{MAX_RUNS}"),
        (f"infer 1 {MAX_WARMUP + 1}", f"warmup {MAX_WARMUP + 1} out of range 0..{MAX_WARMUP}"),
        ("infer -1 0", "bad number '-1' for runs"),
        ("infer one 0", "bad number 'one' for runs"),
        ("infer 12345678901 0", "bad number '12345678901' for runs"),
        ("info\x01", "bad character 0x01 in command"),
        ("x" * 5000, f"line too long (max {line_max(seq_len)} characters)"),
    ]
