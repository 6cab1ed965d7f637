"""Quantization-aware training of the deployed EmbBERT form with tensorflow-model-optimization.

Every layer gets an explicit `QuantizeConfig`: weights are fake-quantised as TFLite will store them,
symmetric int8 with one scale per tensor, and each layer's output as an asymmetric int8 activation. Weights
are per tensor, not per output channel: TF 2.21's converter fails on per-channel fake-quant of the Dense and
reshaped depthwise kernels (README, "Training"), and every shipped checkpoint was trained per tensor.
The scheme skips tfmot's default fake-quant after input layers, which would turn int32 ids into floats.
"""

from __future__ import annotations

import numpy as np

from keras_models._keras import keras
from keras_models.layers import (
    CausalConvBranch,
    EfficientAttention,
    FirstToken,
    NanoEmbedder,
    RMSNorm,
    WeightedDifference,
)

import tensorflow_model_optimization as tfmot  # noqa: E402  (after _keras sets TF_USE_LEGACY_KERAS)

_quantizers = tfmot.quantization.keras.quantizers


def weight_quantizer():
    """Symmetric int8 in [-127, 127], one scale per tensor, from the weights' last values."""
    return _quantizers.LastValueQuantizer(num_bits=8, per_axis=False, symmetric=True, narrow_range=True)


def activation_quantizer():
    """Asymmetric int8, one scale and zero point per tensor, from a moving average of the batch ranges."""
    return _quantizers.MovingAverageQuantizer(num_bits=8, per_axis=False, symmetric=False, narrow_range=False)


@keras.utils.register_keras_serializable(package="embbert")
class WeightsAndOutputQuantizeConfig(tfmot.quantization.keras.QuantizeConfig):
    """Fake-quantises the named weight attributes of a layer (`weight_quantizer`) and, optionally, its output
    (`activation_quantizer`).

    Args:
        weights: the names of the layer's weight attributes to quantise, in order.
        quantize_output: whether the layer's output gets an activation quantizer.
        per_channel, per_tensor: read from checkpoints saved before every weight was per tensor; both name
            weights to quantise (per tensor), `per_channel` ones first, as they were then.
    """

    def __init__(self, weights=(), quantize_output=True, per_channel=(), per_tensor=()):
        self.weights = list(weights) + list(per_channel) + list(per_tensor)
        self.quantize_output = quantize_output

    def get_weights_and_quantizers(self, layer):
        return [(getattr(layer, name), weight_quantizer()) for name in self.weights]

    def set_quantize_weights(self, layer, quantize_weights):
        for name, weight in zip(self.weights, quantize_weights):
            setattr(layer, name, weight)

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        return [activation_quantizer()] if self.quantize_output else []

    def get_config(self):
        return {"weights": self.weights, "quantize_output": self.quantize_output}


def config_for(layer) -> WeightsAndOutputQuantizeConfig:
    if isinstance(layer, NanoEmbedder):
        # Positions are a constant at inference; the converter folds E_pos·W_p into one int8 table.
        return WeightsAndOutputQuantizeConfig(["token_projection", "token_table", "segment_table"])
    if isinstance(layer, RMSNorm):
        return WeightsAndOutputQuantizeConfig(["scale"])
    if isinstance(layer, EfficientAttention):
        return WeightsAndOutputQuantizeConfig(["query_kernel", "output_kernel"])
    if isinstance(layer, CausalConvBranch):
        return WeightsAndOutputQuantizeConfig(["output_kernel", "depthwise_kernel"])
    if isinstance(layer, WeightedDifference):
        if not layer.folded:
            raise ValueError("quantize the deployed form: fold_for_deployment() first")
        return WeightsAndOutputQuantizeConfig()
    if isinstance(layer, FirstToken):
        return WeightsAndOutputQuantizeConfig(quantize_output=False)
    if isinstance(layer, keras.layers.Dense):
        return WeightsAndOutputQuantizeConfig(["kernel"])
    raise ValueError(f"no quantization config for layer {layer.name} ({type(layer).__name__})")


class _KeepInputsLayout(tfmot.quantization.keras.QuantizeLayoutTransform):
    """No graph rewrites: in particular, no fake-quant after the int32 id inputs."""

    def apply(self, model, layer_quantize_map):
        return model, layer_quantize_map


class EmbBertQuantizeScheme(tfmot.quantization.keras.default_8bit.Default8BitQuantizeScheme):
    def get_layout_transformer(self):
        return _KeepInputsLayout()


def quantize_scope():
    """The scope in which quantized EmbBERT models are built, cloned and loaded."""
    return tfmot.quantization.keras.quantize_scope(
        {"WeightsAndOutputQuantizeConfig": WeightsAndOutputQuantizeConfig}
    )


def quantize_model(deployed: keras.Model) -> keras.Model:
    """Wraps every layer of a folded (deployed-form) model for quantization-aware training."""

    def annotate(layer):
        if isinstance(layer, keras.layers.InputLayer):
            return layer
        return tfmot.quantization.keras.quantize_annotate_layer(layer, config_for(layer))

    with quantize_scope():
        annotated = keras.models.clone_model(deployed, clone_function=annotate)
        annotated.set_weights(deployed.get_weights())
        return tfmot.quantization.keras.quantize_apply(annotated, scheme=EmbBertQuantizeScheme())


def calibrate_output_ranges(quantized: keras.Model, deployed: keras.Model, inputs, batch_size: int = 64) -> int:
    """Sets each layer's output quantizer range to what the float `deployed` model really produces on `inputs`.

    tfmot starts every range at [-6, 6]: activation ranges then move with a 0.999 moving average, so
    without this the first QAT epoch trains against ranges far from the real ones, and weight ranges are
    only set by a training-mode call. Returns the number of layers calibrated.
    """
    ranges = {
        v.name.split("/")[0][len("quant_"):]: v
        for v in quantized.non_trainable_weights
        if v.name.split("/")[-1].startswith(("output_min", "output_max"))
    }
    names = sorted({name for name in ranges})
    probe = keras.Model(deployed.inputs, [deployed.get_layer(name).output for name in names])
    outputs = probe.predict(inputs, batch_size=batch_size, verbose=0)
    for name, values in zip(names, outputs if len(names) > 1 else [outputs]):
        low, high = min(float(np.min(values)), 0.0), max(float(np.max(values)), 0.0)
        for variable in quantized.non_trainable_weights:
            if variable.name.startswith(f"quant_{name}/output_min"):
                variable.assign(low)
            elif variable.name.startswith(f"quant_{name}/output_max"):
                variable.assign(high)
    # One training-mode call sets the weight ranges (last value); it moves the activation ranges by 0.1%.
    quantized([x[:batch_size] for x in inputs], training=True)
    return len(names)
