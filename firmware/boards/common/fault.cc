// Fault reporting for the bare-metal ports: every fault prints its PC and fault registers on the
// serial line (polled, no interrupts needed), then stops the board.
#include <cstdint>

#include "board.h"
#include "cortex_m.h"
#include "serial_out.h"

namespace {

void Field(const char* name, uint32_t value) {
  out_str(name);
  out_str("=0x");
  out_hex8(value);
}

}  // namespace

// `frame` is the exception stack frame: r0, r1, r2, r3, r12, lr, pc, xpsr.
extern "C" __attribute__((used)) void fault_report(const uint32_t* frame, uint32_t exc_return) {
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  out_str("\r\ne-[");
  const uint32_t exc = ipsr & 0x1FF;
  out_str(exc >= 3 && exc <= 6 ? "hardfault" : "unexpected exception");
  out_str(" ");
  Field("pc", frame[6]);
  out_str(" ");
  Field("lr", frame[5]);
  out_str(" ");
  Field("cfsr", SCB_CFSR);
  out_str(" ");
  Field("hfsr", SCB_HFSR);
  out_str(" ");
  Field("mmfar", SCB_MMFAR);
  out_str(" ");
  Field("bfar", SCB_BFAR);
  out_str(" ");
  Field("ipsr", ipsr);
  out_str(" ");
  Field("exc_return", exc_return);
  out_str("]\r\n");
  board_halt(3);
}

// Picks the stack the faulting code used and hands its frame to fault_report.
extern "C" __attribute__((naked)) void HardFault_Handler() {
  __asm__ volatile(
      "tst lr, #4\n\t"
      "ite eq\n\t"
      "mrseq r0, msp\n\t"
      "mrsne r0, psp\n\t"
      "mov r1, lr\n\t"
      "b fault_report\n\t");
}

extern "C" __attribute__((naked)) void Default_Handler() {
  __asm__ volatile(
      "tst lr, #4\n\t"
      "ite eq\n\t"
      "mrseq r0, msp\n\t"
      "mrsne r0, psp\n\t"
      "mov r1, lr\n\t"
      "b fault_report\n\t");
}
