// TFLite's MultiplyByQuantizedMultiplier (gemmlowp double rounding), inline: the kernels call it once per
// output, where a library call would cost as much as the arithmetic.
#ifndef EMBBERT_FIRMWARE_KERNELS_REQUANTIZE_H_
#define EMBBERT_FIRMWARE_KERNELS_REQUANTIZE_H_

#include <cstdint>

#include "embbert_kernels.h"

// gemmlowp::SaturatingRoundingDoublingHighMul(a, b) for b >= 0 (a quantized multiplier never is
// INT32_MIN, so the one saturating case cannot occur).
static inline int32_t embbert_doubling_high_mul(int32_t a, int32_t b) {
  const int64_t ab = static_cast<int64_t>(a) * b;
  const int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
  return static_cast<int32_t>((ab + nudge) / (1ll << 31));
}

// gemmlowp::RoundingDivideByPOT(x, exponent): round half away from zero.
static inline int32_t embbert_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((1ll << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t embbert_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift);
  return embbert_rounding_divide_by_pot(embbert_doubling_high_mul(shifted, multiplier), right_shift);
}

static inline int8_t embbert_requantize(int32_t acc, const embbert_requant& q) {
  int32_t v = embbert_multiply_by_quantized_multiplier(acc, q.multiplier, q.shift) + q.output_offset;
  v = v < q.activation_min ? q.activation_min : v;
  v = v > q.activation_max ? q.activation_max : v;
  return static_cast<int8_t>(v);
}

#endif  // EMBBERT_FIRMWARE_KERNELS_REQUANTIZE_H_
