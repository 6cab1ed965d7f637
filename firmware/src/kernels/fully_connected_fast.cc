// FULLY_CONNECTED, int8 input, per-tensor int8 weights: every input row times the weight matrix
// ([out, in], already the transposed layout embbert_mat_mult_nt_s8 wants), plus bias, requantized as
// reference_integer_ops::FullyConnected does, with the golden reference's multiplier
// (embbert_matmul_multiplier).
#include "embbert_kernels.h"
#include "fast_ops.h"
#include "tensorflow/lite/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/fully_connected.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace embbert {
namespace {

struct OpData {
  tflite::OpDataFullyConnected reference;
  int kernel_scratch_index;
};

void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  return context->AllocatePersistentBuffer(context, sizeof(OpData));
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  tflite::MicroContext* micro_context = tflite::GetMicroContext(context);
  OpData* data = static_cast<OpData*>(node->user_data);
  const auto* params = static_cast<const TfLiteFullyConnectedParams*>(node->builtin_data);
  TfLiteTensor* input = micro_context->AllocateTempInputTensor(node, tflite::kFullyConnectedInputTensor);
  TfLiteTensor* filter = micro_context->AllocateTempInputTensor(node, tflite::kFullyConnectedWeightsTensor);
  TfLiteTensor* bias = micro_context->AllocateTempInputTensor(node, tflite::kFullyConnectedBiasTensor);
  TfLiteTensor* output = micro_context->AllocateTempOutputTensor(node, tflite::kFullyConnectedOutputTensor);
  TF_LITE_ENSURE(context, input != nullptr && filter != nullptr && output != nullptr);
  TfLiteStatus status = kTfLiteOk;
  if (input->type != kTfLiteInt8 || filter->type != kTfLiteInt8 || output->type != kTfLiteInt8) {
    MicroPrintf("FULLY_CONNECTED (fast kernels): int8 only, got %s x %s -> %s", TfLiteTypeGetName(input->type),
                TfLiteTypeGetName(filter->type), TfLiteTypeGetName(output->type));
    status = kTfLiteError;
  } else {
    status = tflite::CalculateOpDataFullyConnected(context, params->activation, input->type, input, filter, bias,
                                                   output, &data->reference);
    if (status == kTfLiteOk && data->reference.is_per_channel) {
      MicroPrintf("FULLY_CONNECTED (fast kernels): per-tensor weight quantization only");
      status = kTfLiteError;
    }
    if (status == kTfLiteOk) {
      // The golden reference's multiplier, not the pinned tree's (see embbert_matmul_multiplier).
      int32_t shift;
      embbert_matmul_multiplier(input->params.scale, filter->params.scale, output->params.scale,
                                &data->reference.output_multiplier, &shift);
      data->reference.output_shift = shift;
    }
    if (status == kTfLiteOk) {
      const int depth = filter->dims->data[filter->dims->size - 1];
      status = context->RequestScratchBufferInArena(context, embbert_mat_mult_nt_s8_scratch_bytes(depth),
                                                    &data->kernel_scratch_index);
    }
  }
  micro_context->DeallocateTempTfLiteTensor(input);
  micro_context->DeallocateTempTfLiteTensor(filter);
  if (bias != nullptr) micro_context->DeallocateTempTfLiteTensor(bias);
  micro_context->DeallocateTempTfLiteTensor(output);
  return status;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const OpData* data = static_cast<const OpData*>(node->user_data);
  const tflite::OpDataFullyConnected& ref = data->reference;
  const TfLiteEvalTensor* input = tflite::micro::GetEvalInput(context, node, tflite::kFullyConnectedInputTensor);
  const TfLiteEvalTensor* filter = tflite::micro::GetEvalInput(context, node, tflite::kFullyConnectedWeightsTensor);
  const TfLiteEvalTensor* bias = tflite::micro::GetEvalInput(context, node, tflite::kFullyConnectedBiasTensor);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, tflite::kFullyConnectedOutputTensor);
  const tflite::RuntimeShape filter_shape = tflite::micro::GetTensorShape(filter);
  const tflite::RuntimeShape output_shape = tflite::micro::GetTensorShape(output);
  const int depth = filter_shape.Dims(filter_shape.DimensionsCount() - 1);
  const int units = output_shape.Dims(output_shape.DimensionsCount() - 1);
  const int rows = output_shape.FlatSize() / units;
  const embbert_requant requant = {ref.output_multiplier, ref.output_shift, ref.output_zero_point,
                                   ref.output_activation_min, ref.output_activation_max};
  embbert_mat_mult_nt_s8(tflite::micro::GetTensorData<int8_t>(input), tflite::micro::GetTensorData<int8_t>(filter),
                         bias != nullptr ? tflite::micro::GetTensorData<int32_t>(bias) : nullptr,
                         tflite::micro::GetTensorData<int8_t>(output), rows, units, depth, units,
                         -ref.input_zero_point, -ref.filter_zero_point, requant,
                         static_cast<int16_t*>(context->GetScratchBuffer(context, data->kernel_scratch_index)));
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_FULLY_CONNECTED() { return tflite::micro::RegisterOp(Init, Prepare, Eval); }

}  // namespace embbert
