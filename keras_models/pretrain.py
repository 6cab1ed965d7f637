"""Pretraining of the EmbBERT encoder: masked LM plus next-segment prediction, on unlabelled text.

    python -m keras_models.pretrain --steps 50000 --out checkpoints/pretrained

Text: `shared/data/corpus` (IMDb unlabelled reviews, WikiText-2) and the train split of every task (never
a carved validation or test split); pair tasks contribute their (a, b) pairs. Every row is `[CLS] a [SEP] b`
(`keras_models.pretraining_data`): 15% of its real tokens masked (80/10/10, redrawn every batch), and a
2-way label saying whether b follows a. Rows are bucketed by length (32 to L tokens) and every batch holds
`--tokens-per-batch` slots. A seeded 1% of the sources is held out for the record's loss and accuracies.

Every `--save-every` steps the state (model, optimizer, step, epoch) goes to `<out>/state/`, the encoder
with its heads to `<out>/pretrained.h5` and the record to `<out>/pretraining.json`; running the same command
again resumes. Fine-tune from it with `python -m keras_models.train ... --init <out>`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from keras_models.config import PRESETS, EmbBertConfig, get_preset
from keras_models.paths import TOKENIZER_PATH

OBJECTIVE = "mlm+next-segment, length-bucketed rows"
HELD_OUT_FRACTION = 0.01
HELD_OUT_BATCHES = 24
REWARM_STEPS = 250  # continuing without optimizer state: the learning rate rises again over these steps


def _tokenised_sources(args, tokenizer) -> tuple[list[list[int]], list[tuple[list[int], list[int]]]]:
    """The sources as token ids (cached in `<out>/sources.npz`, which stays out of git)."""
    cache = args.out / "sources.npz"
    if cache.is_file():
        stored = np.load(cache)
        ids, offsets, pair_split = stored["ids"], stored["offsets"], int(stored["pair_start"])
    else:
        from keras_models.data import pretraining_sources

        texts, pairs = pretraining_sources()
        print(f"tokenizing {len(texts):,} texts and {len(pairs):,} pairs")
        flat = texts + [t for pair in pairs for t in pair]
        encoded = [e.ids for e in tokenizer.encode_batch(flat, add_special_tokens=False)]
        offsets = np.cumsum([0] + [len(e) for e in encoded])
        ids = np.concatenate([np.asarray(e, np.int32) for e in encoded])
        pair_split = len(texts)
        np.savez(cache, ids=ids, offsets=offsets, pair_start=pair_split)
    pieces = [ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]
    documents = [p for p in pieces[:pair_split] if p]
    pairs = [(a, b) for a, b in zip(pieces[pair_split::2], pieces[pair_split + 1 :: 2]) if a and b]
    return documents, pairs


def _hold_out(items: list, seed: int) -> tuple[list, list]:
    """Returns `(train, held_out)`: a seeded `HELD_OUT_FRACTION` of `items` is held out."""
    held = np.zeros(len(items), bool)
    held[np.random.default_rng(seed).permutation(len(items))[: max(1, int(len(items) * HELD_OUT_FRACTION))]] = True
    return [x for x, h in zip(items, held) if not h], [x for x, h in zip(items, held) if h]


def _inputs_and_targets(batch, rng, config: EmbBertConfig):
    """Masks a batch; returns `(x, y, sample_weights)` for the two-headed pretrainer.

    Each head's weights are scaled to average 1 over the batch's slots, so Keras's mean over slots is the
    mean over the real masked tokens (and over the rows with a pair label).
    """
    from keras_models.masking import mask_tokens
    from keras_models.tokenizer import segment_ids_for

    corrupted, positions, labels, weights = mask_tokens(batch.token_ids, rng, config.vocab_size)
    mlm_weights = weights * (weights.size / max(1.0, weights.sum()))
    pair_weights = batch.pair_weights * (batch.pair_weights.size / max(1.0, batch.pair_weights.sum()))
    x = [corrupted, segment_ids_for(batch.token_ids), positions]
    return x, [labels, batch.is_next], [mlm_weights, pair_weights]


def _new_record(config: EmbBertConfig, args) -> dict:
    return {"config": config.to_dict(), "objective": OBJECTIVE, "tokens_per_batch": args.tokens_per_batch,
            "steps": 0, "tokens": 0, "real_tokens": 0, "seconds": 0.0, "history": []}


def pretrain(args) -> dict:
    from tqdm import tqdm

    from keras_models._keras import keras, tf
    from keras_models.model import build_pretrainer
    from keras_models.pretraining_data import make_batches, make_examples
    from keras_models.schedules import ContinuedSchedule, WarmupLinearDecay
    from keras_models.tokenizer import load_tokenizer

    keras.utils.set_random_seed(args.seed)
    config = get_preset(args.preset, seq_len=args.seq_len)
    args.out.mkdir(parents=True, exist_ok=True)
    record_path = args.out / "pretraining.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else _new_record(config, args)
    if EmbBertConfig.from_dict(record["config"]) != config or record.get("objective") != OBJECTIVE:
        raise ValueError(f"{args.out} holds pretraining of another configuration or objective; choose another --out")
    if record["tokens_per_batch"] != args.tokens_per_batch:
        raise ValueError(f"{args.out} was pretrained with --tokens-per-batch {record['tokens_per_batch']}")

    documents, pairs = _tokenised_sources(args, load_tokenizer(args.tokenizer))
    documents, held_documents = _hold_out(documents, args.seed)
    pairs, held_pairs = _hold_out(pairs, args.seed + 1)
    held_rng = np.random.default_rng([args.seed, 2])
    held_out = make_batches(make_examples(held_documents, held_pairs, config.seq_len, held_rng),
                            args.tokens_per_batch, held_rng, config.seq_len, keep_partial=True)[:HELD_OUT_BATCHES]
    print(f"{len(documents):,} texts and {len(pairs):,} pairs for training ({sum(map(len, documents)):,} tokens); "
          f"{len(held_out)} held-out batches")

    model = build_pretrainer(config, dynamic_length=True)
    schedule = ContinuedSchedule(WarmupLinearDecay(args.lr, args.warmup_steps, args.steps, end_fraction=0.05),
                                 REWARM_STEPS)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=args.weight_decay)
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=optimizer, loss=[ce, ce], weighted_metrics=[["accuracy"], ["accuracy"]],
                  jit_compile=args.xla)
    step, epoch, epoch_start = (tf.Variable(0, dtype=tf.int64) for _ in range(3))
    state = tf.train.Checkpoint(model=model, optimizer=optimizer, step=step, epoch=epoch, epoch_start=epoch_start)
    manager = tf.train.CheckpointManager(state, str(args.out / "state"), max_to_keep=1)
    if manager.latest_checkpoint:
        state.restore(manager.latest_checkpoint).expect_partial()
        print(f"resuming after step {int(step)}")
    elif record["steps"] and (args.out / "pretrained.h5").is_file():
        # A shipped encoder comes without its optimizer state (state/ stays out of git): keep its weights and
        # position in the data; AdamW's moments start afresh, counting their own steps from zero.
        model.load_weights(str(args.out / "pretrained.h5"))
        for variable, key in ((step, "steps"), (epoch, "epoch"), (epoch_start, "epoch_start")):
            variable.assign(record.get(key, 0))
        print(f"continuing from pretrained.h5 after step {int(step)} (optimizer state starts afresh; the "
              f"learning rate rises again over {REWARM_STEPS} steps)")
    schedule.offset.assign(int(step) - int(optimizer.iterations))

    def evaluate() -> dict:
        totals = np.zeros(4)
        for index, batch in enumerate(held_out):
            x, y, w = _inputs_and_targets(batch, np.random.default_rng([args.seed, 3, index]), config)
            _, mlm_loss, _, mlm_accuracy, pair_accuracy = model.test_on_batch(x, y, sample_weight=w)
            totals += [mlm_loss, mlm_accuracy, pair_accuracy, 1]
        return {"held_out_loss": totals[0] / totals[3], "held_out_masked_accuracy": totals[1] / totals[3],
                "held_out_pair_accuracy": totals[2] / totals[3]}

    clock = {"last": time.time()}
    recent = {"mlm": [], "pair": [], "tokens": 0, "real": 0}

    def save():
        now = time.time()
        scores = evaluate()
        record.update(steps=int(step), epoch=int(epoch), epoch_start=int(epoch_start))
        record["tokens"] += recent["tokens"]
        record["real_tokens"] += recent["real"]
        record["seconds"] = round(record["seconds"] + now - clock["last"], 1)  # wall time, resumes included
        clock["last"] = time.time()
        record["history"].append({"step": int(step), "train_loss": float(np.mean(recent["mlm"])),
                                  "train_pair_loss": float(np.mean(recent["pair"])), **scores,
                                  "tokens": record["tokens"], "seconds": record["seconds"]})
        recent.update(mlm=[], pair=[], tokens=0, real=0)
        # Replaced, never rewritten in place: a fine-tuning run may be reading the encoder meanwhile.
        weights_tmp = args.out / "pretrained.tmp.h5"
        model.save_weights(str(weights_tmp))
        weights_tmp.replace(args.out / "pretrained.h5")
        manager.save()
        tmp = record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2) + "\n")
        tmp.replace(record_path)
        return scores

    batches, batches_epoch = [], -1
    progress = tqdm(total=args.steps, initial=int(step), desc="pretraining", unit="step")
    while int(step) < args.steps:
        if batches_epoch != int(epoch):
            rng = np.random.default_rng([args.seed, 1, int(epoch)])
            batches = make_batches(make_examples(documents, pairs, config.seq_len, rng), args.tokens_per_batch, rng,
                                   config.seq_len)
            batches_epoch = int(epoch)
        index = int(step) - int(epoch_start)
        if index >= len(batches):
            epoch_start.assign(int(step))
            epoch.assign(int(epoch) + 1)
            continue
        batch = batches[index]
        x, y, w = _inputs_and_targets(batch, np.random.default_rng([args.seed, 4, int(step)]), config)
        _, mlm_loss, pair_loss, *_ = model.train_on_batch(x, y, sample_weight=w)
        recent["mlm"].append(mlm_loss)
        recent["pair"].append(pair_loss)
        recent["tokens"] += batch.token_ids.size
        recent["real"] += int((batch.token_ids != 0).sum())
        step.assign(int(step) + 1)
        progress.update(1)
        progress.set_postfix(mlm=f"{np.mean(recent['mlm'][-50:]):.3f}", pair=f"{np.mean(recent['pair'][-50:]):.3f}",
                             epoch=int(epoch))
        if int(step) % args.save_every == 0 or int(step) == args.steps:
            scores = save()
            progress.write(f"step {int(step)}: held-out masked-LM loss {scores['held_out_loss']:.3f}, masked accuracy "
                           f"{scores['held_out_masked_accuracy']:.3f}, pair accuracy "
                           f"{scores['held_out_pair_accuracy']:.3f}")
    progress.close()
    return record


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Pretrain the EmbBERT encoder (masked LM + next segment).")
    parser.add_argument("--preset", default="embbert-q", choices=sorted(PRESETS))
    parser.add_argument("--seq-len", type=int)
    parser.add_argument("--steps", type=int, default=50000, help="total steps (the learning rate decays over them)")
    parser.add_argument("--tokens-per-batch", type=int, default=8192,
                        help="token slots per batch: 32 rows of 256, 256 rows of 32")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--warmup-steps", type=int, default=1000)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--save-every", type=int, default=500)
    parser.add_argument("--xla", action="store_true", help="compile the training step with XLA")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tokenizer", type=Path, default=TOKENIZER_PATH)
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        pretrain(args)
    except KeyboardInterrupt:
        print(f"\ninterrupted: the last saved step is kept in {args.out}; run the same command to resume",
              file=sys.stderr)
        return 130
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
