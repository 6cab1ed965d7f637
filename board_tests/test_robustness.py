"""The harness and the board survive bad input, a dropped link and a board that stops answering."""

import json
import os
import time

import pytest

from board_tests.bad_commands import bad_commands
from board_tests.client import BoardErrorReply, BoardTimeout, input_crc
from board_tests.evaluate import evaluate
from board_tests.journal import Journal


def _record(run_report, name, result):
    run_report.setdefault("robustness", {})[name] = result


def test_malformed_and_out_of_range_inputs_get_errors(board, board_info, probe_ids, run_report):
    seq_len, vocab = int(board_info["seq_len"]), int(board_info["vocab"])
    _, crc = board.load(probe_ids)
    answered = []
    for cmd, message in bad_commands(seq_len, vocab):
        with pytest.raises(BoardErrorReply) as err:
            board.command(cmd, retries=0)
        assert err.value.message == message, f"reply to {cmd[:40]!r}"
        answered.append(f"{cmd[:24]!r}: {err.value.message[:60]}")
        assert board.name() == "embbert-q", f"board stopped answering after {cmd[:40]!r}"
    # a rejected load leaves the previous input in place
    assert board.infer().crc_input == crc
    _record(run_report, "malformed inputs", f"{len(answered)} rejected with e-[...], board kept serving")


def test_garbage_bytes_then_resync(board, probe_ids, run_report):
    noise = bytes(range(256)) + os.urandom(256).replace(b"%", b"") + b"\r\n\x00\x00"
    board.write_raw(noise)
    board.resync()
    assert board.name() == "embbert-q"
    res = board.run_example(probe_ids)
    assert res.crc_input == input_crc(probe_ids, len(probe_ids))
    _record(run_report, "garbage", f"{len(noise)} random bytes sent; resync and the next example ok")


def _cut_during_infer(board):
    """Cut the link after the board received an `infer` but before its reply is read (once)."""
    state = {"cut": False}

    def after_send(cmd):
        if cmd.startswith("infer") and not state["cut"]:
            state["cut"] = True
            board.close()  # the link drops; QEMU's socket chardev waits for the next connection

    board.after_send = after_send
    return lambda: setattr(board, "after_send", None), state


def test_link_dropped_mid_run_loses_and_doubles_nothing(board, board_info, some_examples, host_model, tmp_path,
                                                        run_report):
    examples = some_examples
    n = min(4, len(examples))
    sub = _take(examples, n)
    journal = Journal(tmp_path / "journal.jsonl", key={"model_hash": board_info["model_hash"]})
    reconnects = board.stats["reconnects"]
    restore, state = None, None

    def on_example(i):
        nonlocal restore, state
        if i == n // 2:
            restore, state = _cut_during_infer(board)

    try:
        records = evaluate(board, sub, host_model.run, journal, progress=False, on_example=on_example)
    finally:
        if restore:
            restore()
    assert state and state["cut"]
    assert board.stats["reconnects"] == reconnects + 1
    lines = [json.loads(l) for l in (tmp_path / "journal.jsonl").read_text().splitlines()]
    assert sorted(r["index"] for r in lines) == list(range(n)), "an example was lost or counted twice"
    assert all(r["device"] == r["host"] for r in records) or board_info.get("kernels") != "reference"
    _record(run_report, "dropped link", f"link cut during infer of example {n // 2}; reconnected, "
                                        f"{n} examples journaled once each")


def test_interrupted_run_resumes_without_double_counting(board, some_examples, host_model, tmp_path, run_report):
    examples = some_examples
    n = min(4, len(examples))
    sub = _take(examples, n)
    path = tmp_path / "journal.jsonl"

    class Interrupted(Exception):
        pass

    def stop_at(i):
        if i == n // 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        evaluate(board, sub, host_model.run, Journal(path, key={}), progress=False, on_example=stop_at)
    with open(path, "a") as f:
        f.write('{"index": 99, "device": [1, 2')  # a line cut off by the crash
    assert len(Journal(path, key={})) == n // 2
    sent = []
    records = evaluate(board, sub, host_model.run, Journal(path, key={}), progress=False, on_example=sent.append)
    assert sent == list(range(n // 2, n)), "resumed run re-ran finished examples or skipped some"
    assert [r["index"] for r in records] == list(range(n))
    assert len(path.read_text().splitlines()) == n
    _record(run_report, "interrupted run", f"stopped at example {n // 2}, resumed, {n} examples once each")


def test_board_that_stops_answering_fails_clearly(board, target, opts, run_report):
    """QEMU is frozen with SIGSTOP, the fake board told to hang; any other board is put behind a link proxy
    that stops relaying. The client must give up within its deadline, then recover once the board answers."""
    proxy = None
    if target.freeze():
        client, thaw, how = board, target.thaw, "board frozen"
    else:
        from board_tests.client import BoardClient
        from board_tests.link_proxy import LinkProxy

        board.close()  # a serial device opens once: the proxy takes it over for this test
        proxy = LinkProxy(target.url, baud=opts.baud).start()
        client = BoardClient(proxy.url, timeout=opts.timeout).open()
        assert client.name() == "embbert-q"
        proxy.freeze()
        thaw, how = proxy.thaw, "link proxy silent"
    saved = client.timeout, client.retries
    client.timeout, client.retries = 1.0, 1
    try:
        t0 = time.monotonic()
        with pytest.raises(BoardTimeout, match="failed after 2 attempt"):
            client.name()
        elapsed = time.monotonic() - t0
    finally:
        thaw()
        client.timeout, client.retries = saved
    try:
        assert elapsed < 10, f"took {elapsed:.1f} s to give up"
        assert client.name() == "embbert-q", "board did not recover after it answered again"
    finally:
        if proxy is not None:
            client.close()
            proxy.stop()
    assert board.name() == "embbert-q"  # the session's client reopens the link
    _record(run_report, "board stops answering", f"{how}: BoardTimeout after {elapsed:.1f} s; recovered after")


def _take(examples, n):
    import dataclasses

    return dataclasses.replace(
        examples, texts=examples.texts[:n], pairs=examples.pairs[:n] if examples.pairs else None,
        labels=examples.labels[:n], token_ids=examples.token_ids[:n], segment_ids=examples.segment_ids[:n])


def test_load_command_encoding_round_trips(board, probe_ids):
    ids = probe_ids
    count, crc = board.load(ids)
    assert count == max(i for i, t in enumerate(ids) if t) + 1
    assert crc == input_crc(ids, len(ids))


def test_longest_legal_load_is_accepted(board, board_info):
    seq_len, vocab = int(board_info["seq_len"]), int(board_info["vocab"])
    ids = [2] + [vocab - 1] * (seq_len - 1)
    count, crc = board.load(ids)
    assert count == seq_len and crc == input_crc(ids, seq_len)
    assert board.infer().crc_input == crc
