// LOGISTIC, int8: a table of the reference kernel's own output for each of the 256 inputs, computed in
// Prepare by reference_integer_ops::Logistic itself, then one lookup per element.
#include "embbert_kernels.h"
#include "fast_op_support.h"
#include "fast_ops.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h"
#include "tensorflow/lite/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/logistic.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace embbert {
namespace {

constexpr int kTableEntries = 256;

void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  return context->AllocatePersistentBuffer(context, kTableEntries);
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  TF_LITE_ENSURE_STATUS(RequireInt8Input(context, node, "LOGISTIC"));
  tflite::OpDataLogistic op;
  TF_LITE_ENSURE_STATUS(tflite::CalculateArithmeticOpDataLogistic(context, node, &op));
  int8_t inputs[kTableEntries];
  for (int i = 0; i < kTableEntries; ++i) inputs[i] = static_cast<int8_t>(i - 128);
  tflite::reference_integer_ops::Logistic(op.input_zero_point, op.input_range_radius, op.input_multiplier,
                                          op.input_left_shift, kTableEntries, inputs,
                                          static_cast<int8_t*>(node->user_data));
  return kTfLiteOk;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteEvalTensor* input = tflite::micro::GetEvalInput(context, node, tflite::kLogisticInputTensor);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, tflite::kLogisticOutputTensor);
  embbert_lut_s8(tflite::micro::GetTensorData<int8_t>(input), tflite::micro::GetTensorShape(input).FlatSize(),
                 static_cast<const int8_t*>(node->user_data), tflite::micro::GetTensorData<int8_t>(output));
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_LOGISTIC() { return tflite::micro::RegisterOp(Init, Prepare, Eval); }

}  // namespace embbert
