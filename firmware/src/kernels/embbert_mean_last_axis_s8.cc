#include <algorithm>

#include "embbert_kernels.h"
#include "tensorflow/lite/kernels/internal/common.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#endif

#include <cstring>

namespace {

int32_t RowSum(const int8_t* in, int depth) {
  int32_t sum = 0;
  int k = 0;
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
  const uint32_t ones = 0x00010001u;
  for (; k + 4 <= depth; k += 4) {  // four bytes: two SXTB16 halves, each summed by one SMLAD
    uint32_t w;
    std::memcpy(&w, in + k, sizeof(w));
    sum = __smlad(__sxtb16(w), ones, sum);
    sum = __smlad(__sxtb16((w >> 8) | (w << 24)), ones, sum);
  }
#endif
  for (; k < depth; ++k) sum += in[k];
  return sum;
}

}  // namespace

void embbert_mean_last_axis_s8(const int8_t* in, int rows, int depth, int32_t input_zero_point, int32_t multiplier,
                               int32_t shift, int32_t output_zero_point, int8_t* out) {
  // The reference's rescaling for a mean of `depth` elements (reference_ops::QuantizedMeanOrSum).
  int fold = 63 - tflite::CountLeadingZeros(static_cast<uint64_t>(depth));
  fold = std::min(fold, 32);
  fold = std::min(fold, 31 + static_cast<int>(shift));
  const int32_t mean_multiplier = static_cast<int32_t>((static_cast<int64_t>(multiplier) << fold) / depth);
  const int mean_shift = static_cast<int>(shift) - fold;
  for (int r = 0; r < rows; ++r, in += depth) {
    const int32_t shifted_sum = RowSum(in, depth) - input_zero_point * depth;
    const int32_t v = tflite::MultiplyByQuantizedMultiplier(shifted_sum, mean_multiplier, mean_shift) + output_zero_point;
    out[r] = static_cast<int8_t>(std::min<int32_t>(std::max<int32_t>(v, -128), 127));
  }
}
