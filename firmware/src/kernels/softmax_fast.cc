// SOFTMAX, int8 in and out: the reference's integer softmax (reference_ops::Softmax) with its per-element
// exp_on_negative_values() replaced by a table of the same values, rebuilt in a scratch buffer at each
// Eval (256 entries: an int8 row has only 256 distances from its maximum).
#include "embbert_kernels.h"
#include "fast_ops.h"
#include "tensorflow/lite/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/softmax.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace embbert {
namespace {

constexpr int kTableEntries = 256;

struct OpData {
  tflite::SoftmaxParams params;
  int table_index;
};

void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  return context->AllocatePersistentBuffer(context, sizeof(OpData));
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  tflite::MicroContext* micro_context = tflite::GetMicroContext(context);
  TF_LITE_ENSURE_EQ(context, tflite::NumInputs(node), 1);
  TF_LITE_ENSURE_EQ(context, tflite::NumOutputs(node), 1);
  TfLiteTensor* input = micro_context->AllocateTempInputTensor(node, 0);
  TF_LITE_ENSURE(context, input != nullptr);
  TfLiteTensor* output = micro_context->AllocateTempOutputTensor(node, 0);
  TF_LITE_ENSURE(context, output != nullptr);
  TfLiteStatus status = kTfLiteOk;
  if (input->type != kTfLiteInt8 || output->type != kTfLiteInt8 || tflite::NumDimensions(input) < 1) {
    MicroPrintf("SOFTMAX (fast kernels): int8 input and output only, got %s -> %s",
                TfLiteTypeGetName(input->type), TfLiteTypeGetName(output->type));
    status = kTfLiteError;
  } else {
    OpData* data = static_cast<OpData*>(node->user_data);
    const auto* params = static_cast<const TfLiteSoftmaxParams*>(node->builtin_data);
    status = tflite::CalculateSoftmaxParams(context, input, output, params, &data->params);
    if (status == kTfLiteOk) {
      status = context->RequestScratchBufferInArena(context, kTableEntries * sizeof(int32_t), &data->table_index);
    }
  }
  micro_context->DeallocateTempTfLiteTensor(input);
  micro_context->DeallocateTempTfLiteTensor(output);
  return status;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteEvalTensor* input = tflite::micro::GetEvalInput(context, node, 0);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, 0);
  const OpData* data = static_cast<const OpData*>(node->user_data);
  auto* table = static_cast<int32_t*>(context->GetScratchBuffer(context, data->table_index));
  const tflite::SoftmaxParams& p = data->params;
  embbert_softmax_s8_exp_table(p.diff_min, p.input_multiplier, p.input_left_shift, table);
  const tflite::RuntimeShape shape = tflite::micro::GetTensorShape(input);
  const int trailing = shape.DimensionsCount() - 1;
  const int depth = shape.Dims(trailing);
  const int rows = shape.FlatSize() / depth;
  embbert_softmax_s8(tflite::micro::GetTensorData<int8_t>(input), rows, depth, table,
                     tflite::micro::GetTensorData<int8_t>(output));
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_SOFTMAX() { return tflite::micro::RegisterOp(Init, Prepare, Eval); }

}  // namespace embbert
