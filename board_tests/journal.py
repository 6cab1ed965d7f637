"""An append-only JSONL journal of evaluated examples, so an interrupted run resumes where it stopped.

Each line is one example's record, written and fsync'ed as soon as the example is done. A record counts
for a run only when its key fields (model hash, dataset, split, sequence length, board) match the run's
and its `input_crc` matches the input the host builds now; a record written twice counts once (the
latest wins: a stale one re-run after the input changed); a line cut off by a crash is dropped (and
trimmed from the file before appending).

Example:

    j = Journal(path, key={"model_hash": "1a2b3c4d", "dataset": "tinynlp/snips", "split": "validation"})
    if not j.has(7, crc):
        j.append({"index": 7, "input_crc": crc, "logits": [...]})
"""

from __future__ import annotations

import json
import os
import pathlib


class Journal:
    def __init__(self, path: str | os.PathLike, key: dict):
        self.path = pathlib.Path(path)
        self.key = {k: v for k, v in key.items()}
        self.records: dict[int, dict] = {}
        self.skipped_lines = 0  # malformed or belonging to another key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        raw = self.path.read_bytes()
        end = raw.rfind(b"\n") + 1
        if end < len(raw):  # a line cut off mid-write: drop it so appends start on a fresh line
            with open(self.path, "r+b") as f:
                f.truncate(end)
            self.skipped_lines += 1
        for line in raw[:end].splitlines():
            try:
                rec = json.loads(line)
                idx = int(rec["index"])
            except (ValueError, KeyError, TypeError):
                self.skipped_lines += 1
                continue
            if any(rec.get(k) != v for k, v in self.key.items()):
                self.skipped_lines += 1
                continue
            self.records[idx] = rec  # the latest record of an index wins

    def has(self, index: int, input_crc: str | None = None) -> bool:
        rec = self.records.get(index)
        return rec is not None and (input_crc is None or rec.get("input_crc") == input_crc)

    def append(self, record: dict) -> None:
        """Write one example's record (the key fields are added) and fsync it."""
        rec = {**self.key, **record}
        idx = int(rec["index"])
        line = json.dumps(rec, separators=(",", ":"), sort_keys=True) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self.records[idx] = rec  # a re-run of a stale record (input changed) replaces it

    def get(self, index: int) -> dict | None:
        return self.records.get(index)

    def __len__(self) -> int:
        return len(self.records)
