// Fault reporting for the bare-metal ports: every fault prints its PC and fault registers on the
// serial line (polled, no interrupts needed), then stops the board.
#include <cstdint>

#include "board.h"
#include "cortex_m.h"
#include "serial_out.h"

namespace {

void out_field(const char* name, uint32_t value) {
  out_str(name);
  out_str("=0x");
  out_hex8(value);
}

}  // namespace

// `sp` is the stack the faulting code used, `exc_return` the handler's LR. Runs on a fresh main stack.
extern "C" __attribute__((used)) void fault_report(uintptr_t sp, uint32_t exc_return) {
  // A stack overflow: the stacking of the exception frame failed (MSTKERR, STKERR), a write hit the
  // MPU guard, or SP is in or below it. The frame is then not there to read.
  const uintptr_t guard = reinterpret_cast<uintptr_t>(&__stack_limit);
  const uint32_t cfsr = SCB_CFSR;
  const bool mmar_in_guard = (cfsr & (1u << 7)) && SCB_MMFAR >= guard && SCB_MMFAR < guard + kStackGuardBytes;
  const bool overflow = (cfsr & ((1u << 4) | (1u << 12))) || mmar_in_guard || sp < guard + kStackGuardBytes;
  const uint32_t* frame = overflow ? nullptr : reinterpret_cast<const uint32_t*>(sp);
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  out_str("\r\ne-[");
  const uint32_t exc = ipsr & 0x1FF;
  out_str(exc >= 3 && exc <= 6 ? "hardfault" : "unexpected exception");  // 4-6: MemManage, BusFault, UsageFault
  out_str(" ");
  out_field("pc", frame != nullptr ? frame[6] : 0);
  out_str(" ");
  out_field("lr", frame != nullptr ? frame[5] : 0);
  out_str(" ");
  out_field("cfsr", cfsr);
  out_str(" ");
  out_field("hfsr", SCB_HFSR);
  out_str(" ");
  out_field("mmfar", SCB_MMFAR);
  out_str(" ");
  out_field("bfar", SCB_BFAR);
  out_str(" ");
  out_field("ipsr", ipsr);
  out_str(" ");
  out_field("exc_return", exc_return);
  if (frame == nullptr) out_str(" stack overflow");
  out_str("]\r\n");
  board_halt(3);
}

// Hands the stack pointer the faulting code used to fault_report, on a fresh main stack (the board
// stops after the report, and the old stack may have overflowed).
#define FAULT_ENTRY                       \
  "tst lr, #4\n\t"                        \
  "ite eq\n\t"                            \
  "mrseq r0, msp\n\t"                     \
  "mrsne r0, psp\n\t"                     \
  "mov r1, lr\n\t"                        \
  "ldr r2, =__stack_top\n\t"              \
  "msr msp, r2\n\t"                       \
  "b fault_report\n\t"

extern "C" __attribute__((naked)) void HardFault_Handler() { __asm__ volatile(FAULT_ENTRY); }

extern "C" __attribute__((naked)) void Default_Handler() { __asm__ volatile(FAULT_ENTRY); }
