// Port for QEMU mps2-an386 (Cortex-M4F): CMSDK APB UART0, SysTick cycles under -icount.
#include "board.h"

#include "cortex_m.h"

namespace {

constexpr uint32_t kUart0 = 0x40004000u;
#define UART_DATA CM_REG(kUart0 + 0x00)
#define UART_STATE CM_REG(kUart0 + 0x04)
#define UART_CTRL CM_REG(kUart0 + 0x08)
#define UART_BAUDDIV CM_REG(kUart0 + 0x10)

constexpr uint32_t kTxFull = 1u << 0;
constexpr uint32_t kRxFull = 1u << 1;

}  // namespace

const BoardInfo kBoardInfo = {"qemu", "cortex-m4f", 25000000u, "systick-icount"};

void board_init() {
  UART_BAUDDIV = 16;
  UART_CTRL = 0x3;  // TX and RX enabled, no interrupts
  board_cycles_reset();
}

void board_putc(char c) {
  while (UART_STATE & kTxFull) {
  }
  UART_DATA = static_cast<uint8_t>(c);
}

int board_getc() {
  while (!(UART_STATE & kRxFull)) {
  }
  return static_cast<int>(UART_DATA & 0xFF);
}
