// Port for the Arduino Nano 33 BLE under the arduino:mbed_nano core: USB CDC serial; the DWT cycle
// counter is boards/common/cycles_dwt.cc, copied into the sketch beside this file.
// Fault reports come from mbed OS's own fault handler (on its stdio UART, not on USB).
#include <Arduino.h>
#include <cmsis_os2.h>

#include "board.h"
#include "stack_paint.h"

namespace {

uintptr_t g_stack_low = 0;
uintptr_t g_stack_high = 0;

}  // namespace

// Linker symbols of mbed's GCC_ARM script for the nRF52840; weak, so a different script only
// zeroes the static figures of `mem%`.
extern "C" {
extern uint32_t __etext __attribute__((weak));
extern uint32_t __data_start__ __attribute__((weak));
extern uint32_t __data_end__ __attribute__((weak));
extern uint32_t __bss_start__ __attribute__((weak));
extern uint32_t __bss_end__ __attribute__((weak));
}

const BoardInfo kBoardInfo = {"nano33ble", "cortex-m4f", 64000000u, "dwt"};

void board_init() {
  Serial.begin(115200);
  while (!Serial) {
  }
  // The main thread's stack: RTX knows its size; it ends a little above this frame.
  uintptr_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  const uint32_t size = osThreadGetStackSize(osThreadGetId());
  g_stack_high = (sp + 256u) & ~uintptr_t{7};
  g_stack_low = size > 512u ? g_stack_high - size + 256u : 0;
  stack_paint(g_stack_low, g_stack_high);
  board_cycles_reset();
}

// USB CDC sends a packet per write call: collect a line, send it whole.
void board_putc(char c) {
  static uint8_t line[64];
  static size_t len = 0;
  line[len++] = static_cast<uint8_t>(c);
  if (c == '\n' || len == sizeof(line)) {
    Serial.write(line, len);
    len = 0;
  }
}

int board_getc() {
  while (Serial.available() <= 0) {
  }
  return Serial.read();
}

BoardMemory board_memory() {
  BoardMemory m;
  m.stack_low = g_stack_low;
  m.stack_high = g_stack_high;
  const uintptr_t data = reinterpret_cast<uintptr_t>(&__data_end__) - reinterpret_cast<uintptr_t>(&__data_start__);
  const uintptr_t bss = reinterpret_cast<uintptr_t>(&__bss_end__) - reinterpret_cast<uintptr_t>(&__bss_start__);
  m.static_ram = static_cast<uint32_t>(data + bss);
  m.flash_used = &__etext != nullptr ? static_cast<uint32_t>(reinterpret_cast<uintptr_t>(&__etext) - 0x10000u + data) : 0;
  return m;
}

void board_halt(int) {
  noInterrupts();
  for (;;) {
  }
}

// TFLM's timer API (its cortex_m_generic micro_time.cc is left out of the Arduino library).
namespace tflite {
uint32_t ticks_per_second() { return 0; }
uint32_t GetCurrentTimeTicks() { return 0; }
}  // namespace tflite
