#include "embbert_kernels.h"
#include "tensorflow/lite/kernels/internal/quantization_util.h"

void embbert_matmul_multiplier(float input_scale, float filter_scale, float output_scale, int32_t* multiplier,
                               int32_t* shift) {
  // Both scales widened before the product: the product of two floats is exact in a double, and rounding it
  // to float first (the pinned TFLM's GetQuantizedConvolutionMultipler) moves the multiplier by up to ~2^-24.
  const double real_multiplier =
      static_cast<double>(input_scale) * static_cast<double>(filter_scale) / static_cast<double>(output_scale);
  int exponent;
  tflite::QuantizeMultiplier(real_multiplier, multiplier, &exponent);
  *shift = exponent;
}
