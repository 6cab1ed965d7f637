// ADD and SUB, int8: each input's rescaled value (the reference's left shift and multiplier) comes from a
// 256-entry table built at each Eval in a scratch buffer, the subtrahend's negated, so that each element
// costs two lookups and the output requantization; broadcasting runs along the last dimension. Prepare is
// the reference's own (AddPrepare / SubPrepare), with SUB's multipliers as the golden reference computes them.
#include "embbert_kernels.h"
#include "fast_op_support.h"
#include "fast_ops.h"
#include "tensorflow/lite/micro/kernels/add.h"
#include "tensorflow/lite/micro/kernels/sub.h"

namespace embbert {
namespace {

constexpr int kTableBytes = 256 * sizeof(int32_t);

template <typename Reference>
struct OpData {
  Reference reference;  // first: the reference Prepare takes user_data as its own op data
  int tables_index;
};

template <typename Reference>
void* Init(TfLiteContext* context, const char* buffer, size_t length) {
  return context->AllocatePersistentBuffer(context, sizeof(OpData<Reference>));
}

template <typename Reference, TfLiteStatus (*kReferencePrepare)(TfLiteContext*, TfLiteNode*)>
TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  TF_LITE_ENSURE_STATUS(RequireInt8Input(context, node, "ADD / SUB"));
  TF_LITE_ENSURE_STATUS(kReferencePrepare(context, node));
  auto* data = static_cast<OpData<Reference>*>(node->user_data);
  return context->RequestScratchBufferInArena(context, 2 * kTableBytes, &data->tables_index);
}

// SubPrepare, then the multipliers in double (UseGoldenSubMultipliers).
TfLiteStatus GoldenSubPrepare(TfLiteContext* context, TfLiteNode* node) {
  TF_LITE_ENSURE_STATUS(tflite::SubPrepare(context, node));
  tflite::MicroContext* micro_context = tflite::GetMicroContext(context);
  TfLiteTensor* input1 = micro_context->AllocateTempInputTensor(node, 0);
  TfLiteTensor* input2 = micro_context->AllocateTempInputTensor(node, 1);
  TfLiteTensor* output = micro_context->AllocateTempOutputTensor(node, 0);
  TF_LITE_ENSURE(context, input1 != nullptr && input2 != nullptr && output != nullptr);
  UseGoldenSubMultipliers(input1, input2, output, static_cast<tflite::OpDataSub*>(node->user_data));
  micro_context->DeallocateTempTfLiteTensor(input1);
  micro_context->DeallocateTempTfLiteTensor(input2);
  micro_context->DeallocateTempTfLiteTensor(output);
  return kTfLiteOk;
}

template <typename Reference, bool kSubtract>
TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const auto* data = static_cast<const OpData<Reference>*>(node->user_data);
  const Reference& r = data->reference;
  auto* table1 = static_cast<int32_t*>(context->GetScratchBuffer(context, data->tables_index));
  int32_t* table2 = table1 + 256;
  embbert_add_s8_table(r.input1_offset, r.left_shift, r.input1_multiplier, r.input1_shift, false, table1);
  embbert_add_s8_table(r.input2_offset, r.left_shift, r.input2_multiplier, r.input2_shift, kSubtract, table2);
  const embbert_requant requant = {r.output_multiplier, r.output_shift, r.output_offset, r.output_activation_min,
                                   r.output_activation_max};
  ForEachInt8BinaryRun(context, node, [&](const int8_t* in1, int s1, const int8_t* in2, int s2, int n, int8_t* out) {
    embbert_add_s8(in1, s1, in2, s2, n, table1, table2, requant, out);
  });
  return kTfLiteOk;
}

}  // namespace

TFLMRegistration Register_ADD() {
  return tflite::micro::RegisterOp(Init<tflite::OpDataAdd>, Prepare<tflite::OpDataAdd, tflite::AddPrepare>,
                                   Eval<tflite::OpDataAdd, false>);
}

TFLMRegistration Register_SUB() {
  return tflite::micro::RegisterOp(Init<tflite::OpDataSub>, Prepare<tflite::OpDataSub, GoldenSubPrepare>,
                                   Eval<tflite::OpDataSub, true>);
}

}  // namespace embbert
