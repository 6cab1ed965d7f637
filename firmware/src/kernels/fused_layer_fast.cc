// EMBBERT_LAYER (custom operator): one whole EmbBERT encoder layer after its norm, computed a block of
// kBlockRows rows at a time, so that neither the L x L attention scores nor the conv branch's L x d
// intermediates ever exist; only the padded input P and the keys K are whole. The converter's pass
// (convert/fused_layers.py) puts it in place of the layer's builtin operators:
//
//   attention:  FULLY_CONNECTED(P rows + halo) -> BATCH_MATMUL(., K, adj_y) -> ADD(mask) -> SOFTMAX
//               -> BATCH_MATMUL(., K) -> FULLY_CONNECTED
//   conv:       DEPTHWISE_CONV_2D(P, causal taps) -> LOGISTIC, MUL -> FULLY_CONNECTED
//   output:     SUB(attention, conv) (or the other order)
//
// and each of those is the firmware's own kernel for that builtin, with the parameters the builtin's
// TFLM Prepare computes from the same tensors' quantization, so the outputs equal the builtin graph's
// bit for bit (tests run the builtin graph in the PyPI TFLM interpreter and this operator on the board).
// Every operator of the chain is per row (or, the convolution, causal over rows), so a block of rows is
// exact. The intermediate tensors are not in the arena: their quantization comes from one-element
// constant inputs (kQuery .. kConvOut). Output row r overwrites P's row r once its block is done, which no
// later block reads (the converter's memory plan places the output there).
#include <cstring>

#include "embbert_kernels.h"
#include "fast_op_support.h"
#include "fast_ops.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h"
#include "tensorflow/lite/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/add.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/logistic.h"
#include "tensorflow/lite/micro/kernels/mul.h"
#include "tensorflow/lite/micro/kernels/softmax.h"
#include "tensorflow/lite/micro/kernels/sub.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace embbert {
namespace {

// Inputs, in the order convert/fused_layers.py writes them.
enum Input {
  kPadded,  // P: [1, L + taps - 1, d], the layer input after its causal zero padding
  kKeys,    // K: [1, L, d], the keys (and values)
  kMask,    // L additive key-mask values, broadcast over rows
  kQueryWeights, kQueryBias,
  kAttentionWeights, kAttentionBias,
  kConvFilter, kConvBias,  // [1, 1, taps, d] per-channel, [d]
  kConvOutWeights, kConvOutBias,
  // One-element constants carrying the quantization of the builtin graph's intermediate tensors.
  kQuery, kScores, kMasked, kProbs, kContext, kAttention, kConv, kGate, kSilu, kConvOut,
  kInputCount
};

// Custom options: byte 0 holds flags for the operand order of the non-elementwise-symmetric builtins,
// bytes 4..7 the softmax beta (float, little-endian).
constexpr uint8_t kMaskFirst = 1;      // ADD(mask, scores)
constexpr uint8_t kGateFirst = 2;      // MUL(sigmoid, conv)
constexpr uint8_t kConvOutFirst = 4;   // SUB(conv branch, attention)
constexpr size_t kOptionsBytes = 8;

constexpr int kBlockRows = 16;
constexpr int kTableEntries = 256;

struct OpData {
  bool options_given;
  uint8_t flags;
  float beta;
  int rows, seq_len, depth, taps;
  embbert_requant query, scores, context, attention, conv_out;
  int32_t padded_offset, keys_offset, query_offset, probs_offset, context_offset, silu_offset;
  int32_t query_weights_offset, attention_weights_offset, conv_out_weights_offset;
  tflite::OpDataAdd mask_add;
  tflite::OpDataSub combine;
  tflite::OpDataMul silu;
  tflite::SoftmaxParams softmax;
  int32_t* conv_multipliers;
  int32_t* conv_shifts;
  int32_t conv_offset, conv_input_offset, conv_min, conv_max;
  int8_t gate_table[kTableEntries];
  int scratch_index;
};

// Scratch layout: four blocks of rows x d (query / context / conv branch output, attention output, conv,
// sigmoid / silu), the block's scores, the matrix kernels' and the convolution's scratch, and the tables.
struct Scratch {
  size_t a, b, c, d, scores, kernel, mask_tables, combine_tables, exp_table, total;
};

size_t Align4(size_t n) { return (n + 3) & ~size_t{3}; }

Scratch Layout(int seq_len, int depth, int taps) {
  Scratch s;
  const size_t block = Align4(static_cast<size_t>(kBlockRows) * depth);
  size_t kernel = embbert_mat_mult_nt_s8_scratch_bytes(depth);
  const size_t nn = embbert_mat_mult_nn_s8_scratch_bytes(seq_len, depth);
  const size_t conv = embbert_depthwise_conv_1d_s8_scratch_bytes(kBlockRows, taps);
  kernel = kernel > nn ? kernel : nn;
  kernel = kernel > conv ? kernel : conv;
  s.a = 0;
  s.b = s.a + block;
  s.c = s.b + block;
  s.d = s.c + block;
  s.scores = s.d + block;
  s.kernel = s.scores + Align4(static_cast<size_t>(kBlockRows) * seq_len);
  s.mask_tables = s.kernel + Align4(kernel);
  s.combine_tables = s.mask_tables + 2 * kTableEntries * sizeof(int32_t);
  s.exp_table = s.combine_tables + 2 * kTableEntries * sizeof(int32_t);
  s.total = s.exp_table + kTableEntries * sizeof(int32_t);
  return s;
}

void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  auto* data = static_cast<OpData*>(context->AllocatePersistentBuffer(context, sizeof(OpData)));
  if (data == nullptr) return nullptr;
  data->options_given = buffer != nullptr && length == kOptionsBytes;
  data->flags = 0;
  data->beta = 1.0f;
  if (data->options_given) {
    data->flags = static_cast<uint8_t>(buffer[0]);
    std::memcpy(&data->beta, buffer + 4, sizeof(float));
  }
  return data;
}

// A node of two inputs and one output among this node's tensors, for the reference Prepare helpers that
// look their tensors up through a node.
struct SubNode {
  int inputs[3];
  int outputs[2];
  TfLiteNode node;

  SubNode(const TfLiteNode* fused, int in1, int in2, int out, void* user_data, void* builtin_data) {
    inputs[0] = in2 < 0 ? 1 : 2;
    inputs[1] = fused->inputs->data[in1];
    inputs[2] = in2 < 0 ? -1 : fused->inputs->data[in2];
    outputs[0] = 1;
    outputs[1] = fused->inputs->data[out];
    std::memset(&node, 0, sizeof(node));
    node.inputs = reinterpret_cast<TfLiteIntArray*>(inputs);
    node.outputs = reinterpret_cast<TfLiteIntArray*>(outputs);
    node.user_data = user_data;
    node.builtin_data = builtin_data;
  }
};

embbert_requant MatMulRequant(const TfLiteTensor* lhs, const TfLiteTensor* rhs, const TfLiteTensor* output) {
  embbert_requant q;
  embbert_matmul_multiplier(lhs->params.scale, rhs->params.scale, output->params.scale, &q.multiplier, &q.shift);
  q.output_offset = output->params.zero_point;
  q.activation_min = -128;
  q.activation_max = 127;
  return q;
}

TfLiteStatus PrepareWithTensors(TfLiteContext* context, TfLiteNode* node, OpData* data, TfLiteTensor** t,
                                TfLiteTensor* output) {
  for (int i = 0; i < kInputCount; ++i) {
    const bool optional_bias = i == kQueryBias || i == kAttentionBias || i == kConvBias || i == kConvOutBias;
    if (t[i] == nullptr && optional_bias) continue;
    if (t[i] == nullptr || (t[i]->type != kTfLiteInt8 && !optional_bias)) {
      MicroPrintf("EMBBERT_LAYER: input %d missing or not int8", i);
      return kTfLiteError;
    }
  }
  TF_LITE_ENSURE(context, output->type == kTfLiteInt8);
  if (!data->options_given) {
    MicroPrintf("EMBBERT_LAYER: custom options must be %d bytes (flags, softmax beta)", static_cast<int>(kOptionsBytes));
    return kTfLiteError;
  }
  const TfLiteIntArray* p = t[kPadded]->dims;
  const TfLiteIntArray* k = t[kKeys]->dims;
  const TfLiteIntArray* f = t[kConvFilter]->dims;
  TF_LITE_ENSURE(context, p->size == 3 && k->size == 3 && f->size == 4 && output->dims->size == 3);
  data->depth = k->data[2];
  data->seq_len = k->data[1];
  data->taps = f->data[2];
  data->rows = output->dims->data[1];
  TF_LITE_ENSURE(context, p->data[2] == data->depth && output->dims->data[2] == data->depth &&
                              f->data[3] == data->depth && f->data[1] == 1);
  TF_LITE_ENSURE(context, p->data[1] == data->seq_len + data->taps - 1 && data->rows <= data->seq_len);
  TF_LITE_ENSURE(context, tflite::NumElements(t[kMask]) == data->seq_len);

  data->query = MatMulRequant(t[kPadded], t[kQueryWeights], t[kQuery]);
  data->scores = MatMulRequant(t[kQuery], t[kKeys], t[kScores]);
  data->context = MatMulRequant(t[kProbs], t[kKeys], t[kContext]);
  data->attention = MatMulRequant(t[kContext], t[kAttentionWeights], t[kAttention]);
  data->conv_out = MatMulRequant(t[kSilu], t[kConvOutWeights], t[kConvOut]);
  data->padded_offset = -t[kPadded]->params.zero_point;
  data->keys_offset = -t[kKeys]->params.zero_point;
  data->query_offset = -t[kQuery]->params.zero_point;
  data->probs_offset = -t[kProbs]->params.zero_point;
  data->context_offset = -t[kContext]->params.zero_point;
  data->silu_offset = -t[kSilu]->params.zero_point;
  data->query_weights_offset = -t[kQueryWeights]->params.zero_point;
  data->attention_weights_offset = -t[kAttentionWeights]->params.zero_point;
  data->conv_out_weights_offset = -t[kConvOutWeights]->params.zero_point;

  TfLiteAddParams add_params = {kTfLiteActNone, false};
  const bool mask_first = data->flags & kMaskFirst;
  TF_LITE_ENSURE_STATUS(tflite::CalculateOpDataAdd(context, &add_params, mask_first ? t[kMask] : t[kScores],
                                                   mask_first ? t[kScores] : t[kMask], t[kMasked], &data->mask_add));
  TfLiteSubParams sub_params = {kTfLiteActNone, false};
  const bool conv_first = data->flags & kConvOutFirst;
  TF_LITE_ENSURE_STATUS(tflite::CalculateOpDataSub(context, &sub_params, conv_first ? t[kConvOut] : t[kAttention],
                                                   conv_first ? t[kAttention] : t[kConvOut], output, &data->combine));
  UseGoldenSubMultipliers(conv_first ? t[kConvOut] : t[kAttention], conv_first ? t[kAttention] : t[kConvOut], output,
                          &data->combine);
  TfLiteSoftmaxParams softmax_params = {data->beta};
  TF_LITE_ENSURE_STATUS(tflite::CalculateSoftmaxParams(context, t[kMasked], t[kProbs], &softmax_params, &data->softmax));

  // The depthwise convolution's per-channel multipliers, as DepthwiseConvPrepare computes them.
  const int channels = data->depth;
  data->conv_multipliers = static_cast<int32_t*>(context->AllocatePersistentBuffer(context, channels * sizeof(int32_t)));
  data->conv_shifts = static_cast<int32_t*>(context->AllocatePersistentBuffer(context, channels * sizeof(int32_t)));
  TF_LITE_ENSURE(context, data->conv_multipliers != nullptr && data->conv_shifts != nullptr);
  TF_LITE_ENSURE(context, t[kConvFilter]->quantization.type == kTfLiteAffineQuantization);
  int32_t multiplier;
  int shift;
  TF_LITE_ENSURE_STATUS(tflite::PopulateConvolutionQuantizationParams(
      context, t[kPadded], t[kConvFilter], t[kConvBias], t[kConv], kTfLiteActNone, &multiplier, &shift,
      &data->conv_min, &data->conv_max, data->conv_multipliers, data->conv_shifts, channels));
  data->conv_offset = t[kConv]->params.zero_point;
  data->conv_input_offset = -t[kPadded]->params.zero_point;

  // LOGISTIC and MUL: the reference Prepare helpers that take a node, on a node of the carrier tensors.
  tflite::OpDataLogistic logistic;
  SubNode logistic_node(node, kConv, -1, kGate, nullptr, nullptr);
  TF_LITE_ENSURE_STATUS(tflite::CalculateArithmeticOpDataLogistic(context, &logistic_node.node, &logistic));
  int8_t inputs[kTableEntries];
  for (int i = 0; i < kTableEntries; ++i) inputs[i] = static_cast<int8_t>(i - 128);
  tflite::reference_integer_ops::Logistic(logistic.input_zero_point, logistic.input_range_radius,
                                          logistic.input_multiplier, logistic.input_left_shift, kTableEntries,
                                          inputs, data->gate_table);
  TfLiteMulParams mul_params = {kTfLiteActNone};
  const bool gate_first = data->flags & kGateFirst;
  SubNode mul_node(node, gate_first ? kGate : kConv, gate_first ? kConv : kGate, kSilu, &data->silu, &mul_params);
  TF_LITE_ENSURE_STATUS(tflite::CalculateOpDataMul(context, &mul_node.node, &mul_params, &data->silu));

  return context->RequestScratchBufferInArena(context, Layout(data->seq_len, data->depth, data->taps).total,
                                              &data->scratch_index);
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  TF_LITE_ENSURE_EQ(context, tflite::NumInputs(node), kInputCount);
  TF_LITE_ENSURE_EQ(context, tflite::NumOutputs(node), 1);
  tflite::MicroContext* micro_context = tflite::GetMicroContext(context);
  auto* data = static_cast<OpData*>(node->user_data);
  TF_LITE_ENSURE(context, data != nullptr);
  TfLiteTensor* t[kInputCount];
  for (int i = 0; i < kInputCount; ++i) t[i] = micro_context->AllocateTempInputTensor(node, i);
  TfLiteTensor* output = micro_context->AllocateTempOutputTensor(node, 0);
  TF_LITE_ENSURE(context, output != nullptr);
  const TfLiteStatus status = PrepareWithTensors(context, node, data, t, output);
  for (int i = 0; i < kInputCount; ++i) {
    if (t[i] != nullptr) micro_context->DeallocateTempTfLiteTensor(t[i]);
  }
  micro_context->DeallocateTempTfLiteTensor(output);
  return status;
}

template <typename Reference>
embbert_requant AddRequant(const Reference& r) {
  return {r.output_multiplier, r.output_shift, r.output_offset, r.output_activation_min, r.output_activation_max};
}

const int32_t* BiasData(const TfLiteEvalTensor* bias) {
  return bias != nullptr ? tflite::micro::GetTensorData<int32_t>(bias) : nullptr;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const OpData& data = *static_cast<const OpData*>(node->user_data);
  auto input = [&](int i) { return tflite::micro::GetEvalInput(context, node, i); };
  auto bytes = [&](int i) { return tflite::micro::GetTensorData<int8_t>(input(i)); };
  const int8_t* padded = bytes(kPadded);
  const int8_t* keys = bytes(kKeys);
  const int8_t* mask = bytes(kMask);
  int8_t* out = tflite::micro::GetTensorData<int8_t>(tflite::micro::GetEvalOutput(context, node, 0));
  const int d = data.depth, seq_len = data.seq_len, halo = data.taps - 1;

  const Scratch layout = Layout(seq_len, d, data.taps);
  auto* scratch = static_cast<uint8_t*>(context->GetScratchBuffer(context, data.scratch_index));
  auto* a = reinterpret_cast<int8_t*>(scratch + layout.a);
  auto* b = reinterpret_cast<int8_t*>(scratch + layout.b);
  auto* c = reinterpret_cast<int8_t*>(scratch + layout.c);
  auto* gate = reinterpret_cast<int8_t*>(scratch + layout.d);
  auto* scores = reinterpret_cast<int8_t*>(scratch + layout.scores);
  auto* kernel_scratch = reinterpret_cast<int16_t*>(scratch + layout.kernel);
  auto* mask_tables = reinterpret_cast<int32_t*>(scratch + layout.mask_tables);
  auto* combine_tables = reinterpret_cast<int32_t*>(scratch + layout.combine_tables);
  auto* exp_table = reinterpret_cast<int32_t*>(scratch + layout.exp_table);

  const tflite::OpDataAdd& m = data.mask_add;
  embbert_add_s8_table(m.input1_offset, m.left_shift, m.input1_multiplier, m.input1_shift, false, mask_tables);
  embbert_add_s8_table(m.input2_offset, m.left_shift, m.input2_multiplier, m.input2_shift, false,
                       mask_tables + kTableEntries);
  const tflite::OpDataSub& s = data.combine;
  embbert_add_s8_table(s.input1_offset, s.left_shift, s.input1_multiplier, s.input1_shift, false, combine_tables);
  embbert_add_s8_table(s.input2_offset, s.left_shift, s.input2_multiplier, s.input2_shift, true,
                       combine_tables + kTableEntries);
  const tflite::SoftmaxParams& sm = data.softmax;
  embbert_softmax_s8_exp_table(sm.diff_min, sm.input_multiplier, sm.input_left_shift, exp_table);
  const embbert_requant mask_requant = AddRequant(m), combine_requant = AddRequant(s);
  const tflite::OpDataMul& mul = data.silu;
  const embbert_requant silu_requant = {mul.output_multiplier, mul.output_shift, mul.output_zero_point,
                                        mul.output_activation_min, mul.output_activation_max};
  const bool mask_first = data.flags & kMaskFirst, gate_first = data.flags & kGateFirst;
  const bool conv_first = data.flags & kConvOutFirst;

  for (int first = 0; first < data.rows; first += kBlockRows) {
    const int n = data.rows - first < kBlockRows ? data.rows - first : kBlockRows;
    // Attention: a = query rows, then the scores, masked and softmaxed in place, then a = context, b = output.
    embbert_mat_mult_nt_s8(padded + static_cast<size_t>(first + halo) * d, bytes(kQueryWeights),
                           BiasData(input(kQueryBias)), a, n, d, d, d, data.padded_offset,
                           data.query_weights_offset, data.query, kernel_scratch);
    embbert_mat_mult_nt_s8(a, keys, nullptr, scores, n, seq_len, d, seq_len, data.query_offset, data.keys_offset,
                           data.scores, kernel_scratch);
    for (int r = 0; r < n; ++r) {
      int8_t* row = scores + static_cast<size_t>(r) * seq_len;
      embbert_add_s8(mask_first ? mask : row, 1, mask_first ? row : mask, 1, seq_len, mask_tables,
                     mask_tables + kTableEntries, mask_requant, row);
    }
    embbert_softmax_s8(scores, n, seq_len, exp_table, scores);
    embbert_mat_mult_nn_s8(scores, keys, a, n, d, seq_len, data.probs_offset, data.keys_offset, data.context,
                           kernel_scratch);
    embbert_mat_mult_nt_s8(a, bytes(kAttentionWeights), BiasData(input(kAttentionBias)), b, n, d, d, d,
                           data.context_offset, data.attention_weights_offset, data.attention, kernel_scratch);
    // Conv branch: c = causal depthwise conv of P's rows [first, first + n + halo), gate = sigmoid, then
    // silu in place, then a = its projection.
    embbert_depthwise_conv_1d_s8(padded + static_cast<size_t>(first) * d, bytes(kConvFilter),
                                 BiasData(input(kConvBias)), c, n, data.taps, d, data.conv_input_offset,
                                 data.conv_multipliers, data.conv_shifts, data.conv_offset, data.conv_min,
                                 data.conv_max, kernel_scratch);
    embbert_lut_s8(c, n * d, data.gate_table, gate);
    embbert_mul_s8(gate_first ? gate : c, 1, gate_first ? c : gate, 1, n * d, -mul.input1_zero_point,
                   -mul.input2_zero_point, silu_requant, gate);
    embbert_mat_mult_nt_s8(gate, bytes(kConvOutWeights), BiasData(input(kConvOutBias)), a, n, d, d, d,
                           data.silu_offset, data.conv_out_weights_offset, data.conv_out, kernel_scratch);
    // Output rows: P's rows [first, first + n) are no longer read by any later block.
    embbert_add_s8(conv_first ? a : b, 1, conv_first ? b : a, 1, n * d, combine_tables,
                   combine_tables + kTableEntries, combine_requant, out + static_cast<size_t>(first) * d);
  }
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_EMBBERT_LAYER() { return tflite::micro::RegisterOp(Init, Prepare, Eval); }

}  // namespace embbert
