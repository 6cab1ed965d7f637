"""Writes what the unmodified MLPerf Tiny host runner (mlcommons/tiny `benchmark/runner`) needs to run its
accuracy and performance modes on an EmbBERT-Q board: a dataset folder named after the model id the board
reports (`profile%` -> `m-model-[<id>]`, the converted model's name), and the runner's test scripts.

    python -m board_tests.mlperf_dataset --model build/model --split validation --out build/mlperf

writes

    build/mlperf/datasets/<id>/y_labels.csv         one row per example: file, number of classes, class
    build/mlperf/datasets/<id>/<nnnn>.bin           the example's L token ids, uint16 little-endian
    build/mlperf/tests_accuracy.yaml                <id>: loop over every file, download, infer 1 0
    build/mlperf/tests_performance.yaml             <id>: loop 5, download, infer <runs> <warmup>

The byte layout is the one `db load` / `db <hex>` expect (firmware/PROTOCOL.md): token ids as 16-bit
little-endian integers, [PAD] (0) after the text; the board derives the segment ids itself.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

PERF_LOOPS = 5  # the runner requires exactly 5 windows in performance mode


def token_bytes(token_ids) -> bytes:
    """The `db` payload of one example: its token ids as uint16 little-endian."""
    ids = np.asarray(token_ids, dtype=np.int64)
    if ids.min(initial=0) < 0 or ids.max(initial=0) > 0xFFFF:
        raise ValueError("token ids must fit 16 bits")
    return ids.astype("<u2").tobytes()


def write_dataset(folder: pathlib.Path, token_ids, labels, num_classes: int) -> list[str]:
    """One `<nnnn>.bin` per example and the runner's truth file `y_labels.csv`; returns the file names."""
    folder.mkdir(parents=True, exist_ok=True)
    names, rows = [], []
    for i, (ids, label) in enumerate(zip(token_ids, labels)):
        name = f"{i:04d}.bin"
        (folder / name).write_bytes(token_bytes(ids))
        names.append(name)
        rows.append(f"{name},{num_classes},{int(label)}\n")
    (folder / "y_labels.csv").write_text("".join(rows))
    return names


def runner_test_scripts(model_id: str, perf_runs: int, perf_warmup: int) -> dict[str, str]:
    """The runner's test entries for `model_id` (tests_accuracy.yaml, tests_performance.yaml)."""
    head = f"{model_id}:\n  name: text_classification\n  model: {model_id}\n  truth_file: y_labels.csv\n  script:\n"
    return {
        "tests_accuracy.yaml": head + "    - loop:\n      - download\n      - infer 1 0\n",
        "tests_performance.yaml": head + f"    - loop {PERF_LOOPS}:\n      - download\n"
                                         f"      - infer {perf_runs} {perf_warmup}\n",
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="build/model", help="converter output folder of the board's model")
    p.add_argument("--dataset", default=None, help="task name or data folder (default: the model's task)")
    p.add_argument("--split", default="validation", help="validation (the seeded 10%% of train), test, ...")
    p.add_argument("--limit", type=int, default=None, help="first N examples only")
    p.add_argument("--golden", action="store_true", help="use the converter's golden vectors (no dataset needed)")
    p.add_argument("--out", default="build/mlperf")
    p.add_argument("--perf-runs", type=int, default=200,
                   help="measured inferences per performance window (the runner wants >= 10 s of them)")
    p.add_argument("--perf-warmup", type=int, default=10)
    a = p.parse_args(argv)

    from board_tests.artifacts import ModelArtifacts
    from board_tests import data

    try:
        model = ModelArtifacts(a.model)
        if a.golden:
            ex = data.golden_examples(model.golden)
        else:
            ex = data.load_examples(a.dataset or model.task, a.split, model.seq_len, a.limit, model.tokenizer_path,
                                    model.keep_head)
    except (FileNotFoundError, KeyError, ValueError) as e:
        print(f"mlperf_dataset: {e}", file=sys.stderr)
        return 2
    out = pathlib.Path(a.out)
    names = write_dataset(out / "datasets" / model.name, ex.token_ids, ex.labels, model.num_classes)
    for name, text in runner_test_scripts(model.name, a.perf_runs, a.perf_warmup).items():
        (out / name).write_text(text)
    print(f"mlperf_dataset: {len(names)} examples of {ex.task}/{ex.split} in {out / 'datasets' / model.name}; "
          f"test scripts {out / 'tests_accuracy.yaml'}, {out / 'tests_performance.yaml'} (model id {model.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
