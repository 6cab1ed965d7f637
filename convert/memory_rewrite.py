"""The converter's memory pass: row-chunked layers (`convert.row_chunks`) plus an offline memory plan.

The pass never changes an int8 number: `rewrite_for_memory` runs both graphs under the host TFLM
interpreter on the given examples and refuses a rewrite whose outputs differ in any bit.
"""

from __future__ import annotations

import numpy as np

from convert import offline_plan, row_chunks
from convert.graph import Graph

CHUNK_CANDIDATES = (0, 1, 2, 3, 4, 5, 6, 8)


class RewriteMismatchError(RuntimeError):
    """The rewritten graph computed different int8 outputs (a bug in the rewrite)."""


def rewrite(model_bytes: bytes, chunks: int) -> tuple[bytes, int]:
    """(rewritten flatbuffer, planned activation bytes); chunks=0 adds only the offline plan."""
    graph = Graph(model_bytes)
    views = row_chunks.rewrite(graph, chunks) if chunks else {}
    offsets, planned = offline_plan.plan(graph, views)
    offline_plan.attach(graph, offsets)
    return graph.to_bytes(), planned


def check_same_outputs(reference: bytes, rewritten: bytes, examples) -> None:
    """Runs both graphs on every (token ids, segment ids) example; raises unless all outputs are equal."""
    from convert.tflm_host import HostModel

    before, after = HostModel(reference), HostModel(rewritten)
    for number, (ids, segments) in enumerate(examples):
        expected, got = before.run(ids, segments), after.run(ids, segments)
        if not np.array_equal(expected, got):
            raise RewriteMismatchError(
                f"the memory rewrite changed the int8 output of example {number}: {expected.tolist()} != {got.tolist()}"
            )


def cmsis_nn_scratch(graph: Graph) -> dict[int, int]:
    """Scratch buffers CMSIS-NN asks the arena for, by operator index (each lives for its operator only).

    DEPTHWISE_CONV_2D (`arm_depthwise_conv_s8_opt`, DSP): channels x kernel taps int16;
    FULLY_CONNECTED with a rank-3 output (`arm_convolve_1x1_s8_fast` on a per-tensor filter): two int32
    per output channel. BATCH_MATMUL and SOFTMAX ask for none on a Cortex-M4.
    """
    scratch = {}
    for n, op in enumerate(graph.operators):
        name = graph.op_name(op)
        if name == "DEPTHWISE_CONV_2D":
            _, kernel_h, kernel_w, channels = graph.shape(op.inputs[1])
            scratch[n] = channels * kernel_h * kernel_w * 2
        elif name == "FULLY_CONNECTED" and len(graph.shape(op.outputs[0])) > 2:
            scratch[n] = graph.shape(op.inputs[1])[0] * 8
    return scratch


def fast_kernel_scratch(graph: Graph) -> dict[int, int]:
    """Scratch buffers the firmware's own kernels (`firmware/src/kernels/`, KERNELS=fast) ask for, by operator.

    ADD and SUB: two 256-entry int32 tables; SOFTMAX: one; BATCH_MATMUL and FULLY_CONNECTED: 4 widened rows
    of the depth (int16), and for BATCH_MATMUL without adj_y (the row chunks' probabilities times K) one
    panel of at most 32 right-hand-side columns, transposed (int8: `embbert_mat_mult_nn_s8`);
    DEPTHWISE_CONV_2D (the causal 1-D form): the widened input series (int16, padded to pairs) and the tap
    pairs (int32).
    """
    scratch = {}
    for n, op in enumerate(graph.operators):
        name = graph.op_name(op)
        if name in ("ADD", "SUB"):
            scratch[n] = 2 * 256 * 4
        elif name == "SOFTMAX":
            scratch[n] = 256 * 4
        elif name in ("BATCH_MATMUL", "FULLY_CONNECTED"):
            depth = graph.shape(op.inputs[0 if name == "BATCH_MATMUL" else 1])[-1]
            scratch[n] = mat_mult_nt_scratch_bytes(depth)
            if name == "BATCH_MATMUL" and not op.builtinOptions.adjY:
                scratch[n] = mat_mult_nn_scratch_bytes(depth, graph.shape(op.inputs[1])[-1])
        elif name == "DEPTHWISE_CONV_2D":
            _, _, taps, _ = graph.shape(op.inputs[1])
            length = graph.shape(op.outputs[0])[2]
            scratch[n] = depthwise_conv_1d_scratch_bytes(length, taps)
    return scratch


NN_PANEL_COLUMNS = 32  # embbert_mat_mult_nn_s8.cc's kPanelCols


def mat_mult_nt_scratch_bytes(depth: int) -> int:
    """embbert_mat_mult_nt_s8_scratch_bytes: four lhs rows widened to int16."""
    return 4 * depth * 2


def mat_mult_nn_scratch_bytes(depth: int, cols: int) -> int:
    """embbert_mat_mult_nn_s8_scratch_bytes: the nt kernel's scratch and one transposed panel of the rhs."""
    return mat_mult_nt_scratch_bytes(depth) + min(cols, NN_PANEL_COLUMNS) * depth


def depthwise_conv_1d_scratch_bytes(length: int, taps: int) -> int:
    """embbert_depthwise_conv_1d_s8_scratch_bytes: the widened input series and the tap pairs."""
    return (length + taps + 4 + 1 + 1) // 2 * 4 + (taps + 1) // 2 * 4

# The persistent transposed copy of the right-hand side that TFLM's reference BATCH_MATMUL (and the stock
# CMSIS-NN one) keeps for every operator without adj_y: a TfLiteEvalTensor, its dims and the data, each
# 16-byte aligned. The fast kernels keep none. TfLiteEvalTensor is 24 bytes on the 64-bit host, 12 on the device.
HOST_EVAL_TENSOR_BYTES, DEVICE_EVAL_TENSOR_BYTES = 24, 12


def _aligned(n: int) -> int:
    return (n + 15) // 16 * 16


def reference_transposed_copies(graph: Graph, eval_tensor_bytes: int) -> int:
    """Bytes of the persistent transposed right-hand sides TFLM's reference BATCH_MATMUL allocates."""
    total = 0
    for op in graph.operators:
        if graph.op_name(op) == "BATCH_MATMUL" and not op.builtinOptions.adjY:
            rhs = op.inputs[1]
            rank = len(graph.shape(rhs))
            total += _aligned(eval_tensor_bytes) + _aligned(4 + 4 * rank) + _aligned(graph.tensor_bytes(rhs))
    return total


def stock_kernels_extra(model_bytes: bytes) -> int:
    """Arena the stock kernel sets (KERNELS=cmsis_nn, reference) need beyond the fast kernels' on the
    device: their transposed copies of BATCH_MATMUL right-hand sides."""
    return reference_transposed_copies(Graph(model_bytes), DEVICE_EVAL_TENSOR_BYTES)


# Persistent bytes the fast kernels hold beyond the reference kernels' (the host measures those): LOGISTIC's
# 256-byte table, and a few words of prepared constants per operator, rounded up.
FAST_KERNEL_PERSISTENT = {"LOGISTIC": 256 + 16}
FAST_KERNEL_PERSISTENT_PER_OP = 32


def fast_kernel_persistent(graph: Graph) -> int:
    return sum(FAST_KERNEL_PERSISTENT.get(graph.op_name(op), 0) + FAST_KERNEL_PERSISTENT_PER_OP
               for op in graph.operators)


def fast_kernels_beyond_reference(model_bytes: bytes, planned: int | None) -> int:
    """Bytes the firmware's kernels (KERNELS=fast) need beyond the host's reference-kernel arena (the
    estimate of `convert.tflm_host.device_arena_estimate`): what the kernels' scratch buffers add to an
    offline-planned arena head (0 when they fit its gaps), for whichever kernel set needs more at each
    operator (CMSIS-NN or ours), plus what our kernels keep persistently beyond the reference kernels,
    less the reference's transposed copies of BATCH_MATMUL right-hand sides, which ours do not make
    (negative when those outweigh the rest); without a plan, the largest scratch buffer instead of the
    scratch beyond the plan."""
    graph = Graph(model_bytes)
    cmsis, fast = cmsis_nn_scratch(graph), fast_kernel_scratch(graph)
    scratch = {n: max(cmsis.get(n, 0), fast.get(n, 0)) for n in set(cmsis) | set(fast)}
    persistent = fast_kernel_persistent(graph) - reference_transposed_copies(graph, HOST_EVAL_TENSOR_BYTES)
    if planned is None:
        return max(scratch.values(), default=0) + persistent
    offsets = offline_plan.read(graph)
    return offline_plan.size_with_scratch(graph, offsets, scratch) - planned + persistent


def smallest_arena(model_bytes: bytes, example, candidates=CHUNK_CANDIDATES) -> int:
    """The chunk count (0: the offline plan alone) whose rewrite needs the smallest device arena.

    More chunks shrink the planned activations but add operators, and each operator adds persistent
    data (the depthwise convolution's per-channel multipliers alone are 1 KB per copy), so the best
    count depends on L.
    """
    from convert.tflm_host import device_arena_estimate

    sizes = {}
    for chunks in candidates:
        try:
            rewritten, planned = rewrite(model_bytes, chunks)
        except row_chunks.RewriteError:  # not EmbBERT's layer structure: the offline plan alone
            continue
        sizes[chunks] = device_arena_estimate(rewritten, example)[1] + fast_kernels_beyond_reference(rewritten, planned)
    return min(sizes, key=lambda chunks: (sizes[chunks], chunks))


def rewrite_for_memory(model_bytes: bytes, examples, chunks: int | None = None) -> tuple[bytes, int, int | None]:
    """(flatbuffer, chunks, planned bytes): `rewrite` verified bit for bit against the unrewritten graph on
    `examples`; chunks=None picks the count with the smallest arena."""
    if chunks is None:
        chunks = smallest_arena(model_bytes, examples[0])
    rewritten, planned = rewrite(model_bytes, chunks)
    check_same_outputs(model_bytes, rewritten, examples)
    return rewritten, chunks, planned


def main(argv=None) -> int:
    """Prints, for a converted model, the arena of its unrewritten graph and of each chunk count."""
    import argparse
    import json
    from pathlib import Path

    from convert.tflm_host import device_arena_estimate

    parser = argparse.ArgumentParser(description="Arena of a converted model's graph with each row-chunk count.")
    parser.add_argument("model", type=Path, help="converter output folder made with --row-chunks off")
    parser.add_argument("--chunks", type=int, nargs="+", default=list(CHUNK_CANDIDATES))
    args = parser.parse_args(argv)
    model_bytes = (args.model / "model.tflite").read_bytes()
    vector = json.loads((args.model / "golden.json").read_text())["vectors"][0]
    example = (np.array(vector["token_ids"]), np.array(vector["segment_ids"]))
    print(f"{'chunks':>6} {'operators':>9} {'planned':>9} {'host minimum':>12} {'32-bit':>9} {'device (fast)':>18}")
    for chunks in [None, *args.chunks]:
        graph_bytes, planned = (model_bytes, None) if chunks is None else rewrite(model_bytes, chunks)
        host, device = device_arena_estimate(graph_bytes, example)
        operators = len(Graph(graph_bytes).operators)
        with_scratch = device + fast_kernels_beyond_reference(graph_bytes, planned)
        print(f"{'off' if chunks is None else chunks:>6} {operators:>9} {planned if planned else '-':>9} {host:>12,} {device:>9,} {with_scratch:>18,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
