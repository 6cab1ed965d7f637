"""Pretraining examples: sentence pairs for masked LM plus next-segment prediction, bucketed by length.

Every example is `[CLS] a [SEP] b`, the layout of the pair tasks, with a label saying whether b really
follows a (1) or was drawn from another document (0), as BERT's next-sentence prediction:
- a document longer than one row is cut into row-sized pieces, each split at a random point into a and b;
- a short text (a task utterance) is split at a random point into its own two halves;
- a pair task's training pair (a, b) is a positive; a with another pair's b a negative;
- a negative keeps a's length budget: b's tokens come from a random other source at a random offset.
Texts under `MIN_PAIR_TOKENS` tokens are too short to split; they train the masked LM alone (pair weight 0).

Rows are padded to the smallest bucket length that holds them, and batches hold `tokens_per_batch`
slots, so a batch of 32-token utterances has 8x the rows of a batch of 256-token review pieces: the
short task texts cost what they are worth instead of a padded 256-slot row each.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from keras_models.config import CLS_ID, PAD_ID, SEP_ID

MIN_PAIR_TOKENS = 4
BUCKETS = (32, 64, 128, 256)


@dataclasses.dataclass
class PairExample:
    first: list[int]
    second: list[int]
    is_next: int  # 1: b follows a; 0: b is from elsewhere; -1: no pair label (a alone)


@dataclasses.dataclass
class PretrainingBatch:
    token_ids: np.ndarray  # (rows, bucket) int32
    is_next: np.ndarray  # (rows,) int32, 0 or 1
    pair_weights: np.ndarray  # (rows,) float32: 0 where a row has no pair label


def _random_span(rng: np.random.Generator, sources: list[list[int]], length: int, avoid: int) -> list[int]:
    for _ in range(10):
        index = int(rng.integers(len(sources)))
        if index != avoid or len(sources) == 1:
            break
    ids = sources[index]
    start = int(rng.integers(max(1, len(ids) - length + 1)))
    return list(ids[start : start + length])


def make_examples(documents: list[list[int]], pairs: list[tuple[list[int], list[int]]], max_len: int,
                  rng: np.random.Generator) -> list[PairExample]:
    """Draws one epoch's pair examples from tokenised documents and task pairs (ids without specials)."""
    budget = max_len - 2  # [CLS] a [SEP] b
    examples = []
    for doc_index, ids in enumerate(documents):
        for start in range(0, len(ids), budget):
            piece = list(ids[start : start + budget])
            if len(piece) < MIN_PAIR_TOKENS:
                if start == 0 and piece:
                    examples.append(PairExample(piece, [], -1))
                continue
            cut = int(rng.integers(max(1, len(piece) // 4), max(2, (3 * len(piece)) // 4 + 1)))
            first, second = piece[:cut], piece[cut:]
            if rng.random() < 0.5:
                examples.append(PairExample(first, second, 1))
            else:
                examples.append(PairExample(first, _random_span(rng, documents, len(second), doc_index), 0))
    seconds = [b for _, b in pairs]
    for index, (first, second) in enumerate(pairs):
        if rng.random() >= 0.5:
            second = _random_span(rng, seconds, len(second) or 1, index)
            examples.append(PairExample(list(first), second, 0))
        else:
            examples.append(PairExample(list(first), list(second), 1))
    return examples


def pack(example: PairExample, max_len: int) -> list[int]:
    """`[CLS] a [SEP] b` with longest-first truncation to `max_len` ids (`[CLS] a` when b is empty)."""
    first, second = list(example.first), list(example.second)
    if not second:
        return [CLS_ID] + first[: max_len - 1]
    while len(first) + len(second) > max_len - 2:
        (first if len(first) >= len(second) else second).pop()
    return [CLS_ID] + first + [SEP_ID] + second


def buckets_up_to(max_len: int) -> tuple[int, ...]:
    """The bucket lengths for rows of at most `max_len` tokens: `BUCKETS` below it, then `max_len`."""
    return tuple(b for b in BUCKETS if b < max_len) + (max_len,)


def bucket_for(length: int, buckets: tuple[int, ...]) -> int:
    for bucket in buckets:
        if length <= bucket:
            return bucket
    raise ValueError(f"a row of {length} tokens is longer than the largest bucket {buckets[-1]}")


def make_batches(examples: list[PairExample], tokens_per_batch: int, rng: np.random.Generator,
                 max_len: int, keep_partial: bool = False) -> list[PretrainingBatch]:
    """Packs examples into rows of at most `max_len` ids, groups them by bucket length into batches of
    `tokens_per_batch // bucket` rows, and shuffles. An incomplete last batch per bucket is dropped
    unless `keep_partial` (for a small held-out set)."""
    buckets = buckets_up_to(max_len)
    rows_by_bucket: dict[int, list[tuple[list[int], int]]] = {b: [] for b in buckets}
    for example in examples:
        row = pack(example, max_len)
        rows_by_bucket[bucket_for(len(row), buckets)].append((row, example.is_next))
    batches = []
    for bucket, rows in rows_by_bucket.items():
        per_batch = max(1, tokens_per_batch // bucket)
        order = rng.permutation(len(rows))
        last_start = len(rows) if keep_partial else len(rows) - per_batch + 1
        for start in range(0, last_start, per_batch):
            chosen = [rows[i] for i in order[start : start + per_batch]]
            ids = np.full((len(chosen), bucket), PAD_ID, np.int32)
            for r, (row, _) in enumerate(chosen):
                ids[r, : len(row)] = row
            labels = np.array([max(0, label) for _, label in chosen], np.int32)
            weights = np.array([0.0 if label < 0 else 1.0 for _, label in chosen], np.float32)
            batches.append(PretrainingBatch(ids, labels, weights))
    return [batches[i] for i in rng.permutation(len(batches))]
