#!/usr/bin/env python3
"""Checks the firmware's tokenizer, built for the host with g++, against the Hugging Face tokenizer.

    python firmware/scripts/check_tokenizer.py                       # every split of every task, L=64
    python firmware/scripts/check_tokenizer.py --task snips --task rte --split validation --seq-len 128
    python firmware/scripts/check_tokenizer.py --task imdb --keep-head 32    # head + tail truncation

Every text (or pair) goes through both; the packed ids (`[CLS] a [SEP] b`, truncated to L) must be
identical. Texts holding a code point the firmware does not support must be rejected by it, naming that
code point. Prints one line per task and split, the first mismatches, and exits 1 if any.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FIRMWARE = REPO / "firmware"
SOURCES = ["text_tokenizer.cc", "text_normalizer.cc", "bpe_merge.cc", "utf8_decoder.cc", "token_packer.cc"]
UNSUPPORTED = 2  # TokenizeError::kUnsupported


def build_host_tokenizer(folder: Path, tokenizer_path: Path, compiler: str = "g++") -> tuple[Path, object]:
    """Generates the tables into `folder` and compiles the host tokenizer there; returns (binary, tables)."""
    from convert.tokenizer_tables import write_tokenizer_source

    tables = write_tokenizer_source(folder, tokenizer_path)
    binary = folder / "tokenize"
    command = [compiler, "-O2", "-std=c++17", "-Wall", "-Wextra", "-Werror", f"-I{FIRMWARE / 'src'}",
               str(FIRMWARE / "host" / "tokenize_main.cc"), *[str(FIRMWARE / "src" / s) for s in SOURCES],
               str(folder / "tokenizer_data.cc"), "-o", str(binary)]
    subprocess.run(command, check=True)
    return binary, tables


def run_host_tokenizer(binary: Path, seq_len: int, texts: list[str], pairs: list[str] | None,
                       keep_head: int | None = None) -> list[str]:
    """The harness's output line for each text (or pair); `keep_head` as in `keras_models.tokenizer.encode`."""
    chunks = []
    for i, text in enumerate(texts):
        a = text.encode("utf-8")
        b = pairs[i].encode("utf-8") if pairs is not None else b""
        chunks.append(f"{seq_len} {int(pairs is not None)} {len(a)} {len(b)}\n".encode() + a + b)
    command = [str(binary)] + ([] if keep_head is None else [str(keep_head)])
    out = subprocess.run(command, input=b"".join(chunks), check=True, capture_output=True).stdout
    lines = out.decode().splitlines()
    if len(lines) != len(texts):
        raise RuntimeError(f"host tokenizer answered {len(lines)} lines for {len(texts)} texts")
    return lines


def first_unsupported(text: str, supported: set[int]) -> int | None:
    for c in text:
        if ord(c) not in supported:
            return ord(c)
    return None


def padded(line: str, seq_len: int) -> list[int] | None:
    """The ids of an `ok ...` line padded with [PAD] (0) to `seq_len`; None for an error line."""
    fields = line.split()
    if not fields or fields[0] != "ok":
        return None
    ids = [int(t) for t in fields[1:]]
    return ids + [0] * (seq_len - len(ids))


def compare(lines: list[str], host_ids, texts, pairs, supported: set[int]) -> dict:
    """Counts of exact matches among supported texts, correct rejections, and the first mismatches."""
    result = {"supported": 0, "matched": 0, "unsupported": 0, "rejected": 0, "mismatches": []}
    for i, line in enumerate(lines):
        bad = first_unsupported(texts[i], supported)
        if bad is None and pairs is not None:
            bad = first_unsupported(pairs[i], supported)
        if bad is not None:
            result["unsupported"] += 1
            fields = line.split()
            if fields[:2] == ["error", str(UNSUPPORTED)] and int(fields[3]) == bad:
                result["rejected"] += 1
            elif len(result["mismatches"]) < 10:
                result["mismatches"].append((i, f"U+{bad:04X} not rejected: {line[:80]}"))
            continue
        result["supported"] += 1
        want = [int(t) for t in host_ids[i]]
        if padded(line, len(want)) == want:
            result["matched"] += 1
        elif len(result["mismatches"]) < 10:
            result["mismatches"].append((i, f"board {line[:120]} | host {' '.join(map(str, want))[:120]}"))
    return result


def main(argv=None) -> int:
    from keras_models.data import load_task
    from keras_models.paths import TOKENIZER_PATH
    from keras_models.tasks import TASKS
    from keras_models.tokenizer import encode, load_tokenizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", action="append", help="task (repeatable; default: all)")
    parser.add_argument("--split", action="append", help="split (repeatable; default: all)")
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--limit", type=int, default=None, help="first N examples of each split")
    parser.add_argument("--keep-head", type=int, default=None,
                        help="a single text too long for L keeps its first N ids, then its last ones")
    parser.add_argument("--tokenizer", type=Path, default=TOKENIZER_PATH)
    args = parser.parse_args(argv)

    tokenizer = load_tokenizer(args.tokenizer)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        binary, tables = build_host_tokenizer(Path(tmp), args.tokenizer)
        supported = set(tables.codepoints)
        head = "" if args.keep_head is None else f"; keep_head={args.keep_head}"
        print(f"host build of the firmware tokenizer; tables {tables.total_bytes:,} bytes; L={args.seq_len}{head}")
        for name in args.task or list(TASKS):
            task = load_task(name)
            for split_name, split in task.splits.items():
                if args.split and split_name not in args.split:
                    continue
                if args.limit is not None and args.limit < len(split):
                    split = split.take(range(args.limit))
                host_ids, _ = encode(tokenizer, split.texts, args.seq_len, split.pairs, args.keep_head)
                lines = run_host_tokenizer(binary, args.seq_len, split.texts, split.pairs, args.keep_head)
                r = compare(lines, host_ids, split.texts, split.pairs, supported)
                ok = r["matched"] == r["supported"] and r["rejected"] == r["unsupported"]
                failed |= not ok
                print(f"{name:14s} {split_name:20s} {r['matched']:6d}/{r['supported']:<6d} identical   "
                      f"{r['rejected']:5d}/{r['unsupported']:<5d} with unsupported characters rejected"
                      f"{'' if ok else '   MISMATCH'}", flush=True)
                for i, what in r["mismatches"][:5]:
                    print(f"    example {i}: {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
