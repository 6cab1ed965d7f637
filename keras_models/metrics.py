"""Task metrics, as the paper and GLUE report them."""

from __future__ import annotations

import numpy as np


def score(metric: str, labels, predictions) -> float:
    """Scores predictions (class ids, or scores for "spearman") against labels; returns a value in [-1, 1]."""
    from scipy.stats import spearmanr
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if metric == "accuracy":
        return float(accuracy_score(labels, predictions))
    if metric == "mcc":
        return float(matthews_corrcoef(labels, predictions))
    if metric == "f1":  # of class 1; over more classes their macro mean, as the board reports (board_tests.metrics)
        return float(f1_score(labels, predictions, average="binary" if np.union1d(labels, predictions).size <= 2
                              else "macro"))
    if metric == "f1_weighted":
        return float(f1_score(labels, predictions, average="weighted"))
    if metric == "spearman":
        return float(spearmanr(labels, predictions).statistic)
    raise ValueError(f"unknown metric {metric!r}")


def bootstrap_interval(metric: str, labels, predictions, level: float = 0.95, resamples: int = 1000,
                       seed: int = 0) -> tuple[float, float]:
    """The percentile bootstrap interval of `score(metric, ...)`: the examples drawn with replacement, seeded.

    How far a score on this many examples moves with the draw of the examples alone: two models whose
    scores differ by less than the interval's half-width are not told apart by this split.
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    rows = np.random.default_rng(seed).integers(0, len(labels), size=(resamples, len(labels)))
    if metric == "accuracy":
        values = (labels == predictions)[rows].mean(axis=1)
    else:
        values = np.array([score(metric, labels[r], predictions[r]) for r in rows])
    tail = (1 - level) / 2
    return float(np.nanquantile(values, tail)), float(np.nanquantile(values, 1 - tail))


def predictions_from_logits(logits, regression: bool) -> np.ndarray:
    logits = np.asarray(logits)
    return logits[:, 0] if regression else logits.argmax(axis=-1)
