// MEAN, int8, over the last dimension only: row sums (SMLAD) and the reference's own rescaling
// (embbert_mean_last_axis_s8); any other MEAN runs the reference (EvalMeanHelper), whose generic index
// walk costs about 90 instructions per element. Prepare is the reference's (PrepareMeanOrSumHelper).
#include "embbert_kernels.h"
#include "fast_ops.h"
#include "tensorflow/lite/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/reduce.h"

namespace embbert {
namespace {

void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  return context->AllocatePersistentBuffer(context, sizeof(tflite::OpDataReduce));
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  return tflite::PrepareMeanOrSumHelper(context, node, static_cast<tflite::OpDataReduce*>(node->user_data));
}

// True when the axes are exactly the last dimension of a rank-`rank` input.
bool ReducesLastAxisOnly(const TfLiteEvalTensor* axis, int rank) {
  const int count = tflite::micro::GetTensorShape(axis).FlatSize();
  const int32_t* axes = tflite::micro::GetTensorData<int32_t>(axis);
  for (int i = 0; i < count; ++i) {
    if ((axes[i] < 0 ? axes[i] + rank : axes[i]) != rank - 1) return false;
  }
  return count > 0;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  auto* data = static_cast<tflite::OpDataReduce*>(node->user_data);
  const TfLiteEvalTensor* input = tflite::micro::GetEvalInput(context, node, 0);
  const TfLiteEvalTensor* axis = tflite::micro::GetEvalInput(context, node, 1);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, 0);
  const tflite::RuntimeShape shape = tflite::micro::GetTensorShape(input);
  const int rank = shape.DimensionsCount();
  if (input->type != kTfLiteInt8 || axis->type != kTfLiteInt32 || rank < 1 || !ReducesLastAxisOnly(axis, rank) ||
      shape.Dims(rank - 1) == 0) {
    return tflite::EvalMeanHelper(context, node, data);
  }
  const int depth = shape.Dims(rank - 1);
  embbert_mean_last_axis_s8(tflite::micro::GetTensorData<int8_t>(input), shape.FlatSize() / depth, depth,
                            data->input_zp, data->multiplier, data->shift, data->output_zp,
                            tflite::micro::GetTensorData<int8_t>(output));
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_MEAN() { return tflite::micro::RegisterOp(Init, Prepare, Eval); }

}  // namespace embbert
