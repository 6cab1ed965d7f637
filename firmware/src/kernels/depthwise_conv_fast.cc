// DEPTHWISE_CONV_2D, int8 with per-channel weights. A 1-D convolution along the width (height 1, stride 1,
// no dilation, depth multiplier 1, no implicit padding: the model's causal conv, padded by its own PAD op)
// runs on embbert_depthwise_conv_1d_s8; anything else on reference_integer_ops::DepthwiseConvPerChannel.
// Prepare is the reference's own (DepthwiseConvPrepare), so are the multipliers.
#include "embbert_kernels.h"
#include "fast_ops.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h"
#include "tensorflow/lite/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/conv.h"
#include "tensorflow/lite/micro/kernels/depthwise_conv.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace embbert {
namespace {

struct OpData {
  tflite::OpDataConv reference;  // first: DepthwiseConvPrepare takes user_data as an OpDataConv
  int scratch_index;             // -1 when the general path runs
};

void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  return context->AllocatePersistentBuffer(context, sizeof(OpData));
}

bool IsConv1d(const TfLiteDepthwiseConvParams& params, const tflite::OpDataConv& data, const TfLiteIntArray* input,
              const TfLiteIntArray* filter, const TfLiteIntArray* output) {
  return input->size == 4 && input->data[1] == 1 && filter->data[1] == 1 && params.stride_width == 1 &&
         params.stride_height == 1 && params.dilation_width_factor == 1 && params.dilation_height_factor == 1 &&
         data.padding.width == 0 && data.padding.height == 0 && input->data[3] == output->data[3] &&
         output->data[2] == input->data[2] - filter->data[2] + 1;
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  TF_LITE_ENSURE_STATUS(tflite::DepthwiseConvPrepare(context, node));
  OpData* data = static_cast<OpData*>(node->user_data);
  data->scratch_index = -1;
  tflite::MicroContext* micro_context = tflite::GetMicroContext(context);
  TfLiteTensor* input = micro_context->AllocateTempInputTensor(node, tflite::kDepthwiseConvInputTensor);
  TfLiteTensor* filter = micro_context->AllocateTempInputTensor(node, tflite::kDepthwiseConvWeightsTensor);
  TfLiteTensor* output = micro_context->AllocateTempOutputTensor(node, tflite::kDepthwiseConvOutputTensor);
  TF_LITE_ENSURE(context, input != nullptr && filter != nullptr && output != nullptr);
  TfLiteStatus status = kTfLiteOk;
  const auto& params = *static_cast<const TfLiteDepthwiseConvParams*>(node->builtin_data);
  if (input->type != kTfLiteInt8 || filter->type != kTfLiteInt8) {
    MicroPrintf("DEPTHWISE_CONV_2D (fast kernels): int8 only, got %s x %s", TfLiteTypeGetName(input->type),
                TfLiteTypeGetName(filter->type));
    status = kTfLiteError;
  } else if (IsConv1d(params, data->reference, input->dims, filter->dims, output->dims)) {
    status = context->RequestScratchBufferInArena(
        context, embbert_depthwise_conv_1d_s8_scratch_bytes(output->dims->data[2], filter->dims->data[2]),
        &data->scratch_index);
  }
  micro_context->DeallocateTempTfLiteTensor(input);
  micro_context->DeallocateTempTfLiteTensor(filter);
  micro_context->DeallocateTempTfLiteTensor(output);
  return status;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const auto& params = *static_cast<const TfLiteDepthwiseConvParams*>(node->builtin_data);
  const OpData* data = static_cast<const OpData*>(node->user_data);
  const tflite::OpDataConv& ref = data->reference;
  const TfLiteEvalTensor* input = tflite::micro::GetEvalInput(context, node, tflite::kDepthwiseConvInputTensor);
  const TfLiteEvalTensor* filter = tflite::micro::GetEvalInput(context, node, tflite::kDepthwiseConvWeightsTensor);
  const TfLiteEvalTensor* bias = tflite::micro::GetEvalInput(context, node, tflite::kDepthwiseConvBiasTensor);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, tflite::kDepthwiseConvOutputTensor);
  const int32_t* bias_data = bias != nullptr ? tflite::micro::GetTensorData<int32_t>(bias) : nullptr;
  if (data->scratch_index < 0) {
    tflite::reference_integer_ops::DepthwiseConvPerChannel(
        tflite::DepthwiseConvParamsQuantized(params, ref), ref.per_channel_output_multiplier,
        ref.per_channel_output_shift, tflite::micro::GetTensorShape(input), tflite::micro::GetTensorData<int8_t>(input),
        tflite::micro::GetTensorShape(filter), tflite::micro::GetTensorData<int8_t>(filter),
        tflite::micro::GetTensorShape(bias), bias_data, tflite::micro::GetTensorShape(output),
        tflite::micro::GetTensorData<int8_t>(output));
    return kTfLiteOk;
  }
  const int batches = input->dims->data[0];
  const int in_width = input->dims->data[2], channels = input->dims->data[3];
  const int taps = filter->dims->data[2], length = output->dims->data[2];
  auto* scratch = static_cast<int16_t*>(context->GetScratchBuffer(context, data->scratch_index));
  const int8_t* in = tflite::micro::GetTensorData<int8_t>(input);
  int8_t* out = tflite::micro::GetTensorData<int8_t>(output);
  for (int b = 0; b < batches; ++b) {
    embbert_depthwise_conv_1d_s8(in + static_cast<size_t>(b) * in_width * channels,
                                 tflite::micro::GetTensorData<int8_t>(filter), bias_data,
                                 out + static_cast<size_t>(b) * length * channels, length, taps, channels,
                                 -ref.input_zero_point, ref.per_channel_output_multiplier,
                                 ref.per_channel_output_shift, ref.output_zero_point, ref.output_activation_min,
                                 ref.output_activation_max, scratch);
  }
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_DEPTHWISE_CONV_2D() { return tflite::micro::RegisterOp(Init, Prepare, Eval); }

}  // namespace embbert
