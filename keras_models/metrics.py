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
    if metric == "f1":
        return float(f1_score(labels, predictions))
    if metric == "f1_weighted":
        return float(f1_score(labels, predictions, average="weighted"))
    if metric == "spearman":
        return float(spearmanr(labels, predictions).statistic)
    raise ValueError(f"unknown metric {metric!r}")


def predictions_from_logits(logits, regression: bool) -> np.ndarray:
    logits = np.asarray(logits)
    return logits[:, 0] if regression else logits.argmax(axis=-1)
