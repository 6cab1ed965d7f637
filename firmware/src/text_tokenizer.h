// Streaming text tokenizer: bytes of UTF-8 text in, token ids out, exactly as the Hugging Face
// tokenizer of the model (tokenizer_tables.h) encodes it without special tokens added: added tokens
// ("[SEP]", ...) matched in the raw text, then the BERT normaliser, the BERT pre-tokenizer (whitespace
// and punctuation split) and BPE with "##" continuations.
//
// It keeps only the current word, so texts of any length stream through. A text of more than `max_tokens`
// ids keeps its first ones: the ids past that point are dropped unread (the words still checked, not
// merged). With `keep_head` in [0, max_tokens) it keeps its first `keep_head` ids and its last
// `max_tokens - keep_head` ones instead: once `out` is full, ids go round a ring over
// out[keep_head .. max_tokens), which text_tokenizer_end rotates into order.
#ifndef EMBBERT_FIRMWARE_TEXT_TOKENIZER_H_
#define EMBBERT_FIRMWARE_TEXT_TOKENIZER_H_

#include <cstdint>

#include "utf8_decoder.h"

constexpr int kMaxWordChars = 512;  // longest word (characters between separators) the board merges
constexpr int kMaxSpecialLen = 8;   // longest added token ("[MASK]" is 6 bytes)

enum class TokenizeError : uint8_t { kNone, kInvalidUtf8, kUnsupported, kWordTooLong };

struct TextTokenizer {
  uint16_t* out;      // ids of the text, in order once ended
  int max_tokens;     // capacity of `out`
  int keep_head;      // head ids kept before the tail ring; -1: head only
  int ring_next;      // where the next id past max_tokens goes (tail ring)
  int count;          // ids written (at most max_tokens)
  bool full;          // more ids than max_tokens were produced

  TokenizeError error;
  uint32_t error_offset;      // byte offset of the first error in the text
  uint32_t error_code_point;  // the unsupported code point, for kUnsupported

  uint32_t offset;  // bytes fed so far
  uint32_t sequence_start;  // offset of the first byte of the code point being decoded
  Utf8Decoder utf8;
  char special[kMaxSpecialLen];  // raw bytes that may start an added token
  int special_len;
  uint32_t special_start;
  uint16_t word[kMaxWordChars];   // character indices of the current word
  uint16_t ranks[kMaxWordChars];  // BPE scratch
  int word_len;
};

// Starts a text whose ids go to `out` (up to `max_tokens` of them). A text with more keeps its first ones,
// or with `keep_head` in [0, max_tokens) its first `keep_head` ones and then its last ones.
void text_tokenizer_begin(TextTokenizer* t, uint16_t* out, int max_tokens, int keep_head = -1);

// Feeds one byte of the text.
void text_tokenizer_feed(TextTokenizer* t, uint8_t byte);

// Ends the text (flushes the last word, puts the tail ring in order). The ids are in t->out[0 .. t->count).
void text_tokenizer_end(TextTokenizer* t);

#endif  // EMBBERT_FIRMWARE_TEXT_TOKENIZER_H_
