#include "embbert_kernels.h"
#include "requantize.h"

void embbert_mul_s8(const int8_t* in1, int stride1, const int8_t* in2, int stride2, int size, int32_t offset1,
                    int32_t offset2, const embbert_requant& requant, int8_t* out) {
  const embbert_requant_prepared q = embbert_prepare_requant(requant);
  for (int i = 0; i < size; ++i, in1 += stride1, in2 += stride2) {
    out[i] = embbert_requantize((*in1 + offset1) * (*in2 + offset2), q);
  }
}
