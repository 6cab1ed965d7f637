// Runs of a binary elementwise operator's output along its last dimension, with where each input's run
// starts and whether it advances (stride 1) or repeats one element (stride 0, broadcast): the operator's
// kernel then loops over whole runs instead of computing broadcast indices per element.
#ifndef EMBBERT_FIRMWARE_KERNELS_BROADCAST_ROWS_H_
#define EMBBERT_FIRMWARE_KERNELS_BROADCAST_ROWS_H_

#include <cstddef>

#include "tensorflow/lite/kernels/internal/common.h"
#include "tensorflow/lite/kernels/internal/runtime_shape.h"

namespace embbert {

// Calls run(output_offset, input1_offset, input1_stride, input2_offset, input2_stride, length) for each
// run; shapes of up to 6 dimensions, broadcast as TFLite broadcasts them.
template <typename Run>
void ForEachBroadcastRun(const tflite::RuntimeShape& shape1, const tflite::RuntimeShape& shape2,
                         const tflite::RuntimeShape& output_shape, Run run) {
  constexpr int kDims = 6;
  const int size = output_shape.FlatSize();
  if (size == 0) return;
  if (shape1 == shape2) {  // no broadcast: one run
    run(size_t{0}, size_t{0}, 1, size_t{0}, 1, size);
    return;
  }
  tflite::NdArrayDesc<kDims> desc1, desc2;
  tflite::NdArrayDescsForElementwiseBroadcast(shape1, shape2, &desc1, &desc2);
  const tflite::RuntimeShape out = tflite::RuntimeShape::ExtendedShape(kDims, output_shape);
  const int length = out.Dims(kDims - 1);
  int index[kDims - 1] = {};
  for (int start = 0; start < size; start += length) {
    size_t offset1 = 0, offset2 = 0;
    for (int d = 0; d < kDims - 1; ++d) {
      offset1 += static_cast<size_t>(index[d]) * desc1.strides[d];
      offset2 += static_cast<size_t>(index[d]) * desc2.strides[d];
    }
    run(static_cast<size_t>(start), offset1, desc1.strides[kDims - 1], offset2, desc2.strides[kDims - 1], length);
    for (int d = kDims - 2; d >= 0 && ++index[d] == out.Dims(d); --d) index[d] = 0;
  }
}

}  // namespace embbert

#endif  // EMBBERT_FIRMWARE_KERNELS_BROADCAST_ROWS_H_
