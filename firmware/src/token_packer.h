// Packs tokenized texts into the model's input as keras_models/tokenizer.py does: `[CLS] a` for one
// text, `[CLS] a [SEP] b` for a pair, cut to `seq_len` ids (a pair by longest-first truncation: drop
// the last id of the longer text, of the first one on a tie, until both fit).
#ifndef EMBBERT_FIRMWARE_TOKEN_PACKER_H_
#define EMBBERT_FIRMWARE_TOKEN_PACKER_H_

#include <cstdint>

// Ids each text needs to hold for packing to be exact: the truncation only depends on
// min(length, budget), so a tokenizer may stop keeping ids after this many.
int pack_budget(bool pair, int seq_len);

// Writes the packed ids (no padding) into `out` (room for `seq_len`) and returns their number.
// `b` is ignored unless `pair`.
int pack_tokens(const uint16_t* a, int na, const uint16_t* b, int nb, bool pair, uint16_t cls_id,
                uint16_t sep_id, int seq_len, uint16_t* out);

#endif  // EMBBERT_FIRMWARE_TOKEN_PACKER_H_
