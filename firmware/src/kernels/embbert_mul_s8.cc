#include "embbert_kernels.h"
#include "requantize.h"

namespace {

// Products of two int8 values with offsets are at most 255 * 255: small enough for
// embbert_requantize_small when the left shift is at most 14.
template <bool kFullRange>
void Multiply(const int8_t* in1, int stride1, const int8_t* in2, int stride2, int size, int32_t offset1,
              int32_t offset2, const embbert_requant_prepared& q, int8_t* out) {
  if (stride2 == 0) {  // broadcast of in2: one factor for the whole run
    const int32_t factor = *in2 + offset2;
    for (int i = 0; i < size; ++i, in1 += stride1) out[i] = embbert_requantize_small<kFullRange>((*in1 + offset1) * factor, q);
  } else if (stride1 == 0) {
    const int32_t factor = *in1 + offset1;
    for (int i = 0; i < size; ++i, in2 += stride2) out[i] = embbert_requantize_small<kFullRange>(factor * (*in2 + offset2), q);
  } else {
    for (int i = 0; i < size; ++i) out[i] = embbert_requantize_small<kFullRange>((in1[i] + offset1) * (in2[i] + offset2), q);
  }
}

}  // namespace

void embbert_mul_s8(const int8_t* in1, int stride1, const int8_t* in2, int stride2, int size, int32_t offset1,
                    int32_t offset2, const embbert_requant& requant, int8_t* out) {
  const embbert_requant_prepared q = embbert_prepare_requant(requant);
  if (q.left_shift > 14) {
    for (int i = 0; i < size; ++i, in1 += stride1, in2 += stride2) {
      out[i] = embbert_requantize((*in1 + offset1) * (*in2 + offset2), q);
    }
  } else if (embbert_full_range(q)) {
    Multiply<true>(in1, stride1, in2, stride2, size, offset1, offset2, q, out);
  } else {
    Multiply<false>(in1, stride1, in2, stride2, size, offset1, offset2, q, out);
  }
}
