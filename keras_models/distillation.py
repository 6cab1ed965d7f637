"""Soft targets from the TF-IDF + linear SVM teacher, for fine-tuning by distillation.

The teacher is the simple baseline the transformer must beat (`keras_models.tfidf`), with C chosen on the
carved validation split. Its targets for the train split are out-of-fold: each fold's scores come from an
SVM that never saw that fold's labels, so they carry what the teacher generalises, not what it memorised.
A temperature fitted on those out-of-fold scores (least log-loss) turns them into probabilities. Nothing
here reads the carved test split.

Targets are cached in `<checkpoint>/teacher.npz` (not shipped), keyed by the train split's fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from scipy.special import softmax as row_softmax

FOLDS = 5
TEMPERATURES = np.geomspace(0.05, 5.0, 41)
CACHE_NAME = "teacher.npz"


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return row_softmax(scores / temperature, axis=1)


def fit_temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """The temperature of `TEMPERATURES` whose softmax gives the labels the least log-loss."""
    rows = np.arange(len(labels))
    losses = [-np.log(softmax(scores, t)[rows, labels] + 1e-12).mean() for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


def split_fingerprint(split) -> str:
    digest = hashlib.sha256()
    for text in split.texts + (split.pairs or []):
        digest.update(text.encode() + b"\0")
    digest.update(np.ascontiguousarray(split.labels).tobytes())
    return digest.hexdigest()[:16]


def teacher_targets(task, cache_dir: Path | None = None, folds: int = FOLDS, seed: int = 0, log=print):
    """Out-of-fold teacher probabilities for `task.splits["train"]`: `(probabilities, record)`.

    `record` says how they were made (C, temperature, the teacher's validation score and its out-of-fold
    accuracy on train). Classification tasks only.
    """
    from sklearn.model_selection import StratifiedKFold

    from keras_models.metrics import score
    from keras_models.tfidf import choose_c, class_scores, features, linear_svm, vectorizers

    if task.spec.regression:
        raise ValueError(f"{task.spec.name} is a regression task: the TF-IDF teacher only distils classes")
    train, validation = task.splits["train"], task.splits["validation"]
    fingerprint = split_fingerprint(train)
    cache = Path(cache_dir) / CACHE_NAME if cache_dir else None
    if cache is not None and cache.is_file():
        stored = np.load(cache)
        if str(stored["fingerprint"]) == fingerprint:
            return stored["probabilities"], json.loads(str(stored["record"]))
        log(f"[teacher] {cache} was made for other training data: recomputing")

    metric = task.spec.metric
    union = vectorizers()
    x_train = features(union, train, fit=True)
    x_val = features(union, validation)
    log(f"[teacher] choosing C on validation ({x_train.shape[1]:,} TF-IDF features)")
    value, c, _ = choose_c(x_train, train.labels, x_val, validation.labels, metric)
    num_classes = task.num_outputs
    scores = np.zeros((len(train), num_classes), np.float64)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fold, (rest, held) in enumerate(splitter.split(np.zeros(len(train)), train.labels)):
        log(f"[teacher] out-of-fold scores {fold + 1}/{folds}")
        scores[held] = class_scores(linear_svm(x_train[rest], train.labels[rest], c, metric), x_train[held],
                                    num_classes)
    temperature = fit_temperature(scores, train.labels)
    probabilities = softmax(scores, temperature).astype(np.float32)
    record = {"model": "TF-IDF word 1-2 + char 2-5 grams, linear SVM", "c": c, "temperature": temperature,
              "folds": folds, f"validation_{metric}": value,
              "out_of_fold_accuracy": score("accuracy", train.labels, scores.argmax(axis=1))}
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, probabilities=probabilities, fingerprint=fingerprint, record=json.dumps(record))
        tmp.replace(cache)
    log(f"[teacher] C={c}, temperature {temperature:.3g}, validation {metric} {value:.4f}, "
        f"out-of-fold accuracy {record['out_of_fold_accuracy']:.4f}")
    return probabilities, record


def mixed_targets(labels: np.ndarray, teacher: np.ndarray, weight: float) -> np.ndarray:
    """`(1 - weight)` of the one-hot labels plus `weight` of the teacher's probabilities.

    Cross-entropy is linear in its target, so training on these is the weighted sum of the label loss and
    the distillation loss.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the teacher's weight must lie in [0, 1], got {weight}")
    one_hot = np.eye(teacher.shape[1], dtype=np.float32)[labels]
    return ((1.0 - weight) * one_hot + weight * teacher).astype(np.float32)
