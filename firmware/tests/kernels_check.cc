// Checks src/kernels/ against the TFLite Micro reference kernels on random shapes, values and
// quantization parameters: every output byte must match. Built for the host (the kernels' plain C path:
// kernels_check_host.cc) and for QEMU mps2-an386 (their SMLAD path: kernels_check_board.cc) by
// tests/test_firmware_kernels.py. No heap: buffers come from a static pool, reset for each trial.
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <random>

#include "kernels_check.h"

#include "broadcast_rows.h"
#include "embbert_kernels.h"
#include "requantize.h"
#include "tensorflow/lite/kernels/internal/common.h"
#include "tensorflow/lite/kernels/internal/quantization_util.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/add.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/mul.h"
#include "tensorflow/lite/kernels/internal/reference/reduce.h"
#include "tensorflow/lite/kernels/internal/reference/sub.h"
#include "tensorflow/lite/kernels/internal/reference/softmax.h"

namespace {

std::mt19937 rng(1234);
void (*g_print)(const char*) = nullptr;

void Print(const char* format, ...) {
  char line[160];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof(line), format, args);
  va_end(args);
  g_print(line);
}

// Bump allocation from a static pool; Reset() frees everything.
class Pool {
 public:
  template <typename T>
  T* Alloc(size_t n) {
    used_ = (used_ + 7) & ~static_cast<size_t>(7);
    if (used_ + n * sizeof(T) > sizeof(storage_)) {
      Print("kernels_check: pool exhausted\n");
      return nullptr;
    }
    T* p = reinterpret_cast<T*>(storage_ + used_);
    used_ += n * sizeof(T);
    for (size_t i = 0; i < n; ++i) p[i] = T();
    return p;
  }
  void Reset() { used_ = 0; }

 private:
  alignas(8) unsigned char storage_[160 * 1024];
  size_t used_ = 0;
};

Pool pool;

tflite::RuntimeShape Shape(int a, int b) {
  const int32_t dims[2] = {a, b};
  return tflite::RuntimeShape(2, dims);
}

tflite::RuntimeShape Shape(int a) {
  const int32_t dims[1] = {a};
  return tflite::RuntimeShape(1, dims);
}

int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

int8_t* RandomInt8(size_t n, int lo = -128, int hi = 127) {
  int8_t* v = pool.Alloc<int8_t>(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int8_t>(Uniform(lo, hi));
  return v;
}

int CountDifferences(const int8_t* want, const int8_t* got, size_t n) {
  int bad = 0;
  for (size_t i = 0; i < n; ++i) bad += want[i] != got[i];
  return bad;
}

// A multiplier and shift as QuantizeMultiplier makes them for a scale in [2^-20, 4).
void RandomMultiplier(int32_t* multiplier, int* shift) {
  const double scale = std::ldexp(std::uniform_real_distribution<double>(0.5, 1.0)(rng), Uniform(-19, 2));
  tflite::QuantizeMultiplier(scale, multiplier, shift);
}

int CheckRequantize(int trials) {
  int bad = 0;
  for (int t = 0; t < trials; ++t) {
    int32_t m;
    int s;
    RandomMultiplier(&m, &s);
    // Half the values small (any shift), half anywhere in int32 (right shifts only: a left shift would
    // overflow the reference too).
    if (t % 2 == 1 && s > 0) s = -s;
    const int32_t x = t % 2 == 0 ? std::uniform_int_distribution<int32_t>(-(1 << 22), 1 << 22)(rng) >> Uniform(0, 20)
                                 : std::uniform_int_distribution<int32_t>(INT32_MIN, INT32_MAX)(rng);
    bad += embbert_multiply_by_quantized_multiplier(x, m, s) != tflite::MultiplyByQuantizedMultiplier(x, m, s);
  }
  Print("requantize: %d values, %d differ\n", trials, bad);
  return bad;
}

// Random offsets and requantization of an int8 matrix product (odd trials with a weights offset), full range.
tflite::FullyConnectedParams RandomMatMultParams(int t) {
  tflite::FullyConnectedParams p;
  p.input_offset = -Uniform(-128, 127);
  p.weights_offset = t % 2 ? -Uniform(-128, 127) : 0;
  p.output_offset = Uniform(-128, 127);
  int shift;
  RandomMultiplier(&p.output_multiplier, &shift);
  p.output_shift = shift;
  p.quantized_activation_min = -128;
  p.quantized_activation_max = 127;
  return p;
}

int CheckMatMult(int trials) {
  int bad = 0, outputs = 0;
  for (int t = 0; t < trials; ++t) {
    pool.Reset();
    const bool big = t % 10 == 0;
    const int rows = big ? 64 : Uniform(1, 9), cols = big ? 128 : Uniform(1, 9);
    const int depth = big ? 128 : Uniform(1, 40);
    const auto lhs = RandomInt8(static_cast<size_t>(rows) * depth);
    const auto rhs = RandomInt8(static_cast<size_t>(cols) * depth);
    int32_t* bias = pool.Alloc<int32_t>(cols);
    // Every seventh product with biases near 2^28: accumulators too large for the SMMULR requantization.
    const int bias_range = t % 7 == 3 ? (1 << 28) : 20000;
    for (int c = 0; c < cols; ++c) bias[c] = Uniform(-bias_range, bias_range);
    const bool with_bias = t % 3 != 0;
    tflite::FullyConnectedParams p = RandomMatMultParams(t);
    p.quantized_activation_min = t % 4 ? -128 : Uniform(-128, 0);
    p.quantized_activation_max = t % 4 ? 127 : Uniform(0, 127);
    const size_t n = static_cast<size_t>(rows) * cols;
    int8_t* want = pool.Alloc<int8_t>(n);
    int8_t* got = pool.Alloc<int8_t>(n);
    tflite::reference_integer_ops::FullyConnected(
        p, Shape(rows, depth), lhs, Shape(cols, depth), rhs,
        Shape(cols), with_bias ? bias : nullptr, Shape(rows, cols),
        want);
    const embbert_requant q = {p.output_multiplier, p.output_shift, p.output_offset, p.quantized_activation_min,
                               p.quantized_activation_max};
    int16_t* scratch = pool.Alloc<int16_t>(embbert_mat_mult_nt_s8_scratch_bytes(depth) / sizeof(int16_t));
    embbert_mat_mult_nt_s8(lhs, rhs, with_bias ? bias : nullptr, got, rows, cols, depth,
                           cols, p.input_offset, p.weights_offset, q, scratch);
    bad += CountDifferences(want, got, n);
    outputs += static_cast<int>(n);
  }
  Print("mat_mult_nt: %d products, %d outputs, %d differ\n", trials, outputs, bad);
  return bad;
}

// embbert_mat_mult_nn_s8 (rhs depth x cols, read in panels) against the reference FullyConnected on the
// transposed rhs, with widths across the panel size.
int CheckMatMultNN(int trials) {
  int bad = 0, outputs = 0;
  for (int t = 0; t < trials; ++t) {
    pool.Reset();
    const bool big = t % 5 == 0;
    const int rows = big ? Uniform(30, 90) : Uniform(1, 9), cols = big ? Uniform(60, 130) : Uniform(1, 40);
    const int depth = big ? 256 : Uniform(1, 40);
    const auto lhs = RandomInt8(static_cast<size_t>(rows) * depth);
    const auto rhs = RandomInt8(static_cast<size_t>(depth) * cols);
    int8_t* rhs_t = pool.Alloc<int8_t>(static_cast<size_t>(cols) * depth);
    for (int k = 0; k < depth; ++k) {
      for (int c = 0; c < cols; ++c) rhs_t[static_cast<size_t>(c) * depth + k] = rhs[static_cast<size_t>(k) * cols + c];
    }
    const tflite::FullyConnectedParams p = RandomMatMultParams(t);
    const size_t n = static_cast<size_t>(rows) * cols;
    int8_t* want = pool.Alloc<int8_t>(n);
    int8_t* got = pool.Alloc<int8_t>(n);
    tflite::reference_integer_ops::FullyConnected(p, Shape(rows, depth), lhs, Shape(cols, depth), rhs_t, Shape(cols),
                                                  static_cast<const int32_t*>(nullptr), Shape(rows, cols), want);
    const embbert_requant q = {p.output_multiplier, p.output_shift, p.output_offset, p.quantized_activation_min,
                               p.quantized_activation_max};
    int16_t* scratch = pool.Alloc<int16_t>((embbert_mat_mult_nn_s8_scratch_bytes(depth, cols) + 1) / sizeof(int16_t));
    embbert_mat_mult_nn_s8(lhs, rhs, got, rows, cols, depth, p.input_offset, p.weights_offset, q, scratch);
    bad += CountDifferences(want, got, n);
    outputs += static_cast<int>(n);
  }
  Print("mat_mult_nn: %d products, %d outputs, %d differ\n", trials, outputs, bad);
  return bad;
}

tflite::RuntimeShape Shape(int a, int b, int c, int d) {
  const int32_t dims[4] = {a, b, c, d};
  return tflite::RuntimeShape(4, dims);
}

int CheckDepthwiseConv1d(int trials) {
  int bad = 0, outputs = 0;
  for (int t = 0; t < trials; ++t) {
    pool.Reset();
    const bool big = t % 10 == 0;
    const int length = big ? 64 : Uniform(1, 13), taps = big ? 32 : Uniform(1, 9), channels = big ? 128 : Uniform(1, 6);
    const int in_length = length + taps - 1;
    const auto in = RandomInt8(static_cast<size_t>(in_length) * channels);
    const auto filter = RandomInt8(static_cast<size_t>(taps) * channels, -127, 127);
    int32_t* bias = pool.Alloc<int32_t>(channels);
    int32_t* multipliers = pool.Alloc<int32_t>(channels);
    int32_t* shifts = pool.Alloc<int32_t>(channels);
    for (int c = 0; c < channels; ++c) {
      bias[c] = t % 7 == 3 ? Uniform(-(1 << 28), 1 << 28) : Uniform(-20000, 20000);  // 1 in 7: the 64-bit path
      int shift;
      RandomMultiplier(&multipliers[c], &shift);
      shifts[c] = shift;
    }
    const bool with_bias = t % 3 != 0;
    tflite::DepthwiseParams p = {};
    p.padding_type = tflite::PaddingType::kValid;
    p.stride_width = p.stride_height = p.dilation_width_factor = p.dilation_height_factor = 1;
    p.depth_multiplier = 1;
    p.input_offset = -Uniform(-128, 127);
    p.output_offset = Uniform(-128, 127);
    p.quantized_activation_min = -128;
    p.quantized_activation_max = 127;
    const size_t n = static_cast<size_t>(length) * channels;
    int8_t* want = pool.Alloc<int8_t>(n);
    int8_t* got = pool.Alloc<int8_t>(n);
    tflite::reference_integer_ops::DepthwiseConvPerChannel(
        p, multipliers, shifts, Shape(1, 1, in_length, channels), in,
        Shape(1, 1, taps, channels), filter, Shape(channels), with_bias ? bias : nullptr,
        Shape(1, 1, length, channels), want);
    int16_t* scratch = pool.Alloc<int16_t>(embbert_depthwise_conv_1d_s8_scratch_bytes(length, taps) / sizeof(int16_t));
    embbert_depthwise_conv_1d_s8(in, filter, with_bias ? bias : nullptr, got, length,
                                 taps, channels, p.input_offset, multipliers, shifts, p.output_offset,
                                 -128, 127, scratch);
    bad += CountDifferences(want, got, n);
    outputs += static_cast<int>(n);
  }
  Print("depthwise_conv_1d: %d convolutions, %d outputs, %d differ\n", trials, outputs, bad);
  return bad;
}

tflite::RuntimeShape Shape(int a, int b, int c) {
  const int32_t dims[3] = {a, b, c};
  return tflite::RuntimeShape(3, dims);
}

double UniformReal(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

// ADD, SUB and MUL with and without broadcasting (a [a,b,c] tensor with [a,b,c], [a,b,1], [c], [1,b,1]
// or [1,1,1], either way round) against BroadcastAdd6DSlow, BroadcastQuantSubSlow, BroadcastMul6DSlow.
int CheckElementwise(int trials) {
  int bad = 0, outputs = 0;
  for (int t = 0; t < trials; ++t) {
    pool.Reset();
    const int a = Uniform(1, 3), b = Uniform(1, 7), c = Uniform(1, 9);
    const tflite::RuntimeShape full = Shape(a, b, c);
    const tflite::RuntimeShape shapes[] = {Shape(a, b, c), Shape(a, b, 1), Shape(1, 1, c), Shape(1, b, 1), Shape(1, 1, 1)};
    const tflite::RuntimeShape other = shapes[Uniform(0, 4)];
    const bool swap = t % 2 == 1;
    const tflite::RuntimeShape& shape1 = swap ? other : full;
    const tflite::RuntimeShape& shape2 = swap ? full : other;
    const int8_t* in1 = RandomInt8(shape1.FlatSize());
    const int8_t* in2 = RandomInt8(shape2.FlatSize());
    const size_t n = full.FlatSize();
    int8_t* want = pool.Alloc<int8_t>(n);
    int8_t* got = pool.Alloc<int8_t>(n);
    tflite::ArithmeticParams p = {};
    p.input1_offset = -Uniform(-128, 127);
    p.input2_offset = -Uniform(-128, 127);
    p.output_offset = Uniform(-128, 127);
    p.quantized_activation_min = t % 5 ? -128 : Uniform(-128, 0);
    p.quantized_activation_max = t % 5 ? 127 : Uniform(0, 127);
    const int op = t % 3;  // 0 ADD, 1 SUB, 2 MUL
    int shift;
    if (op < 2) {
      p.left_shift = 20;
      tflite::QuantizeMultiplierSmallerThanOneExp(UniformReal(0.05, 0.5), &p.input1_multiplier, &shift);
      p.input1_shift = shift;
      tflite::QuantizeMultiplierSmallerThanOneExp(UniformReal(0.05, 0.5), &p.input2_multiplier, &shift);
      p.input2_shift = shift;
      tflite::QuantizeMultiplierSmallerThanOneExp(UniformReal(2e-7, 4e-6), &p.output_multiplier, &shift);
      p.output_shift = shift;
    } else {
      tflite::QuantizeMultiplier(UniformReal(1e-3, 1e-1), &p.output_multiplier, &shift);
      p.output_shift = shift;
    }
    if (op == 0) {
      tflite::reference_integer_ops::BroadcastAdd6DSlow(p, shape1, in1, shape2, in2, full, want);
    } else if (op == 1) {
      tflite::reference_ops::BroadcastQuantSubSlow(p, shape1, in1, shape2, in2, full, want);
    } else {
      tflite::reference_integer_ops::BroadcastMul6DSlow(p, shape1, in1, shape2, in2, full, want);
    }
    const embbert_requant q = {p.output_multiplier, p.output_shift, p.output_offset, p.quantized_activation_min,
                               p.quantized_activation_max};
    int32_t* table1 = pool.Alloc<int32_t>(256);
    int32_t* table2 = pool.Alloc<int32_t>(256);
    embbert_add_s8_table(p.input1_offset, p.left_shift, p.input1_multiplier, p.input1_shift, false, table1);
    embbert_add_s8_table(p.input2_offset, p.left_shift, p.input2_multiplier, p.input2_shift, op == 1, table2);
    embbert::ForEachBroadcastRun(shape1, shape2, full, [&](size_t o, size_t i1, int st1, size_t i2, int st2, int len) {
      if (op < 2) {
        embbert_add_s8(in1 + i1, st1, in2 + i2, st2, len, table1, table2, q, got + o);
      } else {
        embbert_mul_s8(in1 + i1, st1, in2 + i2, st2, len, p.input1_offset, p.input2_offset, q, got + o);
      }
    });
    bad += CountDifferences(want, got, n);
    outputs += static_cast<int>(n);
  }
  Print("add sub mul: %d tensors, %d outputs, %d differ\n", trials, outputs, bad);
  return bad;
}

int CheckMean(int trials) {
  int bad = 0, outputs = 0;
  for (int t = 0; t < trials; ++t) {
    pool.Reset();
    const int rows = Uniform(1, 9), depth = t % 5 == 0 ? 128 : Uniform(1, 40);
    const int8_t* in = RandomInt8(static_cast<size_t>(rows) * depth);
    const int32_t input_zp = Uniform(-128, 127), output_zp = Uniform(-128, 127);
    int32_t multiplier;
    int shift;
    tflite::QuantizeMultiplier(UniformReal(0.1, 4.0), &multiplier, &shift);
    const int in_dims[2] = {rows, depth}, out_dims[2] = {rows, 1}, axis[1] = {1};
    int temp_index[2], resolved_axis[2];
    int32_t* temp_sum = pool.Alloc<int32_t>(rows);
    int8_t* want = pool.Alloc<int8_t>(rows);
    int8_t* got = pool.Alloc<int8_t>(rows);
    tflite::reference_ops::QuantizedMeanOrSum<int8_t, int32_t>(in, input_zp, in_dims, 2, want, multiplier, shift,
                                                               output_zp, out_dims, 2, axis, 1, true, temp_index,
                                                               resolved_axis, temp_sum, false);
    embbert_mean_last_axis_s8(in, rows, depth, input_zp, multiplier, shift, output_zp, got);
    bad += CountDifferences(want, got, rows);
    outputs += rows;
  }
  Print("mean: %d tensors, %d outputs, %d differ\n", trials, outputs, bad);
  return bad;
}

int CheckSoftmax(int trials) {
  int bad = 0, outputs = 0;
  for (int t = 0; t < trials; ++t) {
    pool.Reset();
    const int rows = Uniform(1, 6), depth = t % 7 == 0 ? 256 : Uniform(1, 70);
    const int spread = Uniform(1, 255);
    const int lo = Uniform(-128, 127 - spread);
    const auto in = RandomInt8(static_cast<size_t>(rows) * depth, lo, lo + spread);
    const double input_scale = std::ldexp(std::uniform_real_distribution<double>(0.5, 1.0)(rng), Uniform(-8, 0));
    tflite::SoftmaxParams p;
    int left_shift;
    tflite::PreprocessSoftmaxScaling(1.0, input_scale, 5, &p.input_multiplier, &left_shift);
    p.input_left_shift = left_shift;
    p.diff_min = -1 * tflite::CalculateInputRadius(5, left_shift);
    const size_t n = static_cast<size_t>(rows) * depth;
    int8_t* want = pool.Alloc<int8_t>(n);
    int8_t* got = pool.Alloc<int8_t>(n);
    tflite::reference_ops::Softmax(p, Shape(rows, depth), in,
                                   Shape(rows, depth), want);
    int32_t table[256];
    embbert_softmax_s8_exp_table(p.diff_min, p.input_multiplier, p.input_left_shift, table);
    embbert_softmax_s8(in, rows, depth, table, got);
    bad += CountDifferences(want, got, n);
    outputs += static_cast<int>(n);
  }
  Print("softmax: %d tensors, %d outputs, %d differ\n", trials, outputs, bad);
  return bad;
}

int CheckLogisticTable(int trials) {
  int bad = 0, outputs = 0;
  for (int t = 0; t < trials; ++t) {
    pool.Reset();
    const int32_t zero_point = Uniform(-128, 127);
    const double input_scale = std::ldexp(std::uniform_real_distribution<double>(0.5, 1.0)(rng), Uniform(-9, -1));
    // As tflite::CalculateArithmeticOpDataLogistic does for int8.
    int left_shift;
    const double q = std::frexp(input_scale * (1 << 27), &left_shift);
    const int32_t multiplier = static_cast<int32_t>(tflite::TfLiteRound(q * (1ll << 31)));
    const int32_t radius = tflite::CalculateInputRadius(4, left_shift, 31);
    int8_t all[256], table[256];
    for (int i = 0; i < 256; ++i) all[i] = static_cast<int8_t>(i - 128);
    tflite::reference_integer_ops::Logistic(zero_point, radius, multiplier, left_shift, 256, all, table);
    const auto in = RandomInt8(1000);
    int8_t* want = pool.Alloc<int8_t>(1000);
    int8_t* got = pool.Alloc<int8_t>(1000);
    tflite::reference_integer_ops::Logistic(zero_point, radius, multiplier, left_shift, 1000, in, want);
    embbert_lut_s8(in, 1000, table, got);
    bad += CountDifferences(want, got, 1000);
    outputs += 1000;
  }
  Print("logistic table: %d tensors, %d outputs, %d differ\n", trials, outputs, bad);
  return bad;
}

// embbert_matmul_multiplier on the projection that set the device one LSB off the host (SNIPS validation
// example 484, embedder row 9, unit 51): the golden reference (PyPI tflite-micro) outputs 63 there, as
// tests/test_matmul_multiplier.py checks on the interpreter itself; the pinned TFLM's float product, 62.
// Then random scales: the multiplier of the scales' double product, whatever the float product rounds to.
int CheckMatmulMultiplier(int trials) {
  int bad = 0;
  const uint32_t bits[3] = {0x3A6E492Du, 0x3B0999A6u, 0x3A4D78CFu};
  float scales[3];
  std::memcpy(scales, bits, sizeof(scales));
  const int8_t x[16] = {-33, -39, -6, -25, -27, -35, -59, -10, -46, 28, 37, 56, 25, -39, 39, 50};
  const int8_t w[16] = {-89, -39, 0, -87, -102, 41, -81, -37, -99, 7, 54, 5, -65, -78, -50, 105};
  embbert_requant q = {0, 0, 2, -128, 127};
  embbert_matmul_multiplier(scales[0], scales[1], scales[2], &q.multiplier, &q.shift);
  pool.Reset();
  int16_t* scratch = pool.Alloc<int16_t>(embbert_mat_mult_nt_s8_scratch_bytes(16) / sizeof(int16_t));
  int8_t out = 0;
  embbert_mat_mult_nt_s8(x, w, nullptr, &out, 1, 1, 16, 1, 0, 0, q, scratch);
  bad += q.multiplier != 1338612010 || q.shift != -8 || out != 63;
  for (int t = 1; t < trials; ++t) {
    const float a = static_cast<float>(UniformReal(1e-4, 1e-2)), b = static_cast<float>(UniformReal(1e-4, 1e-2));
    const float c = static_cast<float>(UniformReal(1e-4, 1e-1));
    int32_t want_multiplier, got_multiplier, got_shift;
    int want_shift;
    tflite::QuantizeMultiplier(static_cast<double>(a) * static_cast<double>(b) / static_cast<double>(c),
                               &want_multiplier, &want_shift);
    embbert_matmul_multiplier(a, b, c, &got_multiplier, &got_shift);
    bad += got_multiplier != want_multiplier || got_shift != want_shift;
  }
  Print("matmul multiplier: %d triples, %d differ\n", trials, bad);
  return bad;
}

// embbert_add_sub_multipliers on the residual SUB that set the device one LSB off the host (Emotion test
// example 146, layer 2, row 6, unit 101): the golden reference outputs -82 there, as
// tests/test_sub_multiplier.py checks on the interpreter itself; the pinned TFLM's float division, -83.
// Then random scales, either input the larger: the quotients as the pinned tree's ADD (add_common.cc) takes
// them, in double.
int CheckSubMultipliers(int trials) {
  int bad = 0;
  const uint32_t bits[3] = {0x3C9033B3u, 0x3D029C4Cu, 0x3D138E1Du};
  float scales[3];
  std::memcpy(scales, bits, sizeof(scales));
  int32_t m[3];
  int s[3];
  embbert_add_sub_multipliers(scales[0], scales[1], scales[2], 20, m, s);
  bad += m[0] != 1185476082 || s[0] != -1 || m[1] != 1073741824 || s[1] != 0 || m[2] != 1900875879 || s[2] != -19;
  pool.Reset();
  int32_t* table1 = pool.Alloc<int32_t>(256);
  int32_t* table2 = pool.Alloc<int32_t>(256);
  embbert_add_s8_table(-10, 20, m[0], s[0], false, table1);
  embbert_add_s8_table(-6, 20, m[1], s[1], true, table2);
  const embbert_requant q = {m[2], s[2], 0, -128, 127};
  const int8_t a = -90, b = 44;
  int8_t out = 0;
  embbert_add_s8(&a, 1, &b, 1, 1, table1, table2, q, &out);
  bad += out != -82;
  for (int t = 1; t < trials; ++t) {
    float in[3];
    for (float& scale : in) scale = static_cast<float>(UniformReal(1e-3, 1e-1));
    const double twice_max = 2 * static_cast<double>(std::max(in[0], in[1]));
    const double reals[3] = {static_cast<double>(in[0]) / twice_max, static_cast<double>(in[1]) / twice_max,
                             twice_max / ((1 << 20) * static_cast<double>(in[2]))};
    embbert_add_sub_multipliers(in[0], in[1], in[2], 20, m, s);
    for (int i = 0; i < 3; ++i) {
      int32_t want_multiplier;
      int want_shift;
      tflite::QuantizeMultiplierSmallerThanOneExp(reals[i], &want_multiplier, &want_shift);
      bad += m[i] != want_multiplier || s[i] != want_shift;
    }
  }
  Print("sub multipliers: %d triples, %d differ\n", trials, bad);
  return bad;
}

}  // namespace

int run_kernel_checks(void (*print)(const char*), int scale) {
  g_print = print;
  const int bad = CheckRequantize(20000 * scale) + CheckMatMult(30 * scale) + CheckMatMultNN(20 * scale) + CheckMatmulMultiplier(100 * scale) + CheckSubMultipliers(100 * scale) + CheckDepthwiseConv1d(20 * scale) + CheckElementwise(30 * scale) + CheckMean(20 * scale) +
                  CheckSoftmax(30 * scale) + CheckLogisticTable(5 * scale);
  Print(bad == 0 ? "kernels: all bit-exact\n" : "kernels: MISMATCH\n");
  return bad;
}
