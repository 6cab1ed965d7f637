#include <cstring>

#include "embbert_kernels.h"
#include "requantize.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__thumb2__)
#define EMBBERT_MAT_MULT_DSP 1
#endif

// Blocks of four lhs rows are widened to int16 with lhs_offset added, interleaved per group of four k
// as the words (r0: k0,k2) (r0: k1,k3) (r1: k0,k2) ... (r3: k1,k3): the order in which SXTB16 splits a
// word of four rhs bytes into its even and odd bytes, so that each SMLAD multiplies matching k. Each
// rhs word is then loaded and split once for four rows. The depth % 4 tail follows in plain order, row
// by row. Rows past the end of lhs repeat its last row; their outputs are not stored.
namespace {

constexpr int kBlockRows = 4;

void WidenRows(const int8_t* const rows[kBlockRows], int depth, int32_t offset, int16_t* dst,
               int32_t sums[kBlockRows]) {
  const int groups = depth / 4;
  for (int i = 0; i < kBlockRows; ++i) sums[i] = 0;
  for (int g = 0; g < groups; ++g) {
    for (int i = 0; i < kBlockRows; ++i) {
      const int8_t* a = rows[i] + 4 * g;
      const int16_t w[4] = {static_cast<int16_t>(a[0] + offset), static_cast<int16_t>(a[2] + offset),
                            static_cast<int16_t>(a[1] + offset), static_cast<int16_t>(a[3] + offset)};
      std::memcpy(dst, w, sizeof(w));
      dst += 4;
      sums[i] += w[0] + w[1] + w[2] + w[3];
    }
  }
  for (int i = 0; i < kBlockRows; ++i) {
    for (int k = 4 * groups; k < depth; ++k) {
      *dst = static_cast<int16_t>(rows[i][k] + offset);
      sums[i] += *dst++;
    }
  }
}

// acc[i] += the sum over the grouped depth of widened row i times the rhs row `col`.
inline void DotColumn(const int16_t* lhs, const int8_t* col, int groups, int32_t acc[kBlockRows]) {
#if defined(EMBBERT_MAT_MULT_DSP)
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  // One step: 16 MACs in 13 instructions (one rhs word, split once, against four widened rows loaded
  // with two LDMs); the loop runs two steps per iteration.
#define EMBBERT_MAT_MULT_STEP                 \
  "ldr %[w], [%[b]], #4\n\t"                 \
  "ldmia %[a]!, {r8, r9, r10, r11}\n\t"      \
  "sxtb16 %[t], %[w]\n\t"                    \
  "sxtb16 %[w], %[w], ror #8\n\t"            \
  "smlad %[a0], r8, %[t], %[a0]\n\t"         \
  "smlad %[a0], r9, %[w], %[a0]\n\t"         \
  "smlad %[a1], r10, %[t], %[a1]\n\t"        \
  "smlad %[a1], r11, %[w], %[a1]\n\t"        \
  "ldmia %[a]!, {r8, r9, r10, r11}\n\t"      \
  "smlad %[a2], r8, %[t], %[a2]\n\t"         \
  "smlad %[a2], r9, %[w], %[a2]\n\t"         \
  "smlad %[a3], r10, %[t], %[a3]\n\t"        \
  "smlad %[a3], r11, %[w], %[a3]\n\t"
  uint32_t w, t;
  if (groups & 1) {
    asm volatile(EMBBERT_MAT_MULT_STEP
                 : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "=&r"(w), [t] "=&r"(t),
                   [a] "+r"(lhs), [b] "+r"(col)
                 :
                 : "r8", "r9", "r10", "r11", "memory");
  }
  if (groups >= 2) {
    int n = groups / 2;
    asm volatile("1:\n\t" EMBBERT_MAT_MULT_STEP EMBBERT_MAT_MULT_STEP
                 "subs %[n], %[n], #1\n\t"
                 "bne 1b\n\t"
                 : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "=&r"(w), [t] "=&r"(t),
                   [a] "+r"(lhs), [b] "+r"(col), [n] "+r"(n)
                 :
                 : "r8", "r9", "r10", "r11", "cc", "memory");
  }
#undef EMBBERT_MAT_MULT_STEP
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
#else
  for (int g = 0; g < groups; ++g, lhs += 4 * kBlockRows, col += 4) {
    for (int i = 0; i < kBlockRows; ++i) {
      const int16_t* l = lhs + 4 * i;
      acc[i] += l[0] * col[0] + l[1] * col[2] + l[2] * col[1] + l[3] * col[3];
    }
  }
#endif
}

}  // namespace

size_t embbert_mat_mult_nt_s8_scratch_bytes(int depth) {
  return kBlockRows * static_cast<size_t>(depth) * sizeof(int16_t);
}

void embbert_mat_mult_nt_s8(const int8_t* lhs, const int8_t* rhs, const int32_t* bias, int8_t* out, int rows,
                            int cols, int depth, int out_stride, int32_t lhs_offset, int32_t rhs_offset,
                            const embbert_requant& requant, int16_t* scratch) {
  const embbert_requant_prepared q = embbert_prepare_requant(requant);
  const int groups = depth / 4;
  const int rest = depth - 4 * groups;
  const int16_t* tail = scratch + 4 * kBlockRows * groups;
  // |accumulator| <= 255 * 255 * depth + |bias|: each term is a product of two offset int8 values.
  int64_t bound = 65025ll * depth;
  int32_t max_bias = 0;
  for (int c = 0; bias != nullptr && c < cols; ++c) max_bias = bias[c] > max_bias ? bias[c] : (-bias[c] > max_bias ? -bias[c] : max_bias);
  bound += max_bias;
  for (int r = 0; r < rows; r += kBlockRows) {
    const int8_t* block[kBlockRows];
    const int n_rows = rows - r < kBlockRows ? rows - r : kBlockRows;
    for (int i = 0; i < kBlockRows; ++i) block[i] = lhs + static_cast<size_t>(r + (i < n_rows ? i : n_rows - 1)) * depth;
    int32_t row_term[kBlockRows];
    WidenRows(block, depth, lhs_offset, scratch, row_term);
    for (int i = 0; i < kBlockRows; ++i) row_term[i] *= rhs_offset;
    int8_t* out_block = out + static_cast<size_t>(r) * out_stride;
    const int8_t* col = rhs;
    if (n_rows == kBlockRows && rest == 0) {  // the common case, without the tails' loops
      embbert_with_requantize(bound, q, [&](auto requantize) {
        int8_t* out1 = out_block + out_stride;
        int8_t* out2 = out1 + out_stride;
        int8_t* out3 = out2 + out_stride;
        for (int c = 0; c < cols; ++c, col += depth) {
          const int32_t b = bias != nullptr ? bias[c] : 0;
          int32_t acc[kBlockRows] = {row_term[0] + b, row_term[1] + b, row_term[2] + b, row_term[3] + b};
          DotColumn(scratch, col, groups, acc);
          out_block[c] = requantize(acc[0]);
          out1[c] = requantize(acc[1]);
          out2[c] = requantize(acc[2]);
          out3[c] = requantize(acc[3]);
        }
      });
      continue;
    }
    for (int c = 0; c < cols; ++c, col += depth) {
      const int32_t b = bias != nullptr ? bias[c] : 0;
      int32_t acc[kBlockRows] = {row_term[0] + b, row_term[1] + b, row_term[2] + b, row_term[3] + b};
      DotColumn(scratch, col, groups, acc);
      for (int i = 0; i < n_rows; ++i) {
        for (int k = 0; k < rest; ++k) acc[i] += tail[i * rest + k] * col[4 * groups + k];
        out_block[static_cast<size_t>(i) * out_stride + c] = embbert_requantize(acc[i], q);
      }
    }
  }
}
