"""What the board must be running: the converter's output folder (`convert/OUTPUTS.md`), and the host
TFLM interpreter that gives the reference outputs.

Example:

    model = ModelArtifacts("build/model")
    model.hash, model.seq_len, model.labels, model.metric
    HostModel(model.tflite_bytes).run(token_ids, segment_ids)  # int8 logits
"""

from __future__ import annotations

import json
import os
import pathlib

from convert.flatbuffer import model_hash
from convert.tflm_host import HostModel  # noqa: F401  (the host reference, used by the fixtures)
from keras_models.paths import REPO_ROOT as REPO  # noqa: F401
from keras_models.tokenizer import segment_ids_for as segment_ids  # noqa: F401  (the rule the firmware shares)


class ModelArtifacts:
    """The converter output folder of the model the board should run."""

    REQUIRED = ("model.tflite", "model_info.json", "golden.json")

    def __init__(self, folder: str | os.PathLike):
        self.folder = pathlib.Path(folder)
        missing = [name for name in self.REQUIRED if not (self.folder / name).is_file()]
        if missing:
            raise FileNotFoundError(
                f"{self.folder}: {', '.join(missing)} not found: run the converter first "
                f"(python convert/to_tflite.py --out {self.folder})"
            )
        self.tflite_bytes = (self.folder / "model.tflite").read_bytes()
        self.hash = model_hash(self.tflite_bytes)
        self.info = json.loads((self.folder / "model_info.json").read_text())
        self.golden = json.loads((self.folder / "golden.json").read_text())
        memory = self.folder / "memory_report.json"
        self.memory_report = json.loads(memory.read_text()) if memory.is_file() else {}

    name = property(lambda self: self.info["name"])
    task = property(lambda self: self.info["task"])
    seq_len = property(lambda self: int(self.info["seq_len"]))
    keep_head = property(lambda self: self.info.get("keep_head"))  # how a text too long for L is cut (tokenizer.encode)
    vocab = property(lambda self: int(self.info["vocab_size"]))
    labels = property(lambda self: [str(x) for x in self.info["label_names"]])
    metric = property(lambda self: self.info["metric"])
    num_classes = property(lambda self: int(self.info["num_outputs"]))
    arena_bytes = property(lambda self: int(self.info["arena_bytes"]))

    def arena_bytes_for(self, kernels: str | None) -> int:
        """The converter's arena for a kernel set: kArenaBytes for ours (fast), kStockKernelsArenaBytes
        for the stock ones (their BATCH_MATMUL keeps transposed copies that ours does not)."""
        if kernels in (None, "fast"):
            return self.arena_bytes
        return int(self.info.get("stock_kernels_arena_bytes", self.arena_bytes))

    def graph_bytes_for(self, kernels: str | None) -> bytes:
        """The flatbuffer the firmware embeds with a kernel set: ours (fast) run the fused graph
        (`model_fused.tflite`, one EMBBERT_LAYER per encoder layer) when the folder has one, the stock
        ones `model.tflite`, which the host interpreter runs too."""
        fused = self.folder / "model_fused.tflite"
        if kernels in (None, "fast") and fused.is_file():
            return fused.read_bytes()
        return self.tflite_bytes

    @property
    def tokenizer_path(self) -> pathlib.Path:
        return REPO / "tokenizer" / pathlib.Path(self.info["tokenizer"]).name
