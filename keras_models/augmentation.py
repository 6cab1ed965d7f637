"""Noisy copies of the training texts, for the TF-IDF teacher to label: more examples to distil from.

After Tang et al. 2019 ("Distilling Task-Specific Knowledge from BERT into Simple Neural Networks"): the
student learns the teacher's probabilities on perturbed texts as well as on the real ones. Each copy of a
text drops every word with probability `DROP`, replaces it with a word drawn from the training texts with
probability `REPLACE`, and with probability `SPAN` keeps only a random run of at least half its words.
The labels of the copies are the teacher's, never the original's: a perturbation can change the class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DROP = 0.1
REPLACE = 0.1
SPAN = 0.25


def augment_texts(texts: Sequence[str], copies: int, seed: int = 0) -> list[str]:
    """`copies` perturbed versions of every text, copy after copy: `[c0(t0), c0(t1), ..., c1(t0), ...]`."""
    if copies < 0:
        raise ValueError(f"the number of noisy copies must be at least 0, got {copies}")
    rng = np.random.default_rng(seed)
    vocabulary = [word for text in texts for word in text.split()]
    if copies and not vocabulary:
        raise ValueError("the texts hold no words to perturb")
    return [_perturb(text, vocabulary, rng) for _ in range(copies) for text in texts]


def _perturb(text: str, vocabulary: list[str], rng: np.random.Generator) -> str:
    words = []
    for word in text.split():
        draw = rng.random()
        if draw < DROP:
            continue
        words.append(vocabulary[rng.integers(len(vocabulary))] if draw < DROP + REPLACE else word)
    if len(words) > 2 and rng.random() < SPAN:
        length = int(rng.integers(max(1, len(words) // 2), len(words) + 1))
        start = int(rng.integers(0, len(words) - length + 1))
        words = words[start:start + length]
    return " ".join(words) if words else text
