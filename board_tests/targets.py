"""Where the board under test is: a serial device or socket given by the user, QEMU running a firmware
image built for the model, or the pure-Python fake board.

Example:

    with open_target("qemu", model, log_dir=pathlib.Path("reports")) as target:
        client = BoardClient(target.url)
        target.freeze()   # the board stops answering (QEMU gets SIGSTOP)
        target.thaw()
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import signal
from typing import Iterator

from board_tests.artifacts import HostModel, ModelArtifacts

QEMU_PORTS = ("qemu", "qemu_stm32")


class TargetUnavailable(Exception):
    """The board cannot be brought up here (no toolchain, no QEMU, the build failed); the reason says why."""


@dataclasses.dataclass
class Target:
    """Where the board is and what it is."""

    url: str
    kind: str  # "serial", "socket", "qemu", "qemu_stm32", "fake"
    emulated: bool
    elf: pathlib.Path | None = None
    process: object = None  # QEMU's subprocess.Popen, when we started it
    fake: object = None  # the FakeBoard, for --port fake

    def freeze(self) -> bool:
        """Make the board stop answering (SIGSTOP QEMU / hang the fake). False if not possible here."""
        if self.fake is not None:
            self.fake.hang = True
            return True
        pid = getattr(self.process, "pid", None)
        if pid:
            os.kill(pid, signal.SIGSTOP)
            return True
        return False

    def thaw(self) -> None:
        if self.fake is not None:
            self.fake.hang = False
        elif getattr(self.process, "pid", None):
            os.kill(self.process.pid, signal.SIGCONT)


@dataclasses.dataclass
class BuildOptions:
    """How to build the firmware for an emulated board."""

    kernels: str | None = None
    arena: int | None = None
    run_make: bool = True


def build_firmware(board: str, model: ModelArtifacts, build: BuildOptions) -> pathlib.Path:
    """`make -C firmware BOARD=<board> MODEL=<model dir>`; returns the ELF."""
    from board_tests import firmware_build

    try:
        return firmware_build.build(board, model.folder, kernels=build.kernels, run_make=build.run_make,
                                    arena=build.arena)
    except firmware_build.BuildUnavailable as e:
        raise TargetUnavailable(f"firmware for {board} cannot be built here: {e}") from None


def fake_target(model: ModelArtifacts):
    """The fake board, answering with the host TFLM interpreter's logits for `model`."""
    from board_tests.fake_board import FakeBoard

    host = HostModel(model.tflite_bytes)
    return FakeBoard(seq_len=model.seq_len, vocab=model.vocab, classes=model.num_classes,
                     model_hash=model.hash, model_name=model.name, model_bytes=len(model.tflite_bytes),
                     arena_size=model.arena_bytes, logits_fn=host.run)


@contextlib.contextmanager
def qemu_session(board: str, elf: pathlib.Path, log_path: pathlib.Path):
    """The firmware on QEMU (`board_tests/qemu.py`), its serial on a local socket; yields the QemuBoard."""
    from board_tests import qemu

    if not qemu.qemu_available():
        raise TargetUnavailable("qemu-system-arm not found on PATH")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    b = qemu.QemuBoard(elf, board=board, log_path=log_path).start()
    try:
        yield b
    finally:
        if b.proc is not None and b.proc.poll() is None:
            try:
                os.kill(b.proc.pid, signal.SIGCONT)  # in case a test left it frozen
            except OSError:
                pass
        b.stop()


@contextlib.contextmanager
def open_target(port: str, model: ModelArtifacts, log_dir: pathlib.Path, build: BuildOptions | None = None,
                elf: pathlib.Path | None = None) -> Iterator[Target]:
    """The board at `port` ('fake', 'qemu', 'qemu_stm32', a device or a pyserial URL), up for the block."""
    if port == "fake":
        with fake_target(model) as fake:
            yield Target(fake.url, "fake", emulated=True, fake=fake)
    elif port in QEMU_PORTS:
        elf = build_firmware(port, model, build or BuildOptions())
        with qemu_session(port, elf, log_dir / f"qemu-{port}.log") as b:
            yield Target(b.url, port, emulated=True, elf=elf, process=b.proc)
    else:
        kind = "socket" if port.startswith(("socket://", "rfc2217://")) else "serial"
        yield Target(port, kind, emulated=False, elf=elf)
