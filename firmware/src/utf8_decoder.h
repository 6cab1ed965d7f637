// Incremental, strict UTF-8 decoding (no overlong forms, no surrogates, nothing above U+10FFFF).
#ifndef EMBBERT_FIRMWARE_UTF8_DECODER_H_
#define EMBBERT_FIRMWARE_UTF8_DECODER_H_

#include <cstdint>

constexpr int32_t kUtf8NeedMore = -1;
constexpr int32_t kUtf8Invalid = -2;

struct Utf8Decoder {
  uint32_t code_point = 0;
  uint32_t min_value = 0;  // smallest code point the current sequence may encode
  int remaining = 0;       // continuation bytes still expected
};

// Feeds one byte: returns the completed code point, kUtf8NeedMore, or kUtf8Invalid (the decoder is
// then reset; the byte that broke the sequence is consumed).
int32_t utf8_decode(Utf8Decoder* d, uint8_t byte);

// True when a sequence is started but not finished.
inline bool utf8_pending(const Utf8Decoder& d) { return d.remaining > 0; }

#endif  // EMBBERT_FIRMWARE_UTF8_DECODER_H_
