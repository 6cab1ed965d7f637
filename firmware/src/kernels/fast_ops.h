// The firmware's own operator kernels (KERNELS=fast), each bit-exact with the TFLite Micro reference
// kernel it replaces, and the op resolver that registers them in place of the library's.
#ifndef EMBBERT_FIRMWARE_KERNELS_FAST_OPS_H_
#define EMBBERT_FIRMWARE_KERNELS_FAST_OPS_H_

#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"

namespace embbert {

// int8 SOFTMAX (int8 output), with a table of the reference's exp values built at each Eval.
TFLMRegistration Register_SOFTMAX();
// int8 LOGISTIC, a 256-entry table of the reference's outputs built in Prepare.
TFLMRegistration Register_LOGISTIC();
// int8 BATCH_MATMUL (any adj_x, adj_y, broadcast batch dimensions), SMLAD blocks of 2x2 outputs.
TFLMRegistration Register_BATCH_MATMUL();
// int8 FULLY_CONNECTED with per-tensor int8 weights, the same matrix kernel.
TFLMRegistration Register_FULLY_CONNECTED();
// int8 DEPTHWISE_CONV_2D: a 1-D (height 1, stride 1) convolution gets an SMLAD kernel, the rest the
// reference kernel.
TFLMRegistration Register_DEPTHWISE_CONV_2D();
// int8 ADD, SUB (input rescaling from tables) and MUL, broadcasting along whole runs of the last dimension.
TFLMRegistration Register_ADD();
TFLMRegistration Register_SUB();
TFLMRegistration Register_MUL();
// int8 MEAN over the last dimension (the reference kernel for other axes).
TFLMRegistration Register_MEAN();

// EMBBERT_LAYER (custom): a whole encoder layer a block of rows at a time (convert/fused_layers.py).
TFLMRegistration Register_EMBBERT_LAYER();
constexpr const char* kEmbbertLayerOp = "EMBBERT_LAYER";

// A MicroMutableOpResolver whose Add<Op>() registers the firmware's kernel where it has one: the
// converter's RegisterModelOps(resolver) calls these names, so the swap needs no change there.
template <unsigned int tOpCount>
class FastOpResolver : public tflite::MicroMutableOpResolver<tOpCount> {
  using Base = tflite::MicroMutableOpResolver<tOpCount>;

 public:
  TfLiteStatus AddSoftmax() { return Base::AddSoftmax(embbert::Register_SOFTMAX()); }
  TfLiteStatus AddLogistic() { return Base::AddLogistic(embbert::Register_LOGISTIC()); }
  TfLiteStatus AddBatchMatMul() { return Base::AddBatchMatMul(embbert::Register_BATCH_MATMUL()); }
  TfLiteStatus AddFullyConnected() { return Base::AddFullyConnected(embbert::Register_FULLY_CONNECTED()); }
  TfLiteStatus AddDepthwiseConv2D() { return Base::AddDepthwiseConv2D(embbert::Register_DEPTHWISE_CONV_2D()); }
  TfLiteStatus AddAdd() { return Base::AddAdd(embbert::Register_ADD()); }
  TfLiteStatus AddSub() { return Base::AddSub(embbert::Register_SUB()); }
  TfLiteStatus AddMul() { return Base::AddMul(embbert::Register_MUL()); }
  TfLiteStatus AddMean() { return Base::AddMean(embbert::Register_MEAN()); }
  TfLiteStatus AddEmbbertLayer() {
    const TFLMRegistration registration = embbert::Register_EMBBERT_LAYER();
    return Base::AddCustom(kEmbbertLayerOp, &registration);
  }
};

}  // namespace embbert

#endif  // EMBBERT_FIRMWARE_KERNELS_FAST_OPS_H_
