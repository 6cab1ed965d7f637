#include "text_normalizer.h"

#include "tokenizer_tables.h"

namespace {

// The run holding `cp`, or nullptr. Runs are sorted; the first one starts at U+0000 (ASCII fast path).
const TokFoldRange* find_range(uint32_t cp) {
  if (cp < kTokFoldRanges[0].first + kTokFoldRanges[0].count) return &kTokFoldRanges[0];
  int lo = 0, hi = kTokFoldRangeCount - 1;
  while (lo <= hi) {
    const int mid = (lo + hi) / 2;
    const TokFoldRange& r = kTokFoldRanges[mid];
    if (cp < r.first) hi = mid - 1;
    else if (cp >= r.first + r.count) lo = mid + 1;
    else return &r;
  }
  return nullptr;
}

}  // namespace

int normalize_code_point(uint32_t cp, uint16_t out[kNormalizedMax]) {
  const TokFoldRange* r = find_range(cp);
  if (r == nullptr) return -1;
  const uint16_t fold = kTokFold[r->offset + (cp - r->first)];
  if (fold == 0) return 0;
  if (!(fold & kTokFoldSequence)) {
    out[0] = fold;
    return 1;
  }
  const uint16_t* seq = &kTokFoldSequences[fold & ~kTokFoldSequence];
  const int n = seq[0] < kNormalizedMax ? seq[0] : kNormalizedMax;
  for (int i = 0; i < n; ++i) out[i] = seq[1 + i];
  return n;
}
