"""A pure-Python board that speaks `firmware/PROTOCOL.md` over a real loopback TCP socket.

It stands in for the firmware where none can run: the host tests of the client (tests/test_board_client*.py)
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
from keras_models.tokenizer import segment_ids_for

MAX_LINE = 64  # extra characters beyond the longest legal load command


def _crc(b: bytes) -> str:
    return f"{zlib.crc32(b) & 0xFFFFFFFF:08x}"


def default_logits(token_ids: np.ndarray, classes: int) -> list[int]:
    """A deterministic stand-in model: int8 logits from a hash of the ids."""
    rng = np.random.default_rng(zlib.crc32(token_ids.astype("<i4").tobytes()))
    return [int(v) for v in rng.integers(-128, 128, size=classes)]


class FakeBoard(LoopbackServer):
    thread_name = "fake-board"

    """Args:
        seq_len, vocab, classes: the model's L, V, C.
        model_hash: what `info%` reports as `model_hash`.
        logits_fn: (token_ids [L] int32, segment_ids [L] int32) -> list of C int8; default a hash.
        profiling: whether `profile%` is built in.
        cycles_per_token: the stand-in latency model (cycles = 100000 + this x real tokens).
    """

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
        self.garbage = b""
        self.drop_on_command: Callable[[str], bool] | None = None
        self.reboot_on_command: Callable[[str], bool] | None = None
        self.hang = False
        self.hang_on_command: Callable[[str], bool] | None = None  # start hanging at a matching command
        self.delay = 0.0
        self.delay_next: list[float] = []  # one-shot delays, consumed one per reply
        self.commands: list[str] = []  # every command received, in order
        self._input: np.ndarray | None = None
        self._booted = False
        super().__init__()
    def drop_link(self) -> None:
        """Close the current connection from the board's side (the cable is pulled)."""
        self.drop()

    def _serve_connection(self, conn: socket.socket) -> None:
        if not self._booted:
            self._booted = True
            self._send(conn, [f"m-boot-{self.board}"])
        self._session(conn)

    def _send(self, conn: socket.socket, lines: list[str]) -> None:
        data = self.garbage + "".join(f"{l}\r\n" for l in lines + ["m-ready"]).encode()
        conn.sendall(data)

    def _session(self, conn: socket.socket) -> None:
        buf = bytearray()
        overflow = False
        limit = 4 * self.seq_len + MAX_LINE
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
                if byte == ord("%"):
                    if overflow:
                        reply = [f"e-[line too long (max {limit} characters)]"]
                        overflow = False
                        cmd = None
                    else:
                        cmd = buf.decode("ascii", "replace")
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
                            buf.clear()
                            continue
                        reply = self._handle(cmd)
                    buf.clear()
                    pause = self.delay_next.pop(0) if self.delay_next else self.delay
                    if pause:
                        time.sleep(pause)
                    if not self.hang:
                        self._send(conn, reply)
                elif byte in (0x0D, 0x0A):
                    continue
                elif overflow:
                    continue
                else:
                    buf.append(byte)
                    if len(buf) > limit:
                        overflow = True
                        buf.clear()

    # -- commands -----------------------------------------------------------------------------------
    def _handle(self, cmd: str) -> list[str]:
        parts = cmd.split()
        if not parts:
            return []
        op, args = parts[0], parts[1:]
        try:
            if op == "name" and not args:
                return ["m-name-dut-[embbert-q]"]
            if op == "info" and not args:
                return [f"m-info-{k}={v}" for k, v in self.info().items()]
            if op == "mem" and not args:
                return [f"m-mem-{k}={v}" for k, v in self.mem().items()]
            if op == "load":
                return self._load(args)
            if op == "infer":
                return self._infer(args)
            if op == "profile-ops" and not args:
                return self._profile()
        except _Reject as e:
            if op == "load":
                self._input = None  # a rejected load leaves no input, as on the board
            return [f"e-[{e}]"]
        if op in ("name", "info", "mem", "profile-ops"):
            return [f"e-[{op}: takes no argument]"]
        return [f"e-[unknown command '{op[:32]}']"]

    def info(self) -> dict[str, object]:
        return {
            "protocol": 2, "board": self.board, "cpu": "python", "clock_hz": 64000000,
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
        if len(args) != 2:
            raise _Reject("load: expected <n> <hex>")
        n = _int(args[0], "count", 1, self.seq_len)
        hx = args[1]
        if len(hx) != 4 * n:
            raise _Reject(f"load: expected {4 * n} hex digits, got {len(hx)}")
        try:
            ids = [int(hx[i : i + 4], 16) for i in range(0, len(hx), 4)]
        except ValueError:
            raise _Reject("load: non-hex digit") from None
        if any(c not in "0123456789abcdefABCDEF" for c in hx):
            raise _Reject("load: non-hex digit")
        for i, t in enumerate(ids):
            if t >= self.vocab:
                raise _Reject(f"token id {t} at position {i} out of range (vocab {self.vocab})")
        arr = np.zeros(self.seq_len, dtype="<i4")
        arr[:n] = ids
        self._input = arr
        return [f"m-load-count={n}", f"m-load-crc={_crc(arr.tobytes())}"]

    def _infer(self, args: list[str]) -> list[str]:
        if len(args) > 2:
            raise _Reject("infer expects at most 2 arguments")
        n = _int(args[0], "n", 1, 100000) if args else 1
        if len(args) > 1:
            _int(args[1], "w", 0, 10000)
        if self._input is None:
            raise _Reject("no input loaded")
        ids = self._input
        fn = self.logits_fn or (lambda t, s: default_logits(t, self.classes))
        logits = [int(v) for v in fn(ids, segment_ids_for(ids))]
        cycles = 100000 + self.cycles_per_token * int(np.count_nonzero(ids))
        out = [f"m-run-{i}-cycles={cycles + (i % 3)}" for i in range(min(n, RUNS_REPORTED))]
        out += ["m-logits=" + ",".join(str(v) for v in logits),
                f"m-crc-input={_crc(ids.tobytes())}",
                f"m-crc-output={_crc(np.asarray(logits, dtype=np.int8).tobytes())}"]
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


RUNS_REPORTED = 100  # the firmware reports the cycles of the first 100 measured runs


class _Reject(Exception):
    pass


def _int(s: str, what: str, lo: int, hi: int) -> int:
    if not s.isdigit():
        raise _Reject(f"{what} '{s[:16]}' is not a number")
    v = int(s)
    if not lo <= v <= hi:
        raise _Reject(f"{what} {v} out of range ({lo}..{hi})")
    return v
