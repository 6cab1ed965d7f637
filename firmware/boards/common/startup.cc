// Vector table and reset handler shared by the bare-metal Cortex-M4F ports.
#include <cstdint>

#include "board.h"
#include "cortex_m.h"
#include "stack_paint.h"

#ifndef NUM_IRQS
#define NUM_IRQS 96
#endif

extern "C" {
int main();
void __libc_init_array();
void Reset_Handler();
void HardFault_Handler();
void Default_Handler();
void SysTick_Handler();
// With -nostartfiles there is no crti.o: __libc_init_array still calls these.
void _init() {}
void _fini() {}
}

using Handler = void (*)();

__attribute__((section(".isr_vector"), used)) const Handler g_vectors[16 + NUM_IRQS] = {
    reinterpret_cast<Handler>(&__stack_top),
    Reset_Handler,
    Default_Handler,    // NMI
    HardFault_Handler,  // HardFault
    HardFault_Handler,  // MemManage
    HardFault_Handler,  // BusFault
    HardFault_Handler,  // UsageFault
    nullptr, nullptr, nullptr, nullptr,
    Default_Handler,  // SVCall
    Default_Handler,  // DebugMon
    nullptr,
    Default_Handler,  // PendSV
    SysTick_Handler,
    // External interrupts: none are enabled; the zero-initialised rest would be a bug to take.
};

// Ports that count with SysTick (boards/common/cycles_systick.cc) override this.
extern "C" __attribute__((weak)) void SysTick_Handler() {}

extern "C" void Reset_Handler() {
  SCB_CPACR |= 0xFu << 20;  // CP10 and CP11 full access: the FPU, before any float code runs
  cm_dsb_isb();
  uint32_t* src = &__etext;
  for (uint32_t* dst = &__data_start__; dst < &__data_end__;) *dst++ = *src++;
  for (uint32_t* dst = &__bss_start__; dst < &__bss_end__;) *dst++ = 0;
  SCB_VTOR = reinterpret_cast<uint32_t>(g_vectors);
  const uintptr_t guard = reinterpret_cast<uintptr_t>(&__stack_limit);
  stack_paint(guard + kStackGuardBytes, reinterpret_cast<uintptr_t>(&__stack_top));
  // MPU region 0: no access, never execute, over the guard; the default map elsewhere.
  MPU_RNR = 0;
  MPU_RBAR = guard;
  MPU_RASR = (1u << 28) | (0u << 24) | (4u << 1) | 1u;  // XN, AP none, 2^(4+1) = 32 bytes, enabled
  MPU_CTRL = (1u << 2) | 1u;                            // PRIVDEFENA, ENABLE
  SCB_SHCSR |= 1u << 16;                                // MemManage faults get their own handler
  cm_dsb_isb();
  __libc_init_array();
  main();
  board_halt(0);
}

BoardMemory board_memory() {
  BoardMemory m;
  m.stack_low = reinterpret_cast<uintptr_t>(&__stack_limit) + kStackGuardBytes;
  m.stack_high = reinterpret_cast<uintptr_t>(&__stack_top);
  const uint32_t data = reinterpret_cast<uintptr_t>(&__data_end__) - reinterpret_cast<uintptr_t>(&__data_start__);
  const uint32_t bss = reinterpret_cast<uintptr_t>(&__bss_end__) - reinterpret_cast<uintptr_t>(&__bss_start__);
  m.static_ram = data + bss;
  m.flash_used = reinterpret_cast<uintptr_t>(&__etext) - reinterpret_cast<uintptr_t>(&__flash_start__) + data;
  return m;
}
