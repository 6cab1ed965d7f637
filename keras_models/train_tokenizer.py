"""Trains the project's BPE tokenizer on the local unlabelled corpus and every task's training text.

    python -m keras_models.train_tokenizer [--vocab-size 8192] [--out tokenizer/embbert-bpe-8192.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from keras_models.data import all_training_texts
from keras_models.paths import TOKENIZER_PATH
from keras_models.tokenizer import train_tokenizer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab-size", type=int, default=8192)
    parser.add_argument("--out", type=Path, default=TOKENIZER_PATH)
    args = parser.parse_args(argv)
    texts = all_training_texts()
    print(f"training a {args.vocab_size}-token BPE on {len(texts):,} texts")
    tokenizer = train_tokenizer(texts, args.vocab_size)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(args.out))
    print(f"wrote {args.out} ({tokenizer.get_vocab_size()} tokens)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
