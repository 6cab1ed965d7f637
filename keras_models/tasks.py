"""The text-classification tasks EmbBERT is trained and evaluated on."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """Where a task's data lives and how it is scored.

    Args:
        name: short name ("snips", "cola").
        folder: path under the local data folder ("tinynlp/snips").
        hub_path, hub_config: the same data on the Hugging Face hub, for users with internet.
        hub_text_columns, hub_label_column: hub column names, renamed to `text`/`text_a`, `text_b`, `label`.
        pair: sentence-pair task (columns `text_a`, `text_b`).
        metric: "accuracy", "mcc", "f1", "f1_weighted" or "spearman" (MRPC: weighted F1, the paper's metric;
            its binary F1 is what always answering "equivalent" also reaches).
        regression: one output, trained with mean squared error.
        default_seq_len: what the task deploys at (short texts need fewer tokens).
    """

    name: str
    folder: str
    hub_path: str
    hub_config: str | None = None
    hub_text_columns: tuple[str, ...] = ("text",)
    hub_label_column: str = "label"
    pair: bool = False
    metric: str = "accuracy"
    regression: bool = False
    default_seq_len: int = 256

    @property
    def text_columns(self) -> tuple[str, ...]:
        return ("text_a", "text_b") if self.pair else ("text",)


TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in [
        TaskSpec("imdb", "tinynlp/imdb", "stanfordnlp/imdb"),
        TaskSpec("cyberbullying", "tinynlp/cyberbullying", "cyberbullying_tweets", hub_text_columns=("tweet_text",),
                 hub_label_column="cyberbullying_type", default_seq_len=128),
        TaskSpec("limit", "tinynlp/limit", "IBM/limit", hub_text_columns=("sentence",),
                 hub_label_column="motion", default_seq_len=128),
        TaskSpec("nlu", "tinynlp/nlu", "xliuhw/NLU-Evaluation-Data", hub_label_column="scenario", default_seq_len=64),
        TaskSpec("snips", "tinynlp/snips", "benayas/snips", hub_label_column="category", default_seq_len=64),
        TaskSpec("emotion", "tinynlp/emotion", "dair-ai/emotion", "split", default_seq_len=64),
        TaskSpec("sst2", "glue/sst2", "nyu-mll/glue", "sst2", hub_text_columns=("sentence",), default_seq_len=64),
        TaskSpec("cola", "glue/cola", "nyu-mll/glue", "cola", hub_text_columns=("sentence",), metric="mcc",
                 default_seq_len=64),
        TaskSpec("rte", "glue/rte", "nyu-mll/glue", "rte", hub_text_columns=("sentence1", "sentence2"), pair=True),
        TaskSpec("mrpc", "glue/mrpc", "nyu-mll/glue", "mrpc", hub_text_columns=("sentence1", "sentence2"),
                 pair=True, metric="f1_weighted", default_seq_len=128),
        TaskSpec("stsb", "glue/stsb", "nyu-mll/glue", "stsb", hub_text_columns=("sentence1", "sentence2"),
                 pair=True, metric="spearman", regression=True, default_seq_len=128),
        TaskSpec("wnli", "glue/wnli", "nyu-mll/glue", "wnli", hub_text_columns=("sentence1", "sentence2"),
                 pair=True, default_seq_len=128),
    ]
}


def get_task(name: str) -> TaskSpec:
    """Looks a task up by short name or folder ("snips", "tinynlp/snips", "glue/cola")."""
    key = name.strip().lower().rstrip("/").split("/")[-1]
    if key not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of: {', '.join(sorted(TASKS))}")
    return TASKS[key]
