// The model runner: one TFLM interpreter over the embedded model (model_data.cc from the converter),
// a resolver holding exactly the model's ops (model_ops.h), the tensor arena, and the current input.
#ifndef EMBBERT_FIRMWARE_MODEL_RUNNER_H_
#define EMBBERT_FIRMWARE_MODEL_RUNNER_H_

#include <cstddef>
#include <cstdint>

#include "profiler.h"

namespace runner {

// Builds the interpreter and allocates its tensors. Returns nullptr on success, else the reason.
const char* init();

// The reason init() failed, or nullptr when the model is ready.
const char* init_error();

// Replaces the current input with `n` token ids (already validated: n in 1..L, ids < V); the rest
// is [PAD]. Returns the CRC-32 of the token_ids tensor (L int32, little-endian).
uint32_t set_input(const uint16_t* ids, int n);

bool has_input();

// Writes the current input into the input tensors; returns the CRC of the token_ids tensor.
// Done before every Invoke because TFLM may reuse input tensor memory for later activations.
uint32_t prepare_input();

// Runs the model once on the tensors prepare_input() filled. False when TFLM reports an error.
bool invoke();

// The int8 output of the last Invoke.
const int8_t* logits();
int num_logits();

size_t arena_size();
size_t arena_used();

// The per-op profiler the interpreter reports to (disabled outside `profile%`).
FixedProfiler& profiler();

}  // namespace runner

#endif  // EMBBERT_FIRMWARE_MODEL_RUNNER_H_
