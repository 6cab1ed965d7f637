#include "bpe_merge.h"

#include "tokenizer_tables.h"

uint16_t bpe_merge_id(uint16_t left, uint16_t right) {
  const uint32_t key = (static_cast<uint32_t>(left) << 16) | right;
  int lo = 0, hi = kTokMergeCount - 1;
  while (lo <= hi) {
    const int mid = (lo + hi) / 2;
    const uint32_t k = kTokMergeKeys[mid];
    if (k == key) return kTokMergeIds[mid];
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return kNoMerge;
}

int bpe_merge_word(uint16_t* ids, uint16_t* ranks, int n) {
  // ranks[i]: the merge of ids[i] and ids[i + 1]; kept up to date around each merge.
  for (int i = 0; i + 1 < n; ++i) ranks[i] = bpe_merge_id(ids[i], ids[i + 1]);
  while (n > 1) {
    int best = 0;
    for (int i = 1; i + 1 < n; ++i) {
      if (ranks[i] < ranks[best]) best = i;
    }
    if (ranks[best] == kNoMerge) break;
    ids[best] = ranks[best];
    for (int i = best + 1; i + 1 < n; ++i) {
      ids[i] = ids[i + 1];
      ranks[i] = ranks[i + 1];
    }
    --n;
    if (best > 0) ranks[best - 1] = bpe_merge_id(ids[best - 1], ids[best]);
    if (best + 1 < n) ranks[best] = bpe_merge_id(ids[best], ids[best + 1]);
  }
  return n;
}
