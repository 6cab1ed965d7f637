"""Host side of the firmware's serial protocol (`firmware/PROTOCOL.md`, version 2).

`BoardClient` talks to one board through any pyserial URL (`/dev/ttyACM0`, `socket://127.0.0.1:PORT`,
`loop://`). Every command is sent as `<cmd>%`; the reply is read line by line up to the `m-ready`
sentinel under a deadline. What the client guarantees:

- nothing blocks forever: every read has a deadline, and a board that stops answering raises
  `BoardTimeout` after `retries + 1` attempts, with the command and the last lines seen;
- garbage (lines that are neither `m-` nor `e-`, stray bytes, a late reply to an earlier command) is
  dropped: after any failure the client resynchronises by sending `%` until the board answers a lone
  `m-ready` and then stays quiet;
- `e-[...]` replies raise `BoardErrorReply` (never retried: the board did answer); a hard fault raises
  `BoardHardFault`; an unexpected `m-boot-...` in a reply raises `BoardRebooted`;
- a dropped link (socket closed, USB device gone) is reopened, within `reconnect_timeout`, and the
  command retried; every command of the protocol is idempotent, and `run_example` retries load + infer
  as one unit, checking the board's input CRC against the host's.

Example:

    with BoardClient("socket://127.0.0.1:4321", timeout=5) as board:
        print(board.info()["model_hash"])
        result = board.run_example(token_ids)      # load, infer, CRC checks
        print(result.logits, result.cycles)
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
import zlib
from typing import Callable, Iterable, Sequence

import numpy as np
import serial

READY = "m-ready"
RUNS_REPORTED = 100  # `infer` reports the cycles of its first 100 measured runs


class BoardError(Exception):
    """Base class of every failure the client reports."""


class BoardTimeout(BoardError):
    """The board did not finish a reply (up to `m-ready`) before the deadline."""


class BoardDisconnected(BoardError):
    """The link dropped and could not be reopened."""


class BoardRebooted(BoardError):
    """The board printed its boot banner in the middle of a reply: whatever it held is lost."""


class BoardHardFault(BoardError):
    """The board reported `e-[hardfault ...]` and stopped."""


class BoardGone(BoardError):
    """The board can never answer again (its emulator exited, its device path does not exist): not retried."""


class ProtocolError(BoardError):
    """A reply did not have the shape the protocol promises."""


class BoardErrorReply(BoardError):
    """The board answered with `e-[message]`."""

    def __init__(self, message: str, command: str, lines: Sequence[str] = ()):
        super().__init__(f"board rejected {command!r}: {message}")
        self.message = message
        self.command = command
        self.lines = list(lines)


RETRYABLE = (BoardTimeout, BoardDisconnected, BoardRebooted, ProtocolError)


@dataclasses.dataclass
class InferResult:
    cycles: list[int]
    logits: list[int]
    crc_input: str
    crc_output: str


@dataclasses.dataclass
class ProfileResult:
    ops: list[tuple[str, int]]  # (op name, cycles) in execution order
    total: int


def input_crc(token_ids: Sequence[int], seq_len: int) -> str:
    """CRC-32/IEEE of the `token_ids` tensor as the board holds it: L int32 little-endian, pads = 0."""
    ids = np.zeros(seq_len, dtype="<i4")
    ids[: len(token_ids)] = token_ids
    return f"{zlib.crc32(ids.tobytes()) & 0xFFFFFFFF:08x}"


def output_crc(logits: Sequence[int]) -> str:
    """CRC-32/IEEE of the int8 logits."""
    return f"{zlib.crc32(np.asarray(logits, dtype=np.int8).tobytes()) & 0xFFFFFFFF:08x}"


def encode_load(token_ids: Sequence[int]) -> str:
    """`load <n> <hex>` for the ids up to the last non-pad one (at least one id)."""
    ids = [int(t) for t in token_ids]
    n = len(ids)
    while n > 1 and ids[n - 1] == 0:
        n -= 1
    return f"load {n} " + "".join(f"{t:04x}" for t in ids[:n])


_ERROR = re.compile(r"^e-\[(.*)\]\s*$")


class BoardClient:
    """A protocol client for one board, reachable through a pyserial URL.

    Args:
        url: pyserial URL or device path.
        baud: baud rate (ignored by sockets).
        timeout: seconds allowed for a whole reply of an ordinary command.
        infer_timeout: extra seconds allowed per inference (warm-up or measured) for `infer`/`profile`;
            once inferences have been timed, the allowance shrinks to 10x the measured time (at least 2 s),
            so that a board that hangs in a long `infer 1000 100` is found out in minutes, not hours.
        retries: further attempts after a timeout, a dropped link or a reboot.
        reconnect_timeout: seconds spent trying to reopen a dropped link.
        quiet: seconds of silence that mark the end of a drain during resynchronisation.
        write_chunk: write at most this many bytes at once (0: all), pausing `write_pause` between chunks,
            for UARTs without flow control.
        log: called with each line sent (`>`) or received (`<`), e.g. to keep a transcript.
        open_fn: builds the serial object from (url, baud); the default is `serial.serial_for_url`.
        gone: returns None while the board can still answer, else why it never will (e.g. QEMU's exit
            status); checked while waiting, so that a dead emulator ends a command at once (`BoardGone`).
    """

    def __init__(
        self,
        url: str,
        baud: int = 115200,
        timeout: float = 10.0,
        infer_timeout: float = 60.0,
        retries: int = 2,
        reconnect_timeout: float = 10.0,
        quiet: float = 0.05,
        write_chunk: int = 0,
        write_pause: float = 0.0,
        log: Callable[[str, str], None] | None = None,
        open_fn: Callable[[str, int], serial.SerialBase] | None = None,
        gone: Callable[[], str | None] | None = None,
    ):
        self.url = url
        self.baud = baud
        self.timeout = timeout
        self.infer_timeout = infer_timeout
        self.seconds_per_inference: float | None = None  # measured, slowest seen
        self.retries = retries
        self.reconnect_timeout = reconnect_timeout
        self.quiet = quiet
        self.write_chunk = write_chunk
        self.write_pause = write_pause
        self.log = log
        self._open_fn = open_fn or (lambda u, b: serial.serial_for_url(u, baudrate=b, timeout=0.05,
                                                                         write_timeout=5.0))
        self._ser: serial.SerialBase | None = None
        self._buf = bytearray()
        self._dirty = True  # resynchronise before the next command
        self.garbage: list[str] = []  # lines dropped as garbage, for the report
        self.stats = {"reconnects": 0, "resyncs": 0, "retries": 0, "timeouts": 0, "garbage_lines": 0}
        self.seq_len: int | None = None
        self._gone = gone or (lambda: device_path_missing(url))

    def _check_gone(self) -> None:
        reason = self._gone()
        if reason:
            raise BoardGone(reason)

    # -- link ---------------------------------------------------------------------------------------
    def open(self) -> "BoardClient":
        deadline = time.monotonic() + self.reconnect_timeout
        last: Exception | None = None
        while True:
            self._check_gone()
            try:
                self._ser = self._open_fn(self.url, self.baud)
                self._buf.clear()
                self._dirty = True
                return self
            except (serial.SerialException, OSError) as e:
                last = e
            if time.monotonic() >= deadline:
                raise BoardDisconnected(f"cannot open {self.url}: {last}")
            time.sleep(0.2)

    def close(self) -> None:
        if self._ser is not None:
            try:
                self._ser.close()
            except Exception:  # noqa: BLE001 - closing a dead link may fail any way
                pass
        self._ser = None

    def reconnect(self) -> None:
        self.close()
        self.stats["reconnects"] += 1
        self.open()

    def __enter__(self) -> "BoardClient":
        if self._ser is None:
            self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._ser is not None and self._ser.is_open

    def _set_timeout(self, t: float) -> None:
        if self._ser.timeout != t:
            self._ser.timeout = t

    def write_raw(self, data: bytes) -> None:
        """Send bytes as they are (no `%` added). Robustness tests use it to send garbage."""
        if self._ser is None:
            raise BoardDisconnected("link is closed")
        if self.log:
            self.log(">", data.decode("ascii", "backslashreplace"))
        step = self.write_chunk or len(data) or 1
        try:
            for i in range(0, len(data), step):
                self._ser.write(data[i : i + step])
                if self.write_pause and i + step < len(data):
                    time.sleep(self.write_pause)
            self._ser.flush()
        except (serial.SerialException, OSError) as e:
            raise BoardDisconnected(f"write to {self.url} failed: {e}") from e

    def _fill(self, until: float) -> bool:
        """Read whatever arrives before `until` (monotonic). True if anything came."""
        if self._ser is None:
            raise BoardDisconnected("link is closed")
        self._check_gone()
        left = until - time.monotonic()
        if left <= 0:
            return False
        try:
            self._set_timeout(min(left, 0.05))
            data = self._ser.read(1)
            if data:
                self._set_timeout(0)
                data += self._ser.read(65536)
        except (serial.SerialException, OSError) as e:
            self._check_gone()
            raise BoardDisconnected(f"read from {self.url} failed: {e}") from e
        if data:
            self._buf += data
            return True
        return False

    def _readline(self, deadline: float, what: str) -> str:
        while True:
            i = self._buf.find(b"\n")
            if i >= 0:
                raw = bytes(self._buf[:i])
                del self._buf[: i + 1]
                line = raw.decode("ascii", "replace").strip("\r\n")
                if self.log:
                    self.log("<", line)
                return line
            if len(self._buf) > 1 << 20:  # a megabyte without a newline is noise
                self._note_garbage(self._buf[:200].decode("ascii", "replace"))
                self._buf.clear()
            if time.monotonic() >= deadline:
                self.stats["timeouts"] += 1
                tail = self._buf[-120:].decode("ascii", "replace")
                raise BoardTimeout(f"no complete reply to {what} within the deadline"
                                   + (f" (partial: {tail!r})" if tail else ""))
            self._fill(deadline)

    def _note_garbage(self, line: str) -> None:
        self.stats["garbage_lines"] += 1
        if len(self.garbage) < 1000:
            self.garbage.append(line)

    @staticmethod
    def _clean(line: str) -> str:
        """Drop stray bytes before a reply's prefix (`\\x00\\xffm-ready` -> `m-ready`)."""
        for prefix in ("m-", "e-"):
            j = line.find(prefix)
            if j > 0 and not any(c.isalnum() for c in line[:j]):
                return line[j:]
        return line

    # -- one exchange -------------------------------------------------------------------------------
    def _exchange(self, command: str, timeout: float) -> list[str]:
        """Send one command and read its reply up to `m-ready`. Returns the `m-` lines."""
        deadline = time.monotonic() + timeout
        self.write_raw(command.encode("ascii") + b"%")
        lines: list[str] = []
        errors: list[str] = []
        while True:
            line = self._clean(self._readline(deadline, repr(command + "%")))
            if line == READY:
                break
            if line.startswith("e-"):
                m = _ERROR.match(line)
                msg = m.group(1) if m else line[2:]
                if msg.startswith("hardfault"):
                    self._dirty = True
                    raise BoardHardFault(f"board hard fault while running {command!r}: {msg}")
                errors.append(msg)
            elif line.startswith("m-boot-"):
                self._dirty = True
                raise BoardRebooted(f"board rebooted ({line}) while running {command!r}")
            elif line.startswith("m-"):
                lines.append(line)
            elif line.strip():
                self._note_garbage(line)
        if errors:
            raise BoardErrorReply(errors[0], command, lines)
        return lines

    def resync(self, timeout: float | None = None) -> None:
        """Bring the link to a known state: board idle, nothing pending in either direction.

        Drains until quiet, sends `%` (which also ends any partial command the board holds), waits for
        `m-ready`, then checks that nothing else follows. Repeats if a late reply turns up.
        """
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        self.stats["resyncs"] += 1
        while True:
            self._drain(deadline)
            self.write_raw(b"%")
            while True:
                line = self._clean(self._readline(deadline, "resync '%'"))
                if line == READY:
                    break
                if line.startswith("e-[hardfault"):
                    raise BoardHardFault(f"board hard fault: {line}")
                # a late reply, an error for the garbage '%' ended, a boot banner: drop it
                if not (line.startswith("m-") or line.startswith("e-")) and line.strip():
                    self._note_garbage(line)
            if not self._drain(deadline):
                self._dirty = False
                return
            # something more arrived after our m-ready: that m-ready was not ours; go again

    def _drain(self, deadline: float) -> bool:
        """Read until `quiet` seconds pass without input; drop it. True if anything was dropped."""
        dropped = False
        while True:
            if self._buf:
                dropped = True
                for raw in bytes(self._buf).split(b"\n"):
                    s = raw.decode("ascii", "replace").strip()
                    if s and not s.startswith("m-") and not s.startswith("e-"):
                        self._note_garbage(s)
                self._buf.clear()
            if time.monotonic() >= deadline:
                self.stats["timeouts"] += 1
                raise BoardTimeout(f"board at {self.url} never went quiet while resynchronising")
            if not self._fill(min(deadline, time.monotonic() + self.quiet)):
                return dropped

    def command(self, command: str, timeout: float | None = None, retries: int | None = None) -> list[str]:
        """Send `command` (without `%`), return its `m-` reply lines; retry on timeouts and drops."""
        timeout = self.timeout if timeout is None else timeout
        return self._retrying(lambda: self._exchange(command, timeout), repr(command), retries)

    def _retrying(self, fn: Callable[[], object], what: str, retries: int | None = None):
        retries = self.retries if retries is None else retries
        first = last = None
        for attempt in range(retries + 1):
            try:
                if self._ser is None:
                    self.open()
                if self._dirty:
                    self.resync()
                return fn()
            except BoardDisconnected as e:
                first, last = first or e, e
                self._dirty = True
                if attempt < retries:
                    self.stats["retries"] += 1
                    try:
                        self.reconnect()
                    except BoardDisconnected as e2:
                        raise BoardDisconnected(f"{what}: link dropped and could not be reopened: {e2}") from e
            except RETRYABLE as e:
                first, last = first or e, e
                self._dirty = True
                if attempt < retries:
                    self.stats["retries"] += 1
        assert last is not None and first is not None
        detail = str(first) if str(first) == str(last) else f"{first}; then: {last}"
        raise type(last)(f"{what} failed after {retries + 1} attempt(s): {detail}") from last

    # -- protocol commands --------------------------------------------------------------------------
    def name(self) -> str:
        lines = self.command("name")
        for line in lines:
            m = re.match(r"^m-name-dut-\[(.*)\]$", line)
            if m:
                return m.group(1)
        raise ProtocolError(f"no m-name line in {lines}")

    def info(self) -> dict[str, str]:
        info = _key_values(self.command("info"), "m-info-")
        if "seq_len" in info:
            self.seq_len = int(info["seq_len"])
        return info

    def mem(self) -> dict[str, int]:
        return {k: int(v) for k, v in _key_values(self.command("mem"), "m-mem-").items()}

    def load(self, token_ids: Sequence[int]) -> tuple[int, str]:
        """Load token ids; returns (count, crc) as the board reports them."""
        return self._parse_load(self.command(encode_load(token_ids)))

    @staticmethod
    def _parse_load(lines: list[str]) -> tuple[int, str]:
        kv = _key_values(lines, "m-load-")
        try:
            return int(kv["count"]), kv["crc"]
        except (KeyError, ValueError) as e:
            raise ProtocolError(f"bad load reply {lines}") from e

    def infer(self, runs: int = 1, warmup: int = 0) -> InferResult:
        t0 = time.monotonic()
        res = self._parse_infer(self.command(f"infer {runs} {warmup}", timeout=self._infer_deadline(runs + warmup)),
                                runs)
        self._note_inference_time(time.monotonic() - t0, runs + warmup)
        return res

    def _infer_deadline(self, inferences: int) -> float:
        per = self.infer_timeout
        if self.seconds_per_inference is not None:
            per = min(per, max(2.0, 10 * self.seconds_per_inference))
        return self.timeout + inferences * per

    def _note_inference_time(self, seconds: float, inferences: int) -> None:
        per = seconds / max(1, inferences)
        self.seconds_per_inference = max(per, self.seconds_per_inference or 0.0)

    @staticmethod
    def _parse_infer(lines: list[str], runs: int) -> InferResult:
        cycles: dict[int, int] = {}
        logits = None
        crc_in = crc_out = None
        for line in lines:
            m = re.match(r"^m-run-(\d+)-cycles=(\d+)$", line)
            if m:
                cycles[int(m.group(1))] = int(m.group(2))
            elif line.startswith("m-logits="):
                logits = [int(v) for v in line[len("m-logits="):].split(",") if v.strip()]
            elif line.startswith("m-crc-input="):
                crc_in = line.split("=", 1)[1].strip()
            elif line.startswith("m-crc-output="):
                crc_out = line.split("=", 1)[1].strip()
        reported = list(range(min(runs, RUNS_REPORTED)))
        if logits is None or crc_in is None or crc_out is None or sorted(cycles) != reported:
            raise ProtocolError(f"incomplete infer reply: {lines}")
        if output_crc(logits) != crc_out:
            raise ProtocolError(f"logits {logits} do not match their CRC {crc_out}")
        return InferResult([cycles[i] for i in sorted(cycles)], logits, crc_in, crc_out)

    def profile(self) -> ProfileResult:
        lines = self.command("profile-ops", timeout=self._infer_deadline(2))
        ops: dict[int, tuple[str, int]] = {}
        total = None
        for line in lines:
            m = re.match(r"^m-op-(\d+)=([^,]+),(\d+)$", line)
            if m:
                ops[int(m.group(1))] = (m.group(2), int(m.group(3)))
            elif line.startswith("m-op-total="):
                total = int(line.split("=", 1)[1])
        if total is None or sorted(ops) != list(range(len(ops))):
            raise ProtocolError(f"incomplete profile reply: {lines}")
        return ProfileResult([ops[i] for i in range(len(ops))], total)

    def run_example(self, token_ids: Sequence[int], runs: int = 1, warmup: int = 0) -> InferResult:
        """Load `token_ids` and infer, as one retried unit; checks both CRCs against the host's.

        A drop or reboot between `load` and `infer` would leave the board with another input (or none),
        so the pair is retried together, and the board's input CRC must equal the host's.
        """
        if self.seq_len is None:
            self.info()
        seq_len = self.seq_len or len(token_ids)
        want = input_crc(token_ids, seq_len)
        cmd = encode_load(token_ids)

        def once() -> InferResult:
            _, crc = self._parse_load(self._exchange(cmd, self.timeout))
            if crc != want:
                raise ProtocolError(f"board input CRC {crc} != host {want}: input corrupted on the way")
            t0 = time.monotonic()
            res = self._parse_infer(self._exchange(f"infer {runs} {warmup}", self._infer_deadline(runs + warmup)),
                                    runs)
            self._note_inference_time(time.monotonic() - t0, runs + warmup)
            if res.crc_input != want:
                raise ProtocolError(f"infer ran on input CRC {res.crc_input}, host loaded {want}")
            return res

        return self._retrying(once, "load+infer")


def device_path_missing(url: str) -> str | None:
    """For a device path (not a URL) that does not exist: what to check. None otherwise."""
    if "://" in url or not url.startswith("/dev/") or os.path.exists(url):
        return None
    return (f"{url} does not exist: check that the board is plugged in with a data (not charge-only) USB cable, "
            "which port it got (ls /dev/ttyACM* /dev/ttyUSB*), and that you may open it (group dialout)")


def _key_values(lines: Iterable[str], prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        if line.startswith(prefix) and "=" in line:
            k, v = line[len(prefix):].split("=", 1)
            out[k.strip()] = v.strip()
    return out
