// MUL, int8: the reference's arithmetic, with broadcasting run along the last dimension (the stock
// kernels compute broadcast indices per element). Prepare is the reference's own (MulPrepare).
#include "broadcast_rows.h"
#include "embbert_kernels.h"
#include "fast_ops.h"
#include "tensorflow/lite/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/mul.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace embbert {
namespace {

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  tflite::MicroContext* micro_context = tflite::GetMicroContext(context);
  TfLiteTensor* input = micro_context->AllocateTempInputTensor(node, 0);
  TF_LITE_ENSURE(context, input != nullptr);
  const TfLiteType type = input->type;
  micro_context->DeallocateTempTfLiteTensor(input);
  if (type != kTfLiteInt8) {
    MicroPrintf("MUL (fast kernels): int8 only, got %s", TfLiteTypeGetName(type));
    return kTfLiteError;
  }
  return tflite::MulPrepare(context, node);
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const auto& r = *static_cast<const tflite::OpDataMul*>(node->user_data);
  const embbert_requant requant = {r.output_multiplier, r.output_shift, r.output_zero_point, r.output_activation_min,
                                   r.output_activation_max};
  const TfLiteEvalTensor* input1 = tflite::micro::GetEvalInput(context, node, 0);
  const TfLiteEvalTensor* input2 = tflite::micro::GetEvalInput(context, node, 1);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, 0);
  const int8_t* in1 = tflite::micro::GetTensorData<int8_t>(input1);
  const int8_t* in2 = tflite::micro::GetTensorData<int8_t>(input2);
  int8_t* out = tflite::micro::GetTensorData<int8_t>(output);
  ForEachBroadcastRun(tflite::micro::GetTensorShape(input1), tflite::micro::GetTensorShape(input2),
                      tflite::micro::GetTensorShape(output),
                      [&](size_t o, size_t i1, int s1, size_t i2, int s2, int n) {
                        embbert_mul_s8(in1 + i1, s1, in2 + i2, s2, n, -r.input1_zero_point, -r.input2_zero_point,
                                       requant, out + o);
                      });
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_MUL() { return tflite::micro::RegisterOp(tflite::MulInit, Prepare, Eval); }

}  // namespace embbert
