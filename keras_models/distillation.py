"""Soft targets from the TF-IDF teacher, for fine-tuning by distillation.

Classification: the teacher is the simple baseline the transformer must beat (`keras_models.tfidf`), a
linear SVM with C chosen on the carved validation split. Its targets for the train split are out-of-fold:
each fold's scores come from an SVM that never saw that fold's labels, so they carry what the teacher
generalises, not what it memorised. A temperature fitted on those out-of-fold scores (least log-loss) turns
them into probabilities.
Regression (STS-B): the teacher maps the word and character TF-IDF cosines of the two texts to the label
scale with least squares, out-of-fold as well. Nothing here reads the carved test split.

Transfer targets: the teacher fitted on the whole train split labels noisy copies of its texts
(`keras_models.augmentation`), more examples for the student; their texts were never labelled, so nothing
there is memorised.

Targets are cached in `<checkpoint>/teacher.npz` and `<checkpoint>/transfer.npz` (not shipped), keyed by
the train split's fingerprint (and, for the copies, their number and seed).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
from scipy.special import softmax as row_softmax

FOLDS = 5
TEMPERATURES = np.geomspace(0.05, 5.0, 41)
CACHE_NAME = "teacher.npz"
TRANSFER_CACHE_NAME = "transfer.npz"


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
    """Out-of-fold teacher targets for `task.splits["train"]`: `(targets, record)`.

    Classification: one row of class probabilities per example; regression: one predicted label each.
    `record` says how they were made (the teacher, its validation score, its out-of-fold score on train).
    """
    train = task.splits["train"]
    fingerprint = split_fingerprint(train)
    cache = Path(cache_dir) / CACHE_NAME if cache_dir else None
    if cache is not None and cache.is_file():
        stored = np.load(cache)
        if str(stored["fingerprint"]) == fingerprint and "targets" in stored:
            return stored["targets"], json.loads(str(stored["record"]))
        log(f"[teacher] {cache} was made for other training data or by an older version: recomputing")
    make = _regression_teacher if task.spec.regression else _classification_teacher
    targets, record = make(task, folds, seed, log)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, targets=targets, fingerprint=fingerprint, record=json.dumps(record))
        tmp.replace(cache)
    return targets, record


def transfer_targets(task, record: dict, copies: int, seed: int = 0, cache_dir: Path | None = None, log=print):
    """Noisy copies of the train examples and the teacher's class probabilities for them: `(copied, targets)`.

    `copied` is a `data.Split` whose labels are the teacher's classes. The two texts of a pair are perturbed
    independently. The teacher is fitted on the whole train split with the C and temperature of `record`
    (from `teacher_targets`). Classification tasks only.
    """
    from keras_models.augmentation import augment_texts
    from keras_models.data import Split
    from keras_models.tfidf import class_scores, features, linear_svm, vectorizers

    train = task.splits["train"]
    if task.spec.regression:
        raise ValueError(f"{task.spec.name}: noisy copies are made for classification tasks only")
    texts = augment_texts(train.texts, copies, seed)
    pairs = augment_texts(train.pairs, copies, seed + 1) if train.pairs is not None else None
    unlabelled = Split(texts, np.zeros(len(texts), np.int64), pairs)
    key = f"{split_fingerprint(train)}-{copies}-{seed}"
    cache = Path(cache_dir) / TRANSFER_CACHE_NAME if cache_dir else None
    if cache is not None and cache.is_file():
        stored = np.load(cache)
        if str(stored["key"]) == key:
            targets = stored["targets"]
            return dataclasses.replace(unlabelled, labels=targets.argmax(axis=1)), targets
        log(f"[teacher] {cache} was made for other copies or other training data: recomputing")
    log(f"[teacher] labelling {len(texts):,} noisy copies of the train examples")
    union = vectorizers()
    model = linear_svm(features(union, train, fit=True), train.labels, record["c"], task.spec.metric)
    scores = class_scores(model, features(union, unlabelled), task.num_outputs)
    targets = softmax(scores, record["temperature"]).astype(np.float32)
    if cache is not None:
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, targets=targets, key=key)
        tmp.replace(cache)
    return dataclasses.replace(unlabelled, labels=targets.argmax(axis=1)), targets


def _classification_teacher(task, folds: int, seed: int, log):
    from sklearn.model_selection import StratifiedKFold

    from keras_models.metrics import score
    from keras_models.tfidf import choose_c, class_scores, features, linear_svm, vectorizers

    train, validation = task.splits["train"], task.splits["validation"]
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
    log(f"[teacher] C={c}, temperature {temperature:.3g}, validation {metric} {value:.4f}, "
        f"out-of-fold accuracy {record['out_of_fold_accuracy']:.4f}")
    return probabilities, record


def _regression_teacher(task, folds: int, seed: int, log):
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold

    from keras_models.metrics import score
    from keras_models.tfidf import pair_cosines, vectorizers

    train, validation = task.splits["train"], task.splits["validation"]
    if train.pairs is None:
        raise ValueError(f"{task.spec.name}: the regression teacher scores text pairs, and this task has none")
    union = vectorizers().fit(train.texts + train.pairs)  # no labels: the vocabulary and its idf only
    x_train, x_val = pair_cosines(union, train), pair_cosines(union, validation)
    predictions = np.zeros(len(train), np.float64)
    for fold, (rest, held) in enumerate(KFold(folds, shuffle=True, random_state=seed).split(x_train)):
        log(f"[teacher] out-of-fold predictions {fold + 1}/{folds}")
        predictions[held] = LinearRegression().fit(x_train[rest], train.labels[rest]).predict(x_train[held])
    metric = task.spec.metric
    value = score(metric, validation.labels, LinearRegression().fit(x_train, train.labels).predict(x_val))
    record = {"model": "least squares on the word 1-2 and char 2-5 gram TF-IDF cosines of the pair",
              "folds": folds, f"validation_{metric}": value,
              f"out_of_fold_{metric}": score(metric, train.labels, predictions)}
    log(f"[teacher] validation {metric} {value:.4f}, out-of-fold {metric} {record[f'out_of_fold_{metric}']:.4f}")
    return predictions.astype(np.float32), record


def mixed_targets(labels: np.ndarray, teacher: np.ndarray, weight: float) -> np.ndarray:
    """`(1 - weight)` of the labels (one-hot for classes) plus `weight` of the teacher's targets.

    Cross-entropy is linear in its target, so training on these is the weighted sum of the label loss and
    the distillation loss; so is squared error, up to a constant that does not depend on the model.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the teacher's weight must lie in [0, 1], got {weight}")
    if teacher.ndim == 1:
        return ((1.0 - weight) * labels + weight * teacher).astype(np.float32)
    one_hot = np.eye(teacher.shape[1], dtype=np.float32)[labels]
    return ((1.0 - weight) * one_hot + weight * teacher).astype(np.float32)
