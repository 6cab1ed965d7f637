"""What the board must be running: the converter's output folder (`convert/OUTPUTS.md`), and the host
TFLM interpreter that gives the reference outputs.

Example:

    model = ModelArtifacts("build/model")
    model.hash, model.seq_len, model.labels, model.metric
    HostModel(model.tflite_bytes).run(token_ids, segment_ids)  # int8 logits, as a list
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import zlib

import numpy as np

from keras_models.tokenizer import segment_ids_for as segment_ids  # the rule shared with the firmware

from board_tests import metrics

REPO = pathlib.Path(__file__).resolve().parents[1]


def _read_json(path: pathlib.Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _first(d: dict, *keys, default=None):
    for k in keys:
        cur = d
        for part in k.split("."):
            if not isinstance(cur, dict) or part not in cur:
                break
            cur = cur[part]
        else:
            if cur is not None:
                return cur
    return default


def parse_settings_header(text: str) -> dict:
    """The scalar `constexpr`s of `model_settings.h` (`kSeqLen` -> 256, `kModelName` -> "...")."""
    out = {}
    for m in re.finditer(r"constexpr\s+[\w:<>* ]+?\s*(k\w+)\s*=\s*([^;]+);", text):
        v = m.group(2).strip()
        if v.startswith('"'):
            out[m.group(1)] = v.strip('"')
            continue
        v = re.sub(r"[uUlLfF]+$", "", v.replace("'", ""))
        try:
            out[m.group(1)] = int(v, 0)
        except ValueError:
            try:
                out[m.group(1)] = float(v)
            except ValueError:
                out[m.group(1)] = v
    m = re.search(r"kLabelNames\[\]\s*=\s*\{([^}]*)\}", text)
    if m:
        out["kLabelNames"] = re.findall(r'"([^"]*)"', m.group(1))
    return out


class ModelArtifacts:
    """The converter output folder of the model the board should run."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = pathlib.Path(folder)
        path = self.folder / "model.tflite"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: run the converter (convert/to_tflite.py) first")
        self.tflite_bytes = path.read_bytes()
        self.hash = f"{zlib.crc32(self.tflite_bytes) & 0xFFFFFFFF:08x}"
        self.info = _read_json(self.folder / "model_info.json")
        self.golden = _read_json(self.folder / "golden.json")
        self.memory_report = _read_json(self.folder / "memory_report.json")
        hdr = self.folder / "model_settings.h"
        self.settings = parse_settings_header(hdr.read_text()) if hdr.exists() else {}

    @property
    def name(self) -> str:
        return str(_first(self.info, "name", "model_name", default=self.settings.get("kModelName", "model")))

    @property
    def task(self) -> str | None:
        return _first(self.info, "task", "dataset", "task_name")

    @property
    def seq_len(self) -> int:
        v = _first(self.info, "seq_len", "config.seq_len", "L", "sequence_length", default=self.settings.get("kSeqLen"))
        return int(v if v is not None else self.golden.get("seq_len"))

    @property
    def vocab(self) -> int:
        return int(_first(self.info, "vocab", "vocab_size", "V", default=self.settings.get("kVocabSize", 8192)))

    @property
    def labels(self) -> list[str]:
        v = _first(self.info, "labels", "label_names", default=self.settings.get("kLabelNames"))
        return [str(x) for x in v] if v else []

    @property
    def metric(self) -> str:
        v = _first(self.info, "metric")
        return str(v).lower() if v else metrics.metric_for(self.task)

    @property
    def is_regression(self) -> bool:
        if "regression" in self.info:
            return bool(self.info["regression"])
        return self.metric in ("spearman", "pearson")

    @property
    def num_classes(self) -> int:
        v = _first(self.info, "num_outputs", "classes", "num_classes", default=self.settings.get("kNumClasses"))
        return int(v) if v is not None else max(1, len(self.labels))

    @property
    def output_quant(self) -> tuple[float, int]:
        scale = _first(self.info, "output_scale", "output_quantization.scale", "output.scale",
                       default=self.settings.get("kOutputScale"))
        zp = _first(self.info, "output_zero_point", "output_quantization.zero_point", "output.zero_point",
                    default=self.settings.get("kOutputZeroPoint", 0))
        if isinstance(scale, list):
            scale = scale[0]
        if isinstance(zp, list):
            zp = zp[0]
        return (float(scale) if scale is not None else 1.0), int(zp)

    @property
    def tokenizer_path(self) -> pathlib.Path:
        v = _first(self.info, "tokenizer", "tokenizer_path", default="embbert-bpe-8192.json")
        p = pathlib.Path(v)
        if p.is_absolute():
            return p
        return REPO / p if (REPO / p).exists() else REPO / "tokenizer" / p.name


class HostModel:
    """The host TFLite Micro interpreter (PyPI `tflite-micro`, reference kernels): the device's reference."""

    def __init__(self, tflite_bytes: bytes):
        from tflite_micro.python.tflite_micro import runtime

        self._interp = runtime.Interpreter.from_bytes(tflite_bytes)

    def output_quant(self) -> tuple[float, int]:
        q = self._interp.get_output_details(0)["quantization_parameters"]
        return float(q["scales"][0]), int(q["zero_points"][0])

    def run(self, token_ids, seg=None) -> list[int]:
        ids = np.asarray(token_ids, dtype=np.int32).reshape(1, -1)
        seg = segment_ids(ids[0]) if seg is None else np.asarray(seg, dtype=np.int32)
        self._interp.set_input(ids, 0)
        self._interp.set_input(seg.reshape(1, -1).astype(np.int32), 1)
        self._interp.invoke()
        return [int(v) for v in np.asarray(self._interp.get_output(0)).reshape(-1)]
