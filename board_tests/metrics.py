"""Scores for the board report: the task's metric, per-class scores, device/host agreement, latency.

The metric follows the task (GLUE's standard ones): accuracy by default, Matthews correlation for CoLA,
weighted F1 for MRPC (the paper's metric; binary F1 of the positive class beside it), Spearman
correlation for STS-B (regression, Pearson beside it).

Example:

    scores = classification_scores([0, 1, 1], [0, 1, 0], ["neg", "pos"], "accuracy")
    scores["primary"]  # {"name": "accuracy", "value": 0.667}
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import stats
from sklearn import metrics as skm


def classification_scores(y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str],
                          metric: str = "accuracy") -> dict:
    """Accuracy, MCC, F1 (binary, weighted, macro), per-class scores and the confusion matrix.

    Rows of `confusion` are true classes, columns predicted classes, in the order of `labels`.
    """
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    ids = list(range(len(labels)))
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    out = {
        "n": int(len(y_true)),
        "accuracy": float(skm.accuracy_score(y_true, y_pred)) if len(y_true) else float("nan"),
        "mcc": float(skm.matthews_corrcoef(y_true, y_pred)) if len(y_true) else float("nan"),
        "f1_weighted": float(skm.f1_score(y_true, y_pred, labels=ids, average="weighted", zero_division=0)),
        "f1_macro": float(skm.f1_score(y_true, y_pred, labels=ids, average="macro", zero_division=0)),
        "per_class": {
            str(labels[i]): {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                             "support": int(s[i])}
            for i in ids
        },
        "labels": [str(x) for x in labels],
        "confusion": skm.confusion_matrix(y_true, y_pred, labels=ids).tolist(),
    }
    if len(labels) == 2:
        out["f1"] = float(skm.f1_score(y_true, y_pred, pos_label=1, average="binary", zero_division=0))
    else:
        out["f1"] = out["f1_macro"]
    name = metric if metric in ("accuracy", "mcc", "f1", "f1_weighted") else "accuracy"
    out["primary"] = {"name": name, "value": out[name]}
    return out


def regression_scores(y_true: Sequence[float], y_pred: Sequence[float]) -> dict:
    """Spearman (the primary metric), Pearson and mean squared error."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    ok = len(y_true) > 1 and np.std(y_true) > 0 and np.std(y_pred) > 0
    sp = float(stats.spearmanr(y_true, y_pred).statistic) if ok else float("nan")
    pe = float(stats.pearsonr(y_true, y_pred).statistic) if ok else float("nan")
    return {"n": int(len(y_true)), "spearman": sp, "pearson": pe,
            "mse": float(np.mean((y_true - y_pred) ** 2)) if len(y_true) else float("nan"),
            "primary": {"name": "spearman", "value": sp}}


# The firmware's reference kernels are TFLM's, as in the host interpreter: their logits must be equal. CMSIS-NN's
# int8 kernels round differently (requantization, the LOGISTIC and SOFTMAX approximations): an LSB at one op
# grows through the encoder's layers. The largest logit difference over the twelve tasks' whole validation
# splits (results/board-reports/, CMSIS-NN) is 12 LSB (emotion); the bound leaves a third above it.
CMSIS_NN_MAX_ABS_DIFF = 16


# Kernel sets (`info%` kernels=) whose int8 logits equal the host TFLM interpreter's bit for bit: TFLM's
# reference kernels, and the firmware's own (firmware/src/kernels/, bit-exact with them).
EXACT_KERNELS = ("reference", "fast")


def allowed_abs_diff(kernels: str | None) -> int:
    """The largest |device - host| int8 logit difference a board's kernels may show."""
    return 0 if kernels in EXACT_KERNELS else CMSIS_NN_MAX_ABS_DIFF


def agreement(device: Sequence[Sequence[int]], host: Sequence[Sequence[int]]) -> dict:
    """How far the board's int8 logits are from the host interpreter's, example by example."""
    d = np.asarray(device, dtype=int).reshape(len(device), -1)
    h = np.asarray(host, dtype=int).reshape(len(host), -1)
    if d.shape != h.shape:
        raise ValueError(f"device logits {d.shape} and host logits {h.shape} differ in shape")
    n = len(d)
    if n == 0:
        return {"n": 0, "bit_exact": 0, "bit_exact_rate": float("nan"), "max_abs_diff": 0,
                "mean_abs_diff": float("nan"), "argmax_agree": 0, "argmax_agree_rate": float("nan")}
    diff = np.abs(d - h)
    exact = int(np.sum(np.all(diff == 0, axis=1)))
    if d.shape[1] > 1:
        agree = int(np.sum(np.argmax(d, axis=1) == np.argmax(h, axis=1)))
    else:
        agree = exact  # regression: no argmax; count identical outputs
    return {"n": n, "bit_exact": exact, "bit_exact_rate": exact / n, "max_abs_diff": int(diff.max()),
            "mean_abs_diff": float(diff.mean()), "argmax_agree": agree, "argmax_agree_rate": agree / n}


def latency_stats(cycles: Sequence[int], clock_hz: float | None) -> dict:
    """min / median / max / mean of cycle counts, and the same in microseconds at `clock_hz`."""
    c = np.asarray(cycles, dtype=float)
    out = {"runs": int(len(c))}
    if not len(c):
        return out
    for k, v in (("min", c.min()), ("median", np.median(c)), ("max", c.max()), ("mean", c.mean()),
                 ("std", c.std())):
        out[f"cycles_{k}"] = float(v)
        if clock_hz:
            out[f"us_{k}"] = float(v) * 1e6 / float(clock_hz)
    return out


def dequantize(q: Sequence[int], scale: float, zero_point: int) -> np.ndarray:
    return (np.asarray(q, dtype=float) - zero_point) * scale
