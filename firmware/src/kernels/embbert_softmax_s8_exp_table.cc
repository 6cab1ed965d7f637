#include "embbert_kernels.h"
#include "tensorflow/lite/kernels/internal/common.h"

void embbert_softmax_s8_exp_table(int32_t diff_min, int32_t input_multiplier, int32_t input_left_shift,
                                  int32_t* table) {
  using FixedPointScaledDiff = gemmlowp::FixedPoint<int32_t, 5>;  // the reference's kScaledDiffIntegerBits
  for (int d = 0; d < 256; ++d) {
    const int32_t input_diff = -d;
    if (input_diff < diff_min) {
      table[d] = 0;
      continue;
    }
    const int32_t rescaled =
        tflite::MultiplyByQuantizedMultiplierGreaterThanOne(input_diff, input_multiplier, input_left_shift);
    table[d] = gemmlowp::exp_on_negative_values(FixedPointScaledDiff::FromRaw(rescaled)).raw();
  }
}
