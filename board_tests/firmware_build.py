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

from board_tests.artifacts import REPO

FIRMWARE = REPO / "firmware"
MAKE_TIMEOUT_S = float(os.environ.get("BOARD_TESTS_MAKE_TIMEOUT", 1800))


class BuildUnavailable(Exception):
    pass


def _make_args(board: str, model_dir: pathlib.Path, kernels: str | None, arena: int | None = None) -> list[str]:
    args = ["make", "-C", str(FIRMWARE), f"BOARD={board}", f"MODEL={pathlib.Path(model_dir).resolve()}"]
    return args + ([f"KERNELS={kernels}"] if kernels else []) + ([f"ARENA={arena}"] if arena else [])


def elf_path(board: str, model_dir: pathlib.Path, kernels: str | None = None, arena: int | None = None) -> pathlib.Path:
    """The ELF the Makefile builds for these settings (`make print-elf`)."""
    r = subprocess.run(_make_args(board, model_dir, kernels, arena) + ["-s", "print-elf"], capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0 or not r.stdout.strip():
        raise BuildUnavailable(f"`make print-elf` failed: {(r.stderr or r.stdout).strip()[-500:]}")
    return pathlib.Path(r.stdout.strip().splitlines()[-1])


def _run(cmd: list[str], log: pathlib.Path) -> int:
    try:
        with open(log, "a") as f:
            f.write(f"$ {' '.join(cmd)}\n")
            f.flush()
            return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=MAKE_TIMEOUT_S).returncode
    except subprocess.TimeoutExpired:
        raise BuildUnavailable(f"`{' '.join(cmd)}` took over {MAKE_TIMEOUT_S:.0f} s (log: {log})") from None


def build(board: str, model_dir: pathlib.Path, kernels: str | None = None, run_make: bool = True,
          arena: int | None = None) -> pathlib.Path:
    """Builds (unless `run_make` is False) and returns the ELF; fetches the pinned deps first if missing."""
    if not (FIRMWARE / "Makefile").exists():
        raise BuildUnavailable("firmware/Makefile does not exist")
    for tool in ("make", "arm-none-eabi-gcc", "git") + (("qemu-system-arm",) if board.startswith("qemu") else ()):
        if shutil.which(tool) is None:
            raise BuildUnavailable(f"{tool} not found on PATH")
    args = _make_args(board, model_dir, kernels, arena)
    if run_make:
        log = REPO / "build" / "board_tests" / f"make-{board}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        if _run(args + ["-s", "check-deps"], log) != 0 and _run(args + ["deps"], log) != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-10:]
            raise BuildUnavailable("the firmware's third-party sources are missing and `make -C firmware deps` "
                                   f"failed (set GIT_BASE to a folder of mirrors when offline); log {log}:\n"
                                   + "\n".join(tail))
        if _run(args, log) != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-15:]
            raise BuildUnavailable(f"`{' '.join(args)}` failed; log {log}; last lines:\n" + "\n".join(tail))
    elf = elf_path(board, model_dir, kernels, arena)
    if not elf.exists():
        raise BuildUnavailable(f"{elf} does not exist (build with make, or drop --no-build)")
    return elf
