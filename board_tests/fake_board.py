"""A pure-Python board that speaks `firmware/PROTOCOL.md` over a real loopback TCP socket.

Its replies and error messages are the firmware's (`firmware/src/app.cc`; `tests/test_fake_board.py` keeps
them in line). It stands in for the firmware where none can run: the host tests of the client (tests/test_board_client*.py)
use it to prove resynchronisation, garbage handling, reconnection and timeouts, and `--port fake` runs the
whole board suite against it (with the host TFLM interpreter as its "model" when one is given).

Faults are switched on through attributes, at any time, from the test thread:

- `garbage`: bytes written before every reply (noise on the line);
- `drop_on_command`: a predicate on the command text; when it returns True the board closes the
  connection instead of answering (the link drops; the board keeps its state and listens again,
  like QEMU's socket chardev);
- `hang`: stop answering (reads and discards everything, connection stays open); `hang_on_command`:
  a predicate; the board starts hanging at the first matching command;
- `reboot_on_command`: predicate; the board "reboots" (loses its input, prints its banner) instead of
  answering;
- `fault_on_command`: predicate; the board hard-faults (prints the fault handler's `e-[hardfault ...]`
  line, no `m-ready`, then stops answering) instead of answering, as `fault%` always does;
- `delay`: seconds to sleep before each reply; `delay_next`: a list of one-shot delays, one per reply.

Example:

    with FakeBoard(seq_len=16, classes=3) as fake:
        client = BoardClient(fake.url)
"""

from __future__ import annotations

import socket
import time
import zlib
from typing import Callable, Sequence

import numpy as np

from board_tests.loopback import LoopbackServer
from board_tests.protocol import MAX_RUNS, MAX_WARMUP, line_max
from convert.flatbuffer import crc32_hex
from keras_models.tokenizer import segment_ids_for

MAX_ARGS = 4  # words in a command (firmware/src/app.cc's kMaxArgs)
# What the firmware's fault handler prints (firmware/boards/common/fault.cc) for an undefined instruction.
HARDFAULT_LINE = ("e-[hardfault pc=0x00001234 lr=0x00005679 cfsr=0x00010000 hfsr=0x40000000 mmfar=0xe000edf8 "
                  "bfar=0xe000edf8 ipsr=0x00000003 exc_return=0xfffffff9]")


def default_logits(token_ids: np.ndarray, classes: int) -> list[int]:
    """A deterministic stand-in model: int8 logits from a hash of the ids."""
    rng = np.random.default_rng(zlib.crc32(token_ids.astype("<i4").tobytes()))
    return [int(v) for v in rng.integers(-128, 128, size=classes)]


class FakeBoard(LoopbackServer):
    """A board speaking the protocol, with the firmware's replies and error messages.

    Args:
        seq_len, vocab, classes: the model's L, V, C.
        model_hash: what `info%` reports as `model_hash`.
        logits_fn: (token_ids [L] int32, segment_ids [L] int32) -> list of C int8; default a hash.
        profiling: whether `profile%` is built in.
        cycles_per_token: the stand-in latency model (cycles = 100000 + this x real tokens).
    """

    thread_name = "fake-board"

    def __init__(
        self,
        seq_len: int = 16,
        vocab: int = 8192,
        classes: int = 3,
        model_hash: str = "0badf00d",
        model_name: str = "fake",
        logits_fn: Callable[[np.ndarray, np.ndarray], Sequence[int]] | None = None,
        profiling: bool = True,
        cycles_per_token: int = 1000,
        board: str = "fake",
        model_bytes: int = 1000,
        arena_size: int = 65536,
    ):
        self.model_bytes = model_bytes
        self.arena_size = arena_size
        self.arena_used = arena_size * 15 // 16
        self.seq_len, self.vocab, self.classes = seq_len, vocab, classes
        self.model_hash, self.model_name, self.board = model_hash, model_name, board
        self.logits_fn = logits_fn
        self.profiling = profiling
        self.cycles_per_token = cycles_per_token
        self.line_max = line_max(seq_len)
        self.garbage = b""
        self.drop_on_command: Callable[[str], bool] | None = None
        self.reboot_on_command: Callable[[str], bool] | None = None
        self.fault_on_command: Callable[[str], bool] | None = None
        self.hang = False
        self.hang_on_command: Callable[[str], bool] | None = None  # start hanging at a matching command
        self.delay = 0.0
        self.delay_next: list[float] = []  # one-shot delays, consumed one per reply
        self.commands: list[str] = []  # every command received, in order
        self._input: np.ndarray | None = None
        self._booted = False
        super().__init__()

    def _serve_connection(self, conn: socket.socket) -> None:
        if not self._booted:
            self._booted = True
            self._send(conn, [f"m-boot-{self.board}"])
        self._session(conn)

    def _send(self, conn: socket.socket, lines: list[str], ready: bool = True) -> None:
        data = self.garbage + "".join(f"{line}\r\n" for line in lines + (["m-ready"] if ready else [])).encode()
        conn.sendall(data)

    def _session(self, conn: socket.socket) -> None:
        buf = bytearray()
        overflow = False
        bad_char: int | None = None
        while not self._stop.is_set():
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            if not data:
                return
            if self.hang:
                continue
            for byte in data:
                if byte in (0x0D, 0x0A):
                    continue
                if byte != ord("%"):
                    if bad_char is None and (byte < 0x20 or byte >= 0x7F) and byte != 0x09:
                        bad_char = byte
                    if len(buf) < self.line_max:
                        buf.append(byte)
                    else:
                        overflow = True
                    continue
                cmd = buf.decode("ascii", "replace")
                buf.clear()
                if overflow:
                    reply = [f"e-[line too long (max {self.line_max} characters)]"]
                elif bad_char is not None:
                    reply = [f"e-[bad character 0x{bad_char:02x} in command]"]
                else:
                    self.commands.append(cmd)
                    if self.drop_on_command and self.drop_on_command(cmd):
                        self.drop_on_command = None
                        return  # close without answering
                    if self.hang_on_command and self.hang_on_command(cmd):
                        self.hang_on_command = None
                        self.hang = True
                        break
                    if self.reboot_on_command and self.reboot_on_command(cmd):
                        self.reboot_on_command = None
                        self._input = None
                        self._send(conn, [f"m-boot-{self.board}"])
                        continue
                    if cmd.split() == ["fault"] or (self.fault_on_command and self.fault_on_command(cmd)):
                        self.fault_on_command = None
                        self._send(conn, ["", HARDFAULT_LINE], ready=False)
                        self.hang = True  # the firmware stops after its fault report
                        break
                    reply = self._handle(cmd)
                overflow, bad_char = False, None
                pause = self.delay_next.pop(0) if self.delay_next else self.delay
                if pause:
                    time.sleep(pause)
                if not self.hang:
                    self._send(conn, reply)

    # -- commands: the replies and error messages of firmware/src/app.cc ---------------------------------
    def _handle(self, cmd: str) -> list[str]:
        parts = cmd.split()
        if not parts:
            return []
        if len(parts) > MAX_ARGS:
            return ["e-[too many arguments]"]
        op, args = parts[0], parts[1:]
        handlers = {"name": (0, lambda: ["m-name-[embbert-q]"]),
                    "info": (0, lambda: [f"m-info-{k}={v}" for k, v in self.info().items()]),
                    "mem": (0, lambda: [f"m-mem-{k}={v}" for k, v in self.mem().items()]),
                    "load": (2, lambda: self._load(args)),
                    "infer": (2, lambda: self._infer(args)),
                    "profile": (0, self._profile),
                    "fault": (0, None)}  # `fault%` itself is answered by the fault report, in _session
        if op not in handlers:
            return [f"e-[unknown command '{_clipped(op, 24)}']"]
        expected, handler = handlers[op]
        if len(args) != expected:
            return [f"e-[{op} expects {expected} {'argument' if expected == 1 else 'arguments'}]"]
        try:
            return handler()
        except _Reject as e:
            return [f"e-[{e}]"]

    def info(self) -> dict[str, object]:
        return {
            "protocol": 1, "board": self.board, "cpu": "python", "clock_hz": 64000000,
            "cycle_source": "fake", "kernels": "reference", "model_name": self.model_name,
            "model_hash": self.model_hash, "model_bytes": self.model_bytes, "seq_len": self.seq_len,
            "vocab": self.vocab, "classes": self.classes, "arena_size": self.arena_size,
            "arena_used": self.arena_used,
        }

    def mem(self) -> dict[str, int]:
        return {"arena_size": self.arena_size, "arena_used": self.arena_used, "stack_size": 8192, "stack_used": 2048,
                "static_ram": self.arena_size + 4464, "flash_used": 500000 + self.model_bytes,
                "model_bytes": self.model_bytes}

    def _load(self, args: list[str]) -> list[str]:
        n = _number("count", args[0], 1, self.seq_len)
        hx = args[1]
        if len(hx) != 4 * n:
            raise _Reject(f"hex length {len(hx)}, expected {4 * n}")
        ids = []
        for i in range(n):
            for j in range(4):
                if hx[4 * i + j] not in "0123456789abcdefABCDEF":
                    raise _Reject(f"bad hex digit at offset {4 * i + j}")
            t = int(hx[4 * i : 4 * i + 4], 16)
            if t >= self.vocab:
                raise _Reject(f"token id {t} at position {i} out of range (vocab {self.vocab})")
            ids.append(t)
        arr = np.zeros(self.seq_len, dtype="<i4")
        arr[:n] = ids
        self._input = arr
        return [f"m-load-count={n}", f"m-load-crc={crc32_hex(arr.tobytes())}"]

    def _infer(self, args: list[str]) -> list[str]:
        n = _number("runs", args[0], 1, MAX_RUNS)
        _number("warmup", args[1], 0, MAX_WARMUP)
        if self._input is None:
            raise _Reject("no input loaded")
        ids = self._input
        fn = self.logits_fn or (lambda t, s: default_logits(t, self.classes))
        logits = [int(v) for v in fn(ids, segment_ids_for(ids))]
        cycles = 100000 + self.cycles_per_token * int(np.count_nonzero(ids))
        out = [f"m-run-{i}-cycles={cycles + (i % 3)}" for i in range(n)]
        out += ["m-logits=" + ",".join(str(v) for v in logits),
                f"m-crc-input={crc32_hex(ids.tobytes())}",
                f"m-crc-output={crc32_hex(np.asarray(logits, dtype=np.int8).tobytes())}"]
        return out

    def _profile(self) -> list[str]:
        if not self.profiling:
            raise _Reject("profiling not built in")
        if self._input is None:
            raise _Reject("no input loaded")
        ops = [("GATHER", 2000), ("FULLY_CONNECTED", 30000), ("BATCH_MATMUL", 40000),
               ("SOFTMAX", 35000), ("BATCH_MATMUL", 40000), ("FULLY_CONNECTED", 12000)]
        return [f"m-op-{i}={n},{c}" for i, (n, c) in enumerate(ops)] + [
            f"m-op-total={sum(c for _, c in ops)}"]


class _Reject(Exception):
    pass


def _clipped(s: str, limit: int) -> str:
    """The firmware's OutClipped: at most `limit` characters, non-printable ones as '?'."""
    return "".join(c if " " <= c < "\x7f" else "?" for c in s[:limit])


def _number(what: str, s: str, lo: int, hi: int) -> int:
    """The firmware's ParseNumber: at most 10 decimal digits, in lo..hi."""
    if not s.isascii() or not s.isdigit() or len(s) > 10:
        raise _Reject(f"bad number '{_clipped(s, 16)}' for {what}")
    v = int(s)
    if not lo <= v <= hi:
        raise _Reject(f"{what} {v} out of range {lo}..{hi}")
    return v
