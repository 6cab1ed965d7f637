"""Masked-LM pretraining of the EmbBERT encoder on unlabelled text and the tasks' training text.

    python -m keras_models.pretrain --steps 20000 --out checkpoints/pretrained

Text: `shared/data/corpus` (IMDb unlabelled reviews, WikiText-2) and the train split of every task (never
the carved validation). Documents are cut into `[CLS]`-led chunks of L tokens; masking is redrawn for every
batch (seeded by step). Every `--save-every` steps the state (model, optimizer, step) is saved under
`<out>/state/` and the encoder as `<out>/pretrained.h5`; running the same command again resumes. Fine-tune
from it with `python -m keras_models.train ... --init <out>`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from keras_models.config import CLS_ID, PAD_ID, PRESETS, SEP_ID, EmbBertConfig, get_preset
from keras_models.paths import TOKENIZER_PATH

MIN_CHUNK_TOKENS = 8


def chunk_documents(documents: list[list[int]], seq_len: int) -> np.ndarray:
    """Packs token lists into `[CLS]`-led rows of `seq_len` ids, as RoBERTa packs full sentences.

    A long document fills rows of its own; short documents, and the tail of a long one, share a row,
    separated by `[SEP]`, so that little of each row is padding (task utterances are often ~10 tokens).
    The last shared row is right-padded; pieces under 8 tokens are dropped.
    """
    body = seq_len - 1
    rows, shared = [], []

    def close_shared():
        if shared:
            rows.append([CLS_ID] + shared + [PAD_ID] * (body - len(shared)))
            shared.clear()

    for ids in documents:
        for start in range(0, len(ids), body):
            piece = list(ids[start : start + body])
            if len(piece) < MIN_CHUNK_TOKENS:
                continue
            if len(piece) == body:
                rows.append([CLS_ID] + piece)
                continue
            if len(shared) + len(piece) + (1 if shared else 0) > body:
                close_shared()
            shared.extend(([SEP_ID] if shared else []) + piece)
    close_shared()
    return np.array(rows, np.int32).reshape(-1, seq_len)


def _chunks(args, config: EmbBertConfig, tokenizer) -> np.ndarray:
    cache = args.out / f"chunks-L{config.seq_len}.npy"
    if cache.is_file():
        return np.load(cache)
    from keras_models.data import all_training_texts

    texts = all_training_texts()
    print(f"tokenizing {len(texts):,} texts")
    documents = [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
    chunks = chunk_documents(documents, config.seq_len)
    np.random.default_rng(args.seed).shuffle(chunks)
    np.save(cache, chunks)
    return chunks


def pretrain(args) -> dict:
    from tqdm import tqdm

    from keras_models._keras import keras, tf
    from keras_models.masking import mask_tokens, max_masked_for
    from keras_models.model import build_pretrainer
    from keras_models.tokenizer import load_tokenizer, segment_ids_for

    keras.utils.set_random_seed(args.seed)
    config = get_preset(args.preset, seq_len=args.seq_len)
    args.out.mkdir(parents=True, exist_ok=True)
    record_path = args.out / "pretraining.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {
        "config": config.to_dict(), "steps": 0, "tokens": 0, "history": []}
    if EmbBertConfig.from_dict(record["config"]) != config:
        raise ValueError(f"{args.out} holds pretraining of another configuration; choose another --out")

    chunks = _chunks(args, config, load_tokenizer(args.tokenizer))
    held_out, chunks = chunks[:512], chunks[512:]
    print(f"{len(chunks):,} training chunks of {config.seq_len} tokens ({(chunks != PAD_ID).sum():,} real tokens)")

    model = build_pretrainer(config, max_masked_for(config.seq_len))
    schedule = keras.optimizers.schedules.PolynomialDecay(args.lr, args.steps, end_learning_rate=args.lr * 0.05)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=args.weight_decay)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  weighted_metrics=["accuracy"])
    step = tf.Variable(0, dtype=tf.int64)
    state = tf.train.Checkpoint(model=model, optimizer=optimizer, step=step)
    manager = tf.train.CheckpointManager(state, str(args.out / "state"), max_to_keep=1)
    if manager.latest_checkpoint:
        state.restore(manager.latest_checkpoint).expect_partial()
        print(f"resuming after step {int(step)}")
    elif record["steps"] and (args.out / "pretrained.h5").is_file():
        # A shipped encoder comes without its optimizer state (state/ stays out of git): keep its weights and
        # step count, and let AdamW's moments start afresh.
        model.load_weights(str(args.out / "pretrained.h5"))
        step.assign(record["steps"])
        optimizer.iterations.assign(record["steps"])
        print(f"continuing from pretrained.h5 after step {int(step)} (optimizer state starts afresh)")

    def batch_at(rows, seed):
        corrupted, positions, labels, weights = mask_tokens(rows, np.random.default_rng(seed), config.vocab_size)
        return [corrupted, segment_ids_for(rows), positions], labels, weights

    def save(loss):
        x, y, w = batch_at(held_out, [args.seed, 0])
        # One batch, divided by the share of real slots: the mean loss over the masked tokens themselves
        # (Keras averages over every slot, padding slots of the position list included).
        held_loss, held_accuracy = model.evaluate(x, y, sample_weight=w, batch_size=len(held_out), verbose=0)
        held_loss /= float(np.mean(w))
        now = time.time()
        record["steps"] = int(step)
        record["tokens"] = int(step) * args.batch_size * config.seq_len
        record["seconds"] = round(record.get("seconds", 0) + now - clock["last"], 1)  # wall time, resumes included
        clock["last"] = now
        record["history"].append({"step": int(step), "train_loss": loss, "held_out_loss": held_loss,
                                  "held_out_masked_accuracy": held_accuracy, "time": time.time()})
        model.save_weights(str(args.out / "pretrained.h5"))
        manager.save()
        tmp = record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2) + "\n")
        tmp.replace(record_path)
        return held_loss, held_accuracy

    clock = {"last": time.time()}
    steps_per_epoch = len(chunks) // args.batch_size
    progress = tqdm(total=args.steps, initial=int(step), desc="pretraining", unit="step")
    losses = []
    while int(step) < args.steps:
        current = int(step)
        epoch, index = divmod(current, steps_per_epoch)
        order = np.random.default_rng([args.seed, epoch]).permutation(len(chunks))
        rows = chunks[order[index * args.batch_size : (index + 1) * args.batch_size]]
        x, y, w = batch_at(rows, [args.seed, 1, current])
        loss, _ = model.train_on_batch(x, y, sample_weight=w)
        losses.append(loss / float(np.mean(w)))
        step.assign(current + 1)
        progress.update(1)
        progress.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
        if int(step) % args.save_every == 0 or int(step) == args.steps:
            held_loss, held_accuracy = save(float(np.mean(losses[-args.save_every:])))
            progress.write(f"step {int(step)}: held-out loss {held_loss:.3f}, masked accuracy {held_accuracy:.3f}")
    progress.close()
    return record


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Masked-LM pretraining of the EmbBERT encoder.")
    parser.add_argument("--preset", default="embbert-q", choices=sorted(PRESETS))
    parser.add_argument("--seq-len", type=int)
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--save-every", type=int, default=500)
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
