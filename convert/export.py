"""Converts a quantization-aware EmbBERT classifier to a fully int8 TFLite flatbuffer.

The graph is traced at a fixed shape (batch 1, length L, int32 ids): a dynamic batch adds SHAPE/PACK ops
that TFLite Micro cannot plan. The converter takes the QAT ranges and fills the rest from a representative
dataset of real examples.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from convert.flatbuffer import ModelSummary, order_inputs, summarize


class ConversionError(Exception):
    """The converted model breaks a deployment rule (a float tensor, an unexpected input or output)."""


def convert_to_int8(model, seq_len: int, calibration: tuple[np.ndarray, np.ndarray]) -> bytes:
    """Returns the int8 flatbuffer of `model` (inputs token ids and segment ids, output int8 logits).

    Args:
        model: the quantization-aware classifier (`keras_models.quantization.quantize_model`).
        seq_len: L of the traced graph; must match the model's inputs.
        calibration: `(token_ids, segment_ids)` of real examples for the ranges QAT did not set.
    """
    from keras_models._keras import tf

    @tf.function(
        input_signature=[
            tf.TensorSpec([1, seq_len], tf.int32, name="input_ids"),
            tf.TensorSpec([1, seq_len], tf.int32, name="segment_ids"),
        ]
    )
    def serve(input_ids, segment_ids):
        return {"logits": model([input_ids, segment_ids], training=False)}

    def representative() -> Iterator[dict]:
        for ids, segments in zip(*calibration):
            yield {"input_ids": ids[np.newaxis], "segment_ids": segments[np.newaxis]}

    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()], model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_output_type = tf.int8
    converter.representative_dataset = representative
    model_bytes = order_inputs(converter.convert(), ["input_ids", "segment_ids"])
    check_deployable(summarize(model_bytes), seq_len)
    return model_bytes


def check_deployable(summary: ModelSummary, seq_len: int) -> None:
    """Raises ConversionError unless the graph is integer-only with the expected interface."""
    if summary.float_tensors:
        raise ConversionError(f"float tensors left in the graph: {', '.join(summary.float_tensors[:5])}")
    expected = [("input_ids", "int32"), ("segment_ids", "int32")]
    found = [(t.name, t.dtype) for t in summary.inputs]
    if len(found) != 2 or any(e[0] not in f[0] or e[1] != f[1] for e, f in zip(expected, found)):
        raise ConversionError(f"unexpected inputs {found}; want {expected}")
    for tensor in summary.inputs:
        if tensor.shape != (1, seq_len):
            raise ConversionError(f"input {tensor.name} has shape {tensor.shape}, want (1, {seq_len})")
    if len(summary.outputs) != 1 or summary.outputs[0].dtype != "int8":
        raise ConversionError(f"want one int8 output, found {[(t.name, t.dtype) for t in summary.outputs]}")
