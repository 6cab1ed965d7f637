#include <algorithm>

#include "embbert_kernels.h"
#include "tensorflow/lite/kernels/internal/quantization_util.h"

void embbert_add_sub_multipliers(float input1_scale, float input2_scale, float output_scale, int left_shift,
                                 int32_t multipliers[3], int shifts[3]) {
  // 2 max is exact in float; each quotient is then taken in double (the pinned SUB divides in float first).
  const double twice_max_input_scale = static_cast<double>(2 * std::max(input1_scale, input2_scale));
  const double real_multipliers[3] = {
      static_cast<double>(input1_scale) / twice_max_input_scale,
      static_cast<double>(input2_scale) / twice_max_input_scale,
      twice_max_input_scale / ((1 << left_shift) * static_cast<double>(output_scale)),
  };
  for (int i = 0; i < 3; ++i) {
    tflite::QuantizeMultiplierSmallerThanOneExp(real_multipliers[i], &multipliers[i], &shifts[i]);
  }
}
