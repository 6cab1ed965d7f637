"""EmbBERT's BPE tokenizer (Hugging Face `tokenizers`) and the encoding of single texts and pairs.

Ids 0-4 are [PAD] [UNK] [CLS] [MASK] [SEP]. A text becomes `[CLS] a`, a pair `[CLS] a [SEP] b`, padded on
the right to L. A text too long for L keeps its first ids, or with `keep_head` its first `keep_head` ids and
then its last ones (head + tail: a review's verdict often sits at its end; Sun et al., 2019); a pair is cut
longest first. Segment ids: 0 for [PAD], 1 before the first [SEP], 2 from it on (the firmware derives them
from the ids with the same rule).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from keras_models.config import CLS_ID, PAD_ID, SEP_ID, SPECIAL_TOKENS
from keras_models.paths import TOKENIZER_PATH


def train_tokenizer(texts: Iterable[str], vocab_size: int = 8192, min_frequency: int = 2) -> Tokenizer:
    """Trains a lower-cased BPE tokenizer whose first ids are the special tokens."""
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True, clean_text=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        continuing_subword_prefix="##",
        show_progress=True,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    for expected_id, token in enumerate(SPECIAL_TOKENS):
        assert tokenizer.token_to_id(token) == expected_id, token
    return tokenizer


def load_tokenizer(path: str | Path = TOKENIZER_PATH) -> Tokenizer:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"tokenizer file not found: {path} (train one with python -m keras_models.train_tokenizer)")
    return Tokenizer.from_file(str(path))


def segment_ids_for(token_ids: np.ndarray) -> np.ndarray:
    """Segment ids from token ids: 0 for [PAD], 1 before the first [SEP], 2 from it on."""
    token_ids = np.asarray(token_ids)
    after_sep = np.cumsum(token_ids == SEP_ID, axis=-1) > 0
    return np.where(token_ids == PAD_ID, 0, np.where(after_sep, 2, 1)).astype(np.int32)


def _pack(first: list[int], second: list[int] | None, seq_len: int, keep_head: int | None = None) -> list[int]:
    if second is None:
        budget = seq_len - 1
        if keep_head is None or keep_head >= budget or len(first) <= budget:
            return [CLS_ID] + first[:budget]
        return [CLS_ID] + first[:keep_head] + first[len(first) - (budget - keep_head):]
    budget = seq_len - 2
    first, second = list(first), list(second)
    while len(first) + len(second) > budget:  # longest-first truncation
        (first if len(first) >= len(second) else second).pop()
    return [CLS_ID] + first + [SEP_ID] + second


def encode(
    tokenizer: Tokenizer,
    texts: Sequence[str],
    seq_len: int,
    pairs: Sequence[str] | None = None,
    keep_head: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Encodes texts (or text pairs) into `(token_ids, segment_ids)`, both int32 of shape (n, seq_len).

    `keep_head`: how many of a single text's first ids to keep when it is cut; the rest of L comes from its
    end (None: from its start only). Pairs ignore it.
    """
    if seq_len < 3:
        raise ValueError(f"seq_len must be at least 3, got {seq_len}")
    if keep_head is not None and keep_head < 0:
        raise ValueError(f"keep_head must be at least 0, got {keep_head}")
    first = [e.ids for e in tokenizer.encode_batch(list(texts), add_special_tokens=False)]
    second = (
        [e.ids for e in tokenizer.encode_batch(list(pairs), add_special_tokens=False)]
        if pairs is not None
        else [None] * len(first)
    )
    token_ids = np.full((len(first), seq_len), PAD_ID, dtype=np.int32)
    for row, (a, b) in enumerate(zip(first, second)):
        packed = _pack(a, b, seq_len, keep_head)
        token_ids[row, : len(packed)] = packed
    return token_ids, segment_ids_for(token_ids)
