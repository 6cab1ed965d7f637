// The tokenizer tables the converter generates (convert/tokenizer_tables.py writes tokenizer_data.cc
// beside the model) from the Hugging Face tokenizer file. See that module for what each table holds.
#ifndef EMBBERT_FIRMWARE_TOKENIZER_TABLES_H_
#define EMBBERT_FIRMWARE_TOKENIZER_TABLES_H_

#include <cstdint>

// A run of consecutive supported code points: `first` .. `first + count - 1`, whose fold entries
// start at kTokFold[offset].
struct TokFoldRange {
  uint32_t first;
  uint16_t count;
  uint16_t offset;
};

// A token matched in the raw text before normalisation ("[CLS]", "[SEP]", ...).
struct TokSpecialToken {
  const char* text;
  uint16_t id;
};

// Character classes for the BERT pre-tokenizer.
constexpr uint8_t kTokClassWord = 0;
constexpr uint8_t kTokClassPunct = 1;
constexpr uint8_t kTokClassSpace = 2;
// A fold entry with this bit set indexes kTokFoldSequences (length, then character indices).
constexpr uint16_t kTokFoldSequence = 0x8000;

extern const int kTokTableBytes;  // flash the tables take
extern const uint16_t kTokUnkId;

extern const int kTokFoldRangeCount;
extern const TokFoldRange kTokFoldRanges[];  // sorted by `first`
// Per supported code point: 0 = removed by the normaliser, else a character index, or
// kTokFoldSequence | index into kTokFoldSequences.
extern const uint16_t kTokFold[];
extern const uint16_t kTokFoldSequences[];

// Per character index (0 unused): its id as a word's first character, as a "##" continuation, its class.
extern const int kTokCharCount;
extern const uint16_t kTokCharId[];
extern const uint16_t kTokCharContId[];
extern const uint8_t kTokCharClass[];

// Merges sorted by key (left id << 16 | right id); kTokMergeIds holds the merged token's id, which is
// also the merge's rank (lower merges first).
extern const int kTokMergeCount;
extern const uint32_t kTokMergeKeys[];
extern const uint16_t kTokMergeIds[];

extern const int kTokSpecialCount;
extern const TokSpecialToken kTokSpecial[];

#endif  // EMBBERT_FIRMWARE_TOKENIZER_TABLES_H_
