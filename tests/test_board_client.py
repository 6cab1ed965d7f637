"""Host tests of the board protocol client against the fake board on a real loopback socket."""

import socket
import time
import zlib

import numpy as np
import pytest

from board_tests.client import (
    BoardClient,
    BoardDisconnected,
    BoardErrorReply,
    BoardHardFault,
    BoardTimeout,
    encode_load,
    input_crc,
    output_crc,
)
from board_tests.fake_board import HARDFAULT_LINE, FakeBoard, default_logits

L = 16
IDS = [2, 100, 200, 8191, 4, 0, 0]


@pytest.fixture
def fake():
    with FakeBoard(seq_len=L, classes=3) as board:
        yield board


@pytest.fixture
def client(fake):
    with BoardClient(fake.url, timeout=1.0, infer_timeout=1.0, retries=2, reconnect_timeout=2.0) as c:
        yield c


def _expected_logits(ids):
    arr = np.zeros(L, dtype="<i4")
    arr[: len(ids)] = ids
    return default_logits(arr, 3)


def test_encode_load_trims_padding_and_uses_big_endian_hex():
    assert encode_load([2, 0x1234, 4, 0, 0]) == "load 3 000212340004"
    assert encode_load([0, 0]) == "load 1 0000"


def test_crcs_match_zlib_over_int32_le_and_int8():
    ids = np.zeros(L, dtype="<i4")
    ids[:3] = [2, 7, 4]
    assert input_crc([2, 7, 4], L) == f"{zlib.crc32(ids.tobytes()):08x}"
    assert output_crc([-1, 5]) == f"{zlib.crc32(bytes([255, 5])):08x}"


def test_commands_round_trip(client, fake):
    assert client.name() == "embbert-q"
    info = client.info()
    assert info["model_hash"] == "0badf00d" and client.seq_len == L
    assert client.mem()["arena_used"] == 65536 * 15 // 16
    count, crc = client.load(IDS)
    assert count == 5 and crc == input_crc(IDS, L)
    res = client.infer(runs=3, warmup=1)
    assert len(res.cycles) == 3 and res.crc_input == crc
    assert res.logits == _expected_logits(IDS)
    prof = client.profile()
    assert prof.total == sum(c for _, c in prof.ops) and prof.ops[0][0] == "GATHER"


def test_error_reply_is_typed_and_board_keeps_serving(client, fake):
    with pytest.raises(BoardErrorReply, match="no input loaded"):
        client.infer()
    with pytest.raises(BoardErrorReply, match="unknown command"):
        client.command("bogus")
    assert client.name() == "embbert-q"
    assert client.stats["retries"] == 0  # a real answer is never retried


def test_rejected_load_keeps_previous_input(client, fake):
    _, crc = client.load(IDS)
    with pytest.raises(BoardErrorReply, match=r"token id 9000 at position 1 out of range"):
        client.load([2, 9000, 4])
    assert client.infer().crc_input == crc


def test_overlong_line_is_rejected_and_board_stays_up(client):
    with pytest.raises(BoardErrorReply, match="line too long"):
        client.command("load 1 " + "0" * 1000)
    assert client.name() == "embbert-q"


def test_garbage_from_the_board_is_dropped(client, fake):
    fake.garbage = b"\x00\xff\xfe noise line\r\nmore junk\r\n\x07"
    assert client.name() == "embbert-q"
    assert client.run_example(IDS).logits == _expected_logits(IDS)
    assert client.stats["garbage_lines"] >= 2


def test_garbage_from_the_host_is_flushed_by_resync(client, fake):
    client.write_raw(b"zz\x01half a comm")
    client.resync()
    assert client.name() == "embbert-q"


def test_late_reply_after_timeout_is_not_taken_for_the_next_answer(client, fake):
    client.load(IDS)
    fake.delay_next = [0.8]  # the board answers `name` after the client gave up on it
    client.timeout = 0.5
    assert client.name() == "embbert-q"
    assert client.stats["retries"] >= 1
    # the late `m-name` + `m-ready` were drained, so the next exchange is in step
    assert client.run_example(IDS).crc_input == input_crc(IDS, L)


def test_link_dropped_mid_command_is_reopened_and_example_retried(client, fake):
    client.info()
    fake.drop_on_command = lambda cmd: cmd.startswith("infer")
    res = client.run_example(IDS)
    assert res.logits == _expected_logits(IDS)
    assert client.stats["reconnects"] == 1 and fake.connections == 2
    assert [c for c in fake.commands if c.startswith("load")] == [encode_load(IDS)] * 2


def test_link_dropped_between_commands(client, fake):
    assert client.name() == "embbert-q"
    fake.drop()
    time.sleep(0.1)
    assert client.name() == "embbert-q"
    assert client.stats["reconnects"] == 1


def test_board_reboot_mid_example_reloads_input(client, fake):
    client.info()
    fake.reboot_on_command = lambda cmd: cmd.startswith("infer")
    res = client.run_example(IDS)
    assert res.crc_input == input_crc(IDS, L)
    assert client.stats["retries"] == 1


def test_board_that_stops_answering_fails_clearly_without_hanging(fake):
    with BoardClient(fake.url, timeout=0.3, retries=1) as client:
        assert client.name() == "embbert-q"
        fake.hang = True
        t0 = time.monotonic()
        with pytest.raises(BoardTimeout, match=r"'name' failed after 2 attempt.*no complete reply to 'name%'"):
            client.name()
        assert time.monotonic() - t0 < 3.0


def test_board_gone_for_good_raises_disconnected(fake):
    client = BoardClient(fake.url, timeout=0.3, retries=1, reconnect_timeout=0.5).open()
    assert client.name() == "embbert-q"
    fake.stop()
    t0 = time.monotonic()
    with pytest.raises((BoardDisconnected, BoardTimeout)):
        client.name()
    assert time.monotonic() - t0 < 5.0
    client.close()


def test_nothing_listening_raises_disconnected():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    t0 = time.monotonic()
    with pytest.raises(BoardDisconnected, match="cannot open"):
        BoardClient(f"socket://127.0.0.1:{port}", reconnect_timeout=0.5).open()
    assert time.monotonic() - t0 < 3.0


def test_board_hanging_in_a_long_infer_is_found_out_from_measured_speed(fake):
    with BoardClient(fake.url, timeout=0.5, infer_timeout=600, retries=0) as client:
        client.run_example(IDS)  # times one inference (milliseconds here)
        assert client.seconds_per_inference is not None and client.seconds_per_inference < 1
        deadline = client.infer_deadline(4)
        assert deadline == 0.5 + 4 * 2.0  # 2 s per inference (the floor of 10x measured), not 600 s
        fake.hang_on_command = lambda cmd: cmd.startswith("infer")
        t0 = time.monotonic()
        with pytest.raises(BoardTimeout, match="no complete reply to 'infer 3 1%'"):
            client.run_example(IDS, runs=3, warmup=1)
        elapsed = time.monotonic() - t0
        # never before the deadline; the upper bound only has to tell 8.5 s from 4 x 600 s on a busy machine
        assert deadline <= elapsed < deadline + 60


def test_chunked_writes_still_frame_commands(fake):
    with BoardClient(fake.url, timeout=2.0, write_chunk=7, write_pause=0.001) as client:
        assert client.run_example(IDS).logits == _expected_logits(IDS)


def test_link_proxy_relays_freezes_and_cuts(fake):
    from board_tests.link_proxy import LinkProxy

    with LinkProxy(fake.url) as proxy:
        with BoardClient(proxy.url, timeout=0.5, retries=1, reconnect_timeout=2.0) as client:
            assert client.run_example(IDS).logits == _expected_logits(IDS)
            proxy.freeze()
            t0 = time.monotonic()
            with pytest.raises(BoardTimeout):
                client.name()
            assert time.monotonic() - t0 < 3.0
            proxy.thaw()
            assert client.name() == "embbert-q"
            proxy.drop()
            time.sleep(0.1)
            assert client.name() == "embbert-q" and client.stats["reconnects"] == 1


def test_hard_fault_is_reported_at_once_and_not_retried(client, fake):
    client.load(IDS)
    fake.fault_on_command = lambda cmd: cmd.startswith("infer")
    t0 = time.monotonic()
    with pytest.raises(BoardHardFault) as err:
        client.run_example(IDS)
    assert str(err.value) == f"board hard fault while running 'infer 1 0': {HARDFAULT_LINE[3:-1]}"
    assert time.monotonic() - t0 < client.timeout  # the fault line ends the wait, no deadline runs out
    assert [c for c in fake.commands if c.startswith("infer")] == ["infer 1 0"]  # sent once: no retry
    assert client.stats["retries"] == 0


def test_fault_command_hard_faults_the_fake_like_the_firmware(client, fake):
    with pytest.raises(BoardHardFault, match=r"while running 'fault': hardfault pc=0x[0-9a-f]{8} lr="):
        client.command("fault")
    with pytest.raises(BoardTimeout):  # a faulted board stays silent
        client.command("name", timeout=0.3, retries=0)
