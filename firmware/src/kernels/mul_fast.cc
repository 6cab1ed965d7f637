// MUL, int8: the reference's arithmetic, with broadcasting run along the last dimension (the stock
// kernels compute broadcast indices per element). Prepare is the reference's own (MulPrepare).
#include "embbert_kernels.h"
#include "fast_op_support.h"
#include "fast_ops.h"
#include "tensorflow/lite/micro/kernels/mul.h"

namespace embbert {
namespace {

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  TF_LITE_ENSURE_STATUS(RequireInt8Input(context, node, "MUL"));
  return tflite::MulPrepare(context, node);
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const auto& r = *static_cast<const tflite::OpDataMul*>(node->user_data);
  const embbert_requant requant = {r.output_multiplier, r.output_shift, r.output_zero_point, r.output_activation_min,
                                   r.output_activation_max};
  ForEachInt8BinaryRun(context, node, [&](const int8_t* in1, int s1, const int8_t* in2, int s2, int n, int8_t* out) {
    embbert_mul_s8(in1, s1, in2, s2, n, -r.input1_zero_point, -r.input2_zero_point, requant, out);
  });
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_MUL() { return tflite::micro::RegisterOp(tflite::MulInit, Prepare, Eval); }

}  // namespace embbert
