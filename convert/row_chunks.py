"""Rewrites each EmbBERT encoder layer to run in row chunks, with builtin operators only.

After the layer's norm, the rewritten layer computes the padded input P = PAD(h) and the keys
K = h ⊙ keep as before, then, for each chunk of rows [s, e):

    conv branch:  STRIDED_SLICE(P, rows s .. e+k-1) -> DEPTHWISE_CONV_2D -> RESHAPE -> LOGISTIC, MUL -> FC
    attention:    STRIDED_SLICE(P, rows s+k-1 .. e+k-1) -> FC (Q) -> BATCH_MATMUL(·, K) -> ADD(mask)
                  -> SOFTMAX -> BATCH_MATMUL(·, K, adj_y false) -> FC
    output rows:  SUB

and one CONCATENATION joins the chunks' rows. Every new tensor takes the quantization of the tensor it
is a part of, and every operator computes each output element from exactly the same inputs as before
(softmax is per row, the convolution is causal with VALID padding over the slice, the rest per element or
per row), so the chunked graph's int8 numbers equal the unchunked graph's bit for bit; tests/ checks it
under the TFLM interpreter.

What it saves: the L×L scores exist only a chunk of rows at a time, and so do the conv branch's four
L×d intermediates. The converter's TRANSPOSE Kᵀ is gone: the probabilities are multiplied by K itself
(adj_y false). TFLM's reference BATCH_MATMUL (the host's) then keeps its own persistent transposed copy
of K per operator; the firmware's kernel (firmware/src/kernels/embbert_mat_mult_nn_s8.cc) reads K in
place, so on the device K is the only layout of the keys. The chunk outputs are views into P's first L rows (see `convert.offline_plan`):
chunk r's rows overwrite P's rows [s, e), which no later chunk reads, so the CONCATENATION copies nothing
and the layer's output costs no arena of its own.

When only some rows of the last layer reach the graph output (EmbBERT classifies from the [CLS] row),
the last layer computes just those rows.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from convert.graph import Graph


class RewriteError(ValueError):
    """The graph does not have the layer structure this rewrite knows."""


@dataclasses.dataclass
class Layer:
    """Tensor and operator indices of one encoder layer in the converter's graph."""

    h: int
    padded: int  # P = PAD(h), [1, L+k-1, d]
    padded_4d: int  # RESHAPE(P), [1, 1, L+k-1, d]
    keys: int
    keys_t: int
    mask: int
    output: int
    ops: dict[str, int]  # role -> operator index, for the operators the rewrite replaces


def _single(items, what):
    if len(items) != 1:
        raise RewriteError(f"expected one {what}, found {len(items)}")
    return items[0]


def find_layers(graph: Graph) -> list[Layer]:
    producers, consumers = graph.producers(), graph.consumers()
    ops = graph.operators

    def producer(tensor, name):
        n = producers.get(tensor)
        if n is None or graph.op_name(ops[n]) != name:
            raise RewriteError(f"tensor {graph.tensor_name(tensor)} is not made by {name}")
        return n

    def consumer(tensor, name):
        return _single([n for n in consumers.get(tensor, []) if graph.op_name(ops[n]) == name], f"{name} reading {graph.tensor_name(tensor)}")

    layers = []
    for n, op in enumerate(ops):
        if graph.op_name(op) != "SOFTMAX":
            continue
        roles = {"softmax": n}
        roles["mask_add"] = producer(op.inputs[0], "ADD")
        scores = ops[roles["mask_add"]].inputs
        roles["scores"] = producer(scores[0], "BATCH_MATMUL")
        query, keys = ops[roles["scores"]].inputs[:2]
        roles["query"] = producer(query, "FULLY_CONNECTED")
        h = ops[roles["query"]].inputs[0]
        if producers.get(keys) is None or graph.op_name(ops[producers[keys]]) != "MUL":
            raise RewriteError("the attention keys are not h ⊙ keep")
        roles["context"] = consumer(op.outputs[0], "BATCH_MATMUL")
        keys_t = ops[roles["context"]].inputs[1]
        roles["keys_transpose"] = producer(keys_t, "TRANSPOSE")
        if consumers.get(keys_t) != [roles["context"]]:
            raise RewriteError("Kᵀ has readers besides the attention's context product")
        roles["attention_out"] = consumer(ops[roles["context"]].outputs[0], "FULLY_CONNECTED")
        roles["combine"] = consumer(ops[roles["attention_out"]].outputs[0], "SUB")
        conv_out = [t for t in ops[roles["combine"]].inputs if t != ops[roles["attention_out"]].outputs[0]][0]
        roles["conv_out"] = producer(conv_out, "FULLY_CONNECTED")
        roles["silu"] = producer(ops[roles["conv_out"]].inputs[0], "MUL")
        roles["conv_3d"] = producer(ops[roles["silu"]].inputs[0], "RESHAPE")
        roles["logistic"] = producer(ops[roles["silu"]].inputs[1], "LOGISTIC")
        roles["depthwise"] = producer(ops[roles["conv_3d"]].inputs[0], "DEPTHWISE_CONV_2D")
        padded_4d = ops[roles["depthwise"]].inputs[0]
        padded = ops[producer(padded_4d, "RESHAPE")].inputs[0]
        if ops[producer(padded, "PAD")].inputs[0] != h:
            raise RewriteError("the conv branch does not start from the attention's input")
        if not _same_quantization(graph, padded, h):
            raise RewriteError("PAD changed the quantization of the layer input")
        mask = [t for t in ops[roles["mask_add"]].inputs if t != scores[0]][0]
        layers.append(Layer(h, padded, padded_4d, keys, keys_t, mask, ops[roles["combine"]].outputs[0], roles))
    if not layers:
        raise RewriteError("no attention softmax found")
    return layers


def _same_quantization(graph: Graph, a: int, b: int) -> bool:
    qa, qb = graph.tensors[a].quantization, graph.tensors[b].quantization
    return list(qa.scale) == list(qb.scale) and list(qa.zeroPoint) == list(qb.zeroPoint)


def rows_needed(graph: Graph, tensor: int) -> int | None:
    """Rows of `tensor` (axis 1) that reach the graph, when its only reader is a STRIDED_SLICE from row 0."""
    readers = graph.consumers().get(tensor, [])
    if tensor in graph.graph.outputs or len(readers) != 1:
        return None
    op = graph.operators[readers[0]]
    if graph.op_name(op) != "STRIDED_SLICE" or op.inputs[0] != tensor:
        return None
    begin, end, strides = (graph.constant(t) for t in op.inputs[1:4])
    options = op.builtinOptions
    if begin[1] != 0 or strides[1] != 1 or options.beginMask & 2 or options.ellipsisMask or options.newAxisMask:
        return None
    if options.shrinkAxisMask & 2:
        return 1
    return None if options.endMask & 2 else int(end[1])


def chunk_bounds(rows: int, chunks: int) -> list[tuple[int, int]]:
    """`chunks` runs of rows covering [0, rows), as even as possible, sizes multiples of 16 where they can be."""
    cuts = [round(rows * i / chunks) for i in range(chunks + 1)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def rewrite(graph: Graph, chunks: int) -> dict[int, tuple[int, int]]:
    """Chunks every layer in place; returns the views (tensor -> (base tensor, byte offset)) for the plan."""
    if not 1 <= chunks <= 10:
        raise RewriteError("chunks must be between 1 and 10 (TFLM's CONCATENATION takes at most 10 inputs)")
    layers = find_layers(graph)
    old_ops = list(graph.operators)
    replaced = {n for layer in layers for n in layer.ops.values()}
    emitted: dict[int, list] = {}
    views: dict[int, tuple[int, int]] = {}
    for number, layer in enumerate(layers):
        seq_len, depth = graph.shape(layer.output)[1:]
        halo = graph.shape(layer.padded)[1] - seq_len
        row_bytes = depth * graph.item_bytes(layer.output)
        needed = rows_needed(graph, layer.output)
        bounds = [(0, needed)] if needed is not None else chunk_bounds(seq_len, chunks)
        new_ops, parts = [], []
        for s, e in bounds:
            new_ops += _chunk_ops(graph, old_ops, layer, f"layer{number}/rows{s}-{e}", s, e, halo, parts, views)
        if needed is not None:
            reader = graph.consumers()[layer.output][0]
            old_ops[reader].inputs = np.array([parts[0], *old_ops[reader].inputs[1:]], dtype=np.int32)
        else:
            new_ops.append(graph.new_op("CONCATENATION", parts, [layer.output], "ConcatenationOptions",
                                        _concat_options(axis=1)))
            views[layer.output] = (layer.padded, 0)
            for (s, _), part in zip(bounds, parts):
                views[part] = (layer.output, s * row_bytes)
        emitted[layer.ops["combine"]] = new_ops
    graph.graph.operators = [
        op for n, old in enumerate(old_ops) for op in (emitted.get(n) or ([] if n in replaced else [old]))
    ]
    return graph.compact(views)


def _concat_options(axis):
    from tensorflow.lite.python import schema_py_generated as schema

    options = schema.ConcatenationOptionsT()
    options.axis = axis
    return options


def _batch_matmul_options(adj_x: bool, adj_y: bool):
    from tensorflow.lite.python import schema_py_generated as schema

    options = schema.BatchMatMulOptionsT()
    options.adjX, options.adjY = adj_x, adj_y
    return options


def _strided_slice_options():
    from tensorflow.lite.python import schema_py_generated as schema

    return schema.StridedSliceOptionsT()


def _chunk_ops(graph: Graph, old_ops, layer: Layer, tag: str, s: int, e: int, halo: int, parts: list,
               views: dict) -> list:
    rows = e - s
    depth = graph.shape(layer.output)[2]
    seq_len = graph.shape(layer.output)[1]
    op = lambda role: old_ops[layer.ops[role]]  # noqa: E731
    out = lambda role: op(role).outputs[0]  # noqa: E731

    def like(template, shape, name):
        return graph.add_tensor_like(template, shape, f"{tag}/{name}")

    def same(role, inputs, output):
        """A copy of the layer's operator `role` on new inputs and output, with its options."""
        old = op(role)
        new = graph.new_op(graph.op_name(old), inputs, [output])
        new.builtinOptionsType, new.builtinOptions = old.builtinOptionsType, old.builtinOptions
        return new

    def strided_slice(source, begin, end, output):
        constants = [graph.add_int32_constant(v, f"{tag}/slice_{what}")
                     for what, v in (("begin", begin), ("end", end), ("strides", [1] * len(begin)))]
        return graph.new_op("STRIDED_SLICE", [source, *constants], [output], "StridedSliceOptions",
                            _strided_slice_options())

    conv_in = like(layer.padded_4d, [1, 1, rows + halo, depth], "conv_in")
    conv_4d = like(out("depthwise"), [1, 1, rows, depth], "conv")
    conv = like(out("conv_3d"), [1, rows, depth], "conv_3d")
    gate = like(out("logistic"), [1, rows, depth], "sigmoid")
    silu = like(out("silu"), [1, rows, depth], "silu")
    conv_branch = like(out("conv_out"), [1, rows, depth], "conv_out")
    query_in = like(layer.padded, [1, rows, depth], "query_in")
    query = like(out("query"), [1, rows, depth], "query")
    scores = like(out("scores"), [1, rows, seq_len], "scores")
    masked = like(out("mask_add"), [1, rows, seq_len], "masked_scores")
    probs = like(out("softmax"), [1, rows, seq_len], "probs")
    context = like(out("context"), [1, rows, depth], "context")
    attention = like(out("attention_out"), [1, rows, depth], "attention_out")
    result = like(layer.output, [1, rows, depth], "output")
    parts.append(result)
    # Elementwise and per-row operators whose input dies with them write over it (each output element
    # depends only on the input element at the same place and on row statistics read before writing).
    views.update({masked: (scores, 0), probs: (masked, 0), silu: (gate, 0)})
    # The slices of P are P's own rows: their STRIDED_SLICEs copy bytes onto themselves.
    row_bytes = depth * graph.item_bytes(layer.output)
    views.update({query_in: (layer.padded, (s + halo) * row_bytes), conv_in: (layer.padded_4d, s * row_bytes)})
    def context_product(probs, output):
        """probs · K, K read as it is (the converter's graph multiplies by (Kᵀ)ᵀ with adj_y)."""
        old = op("context").builtinOptions
        if old.adjX or not old.adjY:
            raise RewriteError("the attention's context product is not probs x (Kᵀ)ᵀ")
        return graph.new_op("BATCH_MATMUL", [probs, layer.keys], [output], "BatchMatMulOptions",
                            _batch_matmul_options(adj_x=False, adj_y=False))

    shape_3d = graph.add_int32_constant([1, rows, depth], f"{tag}/conv_shape")
    depthwise = op("depthwise")
    attention_ops = [
        strided_slice(layer.padded, [0, s + halo, 0], [1, e + halo, depth], query_in),
        same("query", [query_in, *op("query").inputs[1:]], query),
        same("scores", [query, layer.keys], scores),
        same("mask_add", [scores, layer.mask] if op("mask_add").inputs[0] == out("scores") else [layer.mask, scores], masked),
        same("softmax", [masked], probs),
        context_product(probs, context),
        same("attention_out", [context, *op("attention_out").inputs[1:]], attention),
    ]
    conv_ops = [
        strided_slice(layer.padded_4d, [0, 0, s, 0], [1, 1, e + halo, depth], conv_in),
        same("depthwise", [conv_in, *depthwise.inputs[1:]], conv_4d),
        graph.new_op("RESHAPE", [conv_4d, shape_3d], [conv]),
        same("logistic", [conv], gate),
        same("silu", [conv, gate], silu),
        same("conv_out", [silu, *op("conv_out").inputs[1:]], conv_branch),
    ]
    combine = same("combine", [attention, conv_branch] if op("combine").inputs[0] == out("attention_out") else [conv_branch, attention], result)
    return attention_ops + conv_ops + [combine]
