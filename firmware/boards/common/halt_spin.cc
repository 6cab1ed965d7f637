// board_halt for real boards: interrupts off, spin (a debugger can still attach).
#include "board.h"
#include "cortex_m.h"

void board_halt(int) {
  cm_disable_irq();
  for (;;) {
  }
}
