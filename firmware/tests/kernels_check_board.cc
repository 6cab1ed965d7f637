// The kernel checks on a board (QEMU mps2-an386): the kernels' SMLAD path. The result goes to the serial
// line, the status to the semihosting exit (0: all bit-exact).
#include <cstdarg>
#include <cstdio>

#include "board.h"
#include "kernels_check.h"

namespace {

void Print(const char* line) {
  for (; *line != '\0'; ++line) board_putc(*line);
}

}  // namespace

// TFLM's log, which the reference code calls only when it aborts (this image links no TFLM library).
void MicroPrintf(const char* format, ...) {
  char line[160];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof(line), format, args);
  va_end(args);
  Print(line);
  Print("\n");
}

int main() {
  board_init();
  const int bad = run_kernel_checks(Print, 2);
  board_halt(bad == 0 ? 0 : 1);
}
