"""Loads a task's examples: from the local parquet folder, any folder laid out like it, or the hub."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from keras_models.paths import data_dir
from keras_models.tasks import TaskSpec, get_task

VALIDATION_FRACTION = 0.1
SPLIT_SEED = 42


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


def carve_validation(train: Split, fraction: float = VALIDATION_FRACTION, seed: int = SPLIT_SEED):
    """Splits a seeded `fraction` of train off as validation; returns `(train, validation)`."""
    order = np.random.default_rng(seed).permutation(len(train))
    n_val = max(1, int(round(len(train) * fraction)))
    return train.take(np.sort(order[n_val:])), train.take(np.sort(order[:n_val]))


def load_task(name: str, source: str | Path | None = None) -> TaskData:
    """Loads a task with `train` and a carved `validation` split (and the official ones as `official_*`).

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
    train, validation = carve_validation(raw["train"])
    splits = {"train": train, "validation": validation}
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


def all_training_texts() -> list[str]:
    """The unlabelled corpus plus every locally available task's train split (never the carved validation)."""
    from keras_models.tasks import TASKS

    texts = corpus_texts()
    for name in TASKS:
        try:
            train = load_task(name).splits["train"]
        except FileNotFoundError:
            continue
        texts.extend(train.texts)
        texts.extend(train.pairs or [])
    return texts
