"""Builds the firmware for a board with its Makefile, for `--port qemu` / `qemu_stm32`.

`build(board, model_dir)` runs `make -C firmware BOARD=<board> MODEL=<model_dir>` and returns the ELF.
It raises `BuildUnavailable` (the suite then skips, with the reason) when the tools are missing or the
build fails here; the make output is kept in `build/board_tests/make-<board>.log`.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import time

from board_tests.artifacts import REPO

FIRMWARE = REPO / "firmware"
MAKE_TIMEOUT_S = float(os.environ.get("BOARD_TESTS_MAKE_TIMEOUT", 1800))


class BuildUnavailable(Exception):
    pass


def find_elf(board: str, since: float = 0.0) -> pathlib.Path | None:
    """The newest ELF of `board` under firmware/build (or build/firmware)."""
    cands = []
    for root in (FIRMWARE / "build", REPO / "build" / "firmware"):
        if root.is_dir():
            cands += [p for p in root.rglob("*.elf") if board in p.relative_to(root).parts
                      or p.parent.name.startswith(board + "-") or p.parent.name == board]
    cands = [p for p in cands if p.stat().st_mtime >= since] or cands
    return max(cands, key=lambda p: p.stat().st_mtime) if cands else None


def build(board: str, model_dir: pathlib.Path, kernels: str | None = None, run_make: bool = True) -> pathlib.Path:
    if not (FIRMWARE / "Makefile").exists():
        raise BuildUnavailable("firmware/Makefile does not exist yet")
    for tool in ("make", "arm-none-eabi-gcc") + (("qemu-system-arm",) if board.startswith("qemu") else ()):
        if shutil.which(tool) is None:
            raise BuildUnavailable(f"{tool} not found on PATH")
    if run_make:
        log = REPO / "build" / "board_tests" / f"make-{board}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["make", "-C", str(FIRMWARE), f"BOARD={board}", f"MODEL={pathlib.Path(model_dir).resolve()}"]
        if kernels:
            cmd.append(f"KERNELS={kernels}")
        t0 = time.time()
        try:
            with open(log, "w") as f:
                r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=MAKE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise BuildUnavailable(f"`{' '.join(cmd)}` took over {MAKE_TIMEOUT_S:.0f} s (log: {log})") from None
        if r.returncode != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-15:]
            raise BuildUnavailable(f"`{' '.join(cmd)}` failed (exit {r.returncode}); log {log}; last lines:\n"
                                   + "\n".join(tail))
    elf = find_elf(board)
    if elf is None:
        raise BuildUnavailable(f"no ELF for {board} found under firmware/build")
    return elf
