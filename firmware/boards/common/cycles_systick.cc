// Cycle counter under QEMU, which has no DWT: SysTick, extended to 64 bits by its wrap interrupt.
// With `-icount shift=0` each instruction takes 1 ns of virtual time, so SysTick ticks at the
// board's clock (SYSTICK_HZ) convert to executed instructions: deterministic from run to run.
#include "board.h"
#include "cortex_m.h"

#ifndef SYSTICK_HZ
#error "SYSTICK_HZ must be the frequency QEMU clocks SysTick with"
#endif
#ifndef ICOUNT_SHIFT
#define ICOUNT_SHIFT 0
#endif

namespace {

constexpr uint32_t kReload = 0xFFFFFFu;
volatile uint32_t g_wraps = 0;

}  // namespace

extern "C" void SysTick_Handler() { g_wraps = g_wraps + 1; }

void board_cycles_reset() {
  SYST_CSR = 0;
  SYST_RVR = kReload;
  SYST_CVR = 0;  // restarts the count: the phase is the same for every measurement
  g_wraps = 0;
  SYST_CSR = 7;  // enable, interrupt on wrap, processor clock
}

uint64_t board_cycles() {
  cm_disable_irq();
  uint32_t wraps = g_wraps;
  uint32_t val = SYST_CVR;
  if (SCB_ICSR & ICSR_PENDSTSET) {  // wrapped, handler not run yet: count it here
    val = SYST_CVR;
    ++wraps;
  }
  cm_enable_irq();
  const uint64_t ticks = (static_cast<uint64_t>(wraps) << 24) + (kReload - val);
  // ticks / SYSTICK_HZ seconds = ticks * 1e9 / SYSTICK_HZ ns = that many >> ICOUNT_SHIFT instructions.
  return ticks * 1000000000ull / SYSTICK_HZ >> ICOUNT_SHIFT;
}
