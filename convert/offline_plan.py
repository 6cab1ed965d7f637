"""An offline memory plan for TFLite Micro: every activation's arena offset, stored in the model metadata.

TFLM reads the plan from the metadata entry "OfflineMemoryAllocation" (a buffer of int32: version 0,
subgraph 0, the number of tensors, then one offset per tensor, -1 for tensors it should place itself) and
places those tensors exactly there, without checking them. Kernel scratch buffers are still placed by
TFLM's own planner, around the planned tensors.

The plan here knows two things TFLM's greedy planner does not:
- a RESHAPE's output can share its input's bytes (the kernel skips the copy when they coincide);
- tensors the row-chunk rewrite marked as views (`Graph`-level `views`: tensor -> (base, byte offset))
  live inside their base tensor, so a CONCATENATION of views into that base copies nothing;
- an elementwise ADD, SUB or MUL may write its output over an input of the same shape that dies with it
  (`in_place_views`).
"""

from __future__ import annotations

import dataclasses
import struct

from convert.graph import Graph

METADATA_NAME = "OfflineMemoryAllocation"
ALIGNMENT = 16  # TFLM's MicroArenaBufferAlignment()


@dataclasses.dataclass
class Block:
    """Tensors placed together at fixed offsets from the block's start."""

    members: dict[int, int]  # tensor -> offset within the block
    size: int
    first: int
    last: int


def _align(value: int) -> int:
    return (value + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _blocks(graph: Graph, views: dict[int, tuple[int, int]]) -> list[Block]:
    spans = graph.lifetimes()
    views = _reshape_views(graph, views)
    grouped: dict[int, dict[int, int]] = {}
    for t in spans:
        top, offset = _position(views, t)
        grouped.setdefault(top, {})[t] = offset
    blocks = []
    for members in grouped.values():
        blocks.append(Block(
            members,
            _align(max(offset + graph.tensor_bytes(t) for t, offset in members.items())),
            min(spans[t][0] for t in members),
            max(spans[t][1] for t in members),
        ))
    return blocks


# Operators whose int8 kernels (TFLM's reference ones and the firmware's) compute each output element from
# the elements at the same index of a same-shaped input, reading it before writing there, so the output
# may occupy that input's bytes. Broadcast inputs (a row or a scalar) are read in place, never written.
IN_PLACE_ELEMENTWISE = ("ADD", "SUB", "MUL")


def _reshape_views(graph: Graph, views: dict[int, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """`views` plus every RESHAPE output as a view of its input."""
    spans = graph.lifetimes()
    found = {op.outputs[0]: (op.inputs[0], 0) for op in graph.operators
             if graph.op_name(op) == "RESHAPE" and op.inputs[0] in spans and op.outputs[0] in spans}
    found.update(views)
    return found


def _position(views: dict[int, tuple[int, int]], t: int) -> tuple[int, int]:
    """(the tensor whose bytes `t` lives in, byte offset there)."""
    offset = 0
    while t in views:
        t, more = views[t]
        offset += more
    return t, offset


def in_place_views(graph: Graph, views: dict[int, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """`views` plus, for each elementwise operator in `IN_PLACE_ELEMENTWISE`, its output as a view of an
    input of the same shape and element size that dies there: no later operator reads the input or any
    other tensor sharing its bytes, no other input of the operator shares them, and the input is not part
    of a larger tensor."""
    views = _reshape_views(graph, views)
    spans = graph.lifetimes()
    ends = set(graph.graph.inputs) | set(graph.graph.outputs)

    def reusable(t: int, n: int, until: int) -> bool:
        """Whether `t`'s bytes are free from operator n to `until` and are all the bytes of its block (a
        view into a larger tensor would keep all of that one alive for the output's lifetime)."""
        base, start = _position(views, t)
        stop = start + graph.tensor_bytes(t)
        for v, (first, last) in spans.items():
            v_base, v_start = _position(views, v)
            if v_base != base:
                continue
            if v_start < start or v_start + graph.tensor_bytes(v) > stop:
                return False
            if v != t and last >= n and first <= until:
                return False
        return True

    for n, op in enumerate(graph.operators):
        out = op.outputs[0]
        if graph.op_name(op) not in IN_PLACE_ELEMENTWISE or out in views or out not in spans or out in ends:
            continue
        inputs = [t for t in op.inputs if t >= 0 and t in spans]
        for t in inputs:
            if (t not in ends and spans[t][1] == n and inputs.count(t) == 1
                    and graph.shape(t) == graph.shape(out) and graph.item_bytes(t) == graph.item_bytes(out)
                    and reusable(t, n, spans[out][1])):
                views[out] = (t, 0)
                break
    return views


def _first_fit(placed: list[tuple[Block, int]], block: Block) -> int:
    """The lowest offset where `block` overlaps no placed block that is live at the same time."""
    busy = sorted(
        (offset, offset + other.size)
        for other, offset in placed
        if other.first <= block.last and block.first <= other.last
    )
    candidate = 0
    for start, end in busy:
        if candidate + block.size <= start:
            break
        candidate = max(candidate, end)
    return candidate


# Orders in which `plan` tries placing the blocks: largest first (TFLM's greedy order), longest-lived
# first, and largest area (bytes x operators) first; the smallest result wins.
PLACEMENT_ORDERS = (
    lambda b: (-b.size, b.first),
    lambda b: (-(b.last - b.first), -b.size, b.first),
    lambda b: (-b.size * (b.last - b.first + 1), b.first),
)


def _place(blocks: list[Block], order) -> tuple[dict[int, int], int]:
    placed: list[tuple[Block, int]] = []
    for block in sorted(blocks, key=order):
        placed.append((block, _first_fit(placed, block)))
    offsets = {t: start + inner for block, start in placed for t, inner in block.members.items()}
    size = max((start + block.size for block, start in placed), default=0)
    return offsets, size


def plan(graph: Graph, views: dict[int, tuple[int, int]] | None = None) -> tuple[dict[int, int], int]:
    """Offsets of every activation and the planned size: each block at the lowest free offset, in whichever
    of the `PLACEMENT_ORDERS` gives the smallest plan."""
    blocks = _blocks(graph, in_place_views(graph, views or {}))
    return min((_place(blocks, order) for order in PLACEMENT_ORDERS), key=lambda result: result[1])


def read(graph: Graph) -> dict[int, int]:
    """The offsets a model's offline plan gives its tensors (those it leaves to TFLM left out)."""
    entry = [m for m in graph.model.metadata or [] if m.name in (METADATA_NAME, METADATA_NAME.encode())]
    if not entry:
        return {}
    values = struct.unpack_from("<3I", bytes(graph.model.buffers[entry[0].buffer].data))
    offsets = struct.unpack_from(f"<{values[2]}i", bytes(graph.model.buffers[entry[0].buffer].data), 12)
    return {t: offset for t, offset in enumerate(offsets) if offset >= 0}


def attach(graph: Graph, offsets: dict[int, int]) -> None:
    """Writes the plan into the model's metadata (tensors without an offset stay with TFLM's planner)."""
    values = [offsets.get(t, -1) for t in range(len(graph.tensors))]
    graph.set_metadata(METADATA_NAME, struct.pack(f"<3I{len(values)}i", 0, 0, len(values), *values))


def size_with_scratch(graph: Graph, offsets: dict[int, int], scratch: dict[int, int]) -> int:
    """The arena head once TFLM has placed kernel scratch buffers (operator index -> bytes) around the plan.

    TFLM places them like its greedy planner: largest first, each at the lowest offset free of the
    planned tensors and scratch buffers live during its operator.
    """
    spans = graph.lifetimes()
    placed = [(Block({t: 0}, _align(graph.tensor_bytes(t)), *spans[t]), offset) for t, offset in offsets.items()]
    for op, size in sorted(scratch.items(), key=lambda item: -item[1]):
        block = Block({}, _align(size), op, op)
        placed.append((block, _first_fit(placed, block)))
    return max((offset + block.size for block, offset in placed), default=0)
