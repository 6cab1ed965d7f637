"""Model hyperparameters and the named presets."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

PAD_ID, UNK_ID, CLS_ID, MASK_ID, SEP_ID = 0, 1, 2, 3, 4
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[MASK]", "[SEP]"]


@dataclasses.dataclass(frozen=True)
class EmbBertConfig:
    """Hyperparameters of an EmbBERT encoder (symbols as in the paper and DESIGN.md §1).

    Args:
        vocab_size: V, BPE vocabulary size.
        seq_len: L, sequence length; the position table has this many rows.
        hidden_dim: d.
        embed_dim: r, the Nano Embedder's reduced width.
        num_layers: N encoder layers.
        conv_kernel: k of the causal depthwise convolution.
        mask_penalty: added to the attention scores of padded keys. Finite and moderate so that the int8
            graph keeps a usable quantization step for the real scores.
        norm_epsilon: RMSNorm epsilon.
    """

    vocab_size: int = 8192
    seq_len: int = 256
    hidden_dim: int = 128
    embed_dim: int = 16
    num_layers: int = 4
    conv_kernel: int = 32
    mask_penalty: float = 16.0
    norm_epsilon: float = 1e-5

    def __post_init__(self):
        for field in ("vocab_size", "seq_len", "hidden_dim", "embed_dim", "num_layers", "conv_kernel"):
            if getattr(self, field) < 1:
                raise ValueError(f"{field} must be a positive integer, got {getattr(self, field)}")
        if self.vocab_size <= SEP_ID:
            raise ValueError(f"vocab_size must exceed the {len(SPECIAL_TOKENS)} special tokens")

    def replace(self, **changes: Any) -> "EmbBertConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "EmbBertConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown EmbBERT config keys: {sorted(unknown)}")
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


PRESETS: dict[str, EmbBertConfig] = {
    # The paper's model: about 357.5k parameters.
    "embbert-q": EmbBertConfig(),
    # About 36k parameters (most in the token table), for fast tests.
    "tiny": EmbBertConfig(seq_len=32, hidden_dim=16, embed_dim=4, num_layers=2, conv_kernel=4),
}


def get_preset(name: str, **overrides: Any) -> EmbBertConfig:
    """Returns the named preset, with `overrides` (e.g. `seq_len=64`) applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(sorted(PRESETS))}")
    return PRESETS[name].replace(**{k: v for k, v in overrides.items() if v is not None})
