"""The checkpoint folder a training run writes and the converter reads.

    <folder>/checkpoint.json   model config, task, labels, metric, scores, history
    <folder>/float.h5  best float model (validation metric)
    <folder>/qat.h5    best quantization-aware model, in the deployed (folded) form
    <folder>/state/            resumable training state (optimizer included); not shipped
    <folder>/teacher.npz       the TF-IDF teacher's soft targets when distilling (`distillation`); not shipped
    <folder>/transfer.npz      its targets for the noisy copies of the train texts (`distillation["copies"]`); not shipped
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from keras_models.config import EmbBertConfig
from keras_models.paths import REPO_ROOT, repo_relative
from keras_models.tasks import TaskSpec, get_task


class CheckpointError(Exception):
    """A checkpoint folder that is missing, incomplete or unreadable."""


@dataclasses.dataclass
class CheckpointInfo:
    folder: Path
    config: EmbBertConfig
    task: TaskSpec
    label_names: list[str]
    num_outputs: int
    tokenizer: str
    scores: dict
    history: list
    init: str | None = None  # the pretraining folder fine-tuning started from; None: a random encoder
    init_steps: int | None = None  # how many steps that encoder had been pretrained for
    splits: str | None = None  # the carve of the data it trained on (`data.SPLIT_PROTOCOL`); None: the 90/10 one
    distillation: dict | None = None  # the teacher's weight in the loss and how the teacher was made; None: labels only
    keep_head: int | None = None  # a text cut to fit keeps this many first ids, then its last (`tokenizer.encode`)

    def check_scored_on(self, split: str) -> None:
        """Refuses to score a model on a carved test split that its own training data contained."""
        from keras_models.data import SPLIT_PROTOCOL

        if split == "test" and self.splits != SPLIT_PROTOCOL:
            raise CheckpointError(f"{repo_relative(self.folder)} was trained on an earlier carve of the data whose train "
                                  "split contains today's test split: retrain it before scoring it on test")

    @property
    def tokenizer_path(self) -> Path:
        path = Path(self.tokenizer)
        return path if path.is_absolute() else REPO_ROOT / path

    @property
    def float_weights(self) -> Path:
        return self.folder / "float.h5"

    @property
    def qat_weights(self) -> Path:
        return self.folder / "qat.h5"

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {
            "config": self.config.to_dict(),
            "task": self.task.name,
            "label_names": self.label_names,
            "num_outputs": self.num_outputs,
            "tokenizer": repo_relative(self.tokenizer),
            "init": self.init,
            "init_steps": self.init_steps,
            "splits": self.splits,
            "distillation": self.distillation,
            "keep_head": self.keep_head,
            "scores": self.scores,
            "history": self.history,
        }
        tmp = self.folder / "checkpoint.json.tmp"
        tmp.write_text(json.dumps(record, indent=2) + "\n")
        tmp.replace(self.folder / "checkpoint.json")

    @classmethod
    def load(cls, folder: str | Path) -> "CheckpointInfo":
        folder = Path(folder)
        path = folder / "checkpoint.json"
        if not path.is_file():
            raise CheckpointError(f"no checkpoint at {folder} (checkpoint.json missing)")
        try:
            record = json.loads(path.read_text())
            return cls(
                folder=folder,
                config=EmbBertConfig.from_dict(record["config"]),
                task=get_task(record["task"]),
                label_names=list(record["label_names"]),
                num_outputs=int(record["num_outputs"]),
                tokenizer=record["tokenizer"],
                scores=record.get("scores", {}),
                history=record.get("history", []),
                init=record.get("init"),
                init_steps=record.get("init_steps"),
                splits=record.get("splits"),
                distillation=record.get("distillation"),
                keep_head=record.get("keep_head"),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise CheckpointError(f"corrupt checkpoint {path}: {error}") from error


def resize_model(model, info: CheckpointInfo, seq_len: int):
    """Returns `model` rebuilt for a shorter sequence length (the first `seq_len` learned positions)."""
    if seq_len == info.config.seq_len:
        return model
    if seq_len > info.config.seq_len:
        raise CheckpointError(f"sequence length {seq_len} exceeds the trained {info.config.seq_len}")
    from keras_models.model import build_classifier
    from keras_models.quantization import quantize_model

    config = info.config.replace(seq_len=seq_len)
    if model.layers[-1].name.startswith("quant_"):  # quantization-aware models are always folded
        shorter = quantize_model(build_classifier(config, info.num_outputs, folded=True))
    else:
        folded = any(getattr(layer, "folded", False) for layer in model.layers)
        shorter = build_classifier(config, info.num_outputs, folded=folded)
    for source, target in zip(model.layers, shorter.layers):
        target.set_weights(
            [w[:seq_len] if "position_table" in v.name else w for v, w in zip(source.weights, source.get_weights())]
        )
    return shorter


def load_qat_model(info: CheckpointInfo, seq_len: int | None = None):
    """Rebuilds the quantization-aware classifier of a checkpoint, optionally at a shorter sequence length."""
    from keras_models.model import build_classifier
    from keras_models.quantization import quantize_model, quantize_scope

    if not info.qat_weights.is_file():
        raise CheckpointError(f"{info.folder} has no quantization-aware weights (qat.h5); finish training first")
    trained = build_classifier(info.config, info.num_outputs, folded=True)
    model = quantize_model(trained)
    try:
        with quantize_scope():
            model.load_weights(str(info.qat_weights))
    except (OSError, ValueError) as error:
        raise CheckpointError(f"cannot read {info.qat_weights}: {error}") from error
    return resize_model(model, info, seq_len or info.config.seq_len)


def load_float_model(info: CheckpointInfo):
    from keras_models.model import build_classifier

    if not info.float_weights.is_file():
        raise CheckpointError(f"{info.folder} has no float weights (float.h5)")
    model = build_classifier(info.config, info.num_outputs)
    try:
        model.load_weights(str(info.float_weights))
    except (OSError, ValueError) as error:
        raise CheckpointError(f"cannot read {info.float_weights}: {error}") from error
    return model
