"""Converts a trained EmbBERT checkpoint into a fully int8 TFLite Micro model and the firmware's sources.

    python convert/to_tflite.py                       # the shipped default checkpoint -> build/model/
    python convert/to_tflite.py --checkpoint emotion --seq-len 64 --board nano33ble
    python convert/to_tflite.py --preset embbert-q --seq-len 256   # untrained, for size and speed only

It writes the .tflite, the C sources, golden vectors from the host TFLite Micro interpreter and a memory
report (see convert/OUTPUTS.md), then prints the op list, sizes, arena, int8-vs-Keras agreement and the fit
on each board. Exit status: 0 done, 2 bad input, 3 the model does not fit a board asked for with --board.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from convert.boards import BOARDS, KB, fit, get_board  # noqa: E402
from keras_models.paths import repo_relative  # noqa: E402

GOLDEN_COUNT = 8
REWRITE_CHECK_COUNT = 16  # validation examples on which the memory rewrite is checked bit for bit


def firmware_arena_bytes(host_minimum: int, device_estimate: int, scratch: int, planned: bool) -> int:
    """The arena the firmware gets.

    With an offline memory plan, the device needs the host minimum less what 32-bit TFLM structures save
    (`device_estimate`) plus what the firmware's kernels need beyond the reference kernels (`scratch`:
    scratch buffers above the plan, TFLM puts them in the plan's gaps where they fit, less the reference
    BATCH_MATMUL's transposed copies, which ours do not make). Without one, TFLM's own planner on the device may place things differently from the host: the host minimum
    plus a generous margin (one L=64 graph needed 1.1 KB more on the device than the host minimum).
    The firmware reports what it really used (`mem%`).
    """
    if planned:
        return (device_estimate + scratch + 255) // 256 * 256
    return (host_minimum + max(16 * 1024, host_minimum // 8) + 255) // 256 * 256


# The fused graph's arena: its estimate (convert.fused_layers.device_arena_estimate) plus a margin for what
# it leaves out (TFLM's planner temporaries and the kernels' alignment), checked against the device's
# measured use by the firmware tests.
FUSED_ARENA_MARGIN = 1024
FUSED_MODEL_FILE = "model_fused.tflite"


def _fused_graph(model_bytes: bytes) -> bytes | None:
    """The fused form of the converter's graph for the firmware's kernels, or None when its layers do not
    have EmbBERT's structure."""
    from convert import fused_layers
    from convert.row_chunks import RewriteError

    try:
        return fused_layers.fuse_for_firmware(model_bytes)[0]
    except RewriteError:
        return None


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


def parse_args(argv=None):
    from keras_models.paths import DEFAULT_CHECKPOINT, DEFAULT_MODEL_OUT

    parser = argparse.ArgumentParser(description="Convert EmbBERT to a fully int8 TFLite Micro model.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT),
                        help="checkpoint folder, or a task name under checkpoints/ (default: %(default)s)")
    source.add_argument("--preset", help="convert an untrained model of this preset (size and speed only)")
    parser.add_argument("--task", default="snips", help="with --preset: the task whose text calibrates it")
    parser.add_argument("--seq-len", type=int, help="sequence length L (default: the trained one)")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_OUT, help="output folder (default: %(default)s)")
    parser.add_argument("--calibration-samples", type=int, default=300)
    parser.add_argument("--eval-split", default="validation", choices=("validation", "test"),
                        help="carved split for the float / QAT / int8 scores and golden vectors (default validation)")
    parser.add_argument("--eval-samples", type=int, default=0,
                        help="validation examples to compare int8 with Keras (default 0: all)")
    parser.add_argument("--board", action="append", default=[], choices=sorted(BOARDS),
                        help="fail unless the model fits this board (repeatable)")
    parser.add_argument("--row-chunks", default="auto",
                        help="run each encoder layer's rows in this many chunks (0-10; 0: none), with an offline "
                             "memory plan; auto (default): the count with the smallest arena; off: keep the "
                             "converter's graph and TFLM's own memory planner")
    parser.add_argument("--data", help="local data folder (default: shared/data beside the repo)")
    return parser.parse_args(argv)


def _prepare_out(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        sweep_stale_staging(folder)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UsageError(f"output folder {folder} is not writable: {error.strerror or error}") from error


def shipped_checkpoints() -> list[str]:
    """The checkpoints under checkpoints/ that --checkpoint accepts by name."""
    from keras_models.paths import CHECKPOINTS_DIR

    return sorted(p.name for p in CHECKPOINTS_DIR.iterdir() if (p / "checkpoint.json").is_file())


def checkpoint_folder(name: str) -> Path:
    """The folder of `--checkpoint name`: a path, or a shipped checkpoint's name; UsageError otherwise."""
    from keras_models.paths import CHECKPOINTS_DIR

    folder = Path(name)
    if not folder.exists() and "/" not in name and (CHECKPOINTS_DIR / name).exists():
        folder = CHECKPOINTS_DIR / name
    if not (folder / "checkpoint.json").is_file():
        raise UsageError(f"no checkpoint {name!r} (no checkpoint.json there): give a checkpoint folder or one "
                         f"of the shipped checkpoints: {', '.join(shipped_checkpoints())}")
    return folder


def _load_source(args):
    """Returns (checkpoint info, QAT model, float model or None, trained flag)."""
    from keras_models.checkpoint import CheckpointInfo, load_float_model, load_qat_model, resize_model
    from keras_models.config import get_preset
    from keras_models.paths import TOKENIZER_PATH
    from keras_models.tasks import get_task

    if args.preset:
        config = get_preset(args.preset, seq_len=args.seq_len)
        task = get_task(args.task)
        info = CheckpointInfo(Path(f"untrained-{args.preset}"), config, task, [], 0, str(TOKENIZER_PATH), {}, [])
        return info, None, None, False
    info = CheckpointInfo.load(checkpoint_folder(args.checkpoint))
    info.check_scored_on(args.eval_split)
    seq_len = args.seq_len or info.config.seq_len
    if seq_len > info.config.seq_len:
        raise UsageError(f"--seq-len {seq_len} exceeds the checkpoint's trained sequence length {info.config.seq_len}")
    qat = load_qat_model(info, seq_len)
    float_model = resize_model(load_float_model(info), info, seq_len)
    return info, qat, float_model, True


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        return convert(args)
    except KeyboardInterrupt:
        print("\ninterrupted: nothing in the output folder was replaced", file=sys.stderr)
        return 130
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001  (known failures below become one line)
        from convert.c_sources import UnsupportedOpError
        from convert.export import ConversionError
        from keras_models.checkpoint import CheckpointError

        if isinstance(error, (CheckpointError, ConversionError, UnsupportedOpError, FileNotFoundError, ValueError)):
            print(f"error: {error}", file=sys.stderr)
            return 2
        raise


def convert(args) -> int:
    started = time.time()
    for name in args.board:
        get_board(name)
    if args.calibration_samples < 1:
        raise UsageError("--calibration-samples must be at least 1")
    if args.row_chunks not in ("auto", "off") and args.row_chunks not in [str(n) for n in range(11)]:
        raise UsageError(f"--row-chunks must be auto, off or 0 to 10, not {args.row_chunks!r}")
    if not args.preset:
        checkpoint_folder(args.checkpoint)
    _prepare_out(args.out)

    from tqdm import tqdm

    from convert import c_sources, reports
    from convert.export import convert_to_int8
    from convert.flatbuffer import model_hash, summarize
    from convert.memory_rewrite import rewrite_for_memory
    from convert.memory_rewrite import fast_kernels_beyond_reference, stock_kernels_extra
    from convert.tflm_host import HostModel, device_arena_estimate
    from keras_models.data import load_task
    from keras_models.metrics import predictions_from_logits, score
    from keras_models.model import count_parameters
    from keras_models.tokenizer import encode, load_tokenizer

    info, qat, float_model, trained = _load_source(args)
    spec = info.task
    task = load_task(spec.name, args.data)
    seq_len = args.seq_len or info.config.seq_len
    if not trained:
        info.label_names, info.num_outputs = task.label_names, task.num_outputs
        qat, float_model = _untrained_models(info.config, task.num_outputs)
    tokenizer = load_tokenizer(info.tokenizer_path)

    def encoded(split, limit, seed=None):
        data = task.splits[split]
        if limit and limit < len(data):
            rows = np.random.default_rng(seed).choice(len(data), limit, replace=False) if seed is not None else np.arange(limit)
            data = data.take(np.sort(rows))
        ids, segments = encode(tokenizer, data.texts, seq_len, data.pairs, info.keep_head)
        return data, ids, segments

    _, cal_ids, cal_segments = encoded("train", args.calibration_samples, seed=0)
    if not trained:
        _calibrate_ranges(qat, cal_ids, cal_segments)
    print(f"converting {repo_relative(info.folder)} ({spec.name}, L={seq_len}, {count_parameters(float_model):,} parameters)")
    convert_started = time.time()
    model_bytes = convert_to_int8(qat, seq_len, (cal_ids, cal_segments))
    convert_seconds = time.time() - convert_started
    val, val_ids, val_segments = encoded(args.eval_split, args.eval_samples)
    checked = [(ids, segments) for _, ids, segments in _golden_inputs(val, val_ids, val_segments, info.config.vocab_size)]
    checked += list(zip(val_ids[GOLDEN_COUNT:REWRITE_CHECK_COUNT], val_segments[GOLDEN_COUNT:REWRITE_CHECK_COUNT]))
    chunks, planned_bytes, fused_bytes = None, None, None
    if args.row_chunks != "off":
        fused_bytes = _fused_graph(model_bytes)
        wanted = None if args.row_chunks == "auto" else int(args.row_chunks)
        model_bytes, chunks, planned_bytes = rewrite_for_memory(model_bytes, checked, wanted)
        print(f"memory rewrite: {chunks} row chunks per layer, offline plan of {planned_bytes:,} activation bytes, "
              f"outputs equal bit for bit on {len(checked)} inputs")
    summary = summarize(model_bytes)
    output = summary.outputs[0]
    example = (val_ids[0], val_segments[0])
    arena_host, arena_device = device_arena_estimate(model_bytes, example)
    arena = firmware_arena_bytes(arena_host, arena_device, fast_kernels_beyond_reference(model_bytes, planned_bytes),
                                 planned_bytes is not None)
    stock_arena = arena + (stock_kernels_extra(model_bytes) + 255) // 256 * 256
    fused_arena = None
    if fused_bytes is not None:
        from convert.fused_layers import device_arena_estimate as fused_arena_estimate

        fused_arena = fused_arena_estimate(fused_bytes)
        arena = (fused_arena + FUSED_ARENA_MARGIN + 255) // 256 * 256
        fused_summary = summarize(fused_bytes)
        fused_ops = fused_summary.op_counts
        print(f"fused layers (KERNELS=fast): {fused_ops.get('EMBBERT_LAYER', 0)} EMBBERT_LAYER operators, "
              f"{sum(fused_ops.values())} operators in all, device arena estimate {fused_arena:,} bytes")
    from convert.tokenizer_tables import build_tables

    tokenizer_tables = build_tables(info.tokenizer_path)
    flash_model = max(len(model_bytes), len(fused_bytes or b""))
    fits = [fit(board, flash_model, arena, tokenizer_tables.total_bytes) for board in BOARDS.values()]
    too_small = [f for f in fits if f.board.name in args.board and not f.fits]
    if too_small:  # before anything is written: the output folder keeps what it held
        for f in too_small:
            print(f"error: {_does_not_fit(f)}; nothing written to {args.out}", file=sys.stderr)
        return 3
    host = HostModel(model_bytes)
    int8_logits = host.run_batch(val_ids, val_segments, progress=lambda rows: tqdm(rows, desc="host TFLM", unit="ex"))
    dequantized = (int8_logits.astype(np.float32) - output.zero_point) * output.scale
    qat_logits = qat.predict([val_ids, val_segments], batch_size=256, verbose=0)
    float_logits = float_model.predict([val_ids, val_segments], batch_size=256, verbose=0)
    predict = lambda logits: predictions_from_logits(logits, spec.regression)  # noqa: E731
    int8_predictions = predict(dequantized)
    evaluation = {
        "split": f"{args.eval_split} (seeded 10% carved from train)",
        "examples": int(len(val)),
        "metric": spec.metric,
        "float_keras": score(spec.metric, val.labels, predict(float_logits)),
        "qat_keras": score(spec.metric, val.labels, predict(qat_logits)),
        "int8_tflm": score(spec.metric, val.labels, int8_predictions),
        "int8_vs_qat_argmax_agreement": float(np.mean(int8_predictions == predict(qat_logits))),
        "int8_vs_qat_max_abs_logit_diff": float(np.abs(dequantized - qat_logits).max()),
        "trained": trained,
    }
    if not spec.regression and spec.metric != "accuracy":
        # Beside a metric that a trivial predictor can also reach (binary F1 on MRPC), what accuracy says.
        majority = np.bincount(np.asarray(val.labels, dtype=int)).max() / max(len(val), 1)
        evaluation.update(int8_tflm_accuracy=score("accuracy", val.labels, int8_predictions),
                          majority_class_accuracy=float(majority))
        if info.num_outputs == 2 and spec.metric != "f1":
            evaluation["int8_tflm_binary_f1"] = score("f1", val.labels, int8_predictions)

    golden = _golden_vectors(host, val, val_ids, val_segments, info.config.vocab_size, model_hash(model_bytes))

    settings = {
        "name": f"embbert-{spec.name}-L{seq_len}",
        "hash": model_hash(model_bytes),
        "model_bytes": len(model_bytes),
        "seq_len": seq_len,
        "keep_head": info.keep_head,
        "vocab_size": info.config.vocab_size,
        "num_outputs": info.num_outputs,
        "output_scale": output.scale,
        "output_zero_point": output.zero_point,
        "arena_bytes": arena,
        "stock_kernels_arena_bytes": stock_arena,
        "host_arena_bytes": arena_host,
        "device_arena_estimate": arena_device,
        "planned_activation_bytes": planned_bytes,
        "row_chunks": chunks,
        "fused_layers": fused_bytes is not None,
        "fused_model_bytes": len(fused_bytes) if fused_bytes is not None else None,
        "fused_device_arena_estimate": fused_arena,
    }
    model_info = {
        **settings,
        "task": spec.name,
        "label_names": info.label_names,
        "metric": spec.metric,
        "regression": spec.regression,
        "pair": spec.pair,
        "config": info.config.replace(seq_len=seq_len).to_dict(),
        "parameters": count_parameters(float_model),
        "checkpoint": repo_relative(info.folder),
        "tokenizer": str(Path(info.tokenizer).name),
        "ops": summary.ops,
        "op_counts": summary.op_counts,
        "evaluation": evaluation,
        "conversion_seconds": round(convert_seconds, 1),
    }
    memory = reports.memory_report(flash_model, arena, arena_host, fits, arena_device,
                                   tokenizer_tables.total_bytes)
    fused = (fused_bytes, fused_summary.ops) if fused_bytes is not None else None
    _write_outputs(args.out, model_bytes, summary.ops, settings, info.label_names, golden, model_info, memory, fits,
                   tokenizer_tables, fused)

    _print_summary(args.out, summary, model_bytes, (arena_host, arena), evaluation, fits, trained,
                   time.time() - started, tokenizer_tables.total_bytes, spec.regression)
    return 0


def _does_not_fit(f) -> str:
    short = [f"{what} {need / KB:.1f} KB needed, {have / KB:.0f} KB available"
             for what, need, have in (("flash", f.flash_needed, f.board.flash), ("RAM", f.ram_needed, f.board.ram))
             if need > have]
    return f"the model does not fit {f.board.name}: {'; '.join(short)}; try a shorter --seq-len"


def _untrained_models(config, num_outputs):
    from keras_models._keras import keras
    from keras_models.model import build_classifier, fold_for_deployment
    from keras_models.quantization import quantize_model

    keras.utils.set_random_seed(0)
    float_model = build_classifier(config, num_outputs)
    return quantize_model(fold_for_deployment(float_model, config)), float_model


def _calibrate_ranges(qat, ids, segments, batch=32):
    """Sets an untrained QAT model's activation ranges by running it in training mode (no weight update)."""
    for start in range(0, len(ids), batch):
        qat([ids[start : start + batch], segments[start : start + batch]], training=True)


def _golden_inputs(val, ids, segments, vocab_size):
    """(text, token ids, segment ids) of the golden vectors: validation examples and two edge cases."""
    from keras_models.tokenizer import segment_ids_for

    cases = [(val.texts[i], ids[i], segments[i]) for i in range(min(GOLDEN_COUNT, len(val)))]
    full = np.full_like(ids[0], vocab_size - 1)
    full[0] = 2
    cases.append(("<every position filled, top token id>", full, segment_ids_for(full)))
    only_cls = np.zeros_like(ids[0])
    only_cls[0] = 2
    cases.append(("<[CLS] only>", only_cls, segment_ids_for(only_cls)))
    return cases


def _golden_vectors(host, val, ids, segments, vocab_size, hash_hex):
    cases = _golden_inputs(val, ids, segments, vocab_size)
    vectors = [
        {"text": text, "token_ids": t.tolist(), "segment_ids": s.tolist(), "logits": host.run(t, s).tolist()}
        for text, t, s in cases
    ]
    return {"model_hash": hash_hex, "seq_len": int(len(ids[0])), "vectors": vectors}


STAGING_PREFIX = ".staging-"


def sweep_stale_staging(out: Path) -> list[Path]:
    """Removes the staging folders (`.staging-<pid>-*`) that conversions killed mid-write left in `out`."""
    removed = []
    for path in Path(out).glob(f"{STAGING_PREFIX}*"):
        pid = path.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if path.is_dir() and not (pid.isdigit() and _process_alive(int(pid))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_outputs(out, model_bytes, ops, settings, label_names, golden, model_info, memory, fits, tokenizer_tables,
                   fused=None):
    from convert import c_sources, reports
    from convert.tokenizer_tables import tokenizer_source

    sweep_stale_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out))
    try:
        (staging / "model.tflite").write_bytes(model_bytes)
        if fused is not None:
            (staging / FUSED_MODEL_FILE).write_bytes(fused[0])
        c_sources.write_sources(staging, model_bytes, ops, settings, label_names, f"{model_info['checkpoint']}", fused)
        (staging / "tokenizer_data.cc").write_text(tokenizer_source(tokenizer_tables, model_info["tokenizer"]))
        reports.write_json(staging / "golden.json", golden)
        reports.write_json(staging / "model_info.json", model_info)
        reports.write_json(staging / "memory_report.json", memory)
        (staging / "memory_report.md").write_text(reports.memory_markdown(memory, fits))
        for stale in (FUSED_MODEL_FILE, "model_fused_data.cc"):  # a fused graph from an earlier conversion
            if not (staging / stale).exists():
                (out / stale).unlink(missing_ok=True)
        for path in staging.iterdir():
            path.replace(out / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _print_summary(out, summary, model_bytes, arena, evaluation, fits, trained, seconds, tokenizer_bytes, regression):
    e = evaluation
    print()
    print(f"ops ({len(summary.ops)}): " + ", ".join(f"{op}x{summary.op_counts[op]}" for op in summary.ops))
    print(f"flatbuffer: {len(model_bytes):,} bytes   tokenizer tables: {tokenizer_bytes:,} bytes   TFLM arena: {arena[0]:,} bytes minimum on the host "
          f"({arena[1]:,} reserved on the board)   float tensors: {len(summary.float_tensors)}")
    note = "" if trained else "   (untrained model: scores are meaningless)"
    print(f"{e['metric']} on {e['examples']} {e['split'].split(' ')[0]} examples: float {e['float_keras']:.4f}  "
          f"QAT {e['qat_keras']:.4f}  int8 TFLM {e['int8_tflm']:.4f}{note}")
    if regression:  # one output: an argmax agreement says nothing
        print(f"int8 vs QAT Keras: max |output diff| {e['int8_vs_qat_max_abs_logit_diff']:.4f}")
    else:
        print(f"int8 vs QAT Keras: argmax agreement {e['int8_vs_qat_argmax_agreement']:.2%}, "
              f"max |logit diff| {e['int8_vs_qat_max_abs_logit_diff']:.4f}")
    for f in fits:
        print("  " + f.describe())
    print(f"wrote {out}/ in {seconds:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
