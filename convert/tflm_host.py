"""Runs an int8 model under the real TFLite Micro interpreter (PyPI `tflite-micro`) on the host."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile

import numpy as np


@contextlib.contextmanager
def _quiet_stderr():
    """Silences TFLM's C-level allocation failure messages (file descriptor 2) while probing arenas."""
    saved = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class HostModel:
    """A model under the TFLM interpreter with reference kernels: the bit-exact reference for the firmware."""

    def __init__(self, model_bytes: bytes, arena_size: int | None = None):
        from tflite_micro.python.tflite_micro import runtime

        self.model_bytes = model_bytes
        self._interpreter = runtime.Interpreter.from_bytes(model_bytes, arena_size=arena_size)

    def run(self, token_ids: np.ndarray, segment_ids: np.ndarray | None = None) -> np.ndarray:
        """Returns the int8 logits of one example (ids of shape (L,); segment ids derived when not given)."""
        if segment_ids is None:
            from keras_models.tokenizer import segment_ids_for

            segment_ids = segment_ids_for(token_ids)
        self._interpreter.set_input(np.asarray(token_ids, np.int32).reshape(1, -1), 0)
        self._interpreter.set_input(np.asarray(segment_ids, np.int32).reshape(1, -1), 1)
        self._interpreter.invoke()
        return np.array(self._interpreter.get_output(0)[0], dtype=np.int8)

    def output_quant(self) -> tuple[float, int]:
        """(scale, zero point) of the int8 logits."""
        q = self._interpreter.get_output_details(0)["quantization_parameters"]
        return float(q["scales"][0]), int(q["zero_points"][0])

    def run_batch(self, token_ids: np.ndarray, segment_ids: np.ndarray, progress=None) -> np.ndarray:
        rows = range(len(token_ids))
        if progress is not None:
            rows = progress(rows)
        return np.stack([self.run(token_ids[i], segment_ids[i]) for i in rows])

    def _allocation_report(self) -> str:
        """What TFLM's recording allocator prints to C-level stderr."""
        with tempfile.TemporaryFile() as capture:
            saved = os.dup(2)
            os.dup2(capture.fileno(), 2)
            try:
                self._interpreter.print_allocations()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            capture.seek(0)
            return capture.read().decode(errors="replace")

    def recorded_arena_bytes(self, part: str = "total") -> int:
        """The recording allocator's `part` ("total", "head": planned activations and scratch, "tail":
        persistent data)."""
        for line in self._allocation_report().splitlines():
            if f"Arena allocation {part}" in line:
                return int(line.split(part)[1].split()[0])
        raise RuntimeError(f"TFLM printed no arena {part}")

    def recorded_allocations(self) -> dict[str, tuple[int, int]]:
        """Persistent allocations by kind: name -> (bytes used, number of allocations)."""
        found = {}
        for match in re.finditer(r"'([^']+)' used (\d+) bytes .*? for (\d+) ", self._allocation_report()):
            found[match.group(1)] = (int(match.group(2)), int(match.group(3)))
        return found


def allocates(model_bytes: bytes, arena_size: int, example) -> bool:
    try:
        with _quiet_stderr():
            HostModel(model_bytes, arena_size).run(*example)
        return True
    except RuntimeError:
        return False


def minimum_arena_bytes(model_bytes: bytes, example, step: int = 16) -> int:
    """The smallest arena (a multiple of `step`) in which the host interpreter allocates and runs the model."""
    # The recorded total leaves out the planner's temporary memory, so it is only a starting point.
    low = HostModel(model_bytes).recorded_arena_bytes() // step * step - step
    high = low + step
    while not allocates(model_bytes, high, example):
        low, high = high, high * 2
        if high > 64 * 1024 * 1024:
            raise RuntimeError("model does not run even in a 64 MiB arena")
    while high - low > step:
        middle = (low + high) // 2 // step * step
        if middle <= low:
            break
        if allocates(model_bytes, middle, example):
            high = middle
        else:
            low = middle
    return high


# Bytes per allocation on a 32-bit Cortex-M of the TFLM structures whose size the host's 64-bit
# pointers double: TfLiteEvalTensor (data, dims, type) and NodeAndRegistration (a TfLiteNode of six
# pointers and an int, plus the registration pointer).
DEVICE_STRUCT_BYTES = {"TfLiteEvalTensor data": 12, "NodeAndRegistration struct": 32}


def device_arena_estimate(model_bytes: bytes, example) -> tuple[int, int]:
    """(host minimum, the same arena with 32-bit TFLM structures) for the reference kernels.

    The planned activations and the kernels' own data are the same on both; only the structures the
    interpreter keeps per tensor and per operator shrink. CMSIS-NN scratch buffers come on top.
    """
    host_minimum = minimum_arena_bytes(model_bytes, example)
    allocations = HostModel(model_bytes).recorded_allocations()
    saved = sum(used - DEVICE_STRUCT_BYTES[kind] * count
                for kind, (used, count) in allocations.items() if kind in DEVICE_STRUCT_BYTES)
    return host_minimum, host_minimum - saved
