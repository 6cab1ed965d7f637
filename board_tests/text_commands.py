"""Host side of the firmware's text commands (`classify`, `tokenize` and their `-pair` forms, PROTOCOL.md).

    result = classify(board, "play some jazz")            # the board tokenizes and classifies
    result.tokens, result.label, result.logits, result.tokenize_cycles, result.infer_cycles
    tokens = tokenize(board, "a premise", "a hypothesis").tokens
"""

from __future__ import annotations

import dataclasses
import re

from board_tests.client import BoardClient
from board_tests.protocol import ProtocolError

_ESCAPED = re.compile(r"([\\%|])")


def escape_text(text: str) -> str:
    """A text as the board's text commands take it: `\\`, `%` and `|` each preceded by a backslash."""
    return _ESCAPED.sub(r"\\\1", text)


def text_command(name: str, text: str, pair: str | None = None) -> str:
    """`<name> <text>` or `<name>-pair <text>|<pair>`, escaped (without the terminating `%`)."""
    if pair is None:
        return f"{name} {escape_text(text)}"
    return f"{name}-pair {escape_text(text)}|{escape_text(pair)}"


@dataclasses.dataclass
class TextResult:
    tokens: list[int]
    tokenize_cycles: int
    label: str | None = None
    logits: list[int] | None = None
    infer_cycles: int | None = None


def parse_text_reply(lines: list[str], infer: bool) -> TextResult:
    values: dict[str, str] = {}
    label = None
    for line in lines:
        m = re.match(r"^m-label-\[(.*)\]$", line)
        if m:
            label = m.group(1)
        elif line.startswith("m-") and "=" in line:
            key, value = line[2:].split("=", 1)
            values[key] = value.strip()
    needed = ["tokens", "tokenize-cycles"] + (["logits", "infer-cycles"] if infer else [])
    if any(k not in values for k in needed) or (infer and label is None):
        raise ProtocolError(f"incomplete text reply: {lines}")
    result = TextResult([int(t) for t in values["tokens"].split(",") if t], int(values["tokenize-cycles"]))
    if infer:
        result.label = label
        result.logits = [int(v) for v in values["logits"].split(",") if v]
        result.infer_cycles = int(values["infer-cycles"])
    return result


def classify(board: BoardClient, text: str, pair: str | None = None) -> TextResult:
    """The board tokenizes `text` (and `pair`), runs the model once and names the label."""
    lines = board.command(text_command("classify", text, pair), timeout=board.infer_deadline(1))
    return parse_text_reply(lines, infer=True)


def tokenize(board: BoardClient, text: str, pair: str | None = None) -> TextResult:
    """The board's packed token ids for `text` (and `pair`), without inference."""
    return parse_text_reply(board.command(text_command("tokenize", text, pair)), infer=False)
