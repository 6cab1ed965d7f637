// The int8 compute kernels behind the firmware's fast operators (kernels/fast_ops.h). Each is bit-exact
// with the TFLite Micro reference kernel of the operator that uses it; each has a plain C path and, on
// cores with the DSP extension (Cortex-M4/M7/M33), an SMLAD path.
#ifndef EMBBERT_FIRMWARE_KERNELS_EMBBERT_KERNELS_H_
#define EMBBERT_FIRMWARE_KERNELS_EMBBERT_KERNELS_H_

#include <cstddef>
#include <cstdint>

// Requantization of an int32 accumulator, as TFLite's MultiplyByQuantizedMultiplier (double rounding),
// then the output zero point and the activation clamp.
struct embbert_requant {
  int32_t multiplier;
  int32_t shift;  // > 0: left shift
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
};

// out[r][c] = requant(sum_k (lhs[r][k] + lhs_offset) * (rhs[c][k] + rhs_offset) + bias[c]) for r < rows,
// c < cols: `lhs` is rows x depth and `rhs` cols x depth, both row-major (rhs is the transposed right-hand
// side, as a fully-connected layer's weights or BATCH_MATMUL with adj_y). `bias` may be null; `out` is
// rows x cols with row stride `out_stride`. `scratch` holds embbert_mat_mult_nt_s8_scratch_bytes(depth)
// bytes, 4-byte aligned. The arithmetic is the reference's FullyConnected / BatchMatMul, sum for sum.
void embbert_mat_mult_nt_s8(const int8_t* lhs, const int8_t* rhs, const int32_t* bias, int8_t* out, int rows,
                            int cols, int depth, int out_stride, int32_t lhs_offset, int32_t rhs_offset,
                            const embbert_requant& requant, int16_t* scratch);

// Bytes of scratch embbert_mat_mult_nt_s8 needs for a given depth: two lhs rows widened to int16.
size_t embbert_mat_mult_nt_s8_scratch_bytes(int depth);

// The requantization multiplier and shift (> 0: left) of an int8 matrix product (FULLY_CONNECTED with
// per-tensor weights, BATCH_MATMUL): QuantizeMultiplier(input_scale * filter_scale / output_scale) with both
// scales widened to double before the product, as the golden reference computes it (the PyPI tflite-micro
// interpreter, tflite::micro::GetQuantizedConvolutionMultipler). The pinned TFLM tree's
// tflite::GetQuantizedConvolutionMultipler multiplies the two scales in float, which moves the multiplier
// by up to ~80 in 2^31 and the int8 output by one where an output lies that close to a rounding boundary.
void embbert_matmul_multiplier(float input_scale, float filter_scale, float output_scale, int32_t* multiplier,
                               int32_t* shift);

// The rescaling multipliers and shifts of an int8 ADD or SUB whose inputs are shifted left by `left_shift`
// (20 for int8) first: QuantizeMultiplierSmallerThanOneExp of input1_scale / (2 max), input2_scale / (2 max)
// and 2 max / (2^left_shift output_scale), max the larger input scale, each quotient in double, as the golden
// reference (the PyPI tflite-micro interpreter) and the pinned TFLM tree's own ADD compute them. The pinned
// tree's SUB (tflite::CalculateOpDataSub) divides in float before widening, which moves a multiplier by up to
// ~2^-24 and an output that lies on a rounding tie by one (Emotion: 4 of 1600 test examples' logits).
void embbert_add_sub_multipliers(float input1_scale, float input2_scale, float output_scale, int left_shift,
                                 int32_t multipliers[3], int shifts[3]);

// out[r][c] = requant(sum_k (lhs[r][k] + lhs_offset) * (rhs[k][c] + rhs_offset)) for r < rows, c < cols:
// `lhs` is rows x depth and `rhs` depth x cols, both row-major (BATCH_MATMUL without adj_y, as attention's
// probabilities times the keys use it); `out` is rows x cols. The rhs is read in place: `scratch` holds
// embbert_mat_mult_nn_s8_scratch_bytes(depth, cols) bytes, 4-byte aligned (embbert_mat_mult_nt_s8's
// scratch and one panel of at most 32 rhs columns, transposed), not a transposed copy of the whole rhs.
void embbert_mat_mult_nn_s8(const int8_t* lhs, const int8_t* rhs, int8_t* out, int rows, int cols, int depth,
                            int32_t lhs_offset, int32_t rhs_offset, const embbert_requant& requant,
                            int16_t* scratch);

size_t embbert_mat_mult_nn_s8_scratch_bytes(int depth, int cols);

// out[i] = table[in[i] + 128] for i < size: any int8 -> int8 function of one element (LOGISTIC, ...).
void embbert_lut_s8(const int8_t* in, int size, const int8_t* table, int8_t* out);

// Softmax over the last dimension of a rows x depth int8 tensor, the reference's integer softmax with an
// exp table: exp_table[d] is the reference's exp_on_negative_values() of the rescaled difference -d from
// the row's maximum (0 where -d < diff_min, those elements are skipped), for d = 0..255. The output is
// int8 with scale 1/256 and zero point -128, as the reference requires.
void embbert_softmax_s8(const int8_t* in, int rows, int depth, const int32_t* exp_table, int8_t* out);

// Fills exp_table[0..255] for embbert_softmax_s8 from the reference's SoftmaxParams (diff_min,
// input_multiplier, input_left_shift): the reference's own exp_on_negative_values() of each difference,
// 0 where -d < diff_min (the reference skips those elements: they add 0 to the sum and output -128).
void embbert_softmax_s8_exp_table(int32_t diff_min, int32_t input_multiplier, int32_t input_left_shift,
                                  int32_t* exp_table);

// Depthwise 1-D convolution (depth multiplier 1, stride 1, no dilation, no padding) along time:
// out[t][c] = requant_c(sum_j (in[t + j][c] + input_offset) * filter[j][c] + bias[c]) for t < length, with
// `in` [length + taps - 1][channels], `filter` [taps][channels], per-channel multipliers and shifts (as
// reference_integer_ops::DepthwiseConvPerChannel on a 1 x width image). `bias` may be null. `scratch`
// holds embbert_depthwise_conv_1d_s8_scratch_bytes(length, taps) bytes, 4-byte aligned: one channel's
// input, widened to int16, and its filter taps in pairs.
void embbert_depthwise_conv_1d_s8(const int8_t* in, const int8_t* filter, const int32_t* bias, int8_t* out,
                                  int length, int taps, int channels, int32_t input_offset,
                                  const int32_t* multipliers, const int32_t* shifts, int32_t output_offset,
                                  int32_t activation_min, int32_t activation_max, int16_t* scratch);

size_t embbert_depthwise_conv_1d_s8_scratch_bytes(int length, int taps);

// table[v + 128] = one input's scaled value in the reference int8 ADD and SUB: MultiplyByQuantizedMultiplier-
// SmallerThanOneExp((v + offset) << left_shift, multiplier, shift), negated when `negate` (the subtrahend).
void embbert_add_s8_table(int32_t offset, int32_t left_shift, int32_t multiplier, int32_t shift, bool negate,
                          int32_t* table);

// out[i] = requant(table1[in1[i * stride1] + 128] + table2[in2[i * stride2] + 128]) for i < size: the
// reference int8 ADD (or SUB, with a negated table2) from the inputs' tables. A stride of 0 broadcasts.
void embbert_add_s8(const int8_t* in1, int stride1, const int8_t* in2, int stride2, int size, const int32_t* table1,
                    const int32_t* table2, const embbert_requant& requant, int8_t* out);

// out[i] = requant((in1[i * stride1] + offset1) * (in2[i * stride2] + offset2)) for i < size: the reference
// int8 MUL. A stride of 0 broadcasts.
void embbert_mul_s8(const int8_t* in1, int stride1, const int8_t* in2, int stride2, int size, int32_t offset1,
                    int32_t offset2, const embbert_requant& requant, int8_t* out);

// MEAN of an int8 rows x depth tensor over its last dimension, as the reference's QuantizedMeanOrSum
// computes it (its multiplier and shift folded with 1 / depth the same way): out[r] for r < rows.
void embbert_mean_last_axis_s8(const int8_t* in, int rows, int depth, int32_t input_zero_point, int32_t multiplier,
                               int32_t shift, int32_t output_zero_point, int8_t* out);

#endif  // EMBBERT_FIRMWARE_KERNELS_EMBBERT_KERNELS_H_
