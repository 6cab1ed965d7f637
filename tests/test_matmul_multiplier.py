"""The requantization multiplier of int8 matrix products, as the golden reference (PyPI tflite-micro) computes it.

The PyPI interpreter computes FULLY_CONNECTED's and BATCH_MATMUL's multiplier as
double(input scale) * double(filter scale) / double(output scale) (both through its
tflite::micro::GetQuantizedConvolutionMultipler; the tests run FULLY_CONNECTED); the pinned TFLM tree the
firmware links (firmware/deps.lock) rounds the product of the two scales to float first. The two multipliers differ
by up to ~80 in 2^31, and an output that lies that close to a rounding boundary comes out one apart: SNIPS
validation example 484 did so in the embedder's projection (row 9, unit 51), 1 to 3 LSB in the logits.
The firmware's kernels use the reference's form (firmware/src/kernels/embbert_matmul_multiplier.cc);
firmware/tests/kernels_check.cc runs them on the numbers below and expects the output this test pins.
"""

import math

import numpy as np
import pytest

# The embedder projection of the SNIPS model (build/model) on validation example 484, row 9, unit 51:
# float32 scales by their bits, the 16 inputs, the unit's weights, the output zero point.
INPUT_SCALE_BITS, FILTER_SCALE_BITS, OUTPUT_SCALE_BITS = 0x3A6E492D, 0x3B0999A6, 0x3A4D78CF
INPUTS = [-33, -39, -6, -25, -27, -35, -59, -10, -46, 28, 37, 56, 25, -39, 39, 50]
WEIGHTS = [-89, -39, 0, -87, -102, 41, -81, -37, -99, 7, 54, 5, -65, -78, -50, 105]
OUTPUT_ZERO_POINT = 2
REFERENCE_OUTPUT = 63  # the PyPI interpreter's; the pinned tree's float product gives 62


def _scale(bits: int) -> np.float32:
    return np.array([bits], np.uint32).view(np.float32)[0]


def _quantize_multiplier(real: float) -> tuple[int, int]:
    """tflite::QuantizeMultiplier: a Q31 significand (rounded half away from zero) and an exponent."""
    q, shift = math.frexp(real)
    fixed = int(math.floor(abs(q) * (1 << 31) + 0.5)) * (1 if q >= 0 else -1)
    if fixed == 1 << 31:
        fixed, shift = fixed // 2, shift + 1
    return fixed, shift


def _requantize(acc: int, multiplier: int, shift: int) -> int:
    """tflite::MultiplyByQuantizedMultiplier (gemmlowp's double rounding) on Python integers."""
    x = acc * (1 << max(shift, 0)) * multiplier
    nudge = (1 << 30) if x >= 0 else 1 - (1 << 30)
    high = abs(x + nudge) >> 31  # SaturatingRoundingDoublingHighMul: division truncating toward zero
    high = high if x + nudge >= 0 else -high
    right = max(-shift, 0)
    mask = (1 << right) - 1
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if (high & mask) > threshold else 0)


def int8_tensor(name: str, shape, scale, zero_point: int, buffer: int):
    """A per-tensor quantized int8 tensor of a hand-built flatbuffer model."""
    from tensorflow.lite.python import schema_py_generated as schema

    t = schema.TensorT()
    t.name, t.shape, t.type, t.buffer = name, np.array(shape, np.int32), schema.TensorType.INT8, buffer
    t.quantization = schema.QuantizationParametersT()
    t.quantization.scale, t.quantization.zeroPoint = [float(scale)], [int(zero_point)]
    return t


def one_operator_model(op_name: str, version: int, tensors, op_inputs, inputs, outputs, buffers) -> bytes:
    """A model of one builtin operator (`op_name`, e.g. "SUB") with its default options."""
    from tensorflow.lite.python import schema_py_generated as schema

    from convert.graph import Graph

    name = "".join(part.capitalize() for part in op_name.split("_"))
    graph = schema.SubGraphT()
    graph.tensors, graph.inputs, graph.outputs = tensors, inputs, outputs
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, op_inputs, outputs
    op.builtinOptionsType = getattr(schema.BuiltinOptions, f"{name}Options")
    op.builtinOptions = getattr(schema, f"{name}OptionsT")()
    graph.operators = [op]
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = getattr(schema.BuiltinOperator, op_name)
    code.version = version
    model = schema.ModelT()
    model.version, model.operatorCodes, model.subgraphs, model.buffers = 3, [code], [graph], buffers
    model.description = f"one {op_name}"
    g = Graph.__new__(Graph)
    g.model = model
    return g.to_bytes()


def _fully_connected_model(inputs: int, units: int, scales, weights: np.ndarray, output_zero_point: int) -> bytes:
    """A one-operator int8 FULLY_CONNECTED model without bias: input [1, inputs] -> output [1, units]."""
    from tensorflow.lite.python import schema_py_generated as schema

    buffers = [schema.BufferT() for _ in range(4)]
    buffers[2].data = np.asarray(weights, np.int8).reshape(units, inputs).view(np.uint8).tobytes()
    tensors = [int8_tensor("input", [1, inputs], scales[0], 0, 1), int8_tensor("weights", [units, inputs], scales[1], 0, 2),
               int8_tensor("output", [1, units], scales[2], output_zero_point, 3)]
    return one_operator_model("FULLY_CONNECTED", 1, tensors, [0, 1, -1], [0], [2], buffers)


def _run_pypi(model_bytes: bytes, inputs) -> np.ndarray:
    runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime",
                                  reason="tflite-micro (PyPI) is not installed")
    interpreter = runtime.Interpreter.from_bytes(model_bytes)
    interpreter.set_input(np.asarray(inputs, np.int8).reshape(1, -1), 0)
    interpreter.invoke()
    return np.asarray(interpreter.get_output(0)).reshape(-1)


def test_the_two_multipliers_differ_on_this_output():
    si, sw, so = (_scale(b) for b in (INPUT_SCALE_BITS, FILTER_SCALE_BITS, OUTPUT_SCALE_BITS))
    acc = int(np.dot(INPUTS, WEIGHTS))
    in_double = _quantize_multiplier(float(si) * float(sw) / float(so))
    in_float = _quantize_multiplier(float(np.float32(si * sw)) / float(so))
    assert in_double == (1338612010, -8) and in_float == (1338611957, -8)
    assert _requantize(acc, *in_double) + OUTPUT_ZERO_POINT == REFERENCE_OUTPUT
    assert _requantize(acc, *in_float) + OUTPUT_ZERO_POINT == REFERENCE_OUTPUT - 1


def test_pypi_interpreter_multiplies_the_scales_in_double():
    scales = [_scale(b) for b in (INPUT_SCALE_BITS, FILTER_SCALE_BITS, OUTPUT_SCALE_BITS)]
    model = _fully_connected_model(len(INPUTS), 1, scales, np.asarray(WEIGHTS), OUTPUT_ZERO_POINT)
    assert _run_pypi(model, INPUTS).tolist() == [REFERENCE_OUTPUT]


def _weights_for(accumulators, inputs: int) -> tuple[np.ndarray, np.ndarray]:
    """An input row and one weight row per target accumulator, each row's dot product exactly its target."""
    x = np.array([127] * (inputs - 1) + [1])
    rows = []
    for a in accumulators:
        total = int(round(a / 127))
        base, extra = divmod(abs(total), inputs - 1)
        w = [base + (1 if i < extra else 0) for i in range(inputs - 1)]
        rows.append([v if total >= 0 else -v for v in w] + [a - 127 * total])
    w = np.array(rows)
    assert (w @ x == np.asarray(accumulators)).all() and np.abs(w).max() <= 127
    return x, w


def _requantize_all(acc: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    """_requantize over an int64 array (|acc| < 2^31 / 2^max(shift, 0), so every product fits in int64)."""
    x = (acc << max(shift, 0)) * multiplier
    nudged = x + np.where(x >= 0, 1 << 30, 1 - (1 << 30))
    high = np.sign(nudged) * (np.abs(nudged) >> 31)
    right = max(-shift, 0)
    mask = (1 << right) - 1
    return (high >> right) + ((high & mask) > (mask >> 1) + (high < 0)).astype(np.int64)


def test_pypi_interpreter_uses_the_double_product_where_they_differ():
    """Random scales, and for each the accumulators whose output the float product would change."""
    rng = np.random.default_rng(484)
    inputs, checked, accumulators = 16, 0, np.arange(-30000, 30000, dtype=np.int64)
    for _ in range(400):
        scales = [np.float32(rng.uniform(1e-3, 4e-3)) for _ in range(3)]
        m, s = _quantize_multiplier(float(scales[0]) * float(scales[1]) / float(scales[2]))
        m_f, s_f = _quantize_multiplier(float(np.float32(scales[0] * scales[1])) / float(scales[2]))
        want = _requantize_all(accumulators, m, s)
        telling = (want != _requantize_all(accumulators, m_f, s_f)) & (np.abs(want) < 128)
        if not telling.any():
            continue
        targets = accumulators[telling].tolist()
        x, w = _weights_for(targets, inputs)
        got = _run_pypi(_fully_connected_model(inputs, len(targets), scales, w, 0), x)
        assert got.tolist() == want[telling].tolist(), scales
        assert all(_requantize(a, m, s) == v for a, v in zip(targets, want[telling].tolist()))
        checked += len(targets)
        if checked >= 5:
            break
    assert checked >= 5, f"only {checked} accumulators tell the two multipliers apart"
