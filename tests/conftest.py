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
