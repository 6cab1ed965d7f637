"""An editable view of a one-subgraph .tflite model: tensors, operators, lifetimes and byte sizes."""

from __future__ import annotations

import copy

import numpy as np

_ITEM_BYTES = {0: 4, 1: 2, 2: 4, 3: 1, 4: 8, 6: 1, 7: 2, 9: 1}
INT32 = 2


def _schema():
    from tensorflow.lite.python import schema_py_generated as schema

    return schema


class Graph:
    """The model's single subgraph, with helpers to add tensors and builtin operators and to write it back."""

    def __init__(self, model_bytes: bytes):
        schema = _schema()
        self.model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
        if len(self.model.subgraphs) != 1:
            raise ValueError(f"expected one subgraph, found {len(self.model.subgraphs)}")
        self.graph = self.model.subgraphs[0]
        self._names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}

    @property
    def tensors(self):
        return self.graph.tensors

    @property
    def operators(self):
        return self.graph.operators

    def op_name(self, op) -> str:
        """The builtin operator's name, or a custom operator's code."""
        from convert.flatbuffer import operator_name

        return operator_name(self.model.operatorCodes[op.opcodeIndex], self._names)

    def shape(self, index: int) -> tuple[int, ...]:
        shape = self.tensors[index].shape
        return tuple(int(s) for s in (shape if shape is not None else ()))

    def tensor_name(self, index: int) -> str:
        name = self.tensors[index].name
        return name.decode() if isinstance(name, bytes) else name

    def is_constant(self, index: int) -> bool:
        buffer = self.model.buffers[self.tensors[index].buffer]
        return buffer.data is not None and len(buffer.data) > 0

    def item_bytes(self, index: int) -> int:
        return _ITEM_BYTES[self.tensors[index].type]

    def tensor_bytes(self, index: int) -> int:
        return int(np.prod(self.shape(index), dtype=np.int64)) * self.item_bytes(index)

    def constant(self, index: int) -> np.ndarray:
        """The values of an int32 constant tensor."""
        return np.frombuffer(bytes(self.model.buffers[self.tensors[index].buffer].data), dtype=np.int32)

    def activations(self) -> list[int]:
        """Tensors the interpreter places in the arena: graph inputs, outputs and intermediates."""
        used = set(self.graph.inputs) | set(self.graph.outputs)
        for op in self.operators:
            used |= {i for i in list(op.inputs) + list(op.outputs) if i >= 0}
        return sorted(i for i in used if not self.is_constant(i))

    def producers(self) -> dict[int, int]:
        return {t: n for n, op in enumerate(self.operators) for t in op.outputs}

    def consumers(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for n, op in enumerate(self.operators):
            for t in op.inputs:
                if t >= 0:
                    found.setdefault(t, []).append(n)
        return found

    def lifetimes(self) -> dict[int, tuple[int, int]]:
        """(first, last) operator index during which each activation must hold its value."""
        last_op = len(self.operators) - 1
        producers, consumers = self.producers(), self.consumers()
        spans = {}
        for t in self.activations():
            first = 0 if t in self.graph.inputs else producers[t]
            last = last_op if t in self.graph.outputs else max(consumers.get(t, [first]))
            spans[t] = (first, last)
        return spans

    def opcode_index(self, name: str) -> int:
        """The operator code index of builtin `name`, added to the model when it has none yet."""
        schema = _schema()
        code_value = getattr(schema.BuiltinOperator, name)
        for index, code in enumerate(self.model.operatorCodes):
            if max(code.builtinCode, code.deprecatedBuiltinCode) == code_value:
                return index
        code = schema.OperatorCodeT()
        code.builtinCode = code_value
        code.deprecatedBuiltinCode = min(code_value, 127)
        code.version = 1
        self.model.operatorCodes.append(code)
        return len(self.model.operatorCodes) - 1

    def custom_opcode_index(self, custom_code: str) -> int:
        """The operator code index of custom operator `custom_code`, added to the model when it has none yet."""
        schema = _schema()
        for index, code in enumerate(self.model.operatorCodes):
            if code.customCode in (custom_code, custom_code.encode()):
                return index
        code = schema.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
        code.customCode = custom_code.encode()
        code.version = 1
        self.model.operatorCodes.append(code)
        return len(self.model.operatorCodes) - 1

    def add_quantization_carrier(self, template: int, name: str) -> int:
        """A one-element constant with `template`'s type and quantization: it tells a fused operator the
        quantization of an intermediate tensor that no longer exists."""
        source = self.tensors[template]
        return self._add_constant(bytes(_ITEM_BYTES[source.type]), source.type, [1], name,
                                  copy.deepcopy(source.quantization))

    def add_tensor_like(self, template: int, shape, name: str) -> int:
        """A new activation with `template`'s type and quantization (the same scale and zero point)."""
        schema = _schema()
        tensor = schema.TensorT()
        source = self.tensors[template]
        tensor.type = source.type
        tensor.shape = np.array(shape, dtype=np.int32)
        tensor.quantization = copy.deepcopy(source.quantization)
        tensor.name = name.encode()
        tensor.buffer = self._empty_buffer()
        self.tensors.append(tensor)
        return len(self.tensors) - 1

    def add_int32_constant(self, values, name: str) -> int:
        data = np.asarray(values, dtype=np.int32)
        return self._add_constant(data.tobytes(), INT32, data.shape, name)

    def _add_constant(self, data: bytes, tensor_type: int, shape, name: str, quantization=None) -> int:
        schema = _schema()
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(data, dtype=np.uint8)
        self.model.buffers.append(buffer)
        tensor = schema.TensorT()
        tensor.type = tensor_type
        tensor.shape = np.array(shape, dtype=np.int32)
        tensor.quantization = quantization
        tensor.name = name.encode()
        tensor.buffer = len(self.model.buffers) - 1
        self.tensors.append(tensor)
        return len(self.tensors) - 1

    def _empty_buffer(self) -> int:
        for index, buffer in enumerate(self.model.buffers):
            if buffer.data is None or len(buffer.data) == 0:
                return index
        self.model.buffers.append(_schema().BufferT())
        return len(self.model.buffers) - 1

    def new_op(self, name: str, inputs, outputs, options_type: str | None = None, options=None):
        """A builtin operator (not yet placed in the operator list)."""
        schema = _schema()
        op = schema.OperatorT()
        op.opcodeIndex = self.opcode_index(name)
        op.inputs = np.array(inputs, dtype=np.int32)
        op.outputs = np.array(outputs, dtype=np.int32)
        if options_type is not None:
            op.builtinOptionsType = getattr(schema.BuiltinOptions, options_type)
            op.builtinOptions = options
        return op

    def new_custom_op(self, custom_code: str, inputs, outputs, options: bytes):
        """A custom operator with raw option bytes (not yet placed in the operator list)."""
        op = _schema().OperatorT()
        op.opcodeIndex = self.custom_opcode_index(custom_code)
        op.inputs = np.array(inputs, dtype=np.int32)
        op.outputs = np.array(outputs, dtype=np.int32)
        op.customOptions = np.frombuffer(options, dtype=np.uint8)
        op.customOptionsFormat = 0
        return op

    def set_metadata(self, name: str, data: bytes) -> None:
        """Stores `data` as the model metadata entry `name`, replacing an entry of that name."""
        schema = _schema()
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(data, dtype=np.uint8)
        self.model.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name = name.encode()
        entry.buffer = len(self.model.buffers) - 1
        kept = [m for m in (self.model.metadata or []) if (m.name.decode() if isinstance(m.name, bytes) else m.name) != name]
        self.model.metadata = kept + [entry]

    def compact(self, keep: dict[int, tuple[int, int]] | None = None) -> dict[int, tuple[int, int]]:
        """Drops tensors no operator or graph input/output uses, and buffers no tensor or metadata uses.

        Returns `keep` (tensor -> (tensor, offset)) with its tensor indices renumbered.
        """
        graph = self.graph
        used = set(graph.inputs) | set(graph.outputs)
        for op in graph.operators:
            used |= {int(i) for i in list(op.inputs) + list(op.outputs) + list(op.intermediates or []) if i >= 0}
        order = sorted(used)
        new_index = {old: new for new, old in enumerate(order)}
        renumber = lambda indices: np.array([new_index[int(i)] if i >= 0 else -1 for i in indices], dtype=np.int32)  # noqa: E731
        graph.tensors = [graph.tensors[i] for i in order]
        graph.inputs, graph.outputs = renumber(graph.inputs), renumber(graph.outputs)
        for op in graph.operators:
            op.inputs, op.outputs = renumber(op.inputs), renumber(op.outputs)
            if op.intermediates is not None and len(op.intermediates):
                op.intermediates = renumber(op.intermediates)
        for signature in self.model.signatureDefs or []:
            for tensor_map in list(signature.inputs or []) + list(signature.outputs or []):
                tensor_map.tensorIndex = new_index[tensor_map.tensorIndex]
        buffers_used = sorted({0} | {t.buffer for t in graph.tensors} | {m.buffer for m in self.model.metadata or []})
        new_buffer = {old: new for new, old in enumerate(buffers_used)}
        self.model.buffers = [self.model.buffers[i] for i in buffers_used]
        for tensor in graph.tensors:
            tensor.buffer = new_buffer[tensor.buffer]
        for entry in self.model.metadata or []:
            entry.buffer = new_buffer[entry.buffer]
        return {new_index[t]: (new_index[base], offset) for t, (base, offset) in (keep or {}).items()
                if t in new_index and base in new_index}

    def to_bytes(self) -> bytes:
        import flatbuffers

        builder = flatbuffers.Builder(1024 * 1024)
        builder.Finish(self.model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())
