"""BERT's masked-LM corruption: 15% of the real tokens, 80% -> [MASK], 10% -> a random token, 10% kept."""

from __future__ import annotations

import math

import numpy as np

from keras_models.config import CLS_ID, MASK_ID, PAD_ID, SEP_ID, SPECIAL_TOKENS


def max_masked_for(seq_len: int, rate: float = 0.15) -> int:
    return max(1, math.ceil(seq_len * rate))


def mask_tokens(token_ids: np.ndarray, rng: np.random.Generator, vocab_size: int, rate: float = 0.15):
    """Corrupts a batch of token ids for masked-LM training.

    Returns `(corrupted_ids, positions, labels, weights)`: positions (batch, P) of the chosen tokens (P =
    ceil(rate·L)), their original ids, and weight 1 for a real choice, 0 for padding of the position list.
    [PAD], [CLS] and [SEP] are never chosen.
    """
    token_ids = np.asarray(token_ids, np.int32)
    batch, seq_len = token_ids.shape
    slots = max_masked_for(seq_len, rate)
    corrupted = token_ids.copy()
    positions = np.zeros((batch, slots), np.int32)
    labels = np.zeros((batch, slots), np.int32)
    weights = np.zeros((batch, slots), np.float32)
    candidates = ~np.isin(token_ids, [PAD_ID, CLS_ID, SEP_ID])
    for row in range(batch):
        choices = np.flatnonzero(candidates[row])
        if len(choices) == 0:
            continue
        count = min(slots, max(1, int(round(len(choices) * rate))))
        chosen = np.sort(rng.choice(choices, count, replace=False))
        positions[row, :count] = chosen
        labels[row, :count] = token_ids[row, chosen]
        weights[row, :count] = 1.0
        action = rng.random(count)
        corrupted[row, chosen[action < 0.8]] = MASK_ID
        random_slots = chosen[(action >= 0.8) & (action < 0.9)]
        corrupted[row, random_slots] = rng.integers(len(SPECIAL_TOKENS), vocab_size, len(random_slots))
    return corrupted, positions, labels, weights
