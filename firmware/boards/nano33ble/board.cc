// Bare-metal port for the Arduino Nano 33 BLE (nRF52840, Cortex-M4F at 64 MHz), for ROUTE=baremetal:
// polled UART0 on the header pins TX = D1 (P1.03), RX = D0 (P1.10) at 115200 baud (a 3.3 V USB-serial
// adapter is needed: the native USB port needs a USB stack, which the Arduino route brings), DWT cycles.
// The image starts at 0x10000, behind the Arduino bootloader, which flashes it (bossac).
#include "board.h"

#include "cortex_m.h"

namespace {

constexpr uint32_t kClock = 0x40000000u;
#define CLOCK_TASKS_HFCLKSTART CM_REG(kClock + 0x000)
#define CLOCK_EVENTS_HFCLKSTARTED CM_REG(kClock + 0x100)

constexpr uint32_t kUart = 0x40002000u;  // UART0 (legacy, non-DMA)
#define UART_TASKS_STARTRX CM_REG(kUart + 0x000)
#define UART_TASKS_STARTTX CM_REG(kUart + 0x008)
#define UART_EVENTS_RXDRDY CM_REG(kUart + 0x108)
#define UART_EVENTS_TXDRDY CM_REG(kUart + 0x11C)
#define UART_EVENTS_ERROR CM_REG(kUart + 0x124)
#define UART_ERRORSRC CM_REG(kUart + 0x480)
#define UART_ENABLE CM_REG(kUart + 0x500)
#define UART_PSEL_RTS CM_REG(kUart + 0x508)
#define UART_PSEL_TXD CM_REG(kUart + 0x50C)
#define UART_PSEL_CTS CM_REG(kUart + 0x510)
#define UART_PSEL_RXD CM_REG(kUart + 0x514)
#define UART_RXD CM_REG(kUart + 0x518)
#define UART_TXD CM_REG(kUart + 0x51C)
#define UART_BAUDRATE CM_REG(kUart + 0x524)
#define UART_CONFIG CM_REG(kUart + 0x56C)

constexpr uint32_t kP1 = 0x50000300u;
#define P1_OUTSET CM_REG(kP1 + 0x508)
#define P1_DIRSET CM_REG(kP1 + 0x518)

constexpr uint32_t kTxPin = 32 + 3;   // P1.03: PSEL = pin | port << 5
constexpr uint32_t kRxPin = 32 + 10;  // P1.10
constexpr uint32_t kBaud115200 = 0x01D7E000u;
constexpr uint32_t kDisconnected = 0xFFFFFFFFu;

}  // namespace

const BoardInfo kBoardInfo = {"nano33ble", "cortex-m4f", 64000000u, "dwt"};

void board_init() {
  // The 64 MHz crystal: the internal oscillator is too inaccurate for a UART at 115200 baud.
  CLOCK_EVENTS_HFCLKSTARTED = 0;
  CLOCK_TASKS_HFCLKSTART = 1;
  for (uint32_t i = 0; i < 1000000u && CLOCK_EVENTS_HFCLKSTARTED == 0; ++i) {
  }
  P1_OUTSET = 1u << (kTxPin - 32);  // TX idles high
  P1_DIRSET = 1u << (kTxPin - 32);
  UART_PSEL_RTS = kDisconnected;
  UART_PSEL_CTS = kDisconnected;
  UART_PSEL_TXD = kTxPin;
  UART_PSEL_RXD = kRxPin;
  UART_BAUDRATE = kBaud115200;
  UART_CONFIG = 0;  // no parity, no flow control
  UART_ENABLE = 4;
  UART_EVENTS_RXDRDY = 0;
  UART_EVENTS_TXDRDY = 0;
  UART_TASKS_STARTTX = 1;
  UART_TASKS_STARTRX = 1;
  board_cycles_reset();
}

void board_putc(char c) {
  UART_EVENTS_TXDRDY = 0;
  UART_TXD = static_cast<uint8_t>(c);
  while (UART_EVENTS_TXDRDY == 0) {
  }
}

int board_getc() {
  for (;;) {
    if (UART_EVENTS_ERROR) {  // overrun, framing...: clear and keep going
      UART_ERRORSRC = UART_ERRORSRC;
      UART_EVENTS_ERROR = 0;
    }
    if (UART_EVENTS_RXDRDY) {
      UART_EVENTS_RXDRDY = 0;
      return static_cast<int>(UART_RXD & 0xFF);
    }
  }
}
