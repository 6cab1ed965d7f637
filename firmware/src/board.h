// The few functions a board port supplies (in the spirit of mlcommons/tiny's submitter_implemented.h).
// Everything else in firmware/src is board-independent. Ports live in firmware/boards/<board>/.
#ifndef EMBBERT_FIRMWARE_BOARD_H_
#define EMBBERT_FIRMWARE_BOARD_H_

#include <cstddef>
#include <cstdint>

// Static description of the board, reported by `info%`.
struct BoardInfo {
  const char* name;          // "qemu", "nucleo_f429zi", ...
  const char* cpu;           // "cortex-m4f"
  uint32_t clock_hz;         // core clock the cycle counts refer to
  const char* cycle_source;  // "dwt" or "systick-icount"
};

// Memory layout, for `mem%`. Zero where a port cannot know a value.
struct BoardMemory {
  uintptr_t stack_low;   // lowest address of the stack region (painted at boot)
  uintptr_t stack_high;  // one past its highest address
  uint32_t static_ram;   // .data + .bss
  uint32_t flash_used;   // text + rodata + initialised data image
};

extern const BoardInfo kBoardInfo;

// Sets up clocks, the serial port and the cycle counter. Called once, first thing in main().
void board_init();

// Blocking write of one byte to the serial line.
void board_putc(char c);

// Blocking read of one byte from the serial line.
int board_getc();

// Restarts the cycle counter at zero. Called right before a measured region.
void board_cycles_reset();

// Cycles since the last board_cycles_reset(): DWT cycles, or instructions under QEMU -icount.
uint64_t board_cycles();

// Memory layout of the running image.
BoardMemory board_memory();

// Stops the board for good: QEMU exits through semihosting with `status`, real boards spin.
[[noreturn]] void board_halt(int status);

#endif  // EMBBERT_FIRMWARE_BOARD_H_
