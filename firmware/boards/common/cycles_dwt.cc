// Cycle counter of the real boards: the DWT cycle counter (32 bits: 23 s at 180 MHz).
#include "board.h"
#include "cortex_m.h"

void board_cycles_reset() {
  DEMCR |= 1u << 24;  // TRCENA
  DWT_CYCCNT = 0;
  DWT_CTRL |= 1u;  // CYCCNTENA
}

uint64_t board_cycles() { return DWT_CYCCNT; }
