#include "embbert_kernels.h"

void embbert_lut_s8(const int8_t* in, int size, const int8_t* table, int8_t* out) {
  const int8_t* centred = table + 128;
  int i = 0;
  for (; i + 4 <= size; i += 4) {
    const int8_t x0 = in[i], x1 = in[i + 1], x2 = in[i + 2], x3 = in[i + 3];
    out[i] = centred[x0];
    out[i + 1] = centred[x1];
    out[i + 2] = centred[x2];
    out[i + 3] = centred[x3];
  }
  for (; i < size; ++i) out[i] = centred[in[i]];
}
