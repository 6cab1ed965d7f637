"""Shared fixtures: a tiny EmbBERT checkpoint trained on real SNIPS text, and its converted int8 model."""

from __future__ import annotations

import pytest

import keras_models  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from keras_models.paths import data_dir


def _require_data():
    if not (data_dir() / "tinynlp" / "snips" / "train.parquet").is_file():
        pytest.skip(f"SNIPS not found under {data_dir()} (set EMBBERT_DATA_DIR)")


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A `tiny`-preset checkpoint (float, then QAT), one short epoch each on 400 SNIPS examples."""
    _require_data()
    from keras_models import train

    out = tmp_path_factory.mktemp("checkpoint") / "snips-tiny"
    args = ["--task", "snips", "--preset", "tiny", "--epochs", "1", "--qat-epochs", "1", "--limit", "400"]
    assert train.main(args + ["--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_checkpoint, tmp_path_factory):
    """The converter's output folder for the tiny checkpoint."""
    from convert import to_tflite

    out = tmp_path_factory.mktemp("model")
    assert to_tflite.main(["--checkpoint", str(tiny_checkpoint), "--out", str(out), "--eval-samples", "64"]) == 0
    return out


@pytest.fixture(scope="session")
def l256_model(tmp_path_factory):
    """The converter's output folder for the shipped `checkpoints/snips-L256` (the paper's L), converted
    afresh (a few minutes), or the folder EMBBERT_L256_MODEL names."""
    import os
    import pathlib

    from convert import to_tflite

    if os.environ.get("EMBBERT_L256_MODEL"):
        return pathlib.Path(os.environ["EMBBERT_L256_MODEL"]).resolve()
    _require_data()
    out = tmp_path_factory.mktemp("snips-L256")
    assert to_tflite.main(["--checkpoint", "snips-L256", "--out", str(out), "--eval-samples", "16"]) == 0
    return out
