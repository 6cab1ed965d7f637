"""Fine-tunes EmbBERT on one task: float training, then quantization-aware training (tfmot).

    python -m keras_models.train --task snips --seq-len 64 --out checkpoints/snips

Each epoch ends with a resumable checkpoint (model, optimizer, epoch) under `<out>/state/`; run the same
command again after an interruption and it continues from the last finished epoch, with the same data order.
The best epoch by the task's validation metric is kept as `float.h5`, then `qat.h5`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from keras_models.checkpoint import CheckpointError, CheckpointInfo, load_float_model, repo_relative
from keras_models.config import PRESETS, get_preset
from keras_models.paths import TOKENIZER_PATH

CALIBRATION_EXAMPLES = 1024


def class_weights(labels: np.ndarray) -> dict[int, float]:
    """Weights that make every class count as much in the loss as if the classes were balanced."""
    counts = np.bincount(labels)
    return {c: float(len(labels) / (len(counts) * n)) for c, n in enumerate(counts) if n}


def _stage(model, name, data, args, epochs, learning_rate, info, weights_path, log, score_start=False,
           warmup: float | None = None, targets: np.ndarray | None = None) -> int:
    """Trains `model` for `epochs`, resuming from `<out>/state/<name>`; keeps the best epoch's weights.

    With `score_start`, the model as it starts (epoch 0) is scored and kept too, so that the stage never
    ends worse than it began. With `warmup` (a fraction of the stage's steps), the learning rate rises
    linearly over those steps, then decays linearly to zero at the last epoch; else it is constant.
    With `targets` (per training example, class probabilities or a regression target), the model learns
    those instead of the labels (distillation); class weights still follow the labels. Returns the number of epochs
    trained in this call.
    """
    from keras_models._keras import keras, tf
    from keras_models.metrics import predictions_from_logits, score
    from keras_models.schedules import WarmupLinearDecay

    spec = info.task
    (train_x, train_y), (val_x, val_y) = data
    fit_targets = train_y if targets is None else targets
    if warmup is not None:
        total_steps = epochs * -(-len(train_y) // args.batch_size)
        learning_rate = WarmupLinearDecay(learning_rate, round(warmup * total_steps), total_steps)
    optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=args.weight_decay)
    if spec.regression:
        loss = keras.losses.MeanSquaredError()
    elif targets is not None:
        loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=optimizer, loss=loss)
    epoch = tf.Variable(0, dtype=tf.int64)
    best = tf.Variable(-np.inf, dtype=tf.float64)
    state = tf.train.Checkpoint(model=model, optimizer=optimizer, epoch=epoch, best=best)
    manager = tf.train.CheckpointManager(state, str(args.out / "state" / name), max_to_keep=1)
    if manager.latest_checkpoint:
        state.restore(manager.latest_checkpoint).expect_partial()
        log(f"[{name}] resuming after epoch {int(epoch)} (best {spec.metric} so far {float(best):.4f})")

    weights = None
    if args.class_weights and not spec.regression:
        weights = np.vectorize(class_weights(train_y).get)(train_y).astype(np.float32)
    verbose = 1 if sys.stdout.isatty() else 2

    def validation_score():
        logits = model.predict(val_x, batch_size=256, verbose=0)
        return score(spec.metric, val_y, predictions_from_logits(logits, spec.regression))

    if score_start and not manager.latest_checkpoint:
        value = validation_score()
        best.assign(value)
        model.save_weights(str(weights_path))
        info.history.append({"stage": name, "epoch": 0, f"val_{spec.metric}": value})
        info.scores[f"{name}_val_{spec.metric}"] = value
        manager.save()
        info.save()
        log(f"[{name}] before training: val {spec.metric} {value:.4f}")
    trained = 0
    while int(epoch) < epochs:
        current = int(epoch)
        order = np.random.default_rng([args.seed, current]).permutation(len(train_y))
        log(f"[{name}] epoch {current + 1}/{epochs}")
        started = time.time()
        history = model.fit(
            [x[order] for x in train_x], fit_targets[order], batch_size=args.batch_size, epochs=1,
            shuffle=False, verbose=verbose, sample_weight=None if weights is None else weights[order],
        )
        value = validation_score()
        improved = value > float(best)
        if improved:
            best.assign(value)
            model.save_weights(str(weights_path))
        info.history.append({
            "stage": name, "epoch": current + 1, "loss": float(history.history["loss"][-1]),
            f"val_{spec.metric}": value, "seconds": round(time.time() - started, 1),
        })
        info.scores[f"{name}_val_{spec.metric}"] = float(best)
        epoch.assign(current + 1)
        manager.save()
        info.save()
        log(f"[{name}] epoch {current + 1}: val {spec.metric} {value:.4f}{' (best)' if improved else ''}")
        trained += 1
    return trained


def _reset_stage(info: CheckpointInfo, name: str, weights_path: Path) -> None:
    """Forgets a stage built on an earlier result of the stage before it."""
    import shutil

    shutil.rmtree(info.folder / "state" / name, ignore_errors=True)
    weights_path.unlink(missing_ok=True)
    info.history = [h for h in info.history if h["stage"] != name]
    info.scores = {k: v for k, v in info.scores.items() if not k.startswith(f"{name}_")}
    info.save()


def load_pretrained_encoder(folder: Path, model) -> tuple[int, int]:
    """Copies a pretraining run's encoder (`<folder>/pretrained.h5`) into `model`; returns (layers, its steps)."""
    import json

    from keras_models.config import EmbBertConfig
    from keras_models.masking import max_masked_for
    from keras_models.model import build_pretrainer, copy_encoder_weights

    record_path = Path(folder) / "pretraining.json"
    if not record_path.is_file():
        raise FileNotFoundError(f"no pretraining run at {folder} (pretraining.json missing)")
    record = json.loads(record_path.read_text())
    config = EmbBertConfig.from_dict(record["config"])
    pretrained = build_pretrainer(config, max_masked_for(config.seq_len))
    pretrained.load_weights(str(Path(folder) / "pretrained.h5"))
    return copy_encoder_weights(pretrained, model), int(record.get("steps", 0))


def train(args) -> CheckpointInfo:
    from keras_models._keras import keras
    from keras_models.data import SPLIT_PROTOCOL, load_task
    from keras_models.model import build_classifier, count_parameters, fold_for_deployment
    from keras_models.quantization import calibrate_output_ranges, quantize_model
    from keras_models.tokenizer import encode, load_tokenizer

    log = print
    keras.utils.set_random_seed(args.seed)
    task = load_task(args.task, args.data)
    seq_len = args.seq_len or min(task.spec.default_seq_len, get_preset(args.preset).seq_len)
    config = get_preset(args.preset, seq_len=seq_len)
    tokenizer = load_tokenizer(args.tokenizer)
    if tokenizer.get_vocab_size() > config.vocab_size:
        raise ValueError(f"tokenizer has {tokenizer.get_vocab_size()} tokens, more than the preset's {config.vocab_size}")

    if args.limit:
        task.splits = {name: split.take(np.arange(min(args.limit, len(split)))) for name, split in task.splits.items()}

    def tensors(split):
        split = task.splits[split]
        ids, segments = encode(tokenizer, split.texts, seq_len, split.pairs, args.keep_head)
        return (ids, segments), split.labels

    data = (tensors("train"), tensors("validation"))
    log(f"{task.spec.name}: {len(data[0][1])} train / {len(data[1][1])} validation examples from {task.source}, L={seq_len}")

    info_path = args.out / "checkpoint.json"
    info = CheckpointInfo.load(args.out) if info_path.is_file() else CheckpointInfo(
        args.out, config, task.spec, task.label_names, task.num_outputs, str(args.tokenizer), {}, []
    )
    if info.config != config or info.task.name != task.spec.name:
        raise CheckpointError(f"{args.out} holds a different run ({info.task.name}, {info.config}); choose another --out")
    init = repo_relative(args.init) if args.init else None
    if info.history and info.init != init:
        raise CheckpointError(f"{args.out} holds a run started from {info.init or 'a random encoder'}, not from "
                              f"{init or 'a random encoder'}; choose another --out")
    if info.history and info.splits != SPLIT_PROTOCOL:
        carve = info.splits or "the earlier 90/10 one"
        raise CheckpointError(f"{args.out} was trained on another carve of the data ({carve}); choose another --out")
    if args.noisy_copies and not args.distill:
        raise ValueError("--noisy-copies needs --distill: the copies learn the teacher's targets")
    distillation = None
    if args.distill:
        distillation = {"weight": args.distill, **({"copies": args.noisy_copies} if args.noisy_copies else {})}
    if info.history and (info.distillation or {}).get("weight", 0.0) != args.distill:
        raise CheckpointError(f"{args.out} holds a run with another --distill; choose another --out")
    if info.history and (info.distillation or {}).get("copies", 0) != args.noisy_copies:
        raise CheckpointError(f"{args.out} holds a run with another --noisy-copies; choose another --out")
    if info.history and info.keep_head != args.keep_head:
        raise CheckpointError(f"{args.out} holds a run with another --keep-head ({info.keep_head}); choose another --out")
    info.init = init
    info.splits = SPLIT_PROTOCOL
    info.keep_head = args.keep_head
    info.save()
    targets = None
    if args.distill:
        from keras_models.distillation import mixed_targets, teacher_targets

        teacher, record = teacher_targets(task, cache_dir=args.out, log=log)
        targets = mixed_targets(task.splits["train"].labels, teacher, args.distill)
        info.distillation = {**distillation, "teacher": record}
        info.save()
        if args.noisy_copies:
            from keras_models.distillation import transfer_targets

            copied, copied_targets = transfer_targets(task, record, args.noisy_copies, args.seed, cache_dir=args.out,
                                                      log=log)
            (ids, segments), labels = data[0]
            copied_ids, copied_segments = encode(tokenizer, copied.texts, seq_len, copied.pairs, args.keep_head)
            data = (((np.concatenate([ids, copied_ids]), np.concatenate([segments, copied_segments])),
                     np.concatenate([labels, copied.labels])), data[1])
            targets = np.concatenate([targets, copied_targets])
            log(f"{task.spec.name}: {len(copied):,} noisy copies labelled by the teacher join the train examples")

    model = build_classifier(config, task.num_outputs, attention_dropout=args.attention_dropout)
    log(f"EmbBERT {args.preset}: {count_parameters(model):,} parameters")
    if args.init and not (args.out / "state" / "float").exists():
        layers, info.init_steps = load_pretrained_encoder(args.init, model)
        info.save()
        log(f"initialised {layers} layers from {args.init} (pretrained for {info.init_steps:,} steps)")
    if _stage(model, "float", data, args, args.epochs, args.lr, info, info.float_weights, log, warmup=args.warmup,
              targets=targets) and (
        info.folder / "state" / "qat"
    ).exists():
        log("[qat] the float model changed: quantization-aware training starts again")
        _reset_stage(info, "qat", info.qat_weights)

    deployed = fold_for_deployment(load_float_model(info), config)
    qat_model = quantize_model(deployed)
    if not (args.out / "state" / "qat").exists():
        rows = np.random.default_rng(args.seed).permutation(len(data[0][1]))[:CALIBRATION_EXAMPLES]
        calibration = [x[np.sort(rows)] for x in data[0][0]]
        log(f"[qat] calibrated {calibrate_output_ranges(qat_model, deployed, calibration)} activation ranges")
    _stage(qat_model, "qat", data, args, args.qat_epochs, args.qat_lr, info, info.qat_weights, log, score_start=True,
           targets=targets)
    log(f"done: {info.scores}")
    return info


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train EmbBERT on one task (float, then QAT).")
    parser.add_argument("--task", required=True, help="task name (snips, emotion, cola, ...) or a dataset folder")
    parser.add_argument("--data", help="local data folder (default: shared/data beside the repo, else the hub)")
    parser.add_argument("--preset", default="embbert-q", choices=sorted(PRESETS))
    parser.add_argument("--seq-len", type=int, help="sequence length L (default: the task's)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--qat-epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate of float training")
    parser.add_argument("--warmup", type=float, default=0.06,
                        help="share of float training's steps for linear warm-up, then linear decay to zero")
    parser.add_argument("--attention-dropout", type=float, default=0.0,
                        help="dropout on the attention probabilities in float training (QAT trains without)")
    parser.add_argument("--distill", type=float, default=0.0, metavar="WEIGHT",
                        help="learn this share of the loss from the TF-IDF teacher's out-of-fold targets "
                             "(class probabilities, or STS-B scores; 0: labels only)")
    parser.add_argument("--noisy-copies", type=int, default=0, metavar="N",
                        help="with --distill, also learn the teacher's targets on N noisy copies of every train text "
                             "(keras_models/augmentation.py)")
    parser.add_argument("--keep-head", type=int, metavar="N",
                        help="a text longer than L keeps its first N ids and then its last ones (default: its first ones)")
    parser.add_argument("--class-weights", action="store_true", help="weight the loss so that classes count as balanced")
    parser.add_argument("--qat-lr", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="use only the first N examples of each split (smoke tests)")
    parser.add_argument("--tokenizer", type=Path, default=TOKENIZER_PATH)
    parser.add_argument("--init", type=Path, help="a pretraining checkpoint folder to start the encoder from")
    parser.add_argument("--out", type=Path, required=True, help="checkpoint folder (resumed if it exists)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        train(args)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished epochs are saved in {args.out}; run the same command to resume", file=sys.stderr)
        return 130
    except (CheckpointError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
