// BATCH_MATMUL, int8: out = lhs x rhs per batch (batch dimensions broadcast as the reference does), with
// adj_x / adj_y. With adj_y (attention's Q K^T) each matrix product runs on embbert_mat_mult_nt_s8; without
// it (attention's probabilities times K) on embbert_mat_mult_nn_s8, which reads the right-hand side in
// place and transposes one panel of columns at a time into scratch: unlike the reference kernel, no
// persistent transposed copy of the right-hand side. An adj_x left-hand side is transposed into a scratch
// buffer one matrix at a time. Same sums and requantization as reference_ops::BatchMatMul, with the golden
// reference's multiplier (embbert_matmul_multiplier).
#include "embbert_kernels.h"
#include "fast_ops.h"
#include "tensorflow/lite/kernels/internal/types.h"
#include "tensorflow/lite/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/batch_matmul.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace embbert {
namespace {

constexpr int kRank = 5;

struct OpData {
  embbert_requant requant;
  int32_t lhs_offset;
  int32_t rhs_offset;
  int kernel_scratch_index;  // embbert_mat_mult_nt_s8's (adj_y) or embbert_mat_mult_nn_s8's scratch
  int lhs_scratch_index;     // -1 unless adj_x
};

void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  return context->AllocatePersistentBuffer(context, sizeof(OpData));
}

// Rows and columns of a tensor's last two dimensions.
int Rows(const tflite::RuntimeShape& s) { return s.Dims(s.DimensionsCount() - 2); }
int Cols(const tflite::RuntimeShape& s) { return s.Dims(s.DimensionsCount() - 1); }

TfLiteStatus PrepareInt8(TfLiteContext* context, TfLiteNode* node, TfLiteTensor* lhs, TfLiteTensor* rhs,
                         TfLiteTensor* output) {
  const auto* params = static_cast<const TfLiteBatchMatMulParams*>(node->builtin_data);
  OpData* data = static_cast<OpData*>(node->user_data);
  const int lhs_rank = tflite::NumDimensions(lhs), rhs_rank = tflite::NumDimensions(rhs);
  TF_LITE_ENSURE(context, lhs_rank >= 2 && lhs_rank <= kRank && rhs_rank >= 2 && rhs_rank <= kRank);
  const int output_rank = lhs_rank > rhs_rank ? lhs_rank : rhs_rank;
  const tflite::RuntimeShape lhs_shape = tflite::RuntimeShape::ExtendedShape(output_rank, tflite::GetTensorShape(lhs));
  const tflite::RuntimeShape rhs_shape = tflite::RuntimeShape::ExtendedShape(output_rank, tflite::GetTensorShape(rhs));
  for (int i = 0; i < output_rank - 2; ++i) {
    const int l = lhs_shape.Dims(i), r = rhs_shape.Dims(i);
    TF_LITE_ENSURE(context, l == r || l == 1 || r == 1);
  }
  const int depth = params->adj_x ? Rows(lhs_shape) : Cols(lhs_shape);
  TF_LITE_ENSURE_EQ(context, depth, params->adj_y ? Cols(rhs_shape) : Rows(rhs_shape));
  TF_LITE_ENSURE_STATUS(tflite::ReshapeOutputTensor(context, node, lhs_shape, rhs_shape, params->adj_x,
                                                    params->adj_y, output_rank, output));

  TF_LITE_ENSURE(context, lhs->params.scale * rhs->params.scale >= 0);
  embbert_matmul_multiplier(lhs->params.scale, rhs->params.scale, output->params.scale, &data->requant.multiplier,
                            &data->requant.shift);
  data->requant.output_offset = output->params.zero_point;
  data->requant.activation_min = -128;
  data->requant.activation_max = 127;
  data->lhs_offset = -lhs->params.zero_point;
  data->rhs_offset = -rhs->params.zero_point;

  const size_t kernel_scratch = params->adj_y ? embbert_mat_mult_nt_s8_scratch_bytes(depth)
                                              : embbert_mat_mult_nn_s8_scratch_bytes(depth, Cols(rhs_shape));
  TF_LITE_ENSURE_STATUS(context->RequestScratchBufferInArena(context, kernel_scratch, &data->kernel_scratch_index));
  data->lhs_scratch_index = -1;
  if (params->adj_x) {
    TF_LITE_ENSURE_STATUS(context->RequestScratchBufferInArena(
        context, static_cast<size_t>(Rows(lhs_shape)) * Cols(lhs_shape), &data->lhs_scratch_index));
  }
  return kTfLiteOk;
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  TF_LITE_ENSURE_EQ(context, tflite::NumInputs(node), 2);
  TF_LITE_ENSURE_EQ(context, tflite::NumOutputs(node), 1);
  tflite::MicroContext* micro_context = tflite::GetMicroContext(context);
  TfLiteTensor* lhs = micro_context->AllocateTempInputTensor(node, tflite::kBatchMatmulInputLhsTensor);
  TfLiteTensor* rhs = micro_context->AllocateTempInputTensor(node, tflite::kBatchMatmulInputRhsTensor);
  TfLiteTensor* output = micro_context->AllocateTempOutputTensor(node, tflite::kBatchMatmulOutputTensor);
  TF_LITE_ENSURE(context, lhs != nullptr && rhs != nullptr && output != nullptr);
  TfLiteStatus status;
  if (lhs->type != kTfLiteInt8 || rhs->type != kTfLiteInt8 || output->type != kTfLiteInt8) {
    MicroPrintf("BATCH_MATMUL (fast kernels): int8 only, got %s x %s -> %s", TfLiteTypeGetName(lhs->type),
                TfLiteTypeGetName(rhs->type), TfLiteTypeGetName(output->type));
    status = kTfLiteError;
  } else {
    status = PrepareInt8(context, node, lhs, rhs, output);
  }
  micro_context->DeallocateTempTfLiteTensor(lhs);
  micro_context->DeallocateTempTfLiteTensor(rhs);
  micro_context->DeallocateTempTfLiteTensor(output);
  return status;
}

// dst (cols x rows) = src (rows x cols) transposed.
void Transpose(const int8_t* src, int rows, int cols, int8_t* dst) {
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) dst[static_cast<size_t>(c) * rows + r] = src[static_cast<size_t>(r) * cols + c];
  }
}

// Elements of one step along dimension `dim` of a rank-5 shape (0 when the dimension is broadcast).
size_t Stride(const tflite::RuntimeShape& s, int dim) {
  if (s.Dims(dim) == 1) return 0;
  size_t n = 1;
  for (int i = dim + 1; i < kRank; ++i) n *= static_cast<size_t>(s.Dims(i));
  return n;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteBatchMatMulParams*>(node->builtin_data);
  const OpData* data = static_cast<const OpData*>(node->user_data);
  const TfLiteEvalTensor* lhs = tflite::micro::GetEvalInput(context, node, tflite::kBatchMatmulInputLhsTensor);
  const TfLiteEvalTensor* rhs = tflite::micro::GetEvalInput(context, node, tflite::kBatchMatmulInputRhsTensor);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, tflite::kBatchMatmulOutputTensor);
  const tflite::RuntimeShape ls = tflite::RuntimeShape::ExtendedShape(kRank, tflite::micro::GetTensorShape(lhs));
  const tflite::RuntimeShape rs = tflite::RuntimeShape::ExtendedShape(kRank, tflite::micro::GetTensorShape(rhs));
  const int rows = params->adj_x ? Cols(ls) : Rows(ls);
  const int depth = params->adj_x ? Rows(ls) : Cols(ls);
  const int cols = params->adj_y ? Rows(rs) : Cols(rs);
  auto* kernel_scratch = static_cast<int16_t*>(context->GetScratchBuffer(context, data->kernel_scratch_index));
  auto* lhs_t = data->lhs_scratch_index >= 0
                    ? static_cast<int8_t*>(context->GetScratchBuffer(context, data->lhs_scratch_index))
                    : nullptr;
  const int8_t* lhs_data = tflite::micro::GetTensorData<int8_t>(lhs);
  const int8_t* rhs_data = tflite::micro::GetTensorData<int8_t>(rhs);
  int8_t* out = tflite::micro::GetTensorData<int8_t>(output);
  const int b0 = ls.Dims(0) > rs.Dims(0) ? ls.Dims(0) : rs.Dims(0);
  const int b1 = ls.Dims(1) > rs.Dims(1) ? ls.Dims(1) : rs.Dims(1);
  const int b2 = ls.Dims(2) > rs.Dims(2) ? ls.Dims(2) : rs.Dims(2);
  for (int i0 = 0; i0 < b0; ++i0) {
    for (int i1 = 0; i1 < b1; ++i1) {
      for (int i2 = 0; i2 < b2; ++i2) {
        const int8_t* l = lhs_data + i0 * Stride(ls, 0) + i1 * Stride(ls, 1) + i2 * Stride(ls, 2);
        const int8_t* r = rhs_data + i0 * Stride(rs, 0) + i1 * Stride(rs, 1) + i2 * Stride(rs, 2);
        if (lhs_t != nullptr) {
          Transpose(l, depth, rows, lhs_t);
          l = lhs_t;
        }
        if (params->adj_y) {
          embbert_mat_mult_nt_s8(l, r, nullptr, out, rows, cols, depth, cols, data->lhs_offset, data->rhs_offset,
                                 data->requant, kernel_scratch);
        } else {
          embbert_mat_mult_nn_s8(l, r, out, rows, cols, depth, data->lhs_offset, data->rhs_offset, data->requant,
                                 kernel_scratch);
        }
        out += static_cast<size_t>(rows) * cols;
      }
    }
  }
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_BATCH_MATMUL() { return tflite::micro::RegisterOp(Init, Prepare, Eval); }

}  // namespace embbert
