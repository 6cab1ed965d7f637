"""Fuses each EmbBERT encoder layer into one EMBBERT_LAYER custom operator: the firmware's form of the model.

The builtin graph of a layer after its norm (see `convert.row_chunks.find_layers`)

    P = PAD(h), K = h ⊙ keep
    attention:  FC(h) -> BATCH_MATMUL(·, K, adj_y) -> ADD(mask) -> SOFTMAX -> BATCH_MATMUL(·, Kᵀ, adj_y) -> FC
    conv:       RESHAPE(P) -> DEPTHWISE_CONV_2D -> RESHAPE -> LOGISTIC, MUL -> FC
    output:     SUB

becomes PAD, MUL and one EMBBERT_LAYER(P, K, mask, weights and biases, quantization carriers) whose
kernel (firmware/src/kernels/fused_layer_fast.cc) runs that chain a few rows at a time with the firmware's
kernels for those builtins and their reference parameters. Intermediate tensors vanish; one-element
constants carry their quantization. The output is a view of P's first rows, which each block overwrites
once no later block reads them, so a layer needs P, K and the kernel's scratch only.

The PyPI TFLM interpreter cannot run the custom operator: the builtin graph stays the golden reference,
the fused graph is what `KERNELS=fast` firmware embeds, and the firmware tests compare the two bit for bit.
"""

from __future__ import annotations

import struct

import numpy as np

from convert import offline_plan, row_chunks
from convert.graph import Graph

CUSTOM_CODE = "EMBBERT_LAYER"

# Flags of the custom options' first byte (fused_layer_fast.cc): operand orders the graph may use.
MASK_FIRST, GATE_FIRST, CONV_OUT_FIRST = 1, 2, 4

# The kernel's block of rows and its scratch layout (fused_layer_fast.cc: kBlockRows, Layout).
BLOCK_ROWS = 16
TABLE_ENTRIES = 256


def _align4(n: int) -> int:
    return (n + 3) // 4 * 4


def kernel_scratch_bytes(seq_len: int, depth: int, taps: int) -> int:
    """Bytes of the one scratch buffer an EMBBERT_LAYER asks for (fused_layer_fast.cc's Layout)."""
    from convert.memory_rewrite import (depthwise_conv_1d_scratch_bytes, mat_mult_nn_scratch_bytes,
                                        mat_mult_nt_scratch_bytes)

    block = _align4(BLOCK_ROWS * depth)
    kernel = max(mat_mult_nt_scratch_bytes(depth), mat_mult_nn_scratch_bytes(seq_len, depth),
                 depthwise_conv_1d_scratch_bytes(BLOCK_ROWS, taps))
    return 4 * block + _align4(BLOCK_ROWS * seq_len) + _align4(kernel) + 5 * TABLE_ENTRIES * 4


# Persistent bytes of one EMBBERT_LAYER on a 32-bit core: its OpData (fused_layer_fast.cc, rounded up) and the
# depthwise convolution's per-channel multipliers and shifts.
OP_DATA_BYTES = 640


def persistent_bytes(depth: int) -> int:
    return OP_DATA_BYTES + 2 * depth * 4


def _activation_none(graph: Graph, op) -> bool:
    options = op.builtinOptions
    return options is None or getattr(options, "fusedActivationFunction", 0) == 0


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise row_chunks.RewriteError(message)


def _options(graph: Graph, ops, layer: row_chunks.Layer) -> bytes:
    op = lambda role: ops[layer.ops[role]]  # noqa: E731
    out = lambda role: op(role).outputs[0]  # noqa: E731
    for role in ("query", "attention_out", "conv_out", "mask_add", "silu", "combine", "depthwise"):
        _check(_activation_none(graph, op(role)), f"the layer's {role} operator has a fused activation")
    for role in ("scores", "context"):
        options = op(role).builtinOptions
        _check(not options.adjX and options.adjY, f"the attention's {role} product is not lhs x rhsᵀ")
    conv = op("depthwise").builtinOptions
    _check(conv.strideW == conv.strideH == 1 and conv.dilationWFactor == conv.dilationHFactor == 1
           and conv.depthMultiplier in (0, 1) and conv.padding == 1,  # Padding.VALID
           "the conv branch is not a stride-1, undilated, VALID depthwise convolution")
    flags = 0
    if op("mask_add").inputs[0] != out("scores"):
        flags |= MASK_FIRST
    if op("silu").inputs[0] != out("conv_3d"):
        flags |= GATE_FIRST
    if op("combine").inputs[0] != out("attention_out"):
        flags |= CONV_OUT_FIRST
    beta = float(op("softmax").builtinOptions.beta)
    return struct.pack("<B3xf", flags, beta)


def _check_padding(graph: Graph, ops, layer: row_chunks.Layer, halo: int) -> int:
    """The PAD operator's index, after checking it pads `halo` rows before the sequence and nothing else."""
    pad = graph.producers()[layer.padded]
    paddings = graph.constant(ops[pad].inputs[1]).reshape(-1, 2).tolist()
    _check(paddings == [[0, 0], [halo, 0], [0, 0]], f"the conv branch's padding is {paddings}, not causal")
    return pad


def fuse(graph: Graph) -> dict[int, tuple[int, int]]:
    """Fuses every layer in place; returns the views (tensor -> (base tensor, byte offset)) for the plan."""
    layers = row_chunks.find_layers(graph)
    ops = list(graph.operators)
    producers, consumers = graph.producers(), graph.consumers()
    replaced: set[int] = set()
    emitted: dict[int, object] = {}
    views: dict[int, tuple[int, int]] = {}
    for number, layer in enumerate(layers):
        op = lambda role: ops[layer.ops[role]]  # noqa: E731
        out = lambda role: op(role).outputs[0]  # noqa: E731
        seq_len, depth = graph.shape(layer.output)[1:]
        halo = graph.shape(layer.padded)[1] - seq_len
        _check_padding(graph, ops, layer, halo)
        _check(op("query").inputs[0] == layer.h, "the query is not computed from the layer input")
        _check(graph.tensor_bytes(layer.mask) // graph.item_bytes(layer.mask) == seq_len,
               "the attention mask is not one value per key")
        reshape = producers[layer.padded_4d]
        _check(consumers.get(layer.padded_4d) == [layer.ops["depthwise"]], "P's 4-D view has other readers")
        options = _options(graph, ops, layer)
        tag = f"layer{number}/fused"
        carriers = [graph.add_quantization_carrier(out(role), f"{tag}/{role}_quantization")
                    for role in ("query", "scores", "mask_add", "softmax", "context", "attention_out", "depthwise",
                                 "logistic", "silu", "conv_out")]
        weights = []
        for role in ("query", "attention_out", "depthwise", "conv_out"):
            given = [int(t) for t in op(role).inputs[1:3]]
            weights += given + [-1] * (2 - len(given))  # weights, then the bias (-1: none)
        needed = row_chunks.rows_needed(graph, layer.output)
        output = layer.output
        if needed is not None:
            output = graph.add_tensor_like(layer.output, [1, needed, depth], f"{tag}/rows0-{needed}")
            reader = consumers[layer.output][0]
            ops[reader].inputs = np.array([output, *ops[reader].inputs[1:]], dtype=np.int32)
        fused = graph.new_custom_op(CUSTOM_CODE, [layer.padded, layer.keys, layer.mask, *weights, *carriers], [output],
                                    options)
        views[output] = (layer.padded, 0)
        replaced |= set(layer.ops.values()) | {reshape}
        emitted[layer.ops["combine"]] = fused
    graph.graph.operators = [emitted.get(n, old) for n, old in enumerate(ops)
                             if n in emitted or n not in replaced]
    return graph.compact(views)


def fuse_for_firmware(model_bytes: bytes) -> tuple[bytes, int]:
    """(the fused flatbuffer with its offline memory plan, planned activation bytes)."""
    graph = Graph(model_bytes)
    views = fuse(graph)
    offsets, planned = offline_plan.plan(graph, views)
    offline_plan.attach(graph, offsets)
    return graph.to_bytes(), planned


def fused_scratch(graph: Graph) -> dict[int, int]:
    """Scratch bytes of each EMBBERT_LAYER, by operator index."""
    scratch = {}
    for n, op in enumerate(graph.operators):
        if graph.op_name(op) == CUSTOM_CODE:
            seq_len, depth = graph.shape(op.inputs[1])[1:]
            taps = graph.shape(op.inputs[7])[2]
            scratch[n] = kernel_scratch_bytes(seq_len, depth, taps)
    return scratch


def _host_stand_in(graph: Graph) -> bytes:
    """The fused graph without its EMBBERT_LAYER operators, their outputs made graph inputs: a graph the
    PyPI TFLM interpreter can allocate, with every tensor and every other operator of the fused one."""
    inputs = list(graph.graph.inputs)
    kept = []
    for op in graph.operators:
        if graph.op_name(op) == CUSTOM_CODE:
            inputs.append(int(op.outputs[0]))
        else:
            kept.append(op)
    graph.graph.operators = kept
    graph.graph.inputs = np.array(inputs, dtype=np.int32)
    return graph.to_bytes()


def device_arena_estimate(fused_bytes: bytes) -> int:
    """The arena the fused graph needs on a 32-bit core with the firmware's kernels: its offline plan with
    every kernel's scratch placed around it, plus the persistent part, which the host measures for the
    builtin operators (32-bit TFLM structures) and `persistent_bytes` gives for each EMBBERT_LAYER."""
    from convert import memory_rewrite
    from convert.tflm_host import DEVICE_STRUCT_BYTES, HostModel

    graph = Graph(fused_bytes)
    scratch = memory_rewrite.fast_kernel_scratch(graph)
    scratch.update(fused_scratch(graph))
    head = offline_plan.size_with_scratch(graph, offline_plan.read(graph), scratch)
    custom = [op for op in graph.operators if graph.op_name(op) == CUSTOM_CODE]
    fast_persistent = memory_rewrite.fast_kernel_persistent(graph)
    depth = graph.shape(custom[0].inputs[1])[2] if custom else 0
    host = HostModel(_host_stand_in(Graph(fused_bytes)))
    allocations = host.recorded_allocations()
    tail = host.recorded_arena_bytes("tail") - sum(
        used - DEVICE_STRUCT_BYTES[kind] * count for kind, (used, count) in allocations.items()
        if kind in DEVICE_STRUCT_BYTES)
    tail -= memory_rewrite.reference_transposed_copies(graph, memory_rewrite.HOST_EVAL_TENSOR_BYTES)
    return head + tail + fast_persistent + len(custom) * (DEVICE_STRUCT_BYTES["NodeAndRegistration struct"]
                                                          + persistent_bytes(depth))
