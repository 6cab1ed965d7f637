"""The boards of DESIGN.md §4 and whether a model fits them."""

from __future__ import annotations

import dataclasses

KB = 1024


@dataclasses.dataclass(frozen=True)
class Board:
    """Memory of a board and what the firmware itself needs there (estimates; `make size` measures).

    Args:
        flash, ram: bytes available to the application: `make size`'s limits (for the Nucleo, its 192 KB
            of SRAM: the stack has the 64 KB CCM to itself).
        code_flash: firmware code (TFLM, CMSIS-NN kernels, protocol), model not included.
        firmware_ram: the firmware's static data besides the arena (12.4 KB measured with the tokenizer and our
            kernels), plus the stack where it shares `ram`.
    """

    name: str
    description: str
    flash: int
    ram: int
    code_flash: int
    firmware_ram: int


BOARDS = {
    b.name: b
    for b in [
        Board("qemu", "QEMU mps2-an386 (Cortex-M4F)", 4096 * KB, 4096 * KB, 160 * KB, 29 * KB),
        Board("qemu_stm32", "QEMU netduinoplus2 (STM32F405)", 1024 * KB, 192 * KB, 160 * KB, 21 * KB),
        Board("nucleo_f429zi", "STM32 Nucleo-144 F429ZI", 2048 * KB, 192 * KB, 160 * KB, 13 * KB),
        # The Arduino mbed core takes a good part of the RAM and flash before the application.
        Board("nano33ble", "Arduino Nano 33 BLE (nRF52840)", 1024 * KB, 256 * KB, 320 * KB, 72 * KB),
        Board("nano33ble_baremetal", "Arduino Nano 33 BLE, bare metal (make ROUTE=baremetal)",
              960 * KB, 256 * KB, 160 * KB, 29 * KB),
    ]
}


@dataclasses.dataclass
class Fit:
    board: Board
    flash_needed: int
    ram_needed: int

    @property
    def fits(self) -> bool:
        return self.flash_needed <= self.board.flash and self.ram_needed <= self.board.ram

    def describe(self) -> str:
        b = self.board
        verdict = "fits" if self.fits else "DOES NOT FIT"
        return (
            f"{b.name:19s} {verdict:12s} flash {self.flash_needed / KB:7.1f} / {b.flash / KB:6.0f} KB"
            f"   RAM {self.ram_needed / KB:6.1f} / {b.ram / KB:5.0f} KB ({(b.ram - self.ram_needed) / KB:.1f} KB spare)"
        )


def fit(board: Board, model_bytes: int, arena_bytes: int, tokenizer_bytes: int = 0) -> Fit:
    """Flash: firmware code + model + the tokenizer's tables; RAM: firmware + arena."""
    return Fit(board, board.code_flash + model_bytes + tokenizer_bytes, board.firmware_ram + arena_bytes)


def get_board(name: str) -> Board:
    if name not in BOARDS:
        raise ValueError(f"unknown board {name!r}; choose one of: {', '.join(BOARDS)}")
    return BOARDS[name]
