"""EmbBERT models: the shared encoder, the classifier and the masked-LM pretrainer, and deployment folding."""

from __future__ import annotations

import numpy as np

from keras_models._keras import keras
from keras_models.config import EmbBertConfig
from keras_models.layers import (
    CausalConvBranch,
    EfficientAttention,
    FirstToken,
    GatherPositions,
    NanoEmbedder,
    RMSNorm,
    WeightedDifference,
)


def _inputs(seq_len: int):
    return (
        keras.Input((seq_len,), dtype="int32", name="token_ids"),
        keras.Input((seq_len,), dtype="int32", name="segment_ids"),
    )


def encode(config: EmbBertConfig, token_ids, segment_ids, folded: bool = False, attention_dropout: float = 0.0):
    """Wires the Nano Embedder and the N encoder layers; returns the (batch, L, d) sequence output.

    `attention_dropout` acts only while training; it is not part of the config since the deployed graph
    never has it.
    """
    d = config.hidden_dim
    x = NanoEmbedder(config.vocab_size, config.seq_len, config.embed_dim, d, name="embedder")(
        [token_ids, segment_ids]
    )
    for i in range(config.num_layers):
        h = RMSNorm(config.norm_epsilon, name=f"layer{i}_norm")(x)
        attention = EfficientAttention(d, config.mask_penalty, folded=folded, dropout=attention_dropout,
                                       name=f"layer{i}_attention")(
            [h, segment_ids]
        )
        conv = CausalConvBranch(d, config.conv_kernel, name=f"layer{i}_conv")(h)
        x = WeightedDifference(d, folded=folded, name=f"layer{i}_combine")([attention, conv])
    return x


def build_classifier(config: EmbBertConfig, num_outputs: int, folded: bool = False,
                     attention_dropout: float = 0.0) -> keras.Model:
    """EmbBERT with a dense head on the [CLS] output: `num_outputs` logits (1 for regression)."""
    if num_outputs < 1:
        raise ValueError(f"num_outputs must be at least 1, got {num_outputs}")
    token_ids, segment_ids = _inputs(config.seq_len)
    x = encode(config, token_ids, segment_ids, folded, attention_dropout)
    logits = keras.layers.Dense(num_outputs, name="logits")(FirstToken(name="cls")(x))
    return keras.Model([token_ids, segment_ids], logits, name="embbert_classifier")


def build_pretrainer(config: EmbBertConfig, max_masked: int | None = None, dynamic_length: bool = False) -> keras.Model:
    """EmbBERT with the pretraining heads: masked LM and next-segment prediction.

    Inputs: token ids, segment ids and `masked_positions` (int32, `(batch, max_masked)`); the masked-LM head
    (dense d→V) runs only on the gathered positions, as BERT's does, which keeps the V-wide output small.
    Outputs: `(mlm_logits, pair_logits)`, the second a 2-way "does b follow a" from the [CLS] output. With
    `dynamic_length`, rows of any length up to `config.seq_len` are accepted (pretraining batches short texts
    in short rows). Both heads are dropped for fine-tuning.
    """
    token_ids, segment_ids = _inputs(None if dynamic_length else config.seq_len)
    positions = keras.Input((max_masked,), dtype="int32", name="masked_positions")
    x = encode(config, token_ids, segment_ids)
    gathered = GatherPositions(name="mlm_gather")([x, positions])
    logits = keras.layers.Dense(config.vocab_size, name="mlm_logits")(gathered)
    pair_logits = keras.layers.Dense(2, name="pair_logits")(FirstToken(name="pair_cls")(x))
    return keras.Model([token_ids, segment_ids, positions], [logits, pair_logits], name="embbert_pretrainer")


def copy_encoder_weights(source: keras.Model, target: keras.Model) -> int:
    """Copies every encoder layer's weights from `source` to the same-named layer of `target`.

    The position table is cut to the target's length when the target is shorter. Returns the number of
    layers copied. Used to start fine-tuning from a pretrained encoder.
    """
    copied = 0
    for layer in source.layers:
        if not layer.weights or layer.name.startswith(("mlm_", "pair_", "logits")):
            continue
        target_layer = target.get_layer(layer.name)
        weights = [
            w[: t.shape[0]] if "position_table" in v.name else w
            for v, w, t in zip(layer.weights, layer.get_weights(), target_layer.weights)
        ]
        target_layer.set_weights(weights)
        copied += 1
    return copied


def fold_for_deployment(model: keras.Model, config: EmbBertConfig) -> keras.Model:
    """Returns the deployed form of a float classifier, computing exactly the same function.

    1/sqrt(d) moves into W_q and b_q, and each weighted-difference scale `exp(<λq, λk>)` into the output
    projection of its branch, so the int8 graph carries no scalar multiplications.
    """
    num_outputs = model.get_layer("logits").units
    folded = build_classifier(config, num_outputs, folded=True)
    for layer in model.layers:
        if not layer.weights or isinstance(layer, WeightedDifference):
            continue
        folded.get_layer(layer.name).set_weights(layer.get_weights())
    for i in range(config.num_layers):
        attention_scale, conv_scale = (float(s) for s in model.get_layer(f"layer{i}_combine").branch_scales())
        attention = folded.get_layer(f"layer{i}_attention")
        w_q, b_q, w_o, b_o = attention.get_weights()
        s = attention.score_scale
        attention.set_weights([w_q * s, b_q * s, w_o * attention_scale, b_o * attention_scale])
        conv = folded.get_layer(f"layer{i}_conv")
        k, b, w_c, b_c = conv.get_weights()
        conv.set_weights([k, b, w_c * conv_scale, b_c * conv_scale])
    return folded


def count_parameters(model: keras.Model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))
