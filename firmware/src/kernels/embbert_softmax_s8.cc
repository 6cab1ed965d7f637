#include "embbert_kernels.h"
#include "requantize.h"
#include "tensorflow/lite/kernels/internal/common.h"

void embbert_softmax_s8(const int8_t* in, int rows, int depth, const int32_t* exp_table, int8_t* out) {
  constexpr int kAccumulationIntegerBits = 12;
  for (int r = 0; r < rows; ++r, in += depth, out += depth) {
    int32_t max_in_row = -128;
    for (int c = 0; c < depth; ++c) max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
    // The table is indexed by the distance from the maximum: in - max = -d.
    const int32_t* exp_of = exp_table + max_in_row;
    // sum_of_exps in Q12.19: each exp (Q0.31) rescaled by gemmlowp::Rescale<12>, a rounding shift.
    int32_t sum_of_exps = 0;
    for (int c = 0; c < depth; ++c) {
      sum_of_exps += embbert_rounding_divide_by_pot(exp_of[-in[c]], kAccumulationIntegerBits);
    }
    int num_bits_over_unit;
    const int32_t shifted_scale = tflite::GetReciprocal(sum_of_exps, kAccumulationIntegerBits, &num_bits_over_unit);
    const int exponent = num_bits_over_unit + 31 - 8;
    for (int c = 0; c < depth; ++c) {
      const int32_t unsat =
          embbert_rounding_divide_by_pot(embbert_doubling_high_mul(shifted_scale, exp_of[-in[c]]), exponent);
      const int32_t shifted = unsat - 128;
      out[c] = static_cast<int8_t>(shifted > 127 ? 127 : shifted);
    }
  }
}
