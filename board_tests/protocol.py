"""The firmware's serial protocol (`firmware/PROTOCOL.md`, version 1) as pure functions: no I/O.

Encoding of commands, the CRCs the board reports, the classification of reply lines, and parsers of each
command's reply. The transport (`board_tests/transport.py`) moves the lines; the client
(`board_tests/client.py`) puts the two together.

Example:

    >>> encode_load([2, 0x1234, 4, 0, 0])
    'load 3 000212340004'
    >>> parse_load(["m-load-count=3", "m-load-crc=0f1e2d3c"])
    (3, '0f1e2d3c')
    >>> error_message("e-[no input loaded]")
    'no input loaded'
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterable, Sequence

import numpy as np

from convert.flatbuffer import crc32_hex

READY = "m-ready"
BOOT_PREFIX = "m-boot-"
HARDFAULT_PREFIX = "hardfault"
MAX_RUNS = 1000  # infer <n> <w>: n in 1..MAX_RUNS, w in 0..MAX_WARMUP
MAX_WARMUP = 100


def line_max(seq_len: int) -> int:
    """The board's command buffer (characters before `%`): the longest `load` plus room for its words."""
    return 32 + 4 * seq_len


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


class ProtocolError(BoardError):
    """A reply did not have the shape the protocol promises."""


class BoardErrorReply(BoardError):
    """The board answered with `e-[message]`."""

    def __init__(self, message: str, command: str, lines: Sequence[str] = ()):
        super().__init__(f"board rejected {command!r}: {message}")
        self.message = message
        self.command = command
        self.lines = list(lines)


# Failures after which the same command may be sent again: every command of the protocol is idempotent.
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


# -- encoding -----------------------------------------------------------------------------------------
def input_crc(token_ids: Sequence[int], seq_len: int) -> str:
    """CRC-32/IEEE of the `token_ids` tensor as the board holds it: L int32 little-endian, pads = 0."""
    ids = np.zeros(seq_len, dtype="<i4")
    ids[: len(token_ids)] = token_ids
    return crc32_hex(ids.tobytes())


def output_crc(logits: Sequence[int]) -> str:
    """CRC-32/IEEE of the int8 logits."""
    return crc32_hex(np.asarray(logits, dtype=np.int8).tobytes())


def encode_load(token_ids: Sequence[int]) -> str:
    """`load <n> <hex>` for the ids up to the last non-pad one (at least one id), 4 hex digits per id."""
    ids = [int(t) for t in token_ids]
    n = len(ids)
    while n > 1 and ids[n - 1] == 0:
        n -= 1
    return f"load {n} " + "".join(f"{t:04x}" for t in ids[:n])


def encode_infer(runs: int, warmup: int) -> str:
    return f"infer {runs} {warmup}"


# -- reply lines --------------------------------------------------------------------------------------
_ERROR = re.compile(r"^e-\[(.*)\]\s*$")


def clean_line(line: str) -> str:
    """Drops stray bytes before a reply's prefix (`\\x00\\xffm-ready` -> `m-ready`).

    >>> clean_line("\\x00\\xffm-ready")
    'm-ready'
    """
    for prefix in ("m-", "e-"):
        j = line.find(prefix)
        if j > 0 and not any(c.isascii() and c.isalnum() for c in line[:j]):
            return line[j:]
    return line


def is_reply_line(line: str) -> bool:
    """True for a line of the protocol (`m-...` or `e-...`); anything else is garbage."""
    return line.startswith(("m-", "e-"))


def error_message(line: str) -> str | None:
    """The message of an `e-[...]` line (also a malformed `e-...`), None for other lines."""
    if not line.startswith("e-"):
        return None
    m = _ERROR.match(line)
    return m.group(1) if m else line[2:]


def is_hardfault(message: str) -> bool:
    """True for the message of the line the fault handler prints before the board stops."""
    return message.startswith(HARDFAULT_PREFIX)


def is_boot_banner(line: str) -> bool:
    return line.startswith(BOOT_PREFIX)


# -- replies ------------------------------------------------------------------------------------------
def key_values(lines: Iterable[str], prefix: str) -> dict[str, str]:
    """`{key: value}` of the lines `<prefix><key>=<value>`.

    >>> key_values(["m-mem-arena_used=100", "m-log-x", "m-mem-stack_used=8"], "m-mem-")
    {'arena_used': '100', 'stack_used': '8'}
    """
    out: dict[str, str] = {}
    for line in lines:
        if line.startswith(prefix) and "=" in line:
            k, v = line[len(prefix):].split("=", 1)
            out[k.strip()] = v.strip()
    return out


def parse_name(lines: Sequence[str]) -> str:
    for line in lines:
        m = re.match(r"^m-name-\[(.*)\]$", line)
        if m:
            return m.group(1)
    raise ProtocolError(f"no m-name line in {list(lines)}")


def parse_info(lines: Sequence[str]) -> dict[str, str]:
    return key_values(lines, "m-info-")


def parse_mem(lines: Sequence[str]) -> dict[str, int]:
    try:
        return {k: int(v) for k, v in key_values(lines, "m-mem-").items()}
    except ValueError as e:
        raise ProtocolError(f"bad mem reply {list(lines)}") from e


def parse_load(lines: Sequence[str]) -> tuple[int, str]:
    """(count, crc) of a `load` reply."""
    kv = key_values(lines, "m-load-")
    try:
        return int(kv["count"]), kv["crc"]
    except (KeyError, ValueError) as e:
        raise ProtocolError(f"bad load reply {list(lines)}") from e


def parse_infer(lines: Sequence[str], runs: int) -> InferResult:
    """The reply of `infer <runs> <w>`; checks that every run is there and the logits match their CRC."""
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
    if logits is None or crc_in is None or crc_out is None or sorted(cycles) != list(range(runs)):
        raise ProtocolError(f"incomplete infer reply: {list(lines)}")
    if output_crc(logits) != crc_out:
        raise ProtocolError(f"logits {logits} do not match their CRC {crc_out}")
    return InferResult([cycles[i] for i in range(runs)], logits, crc_in, crc_out)


def parse_profile(lines: Sequence[str]) -> ProfileResult:
    ops: dict[int, tuple[str, int]] = {}
    total = None
    for line in lines:
        m = re.match(r"^m-op-(\d+)=([^,]+),(\d+)$", line)
        if m:
            ops[int(m.group(1))] = (m.group(2), int(m.group(3)))
        elif line.startswith("m-op-total="):
            total = int(line.split("=", 1)[1])
    if total is None or sorted(ops) != list(range(len(ops))):
        raise ProtocolError(f"incomplete profile reply: {list(lines)}")
    return ProfileResult([ops[i] for i in range(len(ops))], total)
