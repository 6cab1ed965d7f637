#include "stack_paint.h"

namespace {

constexpr uint32_t kPaint = 0xC0FFEE55u;
constexpr uintptr_t kMargin = 64;  // bytes below the current SP left alone (this frame and its callees)

}  // namespace

void stack_paint(uintptr_t low, uintptr_t high) {
  if (low == 0 || high <= low) return;
  uintptr_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  volatile uint32_t* p = reinterpret_cast<volatile uint32_t*>((low + 3) & ~uintptr_t{3});
  volatile uint32_t* end = reinterpret_cast<volatile uint32_t*>((sp - kMargin) & ~uintptr_t{3});
  while (p < end) *p++ = kPaint;
}

uint32_t stack_used(uintptr_t low, uintptr_t high) {
  if (low == 0 || high <= low) return 0;
  const volatile uint32_t* p = reinterpret_cast<const volatile uint32_t*>((low + 3) & ~uintptr_t{3});
  const volatile uint32_t* end = reinterpret_cast<const volatile uint32_t*>(high);
  while (p < end && *p == kPaint) ++p;
  return static_cast<uint32_t>(high - reinterpret_cast<uintptr_t>(p));
}
