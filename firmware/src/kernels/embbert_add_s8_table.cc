#include "embbert_kernels.h"
#include "tensorflow/lite/kernels/internal/common.h"

void embbert_add_s8_table(int32_t offset, int32_t left_shift, int32_t multiplier, int32_t shift, bool negate,
                          int32_t* table) {
  for (int v = -128; v < 128; ++v) {
    const int32_t scaled =
        tflite::MultiplyByQuantizedMultiplierSmallerThanOneExp((v + offset) * (1 << left_shift), multiplier, shift);
    table[v + 128] = negate ? -scaled : scaled;
  }
}
