#include <cstring>

#include "embbert_kernels.h"
#include "requantize.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define EMBBERT_DEPTHWISE_DSP 1
#endif

// One channel at a time: its input series (with the offset) widened to int16, its taps packed in pairs
// (f[2p], f[2p+1]); the word at series index x is the pair (s[x], s[x+1]), so one SMLAD adds two taps
// of one output. Four outputs advance together, and the words of a step are reused by the next.
namespace {

constexpr int kBlock = 4;

// Series length including the zero padding that the last block and an odd tap count may read.
int SeriesLength(int length, int taps) { return length + taps + kBlock + 1; }

int TapPairs(int taps) { return (taps + 1) / 2; }

inline uint32_t Word(const int16_t* s, int x) {
  uint32_t w;
  std::memcpy(&w, s + x, sizeof(w));
  return w;
}

inline int32_t Dot2(uint32_t x, uint32_t y, int32_t acc) {
#if defined(EMBBERT_DEPTHWISE_DSP)
  return __smlad(x, y, acc);
#else
  return acc + static_cast<int16_t>(x & 0xffff) * static_cast<int16_t>(y & 0xffff) +
         static_cast<int16_t>(x >> 16) * static_cast<int16_t>(y >> 16);
#endif
}

}  // namespace

size_t embbert_depthwise_conv_1d_s8_scratch_bytes(int length, int taps) {
  return (static_cast<size_t>(SeriesLength(length, taps)) + 1) / 2 * 4 + static_cast<size_t>(TapPairs(taps)) * 4;
}

void embbert_depthwise_conv_1d_s8(const int8_t* in, const int8_t* filter, const int32_t* bias, int8_t* out,
                                  int length, int taps, int channels, int32_t input_offset,
                                  const int32_t* multipliers, const int32_t* shifts, int32_t output_offset,
                                  int32_t activation_min, int32_t activation_max, int16_t* scratch) {
  const int series_length = SeriesLength(length, taps);
  const int in_length = length + taps - 1;
  const int pairs = TapPairs(taps);
  int16_t* series = scratch;
  uint32_t* tap_pairs = reinterpret_cast<uint32_t*>(scratch + (series_length + 1) / 2 * 2);
  std::memset(series + in_length, 0, static_cast<size_t>(series_length - in_length) * sizeof(int16_t));
  for (int c = 0; c < channels; ++c) {
    for (int t = 0; t < in_length; ++t) series[t] = static_cast<int16_t>(in[t * channels + c] + input_offset);
    for (int p = 0; p < pairs; ++p) {
      const int32_t lo = filter[2 * p * channels + c];
      const int32_t hi = 2 * p + 1 < taps ? filter[(2 * p + 1) * channels + c] : 0;
      tap_pairs[p] = (static_cast<uint32_t>(lo) & 0xffff) | (static_cast<uint32_t>(hi) << 16);
    }
    const embbert_requant_prepared q =
        embbert_prepare_requant({multipliers[c], shifts[c], output_offset, activation_min, activation_max});
    const int32_t b = bias != nullptr ? bias[c] : 0;
    // |accumulator| <= 255 * 128 * taps + |bias|.
    embbert_with_requantize(32640ll * taps + (b < 0 ? -static_cast<int64_t>(b) : b), q, [&](auto requantize) {
      for (int t = 0; t < length; t += kBlock) {
        int32_t a0 = b, a1 = b, a2 = b, a3 = b;
        const int16_t* s = series + t;
        uint32_t s0 = Word(s, 0), s1 = Word(s, 1);
        const uint32_t* f = tap_pairs;
        const uint32_t* const f_end = tap_pairs + pairs;
        for (; f + 2 <= f_end; f += 2, s += 4) {  // two steps: the loop overhead is a third of the work
          const uint32_t s2 = Word(s, 2), s3 = Word(s, 3), s4 = Word(s, 4), s5 = Word(s, 5);
          a0 = Dot2(s0, f[0], a0);
          a1 = Dot2(s1, f[0], a1);
          a2 = Dot2(s2, f[0], a2);
          a3 = Dot2(s3, f[0], a3);
          a0 = Dot2(s2, f[1], a0);
          a1 = Dot2(s3, f[1], a1);
          a2 = Dot2(s4, f[1], a2);
          a3 = Dot2(s5, f[1], a3);
          s0 = s4;
          s1 = s5;
        }
        if (f < f_end) {
          a0 = Dot2(s0, f[0], a0);
          a1 = Dot2(s1, f[0], a1);
          a2 = Dot2(Word(s, 2), f[0], a2);
          a3 = Dot2(Word(s, 3), f[0], a3);
        }
        const int32_t acc[kBlock] = {a0, a1, a2, a3};
        const int n = length - t < kBlock ? length - t : kBlock;
        for (int i = 0; i < n; ++i) out[(t + i) * channels + c] = requantize(acc[i]);
      }
    });
  }
}
