"""Kernel benchmark: builds the firmware with each kernel set, runs one profiled inference per model on
QEMU (`-icount shift=0`: cycles are executed instructions) and prints, for each model, the instructions
of every operator type, the total, the arena used and the ratio between the kernel sets. With our kernels
a model whose folder holds a fused graph runs it: EMBBERT_LAYER replaces each encoder layer's attention
and conv-branch operators, whose rows then read "fused".

    python firmware/scripts/bench.py                                   # build/model, cmsis_nn vs fast
    python firmware/scripts/bench.py --model build/model --model build/models/embbert-q-L256
    make -C firmware bench MODELS="build/model build/models/embbert-q-L256"

The input is the model's first golden vector (golden.json, written by the converter). Each logits line
says whether the board's int8 logits equal the host TFLM interpreter's for that vector.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from board_tests import firmware_build, qemu  # noqa: E402
from board_tests.client import BoardClient, BoardError  # noqa: E402


def measure(board: str, model_dir: pathlib.Path, kernels: str) -> dict:
    """One profiled inference of the first golden vector: per-op-type instructions, total, arena, logits."""
    elf = firmware_build.build(board, model_dir, kernels)
    golden = json.loads((model_dir / "golden.json").read_text())
    vector = golden["vectors"][0]
    with qemu.QemuBoard(elf, board) as q, BoardClient(q.url, timeout=30, infer_timeout=600) as client:
        info = client.info()
        if info.get("kernels") != kernels:
            raise BoardError(f"{elf} reports kernels={info.get('kernels')}, not {kernels}")
        client.load(vector["token_ids"])
        logits = client.infer().logits
        profile = client.profile()
        mem = client.mem()
    per_op: dict[str, int] = {}
    for name, cycles in profile.ops:
        per_op[name] = per_op.get(name, 0) + cycles
    return {"seq_len": int(info["seq_len"]), "ops": per_op, "total": profile.total,
            "arena": mem["arena_used"], "exact": logits == vector["logits"]}


def table(model: str, results: dict[str, dict]) -> str:
    kernel_sets = list(results)
    base, last = kernel_sets[0], kernel_sets[-1]
    ops = sorted({op for r in results.values() for op in r["ops"]}, key=lambda op: -results[base]["ops"].get(op, 0))
    lines = [f"{model} (L={results[base]['seq_len']})", "",
             "| op | " + " | ".join(kernel_sets) + f" | {base} / {last} |",
             "|---|" + "---:|" * (len(kernel_sets) + 1)]

    def ratio(a: int, b: int) -> str:
        if a and b:
            return f"{a / b:.2f}x"
        return "fused" if a else "-"  # an operator the last kernel set runs inside EMBBERT_LAYER, or only there

    for op in ops:
        counts = [results[k]["ops"].get(op, 0) for k in kernel_sets]
        lines.append(f"| {op} | " + " | ".join(f"{c:,}" for c in counts) + f" | {ratio(counts[0], counts[-1])} |")
    totals = [results[k]["total"] for k in kernel_sets]
    lines.append("| **total** | " + " | ".join(f"**{t:,}**" for t in totals) + f" | **{ratio(totals[0], totals[-1])}** |")
    lines.append("| arena used (bytes) | " + " | ".join(f"{results[k]['arena']:,}" for k in kernel_sets) + " | |")
    lines.append("| logits == host TFLM | " + " | ".join("yes" if results[k]["exact"] else "no" for k in kernel_sets)
                 + " | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", type=pathlib.Path,
                        help="converter output folder (repeatable; default build/model)")
    parser.add_argument("--kernels", nargs="+", default=["cmsis_nn", "fast"],
                        help="kernel sets to compare, the baseline first (default: cmsis_nn fast)")
    parser.add_argument("--board", default="qemu", choices=sorted(qemu.MACHINES))
    args = parser.parse_args(argv)
    models = args.model or [REPO / "build" / "model"]
    for model in models:
        if not (model / "golden.json").exists():
            print(f"bench: no converted model in {model} (python convert/to_tflite.py --out {model})",
                  file=sys.stderr)
            return 1
    try:
        for model in models:
            results = {}
            for kernels in args.kernels:
                print(f"bench: {model} with {kernels} kernels ...", file=sys.stderr, flush=True)
                results[kernels] = measure(args.board, model.resolve(), kernels)
            print(table(str(model), results) + "\n", flush=True)
    except (firmware_build.BuildUnavailable, BoardError) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
