// board_halt for the QEMU ports: exit the emulator through semihosting (needs
// `-semihosting-config enable=on,target=native`), status 0 for success, 1 otherwise.
#include "board.h"
#include "cortex_m.h"

namespace {

constexpr uint32_t kSysExit = 0x18;
constexpr uint32_t kApplicationExit = 0x20026;   // ADP_Stopped_ApplicationExit: status 0
constexpr uint32_t kRunTimeErrorUnknown = 0x20023;  // any other reason: status 1

}  // namespace

void board_halt(int status) {
  register uint32_t r0 __asm__("r0") = kSysExit;
  register uint32_t r1 __asm__("r1") = status == 0 ? kApplicationExit : kRunTimeErrorUnknown;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  for (;;) {
  }
}
