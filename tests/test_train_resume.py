"""A training run stopped by Ctrl-C, in the float and in the QAT stage, and resumed with the same command, ends
with the same weights, scores and history as a run that was never interrupted."""

import json
import re

import h5py
import numpy as np
import pytest

from keras_models import train
from keras_models._keras import keras
from tests.conftest import _require_data

ARGS = ["--task", "snips", "--preset", "tiny", "--limit", "64", "--batch-size", "32", "--epochs", "2",
        "--qat-epochs", "2"]


def _weights(path) -> dict[str, np.ndarray]:
    """Every array of a Keras .h5, by name; Keras's per-session counters (`quantize_annotate_21`) left out."""
    out = {}

    def keep(name, item):
        if isinstance(item, h5py.Dataset):
            out[re.sub(r"quantize_annotate_\d+", "quantize_annotate", name)] = item[()]

    with h5py.File(path, "r") as f:
        f.visititems(keep)
    return out


def _history(folder) -> list[dict]:
    """The checkpoint's history without the epochs' wall times."""
    history = json.loads((folder / "checkpoint.json").read_text())["history"]
    return [{k: v for k, v in h.items() if k != "seconds"} for h in history]


class _CtrlC(keras.callbacks.Callback):
    """Ctrl-C after the first batch of the epoch it is given to."""

    def on_train_batch_end(self, batch, logs=None):
        raise KeyboardInterrupt


def test_interrupted_and_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path, capsys, monkeypatch):
    _require_data()
    straight = tmp_path / "straight"
    assert train.main(ARGS + ["--out", str(straight)]) == 0

    fit = keras.Model.fit
    epochs_started = []

    def fit_interrupted_at(*interrupt_at):
        def patched(model, *args, **kwargs):
            epochs_started.append(len(epochs_started) + 1)
            if len(epochs_started) in interrupt_at:
                kwargs["callbacks"] = [*kwargs.get("callbacks", []), _CtrlC()]
            return fit(model, *args, **kwargs)

        return patched

    resumed = tmp_path / "resumed"
    # fits: float 1, float 2 (Ctrl-C) | float 2, qat 1, qat 2 (Ctrl-C) | qat 2
    monkeypatch.setattr(keras.Model, "fit", fit_interrupted_at(2, 5))
    capsys.readouterr()
    assert train.main(ARGS + ["--out", str(resumed)]) == 130
    assert "interrupted: finished epochs are saved in" in capsys.readouterr().err
    assert train.main(ARGS + ["--out", str(resumed)]) == 130
    output = capsys.readouterr()
    assert "[float] resuming after epoch 1" in output.out and "run the same command to resume" in output.err
    assert train.main(ARGS + ["--out", str(resumed)]) == 0
    assert "[qat] resuming after epoch 1" in capsys.readouterr().out
    assert len(epochs_started) == 6

    assert _history(resumed) == _history(straight)
    for name in ("float.h5", "qat.h5"):
        want, got = _weights(straight / name), _weights(resumed / name)
        assert sorted(got) == sorted(want), name
        for key in want:
            np.testing.assert_array_equal(got[key], want[key], err_msg=f"{name}: {key}")


@pytest.fixture(autouse=True)
def _no_state_left_between_tests():
    yield
    keras.backend.clear_session()
