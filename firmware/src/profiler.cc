#include "profiler.h"

#include "board.h"

namespace {

constexpr uint32_t kNoEvent = 0xFFFFFFFFu;

}  // namespace

void FixedProfiler::start() {
  count_ = 0;
  dropped_ = 0;
  enabled_ = true;
}

uint32_t FixedProfiler::BeginEvent(const char* tag) {
  if (!enabled_) return kNoEvent;
  if (count_ >= kMaxEvents) {
    ++dropped_;
    return kNoEvent;
  }
  Event& e = events_[count_];
  e.tag = tag;
  e.cycles = 0;
  e.start = board_cycles();
  return static_cast<uint32_t>(count_++);
}

void FixedProfiler::EndEvent(uint32_t event_handle) {
  const uint64_t now = board_cycles();
  if (event_handle >= static_cast<uint32_t>(count_)) return;
  Event& e = events_[event_handle];
  e.cycles = static_cast<uint32_t>(now - e.start);
}
