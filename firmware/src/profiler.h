// A fixed-size per-operator profiler for TFLM. tflite::MicroProfiler keeps 4096 events (~80 KB of RAM);
// this one keeps kMaxEvents and counts what did not fit.
#ifndef EMBBERT_FIRMWARE_PROFILER_H_
#define EMBBERT_FIRMWARE_PROFILER_H_

#include <cstdint>

#include "tensorflow/lite/micro/micro_profiler_interface.h"

#ifndef PROFILER_MAX_EVENTS
#define PROFILER_MAX_EVENTS 256
#endif

class FixedProfiler : public tflite::MicroProfilerInterface {
 public:
  static constexpr int kMaxEvents = PROFILER_MAX_EVENTS;

  struct Event {  // 16 bytes: the 64-bit field first leaves no padding
    uint64_t start;
    const char* tag;
    uint32_t cycles;
  };

  // Starts recording from an empty list; while disabled, events cost one call and a compare.
  void start();
  void stop() { enabled_ = false; }

  uint32_t BeginEvent(const char* tag) override;
  void EndEvent(uint32_t event_handle) override;

  int count() const { return count_; }
  uint32_t dropped() const { return dropped_; }
  const Event& event(int i) const { return events_[i]; }

 private:
  Event events_[kMaxEvents] = {};
  int count_ = 0;
  uint32_t dropped_ = 0;
  bool enabled_ = false;
};

#endif  // EMBBERT_FIRMWARE_PROFILER_H_
