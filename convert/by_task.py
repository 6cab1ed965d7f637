"""A shipped checkpoint's int8 model, by task name: converted once into `build/models/<task>/`, then reused.

    from convert.by_task import converted_model
    model_dir = converted_model("emotion")     # runs convert/to_tflite.py only when out of date

The conversion is redone when the checkpoint's QAT weights are newer than the converted model, so a model
trained again is never evaluated from a stale flatbuffer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from keras_models.paths import CHECKPOINTS_DIR, REPO_ROOT

MODELS_DIR = REPO_ROOT / "build" / "models"


def checkpoint_for(task: str) -> Path:
    folder = CHECKPOINTS_DIR / task
    if not (folder / "qat.h5").is_file():
        shipped = sorted(p.parent.name for p in CHECKPOINTS_DIR.glob("*/qat.h5"))
        raise FileNotFoundError(f"no trained checkpoint for {task!r} in {CHECKPOINTS_DIR}; "
                                f"shipped: {', '.join(shipped) or 'none'}")
    return folder


def _evaluated_on(info: Path) -> str:
    import json

    return json.loads(info.read_text()).get("evaluation", {}).get("split", "").split(" ")[0]


def converted_model(task: str, models_dir: Path = MODELS_DIR, eval_split: str = "validation") -> Path:
    """Returns `models_dir/<task>`, converting `checkpoints/<task>` into it first if needed.

    `eval_split` is the carved split the converter scores float, QAT and int8 on (and takes its golden
    vectors from); a model scored on another split is converted again.
    """
    checkpoint = checkpoint_for(task)
    model_dir = models_dir / task
    info = model_dir / "model_info.json"
    if (not info.is_file() or info.stat().st_mtime < (checkpoint / "qat.h5").stat().st_mtime
            or _evaluated_on(info) != eval_split):
        command = [sys.executable, str(REPO_ROOT / "convert" / "to_tflite.py"), "--checkpoint", str(checkpoint),
                   "--out", str(model_dir), "--eval-split", eval_split]
        print("$ " + " ".join(command), flush=True)
        subprocess.run(command, check=True, cwd=REPO_ROOT)
    return model_dir
