#include "embbert_kernels.h"
#include "requantize.h"

namespace {

// The tables hold inputs rescaled below 2^28 in magnitude (the reference's multipliers are below one and
// its left shift is 20 bits on a 9-bit value): their sum suits embbert_requantize_small.
template <bool kFullRange>
void Add(const int8_t* in1, int stride1, const int8_t* in2, int stride2, int size, const int32_t* t1,
         const int32_t* t2, const embbert_requant_prepared& q, int8_t* out) {
  if (stride1 == 1 && stride2 == 1) {
    for (int i = 0; i < size; ++i) out[i] = embbert_requantize_small<kFullRange>(t1[in1[i]] + t2[in2[i]], q);
  } else if (stride2 == 0) {
    const int32_t term = t2[*in2];
    for (int i = 0; i < size; ++i, in1 += stride1) out[i] = embbert_requantize_small<kFullRange>(t1[*in1] + term, q);
  } else {
    for (int i = 0; i < size; ++i, in1 += stride1, in2 += stride2) {
      out[i] = embbert_requantize_small<kFullRange>(t1[*in1] + t2[*in2], q);
    }
  }
}

}  // namespace

void embbert_add_s8(const int8_t* in1, int stride1, const int8_t* in2, int stride2, int size, const int32_t* table1,
                    const int32_t* table2, const embbert_requant& requant, int8_t* out) {
  const embbert_requant_prepared q = embbert_prepare_requant(requant);
  if (embbert_full_range(q)) {
    Add<true>(in1, stride1, in2, stride2, size, table1 + 128, table2 + 128, q, out);
  } else {
    Add<false>(in1, stride1, in2, stride2, size, table1 + 128, table2 + 128, q, out);
  }
}
