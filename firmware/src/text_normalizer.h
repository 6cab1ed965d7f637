// The BERT normaliser, one code point at a time, from the generated fold table: control characters
// removed, whitespace made a space, CJK characters spaced, accents stripped (NFD), lower case.
#ifndef EMBBERT_FIRMWARE_TEXT_NORMALIZER_H_
#define EMBBERT_FIRMWARE_TEXT_NORMALIZER_H_

#include <cstdint>

constexpr int kNormalizedMax = 8;  // characters one code point may become

// Writes the character indices (into the kTokChar* tables) that `cp` normalises to into `out` and
// returns how many (0: removed), or -1 when `cp` is not a supported code point.
int normalize_code_point(uint32_t cp, uint16_t out[kNormalizedMax]);

#endif  // EMBBERT_FIRMWARE_TEXT_NORMALIZER_H_
