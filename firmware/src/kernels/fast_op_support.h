// What several of the fast operators' TFLM registrations share.
#ifndef EMBBERT_FIRMWARE_KERNELS_FAST_OP_SUPPORT_H_
#define EMBBERT_FIRMWARE_KERNELS_FAST_OP_SUPPORT_H_

#include "broadcast_rows.h"
#include "embbert_kernels.h"
#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/kernels/sub.h"
#include "tensorflow/lite/micro/micro_context.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace embbert {

// kTfLiteOk when the node's first input is int8; otherwise logs "<op> (fast kernels): int8 only, got <type>".
inline TfLiteStatus RequireInt8Input(TfLiteContext* context, TfLiteNode* node, const char* op) {
  tflite::MicroContext* micro_context = tflite::GetMicroContext(context);
  TfLiteTensor* input = micro_context->AllocateTempInputTensor(node, 0);
  TF_LITE_ENSURE(context, input != nullptr);
  const TfLiteType type = input->type;
  micro_context->DeallocateTempTfLiteTensor(input);
  if (type != kTfLiteInt8) {
    MicroPrintf("%s (fast kernels): int8 only, got %s", op, TfLiteTypeGetName(type));
    return kTfLiteError;
  }
  return kTfLiteOk;
}

// Calls run(in1, stride1, in2, stride2, length, out) for each broadcast run (ForEachBroadcastRun) of a
// binary int8 operator's inputs 0 and 1 and output 0.
template <typename Run>
void ForEachInt8BinaryRun(TfLiteContext* context, TfLiteNode* node, Run run) {
  const TfLiteEvalTensor* input1 = tflite::micro::GetEvalInput(context, node, 0);
  const TfLiteEvalTensor* input2 = tflite::micro::GetEvalInput(context, node, 1);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, 0);
  const int8_t* in1 = tflite::micro::GetTensorData<int8_t>(input1);
  const int8_t* in2 = tflite::micro::GetTensorData<int8_t>(input2);
  int8_t* out = tflite::micro::GetTensorData<int8_t>(output);
  ForEachBroadcastRun(tflite::micro::GetTensorShape(input1), tflite::micro::GetTensorShape(input2),
                      tflite::micro::GetTensorShape(output),
                      [&](size_t o, size_t i1, int s1, size_t i2, int s2, int n) {
                        run(in1 + i1, s1, in2 + i2, s2, n, out + o);
                      });
}

// Replaces the three multipliers the pinned tree's CalculateOpDataSub computed by float division with the
// golden reference's (embbert_add_sub_multipliers).
inline void UseGoldenSubMultipliers(const TfLiteTensor* input1, const TfLiteTensor* input2, const TfLiteTensor* output,
                                    tflite::OpDataSub* data) {
  int32_t multipliers[3];
  int shifts[3];
  embbert_add_sub_multipliers(input1->params.scale, input2->params.scale, output->params.scale, data->left_shift,
                              multipliers, shifts);
  data->input1_multiplier = multipliers[0];
  data->input1_shift = shifts[0];
  data->input2_multiplier = multipliers[1];
  data->input2_shift = shifts[1];
  data->output_multiplier = multipliers[2];
  data->output_shift = shifts[2];
}

}  // namespace embbert

#endif  // EMBBERT_FIRMWARE_KERNELS_FAST_OP_SUPPORT_H_
