"""Where the project finds its data, tokenizer and default checkpoint."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TOKENIZER_PATH = REPO_ROOT / "tokenizer" / "embbert-bpe-8192.json"
CHECKPOINTS_DIR = REPO_ROOT / "checkpoints"
DEFAULT_CHECKPOINT = CHECKPOINTS_DIR / "snips"
DEFAULT_MODEL_OUT = REPO_ROOT / "build" / "model"


def data_dir() -> Path:
    """The local dataset folder: `$EMBBERT_DATA_DIR`, else `shared/data` beside the repository."""
    if "EMBBERT_DATA_DIR" in os.environ:
        return Path(os.environ["EMBBERT_DATA_DIR"])
    return REPO_ROOT.parent / "shared" / "data"


def repo_relative(path) -> str:
    """`path` relative to the repository when it lies inside it or beside it (`../shared/data/...`), else as
    given: so that outputs hold no machine-specific paths.

    >>> repo_relative(REPO_ROOT / "checkpoints" / "snips")
    'checkpoints/snips'
    >>> repo_relative(REPO_ROOT.parent / "shared" / "data")
    '../shared/data'
    >>> repo_relative("/elsewhere/model")
    '/elsewhere/model'
    """
    resolved = Path(path).resolve()
    if resolved.is_relative_to(REPO_ROOT.parent) and REPO_ROOT.parent != Path(REPO_ROOT.anchor):
        return os.path.relpath(resolved, REPO_ROOT)
    return str(path)
