#include "model_runner.h"

#include <cstring>
#include <new>

#include "crc32.h"
#include "model_data.h"
#include "model_ops.h"
#include "model_settings.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

#if defined(EMBBERT_FAST_KERNELS)
#include "fast_ops.h"  // src/kernels/
#endif

#ifndef ARENA_BYTES
#if defined(EMBBERT_FAST_KERNELS)
#define ARENA_BYTES kArenaBytes
#else  // the stock BATCH_MATMUL keeps transposed copies of right-hand sides that ours reads in place
#define ARENA_BYTES kStockKernelsArenaBytes
#endif
#endif

namespace runner {
namespace {

constexpr size_t kArenaSize = (static_cast<size_t>(ARENA_BYTES) + 15u) & ~size_t{15};

alignas(16) uint8_t g_arena[kArenaSize];

#if defined(EMBBERT_FAST_KERNELS)
using Resolver = embbert::FastOpResolver<kModelOpCount>;  // our kernels where we have them
#else
using Resolver = tflite::MicroMutableOpResolver<kModelOpCount>;
#endif
alignas(Resolver) uint8_t g_resolver_mem[sizeof(Resolver)];
alignas(tflite::MicroInterpreter) uint8_t g_interpreter_mem[sizeof(tflite::MicroInterpreter)];

tflite::MicroInterpreter* g_interpreter = nullptr;
// Constructed in init(), so its 6 KB of events are .bss, not a zero image in flash (it has a vtable).
alignas(FixedProfiler) uint8_t g_profiler_mem[sizeof(FixedProfiler)];
FixedProfiler* g_profiler = nullptr;
const char* g_error = "not initialised";

TfLiteTensor* g_token_tensor = nullptr;
TfLiteTensor* g_segment_tensor = nullptr;  // absent in single-input models
TfLiteTensor* g_output = nullptr;

uint16_t g_ids[kSeqLen];
int g_count = 0;  // 0: nothing loaded

// Index of the graph input whose name contains `key`, or -1.
int find_input(const tflite::Model* model, const char* key) {
  const tflite::SubGraph* sg = model->subgraphs()->Get(0);
  for (size_t i = 0; i < sg->inputs()->size(); ++i) {
    const tflite::Tensor* t = sg->tensors()->Get(sg->inputs()->Get(i));
    if (t->name() != nullptr && std::strstr(t->name()->c_str(), key) != nullptr) return static_cast<int>(i);
  }
  return -1;
}

bool is_id_tensor(const TfLiteTensor* t) {
  return t != nullptr && t->type == kTfLiteInt32 && static_cast<int>(t->bytes) == kSeqLen * 4;
}

}  // namespace

const char* init() {
  const tflite::Model* model = tflite::GetModel(g_model_data);
  if (model->version() != TFLITE_SCHEMA_VERSION) return g_error = "model schema version mismatch";
  g_profiler = new (g_profiler_mem) FixedProfiler();
  Resolver* resolver = new (g_resolver_mem) Resolver();
  if (RegisterModelOps(*resolver) != kTfLiteOk) return g_error = "op registration failed";
  g_interpreter = new (g_interpreter_mem)
      tflite::MicroInterpreter(model, *resolver, g_arena, kArenaSize, nullptr, g_profiler);
  if (g_interpreter->AllocateTensors() != kTfLiteOk) return g_error = "allocate tensors failed";

  const int n_inputs = static_cast<int>(g_interpreter->inputs_size());
  if (n_inputs < 1 || n_inputs > 2) return g_error = "model must have 1 or 2 inputs";
  int tok = find_input(model, "token");
  int seg = find_input(model, "segment");
  if (tok < 0) tok = 0;
  if (n_inputs == 2 && (seg < 0 || seg == tok)) seg = 1 - tok;
  g_token_tensor = g_interpreter->input(tok);
  g_segment_tensor = n_inputs == 2 ? g_interpreter->input(seg) : nullptr;
  if (!is_id_tensor(g_token_tensor) || (n_inputs == 2 && !is_id_tensor(g_segment_tensor))) {
    return g_error = "inputs must be int32 [1, seq_len]";
  }
  g_output = g_interpreter->output(0);
  if (g_output == nullptr || g_output->type != kTfLiteInt8) return g_error = "output must be int8";
  g_error = nullptr;
  return nullptr;
}

const char* init_error() { return g_error; }

uint32_t set_input(const uint16_t* ids, int n) {
  std::memcpy(g_ids, ids, static_cast<size_t>(n) * sizeof(uint16_t));
  for (int i = n; i < kSeqLen; ++i) g_ids[i] = static_cast<uint16_t>(kPadId);
  g_count = n;
  return prepare_input();
}

bool has_input() { return g_count > 0; }

void clear_input() { g_count = 0; }

uint32_t prepare_input() {
  int32_t* tok = g_token_tensor->data.i32;
  int32_t* seg = g_segment_tensor != nullptr ? g_segment_tensor->data.i32 : nullptr;
  bool after_sep = false;
  for (int i = 0; i < kSeqLen; ++i) {
    const int32_t id = g_ids[i];
    tok[i] = id;
    if (id == kSepId) after_sep = true;
    if (seg != nullptr) seg[i] = id == kPadId ? 0 : (after_sep ? 2 : 1);
  }
  return crc32(tok, static_cast<size_t>(kSeqLen) * sizeof(int32_t));
}

bool invoke() { return g_interpreter->Invoke() == kTfLiteOk; }

const int8_t* logits() { return g_output->data.int8; }

int num_logits() { return static_cast<int>(g_output->bytes); }

size_t arena_size() { return kArenaSize; }

size_t arena_used() { return g_interpreter != nullptr ? g_interpreter->arena_used_bytes() : 0; }

FixedProfiler& profiler() { return *g_profiler; }

}  // namespace runner
