// Stack high-water mark by painting: fill the unused stack with a pattern at boot, later find the
// deepest word that no longer holds it.
#ifndef EMBBERT_FIRMWARE_STACK_PAINT_H_
#define EMBBERT_FIRMWARE_STACK_PAINT_H_

#include <cstdint>

// Paints [low, current SP - margin) with the pattern. `low` and `high` bound the stack region.
void stack_paint(uintptr_t low, uintptr_t high);

// Bytes of the region [low, high) that have been used since stack_paint(); 0 when not painted.
uint32_t stack_used(uintptr_t low, uintptr_t high);

#endif  // EMBBERT_FIRMWARE_STACK_PAINT_H_
