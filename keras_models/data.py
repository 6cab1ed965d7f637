"""Loads a task's examples: from the local parquet folder, any folder laid out like it, or the hub."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from keras_models.paths import data_dir
from keras_models.tasks import TaskSpec, get_task

VALIDATION_FRACTION = 0.1
TEST_FRACTION = 0.1
SPLIT_SEED = 42
# Recorded in every checkpoint: a model is scored on the test split only if it was trained on this carve.
# (Checkpoints without it come from the earlier 90/10 carve, whose train split holds today's test split.)
SPLIT_PROTOCOL = f"seed {SPLIT_SEED}: {VALIDATION_FRACTION:.0%} validation, {TEST_FRACTION:.0%} test, rest train"
# Official splits that are added to the training data (the paper trains Emotion on train + validation).
EXTRA_TRAINING_SPLITS = {"emotion": ("validation",)}


@dataclasses.dataclass
class Split:
    """The examples of one split: texts (and second texts for pairs) and labels."""

    texts: list[str]
    labels: np.ndarray
    pairs: list[str] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, indices) -> "Split":
        indices = np.asarray(indices)
        return Split(
            [self.texts[i] for i in indices],
            self.labels[indices],
            [self.pairs[i] for i in indices] if self.pairs is not None else None,
        )


@dataclasses.dataclass
class TaskData:
    spec: TaskSpec
    label_names: list[str]
    splits: dict[str, Split]
    source: str

    @property
    def num_outputs(self) -> int:
        return 1 if self.spec.regression else len(self.label_names)


def _split_from_frame(frame, spec: TaskSpec) -> Split:
    missing = [c for c in (*spec.text_columns, "label") if c not in frame.columns]
    if missing:
        raise ValueError(f"{spec.name}: columns {missing} missing (found {list(frame.columns)})")
    labels = frame["label"].to_numpy(np.float32 if spec.regression else np.int64)
    texts = [str(t) for t in frame[spec.text_columns[0]]]
    pairs = [str(t) for t in frame[spec.text_columns[1]]] if spec.pair else None
    return Split(texts, labels, pairs)


def _load_local(folder: Path, spec: TaskSpec) -> tuple[dict, list[str]]:
    import datasets

    files = {p.stem: str(p) for p in sorted(folder.glob("*.parquet"))}
    if "train" not in files:
        raise FileNotFoundError(f"{folder} has no train.parquet")
    loaded = datasets.load_dataset("parquet", data_files=files)
    meta_path = folder / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    return {name: _split_from_frame(ds.to_pandas(), spec) for name, ds in loaded.items()}, meta.get("label_names", [])


def _load_hub(spec: TaskSpec) -> tuple[dict, list[str]]:
    import datasets

    loaded = datasets.load_dataset(spec.hub_path, spec.hub_config)
    renames = dict(zip(spec.hub_text_columns, spec.text_columns))
    if spec.hub_label_column != "label":
        renames[spec.hub_label_column] = "label"
    splits, label_names = {}, []
    for name, ds in loaded.items():
        ds = ds.rename_columns({k: v for k, v in renames.items() if k != v and k in ds.column_names})
        feature = ds.features.get("label")
        if hasattr(feature, "names"):
            label_names = list(feature.names)
        elif not spec.regression and ds.features["label"].dtype == "string":
            label_names = label_names or sorted(set(ds["label"]))
            ds = ds.map(lambda row: {"label": label_names.index(row["label"])})
        splits[name] = _split_from_frame(ds.to_pandas(), spec)
    return splits, label_names


def carve_splits(train: Split, seed: int = SPLIT_SEED, validation_fraction: float = VALIDATION_FRACTION,
                 test_fraction: float = TEST_FRACTION) -> tuple[Split, Split, Split]:
    """Carves a seeded validation and test split out of train; returns `(train, validation, test)`.

    One seeded permutation: its first `validation_fraction` is validation (the split earlier releases
    carved, so recipes tuned on it stay tuned on validation), the next `test_fraction` is test, the rest
    train. Nothing is ever tuned on test: it only estimates the score on data the project does not have.
    """
    order = np.random.default_rng(seed).permutation(len(train))
    n_val = max(1, int(round(len(train) * validation_fraction)))
    n_test = max(1, int(round(len(train) * test_fraction)))
    if n_val + n_test >= len(train):
        raise ValueError(f"{len(train)} training examples are too few to carve validation and test splits")
    validation, test, rest = order[:n_val], order[n_val : n_val + n_test], order[n_val + n_test :]
    return train.take(np.sort(rest)), train.take(np.sort(validation)), train.take(np.sort(test))


def concatenate(first: Split, second: Split) -> Split:
    return Split(first.texts + second.texts, np.concatenate([first.labels, second.labels]),
                 first.pairs + second.pairs if first.pairs is not None else None)


def load_task(name: str, source: str | Path | None = None) -> TaskData:
    """Loads a task with `train` and carved `validation` and `test` splits (official ones as `official_*`).

    The carve is `carve_splits` on the official train split; official splits named in
    `EXTRA_TRAINING_SPLITS` (Emotion's validation, as in the paper) are then added to `train`.

    Args:
        name: a task name ("snips", "glue/cola") or a folder laid out like `shared/data/<group>/<task>`
            (its last component names the task).
        source: a data folder holding `<group>/<task>/`; defaults to the local data folder, and to the
            Hugging Face hub when the task is not there. Pass "hub" to force the hub.
    """
    as_path = Path(name)
    spec = get_task(as_path.name if as_path.is_dir() else name)
    if as_path.is_dir():
        folder = as_path
    elif source == "hub":
        folder = None
    else:
        folder = Path(source or data_dir()) / spec.folder
        if source is not None and not folder.is_dir():
            raise FileNotFoundError(f"dataset folder not found: {folder}")
    if folder is not None and folder.is_dir():
        raw, label_names = _load_local(folder, spec)
        origin = str(folder)
    else:
        raw, label_names = _load_hub(spec)
        origin = f"hub:{spec.hub_path}" + (f"/{spec.hub_config}" if spec.hub_config else "")
    if not spec.regression and not label_names:
        label_names = [str(i) for i in range(int(raw["train"].labels.max()) + 1)]
    train, validation, test = carve_splits(raw["train"])
    for extra in EXTRA_TRAINING_SPLITS.get(spec.name, ()):
        if extra in raw:
            train = concatenate(train, raw[extra])
    splits = {"train": train, "validation": validation, "test": test}
    splits.update({f"official_{k}": v for k, v in raw.items() if k != "train"})
    return TaskData(spec, label_names, splits, origin)


def corpus_texts(names=("corpus/imdb_unsup", "corpus/wikitext2")) -> list[str]:
    """Unlabelled text for tokenizer training and masked-LM pretraining."""
    import pandas as pd

    texts = []
    for name in names:
        path = data_dir() / name / "train.parquet"
        if not path.is_file():
            raise FileNotFoundError(f"corpus not found: {path}")
        texts.extend(t for t in pd.read_parquet(path)["text"].astype(str) if t.strip())
    return texts


def pretraining_sources() -> tuple[list[str], list[tuple[str, str]]]:
    """Unlabelled text for pretraining: `(texts, pairs)`.

    Texts: the corpus and the train split of every locally available single-text task; pairs: the train
    split of every pair task, as (first, second). Never a carved validation or test split.
    """
    from keras_models.tasks import TASKS

    texts, pairs = corpus_texts(), []
    for name in TASKS:
        try:
            train = load_task(name).splits["train"]
        except FileNotFoundError:
            continue
        if train.pairs is None:
            texts.extend(train.texts)
        else:
            pairs.extend(zip(train.texts, train.pairs))
    return texts, pairs


def all_training_texts() -> list[str]:
    """The unlabelled corpus plus every locally available task's train split, pairs as two texts."""
    texts, pairs = pretraining_sources()
    return texts + [text for pair in pairs for text in pair]
