"""The link to one board: open, read lines under a deadline, drain, resynchronise, retry.

`Transport` moves the protocol's lines (`board_tests/protocol.py`) over any pyserial URL
(`/dev/ttyACM0`, `socket://127.0.0.1:PORT`, `loop://`). What it guarantees:

- nothing blocks forever: every read has a deadline, and a board that stops answering raises
  `BoardTimeout` after `retries + 1` attempts, with the command and the last lines seen;
- garbage (lines that are neither `m-` nor `e-`, stray bytes, a late reply to an earlier command) is
  dropped: after any failure the transport resynchronises by sending `%` until the board answers a lone
  `m-ready` and then stays quiet;
- `e-[...]` replies raise `BoardErrorReply` (never retried: the board did answer); a hard fault raises
  `BoardHardFault`; an unexpected `m-boot-...` in a reply raises `BoardRebooted`;
- a dropped link (socket closed, USB device gone) is reopened, within `reconnect_timeout`, and the
  command retried.
"""

from __future__ import annotations

import time
from typing import Callable

import serial

from board_tests import protocol
from board_tests.protocol import (
    RETRYABLE,
    BoardDisconnected,
    BoardErrorReply,
    BoardHardFault,
    BoardRebooted,
    BoardTimeout,
)

MAX_GARBAGE_KEPT = 1000
MAX_LINE_BYTES = 1 << 20  # a megabyte without a newline is noise


class Transport:
    """Lines to and from one board, reachable through a pyserial URL.

    Args:
        url: pyserial URL or device path.
        baud: baud rate (ignored by sockets).
        timeout: seconds allowed for a whole reply of an ordinary command.
        retries: further attempts after a timeout, a dropped link or a reboot.
        reconnect_timeout: seconds spent trying to reopen a dropped link.
        quiet: seconds of silence that mark the end of a drain during resynchronisation.
        write_chunk: write at most this many bytes at once (0: all), pausing `write_pause` between chunks,
            for UARTs without flow control.
        log: called with each line sent (`>`) or received (`<`), e.g. to keep a transcript.

    `after_send`, when set, is called with each command right after it was written (before its reply is
    read): tests use it to cut the link at a chosen point of an exchange.
    """

    def __init__(
        self,
        url: str,
        baud: int = 115200,
        timeout: float = 10.0,
        retries: int = 2,
        reconnect_timeout: float = 10.0,
        quiet: float = 0.05,
        write_chunk: int = 0,
        write_pause: float = 0.0,
        log: Callable[[str, str], None] | None = None,
    ):
        self.url = url
        self.baud = baud
        self.timeout = timeout
        self.retries = retries
        self.reconnect_timeout = reconnect_timeout
        self.quiet = quiet
        self.write_chunk = write_chunk
        self.write_pause = write_pause
        self.log = log
        self.after_send: Callable[[str], None] | None = None
        self._ser: serial.SerialBase | None = None
        self._buf = bytearray()
        self._dirty = True  # resynchronise before the next command
        self.garbage: list[str] = []  # lines dropped as garbage, for the report
        self.stats = {"reconnects": 0, "resyncs": 0, "retries": 0, "timeouts": 0, "garbage_lines": 0}

    # -- link ---------------------------------------------------------------------------------------
    def open(self):
        deadline = time.monotonic() + self.reconnect_timeout
        last: Exception | None = None
        while True:
            try:
                self._ser = serial.serial_for_url(self.url, baudrate=self.baud, timeout=0.05, write_timeout=5.0)
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

    def __enter__(self):
        if self._ser is None:
            self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- bytes and lines ----------------------------------------------------------------------------
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

    def _set_timeout(self, t: float) -> None:
        if self._ser.timeout != t:  # setting it reconfigures a real serial port
            self._ser.timeout = t

    def _fill(self, until: float) -> bool:
        """Read whatever arrives before `until` (monotonic). True if anything came."""
        if self._ser is None:
            raise BoardDisconnected("link is closed")
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
            raise BoardDisconnected(f"read from {self.url} failed: {e}") from e
        if data:
            self._buf += data
            return True
        return False

    def _readline(self, deadline: float, what: str) -> str:
        """The next line, stray bytes before its prefix dropped; `BoardTimeout` at `deadline`."""
        while True:
            i = self._buf.find(b"\n")
            if i >= 0:
                raw = bytes(self._buf[:i])
                del self._buf[: i + 1]
                line = raw.decode("ascii", "replace").strip("\r\n")
                if self.log:
                    self.log("<", line)
                return protocol.clean_line(line)
            if len(self._buf) > MAX_LINE_BYTES:
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
        if len(self.garbage) < MAX_GARBAGE_KEPT:
            self.garbage.append(line)

    # -- one exchange -------------------------------------------------------------------------------
    def exchange(self, command: str, timeout: float) -> list[str]:
        """Send one command and read its reply up to `m-ready`, once (no retry). Returns the `m-` lines."""
        deadline = time.monotonic() + timeout
        self.write_raw(command.encode("ascii") + b"%")
        if self.after_send:
            self.after_send(command)
        lines: list[str] = []
        errors: list[str] = []
        while True:
            line = self._readline(deadline, repr(command + "%"))
            if line == protocol.READY:
                break
            message = protocol.error_message(line)
            if message is not None:
                if protocol.is_hardfault(message):
                    self._dirty = True
                    raise BoardHardFault(f"board hard fault while running {command!r}: {message}")
                errors.append(message)
            elif protocol.is_boot_banner(line):
                self._dirty = True
                raise BoardRebooted(f"board rebooted ({line}) while running {command!r}")
            elif protocol.is_reply_line(line):
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
                line = self._readline(deadline, "resync '%'")
                if line == protocol.READY:
                    break
                message = protocol.error_message(line)
                if message is not None and protocol.is_hardfault(message):
                    raise BoardHardFault(f"board hard fault: {line}")
                # a late reply, an error for the garbage '%' ended, a boot banner: drop it
                if not protocol.is_reply_line(line) and line.strip():
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
                    if s and not protocol.is_reply_line(s):
                        self._note_garbage(s)
                self._buf.clear()
            if time.monotonic() >= deadline:
                self.stats["timeouts"] += 1
                raise BoardTimeout(f"board at {self.url} never went quiet while resynchronising")
            if not self._fill(min(deadline, time.monotonic() + self.quiet)):
                return dropped

    # -- retries ------------------------------------------------------------------------------------
    def retrying(self, attempt, what: str, retries: int | None = None):
        """`attempt()` (one or more exchanges), again after a timeout, a drop or a reboot; each attempt
        starts on an open, resynchronised link. Raises the last failure after `retries + 1` attempts."""
        retries = self.retries if retries is None else retries
        first = last = None
        for n in range(retries + 1):
            try:
                if self._ser is None:
                    self.open()
                if self._dirty:
                    self.resync()
                return attempt()
            except BoardDisconnected as e:
                first, last = first or e, e
                self._dirty = True
                if n < retries:
                    self.stats["retries"] += 1
                    try:
                        self.reconnect()
                    except BoardDisconnected as e2:
                        raise BoardDisconnected(f"{what}: link dropped and could not be reopened: {e2}") from e
            except RETRYABLE as e:
                first, last = first or e, e
                self._dirty = True
                if n < retries:
                    self.stats["retries"] += 1
        assert last is not None and first is not None
        detail = str(first) if str(first) == str(last) else f"{first}; then: {last}"
        raise type(last)(f"{what} failed after {retries + 1} attempt(s): {detail}") from last

    def command(self, command: str, timeout: float | None = None, retries: int | None = None) -> list[str]:
        """Send `command` (without `%`), return its `m-` reply lines; retry on timeouts and drops."""
        timeout = self.timeout if timeout is None else timeout
        return self.retrying(lambda: self.exchange(command, timeout), repr(command), retries)
