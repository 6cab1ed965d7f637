// Byte-pair merging of one word, as Hugging Face's BPE model does it: repeatedly merge the adjacent
// pair of lowest rank (the leftmost one on a tie) until no pair of the word has a merge.
#ifndef EMBBERT_FIRMWARE_BPE_MERGE_H_
#define EMBBERT_FIRMWARE_BPE_MERGE_H_

#include <cstdint>

constexpr uint16_t kNoMerge = 0xFFFF;

// The id of the token `left` + `right` merge into (also the merge's rank), or kNoMerge.
uint16_t bpe_merge_id(uint16_t left, uint16_t right);

// Merges the `n` token ids in `ids` in place; `ranks` is scratch space for `n` entries. Returns the
// number of ids left.
int bpe_merge_word(uint16_t* ids, uint16_t* ranks, int n);

#endif  // EMBBERT_FIRMWARE_BPE_MERGE_H_
