"""Quantization-aware models: every layer wrapped, ranges calibrated from the float model."""

import numpy as np

from keras_models.config import get_preset
from keras_models.model import build_classifier, fold_for_deployment
from keras_models.quantization import calibrate_output_ranges, quantize_model


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
    from keras_models._keras import keras

    values = keras.Model(deployed.inputs, norm).predict(inputs, verbose=0)
    low, high = _output_range(quantized, "layer0_norm")
    # One training-mode call moves the moving-average range by at most 0.1% towards its batch.
    assert abs(low - values.min()) <= 0.002 * abs(values.min()) + 1e-6
    assert abs(high - values.max()) <= 0.002 * abs(values.max()) + 1e-6

    float_logits = deployed.predict(inputs, verbose=0)
    quantized_logits = quantized.predict(inputs, verbose=0)
    assert np.mean(float_logits.argmax(-1) == quantized_logits.argmax(-1)) >= 0.9
    assert np.abs(float_logits - quantized_logits).max() < 0.25 * np.abs(float_logits).max()
