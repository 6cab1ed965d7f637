"""Quantization-aware models: every layer wrapped, ranges calibrated from the float model."""

import numpy as np

from keras_models.config import get_preset
from keras_models.model import build_classifier, fold_for_deployment
from keras_models._keras import keras
from keras_models.quantization import (
    WeightsAndOutputQuantizeConfig,
    activation_quantizer,
    calibrate_output_ranges,
    quantize_model,
    weight_quantizer,
)

# The weights each layer of the deployed form stores in int8, by layer name.
QUANTIZED_WEIGHTS = {
    "embedder": {"token_projection", "token_table", "segment_table"},
    "attention": {"query_kernel", "output_kernel"},
    "conv": {"output_kernel", "depthwise_kernel"},
    "norm": {"scale"},
    "logits": {"kernel"},
}


def _inputs(config, n=64):
    rng = np.random.default_rng(0)
    ids = rng.integers(5, config.vocab_size, (n, config.seq_len)).astype(np.int32)
    ids[:, 0] = 2
    for row in range(n):
        ids[row, rng.integers(4, config.seq_len) :] = 0
    return [ids, (ids != 0).astype(np.int32)]


def _output_range(model, layer):
    values = {v.name.split("/")[-1].split(":")[0]: float(v.numpy()) for v in model.get_layer(f"quant_{layer}").weights
              if v.name.split("/")[-1].startswith("output_")}
    return values["output_min"], values["output_max"]


def test_every_layer_is_wrapped_and_inputs_stay_integer():
    config = get_preset("tiny")
    quantized = quantize_model(fold_for_deployment(build_classifier(config, 3), config))
    wrapped = [layer.name for layer in quantized.layers if layer.name.startswith("quant_")]
    assert len(wrapped) == len(quantized.layers) - 2  # all but the two int32 inputs
    assert [i.dtype for i in quantized.inputs] == ["int32", "int32"]


def test_calibration_sets_ranges_from_the_float_model_and_keeps_its_predictions():
    config = get_preset("tiny")
    deployed = fold_for_deployment(build_classifier(config, 3), config)
    quantized = quantize_model(deployed)
    inputs = _inputs(config)
    assert _output_range(quantized, "layer0_norm") == (-6.0, 6.0), "tfmot's initial range"

    assert calibrate_output_ranges(quantized, deployed, inputs) == 2 + 4 * config.num_layers  # embedder, logits
    norm = deployed.get_layer("layer0_norm").output
    values = keras.Model(deployed.inputs, norm).predict(inputs, verbose=0)
    low, high = _output_range(quantized, "layer0_norm")
    # One training-mode call moves the moving-average range by at most 0.1% towards its batch.
    assert abs(low - values.min()) <= 0.002 * abs(values.min()) + 1e-6
    assert abs(high - values.max()) <= 0.002 * abs(values.max()) + 1e-6



def test_calibration_brings_the_quantized_logits_to_the_float_ones():
    """Against tfmot's initial [-6, 6] ranges, calibrated ranges cut the logits' error, and what is left is the
    int8 rounding: the logits lie on the 256-level grid of their own output range."""
    config = get_preset("tiny")
    deployed = fold_for_deployment(build_classifier(config, 3), config)
    inputs = _inputs(config)
    float_logits = deployed.predict(inputs, verbose=0)
    uncalibrated = quantize_model(deployed)
    uncalibrated([x[:64] for x in inputs], training=True)  # weight ranges set, activation ranges tfmot's
    calibrated = quantize_model(deployed)
    calibrate_output_ranges(calibrated, deployed, inputs)
    error = {name: np.abs(m.predict(inputs, verbose=0) - float_logits).mean()
             for name, m in (("uncalibrated", uncalibrated), ("calibrated", calibrated))}
    assert error["calibrated"] < error["uncalibrated"] / 2, error

    low, high = _output_range(calibrated, "logits")
    logits = calibrated.predict(inputs, verbose=0)
    levels = (logits - logits.min()) / ((high - low) / 255)  # the grid is shifted so that 0 lies on it
    assert np.abs(levels - np.round(levels)).max() < 1e-2 and np.round(levels).max() <= 255


def _weight_ranges(model) -> dict[tuple[str, str], tuple[float, float]]:
    """{(layer, weight): (min, max)} of every weight quantizer of a quantized model."""
    variables = {v.name.split(":")[0]: v.numpy() for v in model.non_trainable_weights}
    out = {}
    for name, value in variables.items():
        wrapper, _, var = name.partition("/")
        if var.endswith("_min") and var != "output_min":  # output_min/max: the activation range
            out[(wrapper[len("quant_"):], var[: -len("_min")])] = (value, variables[f"{wrapper}/{var[:-4]}_max"])
    return out


def test_every_weight_is_symmetric_int8_with_one_scale_per_tensor():
    assert weight_quantizer().get_config() == {"num_bits": 8, "per_axis": False, "symmetric": True,
                                               "narrow_range": True}
    assert activation_quantizer().get_config() == {"num_bits": 8, "per_axis": False, "symmetric": False,
                                                   "narrow_range": False}
    config = get_preset("tiny")
    deployed = fold_for_deployment(build_classifier(config, 3), config)
    quantized = quantize_model(deployed)
    calibrate_output_ranges(quantized, deployed, _inputs(config))  # its training-mode call sets weight ranges
    ranges = _weight_ranges(quantized)
    by_kind = {}
    for layer, weight in ranges:
        kind = next(k for k in QUANTIZED_WEIGHTS if layer.endswith(k))
        by_kind.setdefault(kind, set()).add(weight)
    assert by_kind == QUANTIZED_WEIGHTS
    for (layer, weight), (low, high) in ranges.items():
        assert np.shape(low) == np.shape(high) == (), f"{layer}/{weight} has a range per channel"
        w = next(v.numpy() for v in deployed.get_layer(layer).weights if v.name.split("/")[-1].startswith(weight))
        assert (low, high) == (-np.abs(w).max(), np.abs(w).max()), f"{layer}/{weight} is not symmetric"

    # what the quantizer does to a kernel: round to the nearest of the 255 multiples of max|w| / 127
    w = deployed.get_layer("logits").kernel.numpy()
    scale = np.abs(w).max() / 127
    low, high = ranges[("logits", "kernel")]
    fake = weight_quantizer()(keras.backend.constant(w), training=False, weights={"min_var": keras.backend.constant(low),
                                                          "max_var": keras.backend.constant(high)}).numpy()
    np.testing.assert_allclose(fake, np.round(w / scale) * scale, rtol=0, atol=scale * 1e-3)


def test_configs_of_checkpoints_saved_with_per_channel_names_still_load():
    old = {"per_channel": ["token_projection"], "per_tensor": ["token_table", "segment_table"], "quantize_output": True}
    config = WeightsAndOutputQuantizeConfig.from_config(old)
    assert config.weights == ["token_projection", "token_table", "segment_table"]
    assert config.get_config() == {"weights": config.weights, "quantize_output": True}
