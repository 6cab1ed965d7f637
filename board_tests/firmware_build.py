"""Builds the firmware for a board with its Makefile, for `--port qemu` / `qemu_stm32`.

`build(board, model_dir)` runs `make -C firmware BOARD=<board> MODEL=<model_dir>` and returns the ELF,
fetching the pinned third-party sources first when they are missing (`make -C firmware deps`, from
`GIT_BASE`). It raises `BuildUnavailable` only when a tool is missing (the suite then skips, naming it),
and `BuildFailed` when fetching or building fails (a test failure, with the compiler's or linker's
message); the make output is kept in `build/board_tests/make-<board>.log`.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

from board_tests.artifacts import REPO

FIRMWARE = REPO / "firmware"
MAKE_TIMEOUT_S = float(os.environ.get("BOARD_TESTS_MAKE_TIMEOUT", 1800))


class BuildUnavailable(Exception):
    """A tool the build needs is not installed: the only reason a firmware test may skip."""


class BuildFailed(Exception):
    """Fetching the dependencies, compiling or linking failed: a test failure."""


def missing_tool(board: str = "qemu") -> str | None:
    """The first tool the build (and, for an emulated board, the run) needs that is not on PATH."""
    for tool in ("make", "arm-none-eabi-gcc", "git") + (("qemu-system-arm",) if board.startswith("qemu") else ()):
        if shutil.which(tool) is None:
            return tool
    return None


def _tail(log: pathlib.Path, n: int) -> str:
    return "\n".join(log.read_text(errors="replace").strip().splitlines()[-n:])


def make_errors(output: str, n: int = 12) -> str:
    """The compiler's and linker's own messages in make output (errors, overflows), else its last lines."""
    found = [line for line in output.splitlines()
             if re.search(r"error|overflowed|will not fit|undefined reference|do not fit|not found", line, re.I)]
    return "\n".join(found[:n] if found else output.strip().splitlines()[-n:])


def ensure_deps(board: str = "qemu", log: pathlib.Path | None = None) -> None:
    """Fetches the pinned third-party sources and builds the TFLM library unless they are there."""
    log = log or REPO / "build" / "board_tests" / "make-deps.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    args = ["make", "-C", str(FIRMWARE), f"BOARD={board}"]
    if _run(args + ["-s", "check-deps"], log) != 0 and _run(args + ["deps"], log) != 0:
        raise BuildFailed("the firmware's third-party sources are missing and `make -C firmware deps` failed "
                          "(it fetches from GIT_BASE, default https://github.com/; offline, set GIT_BASE to a "
                          f"folder of mirrors); log {log}:\n{_tail(log, 10)}")


def require_toolchain_and_deps(board: str = "qemu") -> None:
    """For tests: skips naming a missing tool; fetches missing dependencies, failing the test if that fails."""
    import pytest

    tool = missing_tool(board)
    if tool is not None:
        pytest.skip(f"{tool} not found on PATH")
    try:
        ensure_deps(board)
    except BuildFailed as e:
        pytest.fail(str(e), pytrace=False)


def _make_args(board: str, model_dir: pathlib.Path, kernels: str | None, arena: int | None = None) -> list[str]:
    # --no-print-directory: under `make -C firmware bench` this is a sub-make, whose "Entering/Leaving directory"
    # lines would otherwise end the output that print-elf answers with.
    args = ["make", "--no-print-directory", "-C", str(FIRMWARE), f"BOARD={board}",
            f"MODEL={pathlib.Path(model_dir).resolve()}"]
    return args + ([f"KERNELS={kernels}"] if kernels else []) + ([f"ARENA={arena}"] if arena else [])


def elf_path(board: str, model_dir: pathlib.Path, kernels: str | None = None, arena: int | None = None) -> pathlib.Path:
    """The ELF the Makefile builds for these settings (`make print-elf`)."""
    r = subprocess.run(_make_args(board, model_dir, kernels, arena) + ["-s", "print-elf"], capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0 or not r.stdout.strip():
        raise BuildFailed(f"`make print-elf` failed: {(r.stderr or r.stdout).strip()[-500:]}")
    return pathlib.Path(r.stdout.strip().splitlines()[-1])


def _run(cmd: list[str], log: pathlib.Path) -> int:
    try:
        with open(log, "a") as f:
            f.write(f"$ {' '.join(cmd)}\n")
            f.flush()
            return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=MAKE_TIMEOUT_S).returncode
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"`{' '.join(cmd)}` took over {MAKE_TIMEOUT_S:.0f} s (log: {log})") from None


def build(board: str, model_dir: pathlib.Path, kernels: str | None = None, run_make: bool = True,
          arena: int | None = None) -> pathlib.Path:
    """Builds (unless `run_make` is False) and returns the ELF; fetches the pinned deps first if missing."""
    tool = missing_tool(board)
    if tool is not None:
        raise BuildUnavailable(f"{tool} not found on PATH")
    args = _make_args(board, model_dir, kernels, arena)
    if run_make:
        log = REPO / "build" / "board_tests" / f"make-{board}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        ensure_deps(board, log)
        if _run(args, log) != 0:
            raise BuildFailed(f"`{' '.join(args)}` failed (log {log}):\n{make_errors(log.read_text(errors='replace'))}")
    elf = elf_path(board, model_dir, kernels, arena)
    if not elf.exists():
        raise BuildFailed(f"{elf} does not exist (build with make, or drop --no-build)")
    return elf
