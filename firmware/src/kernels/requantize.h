// TFLite's MultiplyByQuantizedMultiplier (gemmlowp double rounding), inline and in the fewest instructions:
// the kernels requantize once per output, where a library call would cost more than the arithmetic.
#ifndef EMBBERT_FIRMWARE_KERNELS_REQUANTIZE_H_
#define EMBBERT_FIRMWARE_KERNELS_REQUANTIZE_H_

#include <cstdint>

#include "embbert_kernels.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__thumb2__)
#include <arm_acle.h>
#define EMBBERT_REQUANTIZE_DSP 1
#endif

// gemmlowp::SaturatingRoundingDoublingHighMul(a, b) for b >= 0 (a quantized multiplier is never
// INT32_MIN, so its one saturating case cannot occur). Its nudge (+2^30, or 1 - 2^30 for a negative
// product) and division truncating toward zero round a * b / 2^31 to nearest with halves toward +inf,
// which is one add and an arithmetic shift of the 64-bit product.
static inline int32_t embbert_doubling_high_mul(int32_t a, int32_t b) {
  return static_cast<int32_t>((static_cast<int64_t>(a) * b + (1ll << 30)) >> 31);
}

// gemmlowp::RoundingDivideByPOT(x, exponent), halves away from zero, in its own overflow-free form:
// (x >> e) + 1 when the remainder is above half (at least half, for negative x).
static inline int32_t embbert_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((1ll << exponent) - 1);
  const int32_t threshold = (mask >> 1) + static_cast<int32_t>(static_cast<uint32_t>(x) >> 31);
  return (x >> exponent) + ((x & mask) > threshold ? 1 : 0);
}

static inline int32_t embbert_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift);
  return embbert_rounding_divide_by_pot(embbert_doubling_high_mul(shifted, multiplier), right_shift);
}

// embbert_requant with its shifts and rounding constants worked out once: a kernel keeps one in a local
// variable (registers) for a whole loop.
struct embbert_requant_prepared {
  int32_t multiplier;
  int32_t left_shift;
  int32_t right_shift;
  int32_t mask;  // 2^right_shift - 1: the remainder, compared with mask / 2 (+1 for negative values)
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
};

static inline embbert_requant_prepared embbert_prepare_requant(const embbert_requant& q) {
  embbert_requant_prepared p;
  p.multiplier = q.multiplier;
  p.left_shift = q.shift > 0 ? q.shift : 0;
  p.right_shift = q.shift > 0 ? 0 : -q.shift;
  p.mask = static_cast<int32_t>((1ll << p.right_shift) - 1);
  p.output_offset = q.output_offset;
  p.activation_min = q.activation_min;
  p.activation_max = q.activation_max;
  return p;
}

static inline int8_t embbert_requantize(int32_t acc, const embbert_requant_prepared& p) {
  const int32_t x = embbert_doubling_high_mul(static_cast<int32_t>(static_cast<uint32_t>(acc) << p.left_shift),
                                              p.multiplier);
  const int32_t threshold = (p.mask >> 1) + static_cast<int32_t>(static_cast<uint32_t>(x) >> 31);
  int32_t v = (x >> p.right_shift) + ((x & p.mask) > threshold ? 1 : 0) + p.output_offset;
  v = v < p.activation_min ? p.activation_min : v;
  v = v > p.activation_max ? p.activation_max : v;
  return static_cast<int8_t>(v);
}

// The same for an accumulator known to satisfy |acc << left_shift| < 2^30 (elementwise products and sums):
// then a * b / 2^31 rounded is SMMULR of 2a and b, one instruction; and with the full int8 activation
// range (kFullRange) the clamp is one SSAT.
template <bool kFullRange>
static inline int8_t embbert_requantize_small(int32_t acc, const embbert_requant_prepared& p) {
  const int32_t doubled = static_cast<int32_t>(static_cast<uint32_t>(acc) << (p.left_shift + 1));
#if defined(EMBBERT_REQUANTIZE_DSP)
  int32_t x;
  asm("smmulr %0, %1, %2" : "=r"(x) : "r"(doubled), "r"(p.multiplier));
#else
  const int32_t x = static_cast<int32_t>((static_cast<int64_t>(doubled) * p.multiplier + (1ll << 31)) >> 32);
#endif
  const int32_t threshold = (p.mask >> 1) + static_cast<int32_t>(static_cast<uint32_t>(x) >> 31);
  int32_t v = (x >> p.right_shift) + ((x & p.mask) > threshold ? 1 : 0) + p.output_offset;
  if (kFullRange) {
#if defined(EMBBERT_REQUANTIZE_DSP)
    v = __ssat(v, 8);
#else
    v = v < -128 ? -128 : v;
    v = v > 127 ? 127 : v;
#endif
  } else {
    v = v < p.activation_min ? p.activation_min : v;
    v = v > p.activation_max ? p.activation_max : v;
  }
  return static_cast<int8_t>(v);
}

static inline bool embbert_full_range(const embbert_requant_prepared& p) {
  return p.activation_min == -128 && p.activation_max == 127;
}

// True when every accumulator of magnitude at most `bound` suits embbert_requantize_small.
static inline bool embbert_small_enough(int64_t bound, const embbert_requant_prepared& p) {
  return (bound << (p.left_shift + 1)) < (1ll << 31);
}

// Calls body(requantize) with the cheapest requantization valid for accumulators up to `bound`.
template <typename Body>
static inline void embbert_with_requantize(int64_t bound, const embbert_requant_prepared& p, Body body) {
  if (!embbert_small_enough(bound, p)) {
    body([&p](int32_t acc) { return embbert_requantize(acc, p); });
  } else if (embbert_full_range(p)) {
    body([&p](int32_t acc) { return embbert_requantize_small<true>(acc, p); });
  } else {
    body([&p](int32_t acc) { return embbert_requantize_small<false>(acc, p); });
  }
}

#endif  // EMBBERT_FIRMWARE_KERNELS_REQUANTIZE_H_
