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
    """`path` relative to the repository when it lies inside it or in the `shared` folder beside it
    (`../shared/data/...`), else as given: so that outputs hold no machine-specific paths. Other folders
    beside the repository (a temporary folder when the clone itself sits in /tmp) stay absolute.

    >>> repo_relative(REPO_ROOT / "checkpoints" / "snips")
    'checkpoints/snips'
    >>> repo_relative(REPO_ROOT.parent / "shared" / "data")
    '../shared/data'
    >>> repo_relative("/elsewhere/model")
    '/elsewhere/model'
    """
    absolute = Path(os.path.abspath(path))  # normalised, links kept: a linked `shared` stays `../shared`
    for base in (REPO_ROOT, REPO_ROOT.parent / "shared"):
        if absolute.is_relative_to(base) or absolute.resolve().is_relative_to(base.resolve()):
            return os.path.relpath(absolute if absolute.is_relative_to(base) else absolute.resolve(), REPO_ROOT)
    return str(path)
