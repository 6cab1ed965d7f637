"""Thin adapter over `keras_models.data` and `keras_models.tokenizer`: the examples of one split, tokenized
on the host exactly as for training.

Example:

    ex = load_examples("snips", "validation", seq_len=64, limit=100)
    ex.token_ids[0], ex.labels[0], ex.label_names
"""

from __future__ import annotations

import dataclasses
import os
import pathlib

import numpy as np

from keras_models.paths import repo_relative


@dataclasses.dataclass
class Examples:
    task: str  # the task's short name ("snips")
    split: str
    source: str  # where the data came from (folder or hub)
    metric: str
    regression: bool
    label_names: list[str]
    texts: list[str]
    pairs: list[str] | None
    labels: np.ndarray
    token_ids: np.ndarray  # (n, L) int32
    segment_ids: np.ndarray  # (n, L) int32
    total: int  # examples in the split before --limit

    def __len__(self) -> int:
        return len(self.texts)


def load_examples(dataset: str, split: str, seq_len: int, limit: int | None = None,
                  tokenizer_path: str | pathlib.Path | None = None, keep_head: int | None = None) -> Examples:
    """The first `limit` examples of `split` of `dataset` (a task name, a local folder, or a hub name).

    `split` is one of the task's splits: `validation` (the seeded 10 % carved from train, as in training),
    `train`, or an official one (`official_validation` for emotion; hub splits as `official_<name>`;
    `test` is accepted for `official_test`). `keep_head`: how the model cuts a text too long for it
    (`keras_models.tokenizer.encode`; its model_info.json says).
    """
    from keras_models import data as kdata
    from keras_models import tokenizer as ktok

    source = "hub" if dataset.startswith("hub:") else None
    name = dataset[4:] if source else dataset
    task = kdata.load_task(name, source=source)
    splits = task.splits
    key = split if split in splits else f"official_{split}"
    if key not in splits:
        raise KeyError(f"{dataset} has no split {split!r}; it has: {', '.join(sorted(splits))}")
    s = splits[key]
    total = len(s)
    if limit is not None and limit < total:
        s = s.take(np.arange(limit))
    tok = ktok.load_tokenizer(tokenizer_path) if tokenizer_path else ktok.load_tokenizer()
    ids, seg = ktok.encode(tok, s.texts, seq_len, pairs=s.pairs, keep_head=keep_head)
    source = repo_relative(task.source) if os.path.isdir(str(task.source)) else str(task.source)  # or hub:<name>
    return Examples(
        task=task.spec.name, split=key, source=source, metric=task.spec.metric,
        regression=task.spec.regression, label_names=list(task.label_names), texts=list(s.texts),
        pairs=list(s.pairs) if s.pairs is not None else None, labels=np.asarray(s.labels),
        token_ids=np.asarray(ids, dtype=np.int32), segment_ids=np.asarray(seg, dtype=np.int32), total=total,
    )


def encode_texts(texts, seq_len: int, pairs=None, tokenizer_path=None, keep_head=None) -> tuple[np.ndarray, np.ndarray]:
    """Tokenize texts (or pairs) with the project's tokenizer."""
    from keras_models import tokenizer as ktok

    tok = ktok.load_tokenizer(tokenizer_path) if tokenizer_path else ktok.load_tokenizer()
    return ktok.encode(tok, list(texts), seq_len, pairs=list(pairs) if pairs is not None else None,
                       keep_head=keep_head)


def golden_examples(golden: dict) -> Examples:
    """The converter's golden vectors as examples (labels: the golden argmax), for tests without a dataset."""
    vec = golden.get("vectors") or []
    ids = np.asarray([v["token_ids"] for v in vec], dtype=np.int32).reshape(len(vec), -1)
    seg = np.asarray([v["segment_ids"] for v in vec], dtype=np.int32).reshape(len(vec), -1)
    labels = np.asarray([int(np.argmax(v["logits"])) for v in vec], dtype=np.int64)
    n_cls = len(vec[0]["logits"]) if vec else 0
    return Examples(task="golden", split="golden", source="golden.json", metric="accuracy", regression=False,
                    label_names=[str(i) for i in range(n_cls)], texts=[str(v.get("text")) for v in vec], pairs=None,
                    labels=labels, token_ids=ids, segment_ids=seg, total=len(vec))

