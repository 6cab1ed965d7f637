"""The rescaling multipliers of int8 SUB, as the golden reference (PyPI tflite-micro) computes them.

The PyPI interpreter divides the scales in double (input scale / (2 max), 2 max / (2^20 output scale)); the
pinned TFLM tree the firmware links divides them in float and widens the quotient (its sub_common.cc, while
its add_common.cc already divides in double). A multiplier moves by up to ~2^-24, and an output that lies
on a rounding tie comes out one apart: Emotion test example 146, layer 2's residual SUB, row 6, unit 101,
and 1 LSB in the logits of 4 of the 1600 test examples. The firmware's kernels use the reference's form
(firmware/src/kernels/embbert_add_sub_multipliers.cc); firmware/tests/kernels_check.cc runs it on the numbers
below and expects the output this test pins.
"""

import numpy as np
import pytest

from tests.test_matmul_multiplier import (
    _quantize_multiplier,
    _requantize,
    _requantize_all,
    _scale,
    int8_tensor,
    one_operator_model,
)

# attention_out - conv_out of the Emotion model's second layer: (scale bits, zero point) of in1, in2, output.
INPUT1, INPUT2, OUTPUT = (0x3C9033B3, 10), (0x3D029C4C, 6), (0x3D138E1D, 0)
X1, X2 = -90, 44
REFERENCE_OUTPUT = -82  # the PyPI interpreter's; the pinned tree's float division gives -83
LEFT_SHIFT = 20


def _multipliers(s1, s2, so, in_double: bool):
    twice_max = np.float32(2 * max(s1, s2))
    if in_double:
        reals = (float(s1) / float(twice_max), float(s2) / float(twice_max), float(twice_max) / ((1 << LEFT_SHIFT) * float(so)))
    else:
        reals = (float(np.float32(s1 / twice_max)), float(np.float32(s2 / twice_max)),
                 float(np.float32(twice_max / np.float32((1 << LEFT_SHIFT) * so))))
    return [_quantize_multiplier(r) for r in reals]


def _sub(x1: int, x2: int, zp1: int, zp2: int, zpo: int, multipliers) -> int:
    """reference_ops::Sub for int8 (BroadcastQuantSubSlow's element) on Python integers."""
    (m1, e1), (m2, e2), (mo, eo) = multipliers
    scaled1 = _requantize((x1 - zp1) << LEFT_SHIFT, m1, e1)
    scaled2 = _requantize((x2 - zp2) << LEFT_SHIFT, m2, e2)
    return max(-128, min(127, _requantize(scaled1 - scaled2, mo, eo) + zpo))


def _sub_model(scales, zero_points, length: int) -> bytes:
    """A one-operator int8 SUB model: two inputs [1, length] -> output [1, length]."""
    from tensorflow.lite.python import schema_py_generated as schema

    tensors = [int8_tensor(name, [1, length], scale, zero_point, i + 1)
               for i, (name, scale, zero_point) in enumerate(zip(("a", "b", "out"), scales, zero_points))]
    return one_operator_model("SUB", 2, tensors, [0, 1], [0, 1], [2], [schema.BufferT() for _ in range(4)])


def _run_sub(model: bytes, a, b) -> list[int]:
    runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime",
                                  reason="tflite-micro (PyPI) is not installed")

    interpreter = runtime.Interpreter.from_bytes(model)
    interpreter.set_input(np.asarray(a, np.int8).reshape(1, -1), 0)
    interpreter.set_input(np.asarray(b, np.int8).reshape(1, -1), 1)
    interpreter.invoke()
    return np.asarray(interpreter.get_output(0)).reshape(-1).tolist()


def test_the_two_divisions_differ_on_this_output():
    scales = [_scale(bits) for bits, _ in (INPUT1, INPUT2, OUTPUT)]
    in_double, in_float = _multipliers(*scales, in_double=True), _multipliers(*scales, in_double=False)
    assert in_double == [(1185476082, -1), (1073741824, 0), (1900875879, -19)]
    assert in_float[0] == (1185476096, -1) and in_float[2] == (1900875904, -19)
    zero_points = (INPUT1[1], INPUT2[1], OUTPUT[1])
    assert _sub(X1, X2, *zero_points, in_double) == REFERENCE_OUTPUT
    assert _sub(X1, X2, *zero_points, in_float) == REFERENCE_OUTPUT - 1


def test_pypi_interpreter_divides_the_scales_in_double():
    scales = [_scale(bits) for bits, _ in (INPUT1, INPUT2, OUTPUT)]
    model = _sub_model(scales, (INPUT1[1], INPUT2[1], OUTPUT[1]), 1)
    assert _run_sub(model, [X1], [X2]) == [REFERENCE_OUTPUT]


def _sub_all(x1: np.ndarray, x2: np.ndarray, zp1: int, zp2: int, zpo: int, multipliers) -> np.ndarray:
    """_sub over int64 arrays (every product fits: |x| < 2^9, so (x << 20) * m < 2^60)."""
    (m1, e1), (m2, e2), (mo, eo) = multipliers
    scaled1 = _requantize_all((x1 - zp1) << LEFT_SHIFT, m1, e1)
    scaled2 = _requantize_all((x2 - zp2) << LEFT_SHIFT, m2, e2)
    return np.clip(_requantize_all(scaled1 - scaled2, mo, eo) + zpo, -128, 127)


def test_pypi_interpreter_uses_the_double_division_where_they_differ():
    """Random scales, and for each every input pair whose output the float division would change."""
    rng = np.random.default_rng(146)
    x1, x2 = (v.ravel().astype(np.int64) for v in np.meshgrid(np.arange(-128, 128), np.arange(-128, 128)))
    checked = 0
    for _ in range(400):
        scales = [np.float32(rng.uniform(0.005, 0.05)) for _ in range(3)]
        zero_points = [int(z) for z in rng.integers(-20, 20, 3)]
        in_double, in_float = _multipliers(*scales, in_double=True), _multipliers(*scales, in_double=False)
        want = _sub_all(x1, x2, *zero_points, in_double)
        telling = want != _sub_all(x1, x2, *zero_points, in_float)
        if not telling.any():
            continue
        a, b = x1[telling], x2[telling]
        assert [_sub(int(p), int(q), *zero_points, in_double) for p, q in zip(a, b)] == want[telling].tolist()
        assert _run_sub(_sub_model(scales, zero_points, len(a)), a, b) == want[telling].tolist(), scales
        checked += int(telling.sum())
        if checked >= 5:
            break
    assert checked >= 5, f"only {checked} input pairs tell the two divisions apart"
