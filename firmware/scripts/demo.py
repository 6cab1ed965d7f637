#!/usr/bin/env python3
"""Text in, label out: type a sentence, the emulated board tokenizes and classifies it.

    make -C firmware run                       # builds the image, boots it in QEMU, runs this demo
    python firmware/scripts/demo.py --elf build/firmware/.../firmware.elf --model build/model

Each line typed is sent as `classify <line>%` (a pair model: `first | second` becomes `classify-pair`),
escaped as firmware/PROTOCOL.md says; the board's reply lines are shown as they come, then the label.
A line starting with a protocol command (`info`, `mem`, `tokenize ...`) is sent as it is (with `%`).
Ctrl-D or Ctrl-C quits.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from board_tests.qemu import QemuBoard  # noqa: E402
from board_tests.text_commands import escape_text  # noqa: E402

RAW_COMMANDS = ("name", "info", "mem", "profile", "load", "infer", "tokenize", "tokenize-pair", "classify",
                "classify-pair")


def read_reply(sock_file) -> list[str]:
    lines = []
    for raw in sock_file:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line == "m-ready":
            return lines
        if line:
            lines.append(line)
    raise ConnectionError("the board closed its serial line")


def command_for(line: str, pair: bool) -> str:
    word = line.split(" ", 1)[0]
    if word in RAW_COMMANDS:
        return line
    if pair and "|" in line:
        first, second = line.split("|", 1)
        return f"classify-pair {escape_text(first.strip())}|{escape_text(second.strip())}"
    return f"classify {escape_text(line)}"


def summary(lines: list[str]) -> str | None:
    values = dict(line[2:].split("=", 1) for line in lines if line.startswith("m-") and "=" in line)
    label = next((line[len("m-label-["):-1] for line in lines if line.startswith("m-label-[")), None)
    if label is None:
        return None
    tokens = len(values.get("tokens", "").split(","))
    tok, inf = int(values.get("tokenize-cycles", 0)), int(values.get("infer-cycles", 0))
    share = f" ({100 * tok / inf:.2f} % of the inference)" if inf else ""
    return (f"=> {label}   [{tokens} tokens; tokenizing {tok:,} instructions{share}, "
            f"inference {inf:,} instructions]")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elf", required=True)
    parser.add_argument("--board", default="qemu")
    parser.add_argument("--model", default=str(REPO / "build" / "model"), help="converter output the image embeds")
    args = parser.parse_args(argv)
    info_path = Path(args.model) / "model_info.json"
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    pair = bool(info.get("pair"))
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:
        pass
    with QemuBoard(args.elf, board=args.board) as board:
        host, port = board.url[len("socket://"):].rsplit(":", 1)
        with socket.create_connection((host, int(port))) as sock, sock.makefile("rb") as rx:
            for line in read_reply(rx):
                print(line)
            labels = ", ".join(info.get("label_names", [])) or "?"
            print(f"model {info.get('name', '?')} ({info.get('task', '?')}): labels {labels}")
            print("type a sentence" + (" (a pair: first | second)" if pair else "")
                  + "; or a protocol command (info, mem, tokenize <text>); Ctrl-D quits")
            while True:
                try:
                    line = input("> ")
                except (EOFError, KeyboardInterrupt):
                    print()
                    return 0
                if not line.strip():
                    continue
                sock.sendall(command_for(line, pair).encode("utf-8") + b"%")
                reply = read_reply(rx)
                for reply_line in reply:
                    print("  " + reply_line)
                text = summary(reply)
                if text:
                    print(text)


if __name__ == "__main__":
    sys.exit(main())
