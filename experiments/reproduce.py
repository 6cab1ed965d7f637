"""Reproduces one task end to end, or all of them, and writes the results table.

    python -m experiments.reproduce snips             # train (float, QAT), convert, evaluate on QEMU
    python -m experiments.reproduce --all             # every task, then results/results.{md,json}
    python -m experiments.reproduce emotion --no-board   # skip the emulated board
    python -m experiments.reproduce --table           # rewrite the table from results.json and the board reports

Each stage resumes: training continues from its last finished epoch, a finished conversion is kept unless
its checkpoint is newer, and the board evaluation continues its journal. `--init checkpoints/pretrained`
starts fine-tuning from the masked-LM encoder.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from convert.by_task import converted_model
from experiments.recipes import RECIPES, get_recipe
from keras_models.paths import CHECKPOINTS_DIR, REPO_ROOT, repo_relative

RESULTS_DIR = REPO_ROOT / "results"
PAPER_SEQ_LEN = 256
# The headline split: carved from train beside validation, never used to choose an epoch or a recipe.
SPLIT = "test"
# The whole validation split on the board, then its latency and memory, into one report per task.
BOARD_TESTS = ["board_tests/test_accuracy.py", "board_tests/test_latency.py", "board_tests/test_memory.py"]


def _run(command: list[str]) -> None:
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=REPO_ROOT)


def reproduce(task: str, init: Path | None, board: str | None) -> dict:
    recipe = get_recipe(task)
    checkpoint = CHECKPOINTS_DIR / task
    train = [sys.executable, "-m", "keras_models.train", "--task", task, "--seq-len", str(recipe.seq_len),
             "--epochs", str(recipe.epochs), "--qat-epochs", str(recipe.qat_epochs), "--lr", str(recipe.lr),
             "--qat-lr", str(recipe.qat_lr), "--batch-size", str(recipe.batch_size),
             "--weight-decay", str(recipe.weight_decay), "--warmup", str(recipe.warmup),
             "--attention-dropout", str(recipe.attention_dropout), "--distill", str(recipe.distill),
             "--out", str(checkpoint)]
    _run(train + (["--class-weights"] if recipe.class_weights else []) + (["--init", str(init)] if init else [])
         + (["--keep-head", str(recipe.keep_head)] if recipe.keep_head is not None else [])
         + (["--noisy-copies", str(recipe.noisy_copies)] if recipe.noisy_copies else []))

    model_dir = converted_model(task, eval_split=SPLIT)
    info = json.loads((model_dir / "model_info.json").read_text())
    record = json.loads((checkpoint / "checkpoint.json").read_text())
    row = {"task": task, "metric": info["metric"], "seq_len": info["seq_len"], **info["evaluation"],
           "split": SPLIT,
           "host_arena_bytes": info["host_arena_bytes"],
           # Summed over the epochs that made the checkpoint, however many runs it took (wall_seconds is this run).
           "training_seconds": round(sum(h.get("seconds", 0) for h in record.get("history", []))),
           "init": _init_name(record),
           "distill": (record.get("distillation") or {}).get("weight", 0.0),
           "noisy_copies": (record.get("distillation") or {}).get("copies", 0),
           "paper": recipe.paper, "paper_metric": recipe.paper_metric, "board": None}

    longer = CHECKPOINTS_DIR / f"{task}-L{PAPER_SEQ_LEN}"
    if recipe.seq_len < PAPER_SEQ_LEN and (longer / "qat.h5").is_file():
        row["at_paper_seq_len"] = _host_summary(converted_model(longer.name))
    if board:
        report_dir = RESULTS_DIR / "board-reports"
        _run([sys.executable, "-m", "pytest", *BOARD_TESTS, "-q", "--port", board, "--split", SPLIT,
              "--dataset", task, "--model-dir", str(model_dir), "--report-dir", str(report_dir)])
        reports = sorted(report_dir.glob(f"{board}-{task}-{SPLIT}-{info['hash']}*/report.json"))
        if reports:
            report = json.loads(reports[-1].read_text())
            row["board"] = {"port": board, "report": repo_relative(reports[-1]), **_board_score(report)}
    return row


def _init_name(record: dict) -> str:
    if not record.get("init"):
        return "random"
    steps = record.get("init_steps")
    return "pretrained" if steps is None else f"pretrained ({steps:,} steps)"


def _host_summary(model_dir: Path) -> dict:
    info = json.loads((model_dir / "model_info.json").read_text())
    return {"seq_len": info["seq_len"], "int8_tflm": info["evaluation"]["int8_tflm"],
            "model_bytes": info["model_bytes"], "host_arena_bytes": info["host_arena_bytes"]}


def _board_score(report: dict) -> dict:
    accuracy = report["accuracy"]
    agreement = accuracy["agreement"]
    memory = report.get("memory", {})
    return {
        "value": accuracy["device"]["primary"]["value"],
        "interval_95": accuracy["device"]["primary"].get("interval_95"),
        "examples": accuracy["n"],
        "bit_exact": agreement["bit_exact"],
        "argmax_agreement": agreement["argmax_agree_rate"],
        "cycles_median": report.get("latency", {}).get("cycles_median"),
        "cycle_source": report.get("latency", {}).get("cycle_source"),
        "kernels": report.get("run", {}).get("kernels"),
        "arena_used": memory.get("arena_used"),
        "peak_ram": memory.get("peak_ram"),
        "flash": memory.get("flash"),
    }


def read_rows() -> dict[str, dict]:
    path = RESULTS_DIR / "results.json"
    return {r["task"]: r for r in json.loads(path.read_text())} if path.is_file() else {}


def _percent(value) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _board_value(row: dict, key: str):
    return (row.get("board") or {}).get(key)


def _baseline_value(task: str):
    from experiments.baseline import read_baselines

    return read_baselines().get(task, {}).get("test")


def _gap(ours, reference_percent) -> str:
    return "–" if ours is None or reference_percent is None else f"{100 * ours - reference_percent:+.1f}"


def write_table(rows: list[dict]) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = [
        "# Results",
        "",
        "Generated by `python -m experiments.reproduce` (TF-IDF column: `python -m experiments.baseline`). Do not edit.",
        "Scores in percent on the `split` column's split, carved from each dataset's train data with a seeded",
        "permutation: 10% validation (chooses epochs and recipes), then 10% test (never tuned on; the headline).",
        "The paper reports on each dataset's own test split (GLUE: validation), which this project does not have:",
        "its column compares our carved test split with the paper's test split. `init`: the encoder fine-tuning",
        "started from (`random`, or the `pretrained` one; `teacher w`: w of the loss distilled from the TF-IDF",
        "model's out-of-fold probabilities on train, for STS-B its predicted scores; keras_models/distillation.py;",
        "`+ n noisy copies`: the teacher also labels n perturbed copies of every train text, keras_models/augmentation.py).",
        "`95% interval`: of the QEMU score, bootstrapped over the split's examples (1,000 draws): how far the",
        "score moves with the draw of the examples alone; a smaller gap is not a difference this split can show.",
        "Instructions are executed "
        "Cortex-M4 instructions per inference under QEMU `-icount`, not cycles (kernel set: "
        + (", ".join(sorted({str(_board_value(r, "kernels")) for r in rows if _board_value(r, "kernels")})) or "–")
        + "; `fast`: firmware/src/kernels/, see firmware/README.md).",
        "",
        "| task | metric | split | L | init | TF-IDF + linear | float Keras | QAT Keras | int8 host TFLM | int8 on QEMU "
        "| 95% interval | paper int8 | vs paper | vs TF-IDF | instructions / inference | peak RAM |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ahead, behind, unresolved = [], [], []
    for row in rows:
        board = _board_value(row, "value")
        ours = board if board is not None else row["int8_tflm"]
        split = row.get("split", "validation").split(" ")[0]
        baseline = _baseline_value(row["task"]) if split == "test" else None
        cycles, ram = _board_value(row, "cycles_median"), _board_value(row, "peak_ram")
        interval = _board_value(row, "interval_95")
        if row["paper"] is not None:
            delta = 100 * ours - row["paper"]
            within = interval and 100 * interval[0] <= row["paper"] <= 100 * interval[1]
            inside = ", inside the 95% interval" if within else ""
            (ahead if delta >= 0 else behind).append(f"{row['task']} ({delta:+.1f}{inside})")
        if interval and baseline is not None and interval[0] <= baseline <= interval[1]:
            unresolved.append(f"{row['task']} ({_gap(ours, 100 * baseline)})")
        lines.append(" | ".join([
            f"| {row['task']}", row["metric"], split, str(row["seq_len"]),
            (row.get("init") or "random") + (f", teacher {row['distill']:g}" if row.get("distill") else "")
            + (f" + {row['noisy_copies']} noisy copies" if row.get("noisy_copies") else ""),
            _percent(baseline), *(_percent(row[k]) for k in ("float_keras", "qat_keras", "int8_tflm")),
            _percent(board), "–" if not interval else f"{_percent(interval[0])}–{_percent(interval[1])}",
            "–" if row["paper"] is None else str(row["paper"]), _gap(ours, row["paper"]),
            _gap(ours, None if baseline is None else 100 * baseline),
            "–" if cycles is None else f"{cycles / 1e6:.1f} M", "–" if ram is None else f"{ram / 1024:.1f} KB",
        ]) + " |")
    lines += ["", f"- Match or beat the paper: {', '.join(ahead) or 'none'}.",
              f"- Short of the paper: {', '.join(behind) or 'none'}."]
    if unresolved:
        lines.append(f"- TF-IDF's test score lies inside the 95% interval (a gap this split cannot resolve): "
                     f"{', '.join(unresolved)}.")
    if any(row.get("split", "validation").split(" ")[0] != "test" for row in rows):
        lines.append("- Rows on `validation` come from checkpoints that chose their best epoch on that split: "
                     "optimistic, and not comparable with the TF-IDF column (scored on test).")
    lines += [f"- {row['task']}: the paper reports {row['paper_metric']}; we report {row['metric']}, "
              "so that row is not like for like." for row in rows
              if row.get("paper_metric") and row["paper"] is not None and row["paper_metric"] != row["metric"]]
    lines += [f"- {row['task']}: int8 host TFLM accuracy {_percent(row['int8_tflm_accuracy'])} "
              f"(always the majority class: {_percent(row.get('majority_class_accuracy'))})"
              + (f", binary F1 {_percent(row['int8_tflm_binary_f1'])}" if "int8_tflm_binary_f1" in row else "") + "."
              for row in rows if "int8_tflm_accuracy" in row]
    lines += _baseline_section()
    lines += _pretraining_section(rows)
    lines += _sequence_length_section(rows)
    (RESULTS_DIR / "results.md").write_text("\n".join(lines) + "\n")


def _baseline_section() -> list[str]:
    from experiments.baseline import read_baselines

    baselines = read_baselines()
    if not baselines:
        return []
    lines = ["", "## The simple baseline: TF-IDF + a linear model, same carved splits", "",
             "| task | metric | model | validation | test | test accuracy | size |", "|---|---|---|---|---|---|---|"]
    for task in RECIPES:
        if task in baselines:
            b = baselines[task]
            lines.append(f"| {task} | {b['metric']} | {b['model']} | {_percent(b['validation'])} | {_percent(b['test'])} "
                         f"| {_percent(b.get('test_accuracy', b['test'] if b['metric'] == 'accuracy' else None))} "
                         f"| {b['parameters']:,} weights, {b['bytes'] / 1024:,.0f} KB |")
    return lines


def _pretraining_section(rows: list[dict]) -> list[str]:
    """The shipped encoder's record, and the held-out loss of the earlier encoders the rows started from."""
    record_path = CHECKPOINTS_DIR / "pretrained" / "pretraining.json"
    if not record_path.is_file():
        return []
    record = json.loads(record_path.read_text())
    last = record["history"][-1] if record["history"] else {}
    loss_at = {entry["step"]: entry["held_out_loss"] for entry in record["history"] if "held_out_loss" in entry}
    started_from = sorted({int(match.group(1).replace(",", "")) for row in rows
                           if (match := re.search(r"\(([\d,]+) steps\)", row.get("init") or ""))})
    earlier = [f"{steps:,} ({loss_at[steps]:.2f})" for steps in started_from
               if steps != record["steps"] and steps in loss_at]
    return ["", "## The pretrained encoder (`checkpoints/pretrained`)", "",
            f"{record.get('objective', 'masked LM')}: {record['steps']:,} steps, {record['tokens'] / 1e6:.1f} M token "
            f"slots ({record.get('real_tokens', record['tokens']) / 1e6:.1f} M real tokens), "
            f"{record.get('seconds', 0) / 3600:.2f} h; held-out masked-LM loss {last.get('held_out_loss', float('nan')):.2f}, "
            f"masked accuracy {100 * last.get('held_out_masked_accuracy', float('nan')):.1f}%"
            + (f", next-segment accuracy {100 * last['held_out_pair_accuracy']:.1f}%" if "held_out_pair_accuracy" in last
               else "") + "."] + (
        ["", "Rows fine-tuned from earlier snapshots of this encoder, by step (held-out masked-LM loss "
             f"then): {', '.join(earlier)}."] if earlier else [])


def _sequence_length_section(rows: list[dict]) -> list[str]:
    """What the recipe's shorter L costs against the paper's 256, for tasks with an L=256 checkpoint too."""
    compared = [row for row in rows if row.get("at_paper_seq_len")]
    if not compared:
        return []
    lines = ["", f"## Sequence length: the recipe's L against the paper's {PAPER_SEQ_LEN}", "",
             "Both int8 models on the host TFLM interpreter, same validation split; the arena is the exact minimum.",
             "", f"| task | L | int8 at L | int8 at {PAPER_SEQ_LEN} | cost of the shorter L | arena at L | "
             f"arena at {PAPER_SEQ_LEN} |", "|---|---|---|---|---|---|---|"]
    for row in compared:
        longer = row["at_paper_seq_len"]
        lines.append(f"| {row['task']} | {row['seq_len']} | {_percent(row['int8_tflm'])} | "
                     f"{_percent(longer['int8_tflm'])} | {100 * (longer['int8_tflm'] - row['int8_tflm']):+.2f} points | "
                     f"{row['host_arena_bytes'] / 1024:.1f} KB | {longer['host_arena_bytes'] / 1024:.1f} KB |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", help=f"tasks to run ({', '.join(RECIPES)})")
    parser.add_argument("--all", action="store_true", help="every task, then the results table")
    parser.add_argument("--init", type=Path, help="pretraining folder to start fine-tuning from")
    parser.add_argument("--board", default="qemu", help="board port for the on-device score (default qemu)")
    parser.add_argument("--no-board", action="store_true")
    parser.add_argument("--table", action="store_true",
                        help="only rewrite the table from results/results.json and the board reports")
    args = parser.parse_args(argv)
    if args.table:
        rows = read_rows()
        for row in rows.values():
            report = REPO_ROOT / ((row.get("board") or {}).get("report") or "-")
            if report.is_file():
                row["board"].update(_board_score(json.loads(report.read_text())))
        write_table([rows[t] for t in RECIPES if t in rows])
        return 0
    tasks = list(RECIPES) if args.all else args.tasks
    if not tasks:
        parser.error("name a task or pass --all")
    failed = []
    for task in tasks:
        started = time.time()
        try:
            row = reproduce(task, args.init, None if args.no_board else args.board)
        except (subprocess.CalledProcessError, ValueError) as error:
            print(f"error: {task}: {error}", file=sys.stderr)
            failed.append(task)
            continue
        row["wall_seconds"] = round(time.time() - started)
        # Re-read before writing, so that runs of different tasks side by side keep each other's rows.
        rows = read_rows()
        rows[task] = row
        write_table([rows[t] for t in RECIPES if t in rows])
    if failed:
        print(f"error: failed: {', '.join(failed)}; the table holds the others", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
