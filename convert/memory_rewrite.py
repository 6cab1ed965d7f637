"""The converter's memory pass: row-chunked layers (`convert.row_chunks`) plus an offline memory plan.

The pass never changes an int8 number: `rewrite_for_memory` runs both graphs under the host TFLM
interpreter on the given examples and refuses a rewrite whose outputs differ in any bit.
"""

from __future__ import annotations

import numpy as np

from convert import offline_plan, row_chunks
from convert.graph import Graph

CHUNK_CANDIDATES = (1, 2, 3, 4, 5, 6, 8)


class RewriteMismatchError(RuntimeError):
    """The rewritten graph computed different int8 outputs (a bug in the rewrite)."""


def rewrite(model_bytes: bytes, chunks: int) -> tuple[bytes, int]:
    """(rewritten flatbuffer, planned activation bytes)."""
    graph = Graph(model_bytes)
    views = row_chunks.rewrite(graph, chunks)
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


def smallest_arena(model_bytes: bytes, example, candidates=CHUNK_CANDIDATES) -> int:
    """The chunk count whose rewrite needs the smallest host arena; 0 when the unrewritten graph does.

    More chunks shrink the planned activations but add operators, and each operator adds persistent
    data (the depthwise convolution's per-channel multipliers alone are 1 KB per copy), so the best
    count depends on L.
    """
    from convert.tflm_host import minimum_arena_bytes

    sizes = {0: minimum_arena_bytes(model_bytes, example)}
    for chunks in candidates:
        sizes[chunks] = minimum_arena_bytes(rewrite(model_bytes, chunks)[0], example)
    return min(sizes, key=lambda chunks: (sizes[chunks], chunks))


def rewrite_for_memory(model_bytes: bytes, examples, chunks: int | None = None) -> tuple[bytes, int, int | None]:
    """(flatbuffer, chunks, planned bytes): `rewrite` verified bit for bit against the unrewritten graph on
    `examples`; chunks=None picks the count with the smallest arena, 0 keeps the graph as it is."""
    if chunks is None:
        chunks = smallest_arena(model_bytes, examples[0])
    if chunks == 0:
        return model_bytes, 0, None
    rewritten, planned = rewrite(model_bytes, chunks)
    check_same_outputs(model_bytes, rewritten, examples)
    return rewritten, chunks, planned
