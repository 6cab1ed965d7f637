"""Reads what the converter produced: operators, tensor types, inputs and outputs of a .tflite file."""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np

_TYPE_NAMES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 6: "bool", 7: "int16", 9: "int8"}


@dataclasses.dataclass
class TensorInfo:
    name: str
    dtype: str
    shape: tuple[int, ...]
    scale: float | None
    zero_point: int | None


@dataclasses.dataclass
class ModelSummary:
    ops: list[str]  # builtin operator names (a custom operator's code), sorted, each once
    op_counts: dict[str, int]
    sequence: list[str]  # the builtin name of every operator, in execution order
    tensors: list[TensorInfo]
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]

    @property
    def float_tensors(self) -> list[str]:
        return [t.name for t in self.tensors if t.dtype in ("float32", "float16")]


def crc32_hex(data: bytes) -> str:
    """CRC-32/IEEE as the firmware prints it: 8 lowercase hex digits.

    >>> crc32_hex(b"123456789")
    'cbf43926'
    """
    return f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"


def model_hash(model_bytes: bytes) -> str:
    """CRC-32/IEEE of the flatbuffer: the id the firmware reports."""
    return crc32_hex(model_bytes)


def order_inputs(model_bytes: bytes, names: list[str]) -> bytes:
    """Rewrites the flatbuffer so that its inputs come in the order of `names` (matched by substring).

    The converter orders signature inputs as it likes; the firmware and the golden vectors rely on
    token ids first, segment ids second.
    """
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
    graph = model.subgraphs[0]

    def position(tensor_index):
        name = graph.tensors[tensor_index].name.decode()
        matches = [i for i, wanted in enumerate(names) if wanted in name]
        if len(matches) != 1:
            raise ValueError(f"input {name} matches {len(matches)} of {names}")
        return matches[0]

    graph.inputs = sorted(graph.inputs, key=position)
    for signature in model.signatureDefs or []:
        signature.inputs = sorted(signature.inputs, key=lambda tensor_map: position(tensor_map.tensorIndex))
    builder = flatbuffers.Builder(len(model_bytes) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def operator_name(code, builtin_names: dict[int, str]) -> str:
    """An operator code's builtin name, or a custom operator's own code (EMBBERT_LAYER)."""
    name = builtin_names[max(code.builtinCode, code.deprecatedBuiltinCode)]
    if name == "CUSTOM" and code.customCode:
        return code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode
    return name


def _builtin_names() -> dict[int, str]:
    from tensorflow.lite.python import schema_py_generated as schema

    return {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


def summarize(model_bytes: bytes) -> ModelSummary:
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
    if len(model.subgraphs) != 1:
        raise ValueError(f"expected one subgraph, found {len(model.subgraphs)}")
    names = _builtin_names()
    graph = model.subgraphs[0]
    sequence = []
    for op in graph.operators:
        sequence.append(operator_name(model.operatorCodes[op.opcodeIndex], names))
    op_counts = {name: sequence.count(name) for name in dict.fromkeys(sequence)}

    def info(tensor) -> TensorInfo:
        q = tensor.quantization
        scale = float(q.scale[0]) if q is not None and q.scale is not None and len(q.scale) else None
        zero = int(q.zeroPoint[0]) if q is not None and q.zeroPoint is not None and len(q.zeroPoint) else None
        name = tensor.name.decode() if isinstance(tensor.name, bytes) else tensor.name
        shape = tuple(int(s) for s in (tensor.shape if tensor.shape is not None else np.zeros(0)))
        return TensorInfo(name, _TYPE_NAMES.get(tensor.type, f"type{tensor.type}"), shape, scale, zero)

    tensors = [info(t) for t in graph.tensors]
    return ModelSummary(
        ops=sorted(op_counts),
        op_counts=op_counts,
        sequence=sequence,
        tensors=tensors,
        inputs=[tensors[i] for i in graph.inputs],
        outputs=[tensors[i] for i in graph.outputs],
    )
