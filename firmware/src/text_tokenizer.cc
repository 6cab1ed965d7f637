#include "text_tokenizer.h"

#include "bpe_merge.h"
#include "text_normalizer.h"
#include "tokenizer_tables.h"

namespace {

void fail(TextTokenizer* t, TokenizeError e, uint32_t offset, uint32_t cp = 0) {
  if (t->error != TokenizeError::kNone) return;
  t->error = e;
  t->error_offset = offset;
  t->error_code_point = cp;
}

bool keeps_tail(const TextTokenizer* t) { return t->keep_head >= 0; }

void emit(TextTokenizer* t, uint16_t id) {
  if (t->count < t->max_tokens) {
    t->out[t->count++] = id;
    return;
  }
  t->full = true;
  if (!keeps_tail(t)) return;
  t->out[t->ring_next] = id;
  if (++t->ring_next == t->max_tokens) t->ring_next = t->keep_head;
}

void reverse(uint16_t* a, int n) {
  for (int i = 0, j = n - 1; i < j; ++i, --j) {
    const uint16_t x = a[i];
    a[i] = a[j];
    a[j] = x;
  }
}

// Puts the tail ring in order: its oldest id is at ring_next (rotation by three reversals, in place).
void unwind_ring(TextTokenizer* t) {
  uint16_t* ring = t->out + t->keep_head;
  const int n = t->max_tokens - t->keep_head;
  const int k = t->ring_next - t->keep_head;
  if (k == 0) return;
  reverse(ring, k);
  reverse(ring + k, n - k);
  reverse(ring, n);
}

// Merges the current word and emits its ids (head only: nothing once the output is full, those ids are
// dropped).
void end_word(TextTokenizer* t) {
  const int n = t->word_len;
  t->word_len = 0;
  if (n == 0 || (t->count >= t->max_tokens && !keeps_tail(t))) {
    if (n > 0) t->full = true;
    return;
  }
  uint16_t* ids = t->word;
  ids[0] = kTokCharId[ids[0]];
  for (int i = 1; i < n; ++i) ids[i] = kTokCharContId[ids[i]];
  const int m = bpe_merge_word(ids, t->ranks, n);
  for (int i = 0; i < m; ++i) emit(t, ids[i]);
}

// One normalised character through the BERT pre-tokenizer.
void add_character(TextTokenizer* t, uint16_t c, uint32_t offset) {
  switch (kTokCharClass[c]) {
    case kTokClassSpace:
      end_word(t);
      break;
    case kTokClassPunct:
      end_word(t);
      t->word[0] = c;
      t->word_len = 1;
      end_word(t);
      break;
    default:
      if (t->word_len == kMaxWordChars) {
        // Only an error while its ids could still be needed (always when the tail is kept).
        if (t->count < t->max_tokens || keeps_tail(t)) fail(t, TokenizeError::kWordTooLong, offset);
        t->full = true;
        return;
      }
      t->word[t->word_len++] = c;
  }
}

// One raw byte that is not part of an added token.
void add_byte(TextTokenizer* t, uint8_t byte, uint32_t offset) {
  if (!utf8_pending(t->utf8)) t->sequence_start = offset;
  const int32_t cp = utf8_decode(&t->utf8, byte);
  if (cp == kUtf8NeedMore) return;
  if (cp == kUtf8Invalid) return fail(t, TokenizeError::kInvalidUtf8, offset);
  uint16_t chars[kNormalizedMax];
  const int n = normalize_code_point(static_cast<uint32_t>(cp), chars);
  if (n < 0) return fail(t, TokenizeError::kUnsupported, t->sequence_start, static_cast<uint32_t>(cp));
  for (int i = 0; i < n; ++i) add_character(t, chars[i], t->sequence_start);
}

// The added token whose text `special[0..len)` is, -1 if none, -2 if it is a prefix of one.
int match_special(const char* s, int len) {
  bool prefix = false;
  for (int i = 0; i < kTokSpecialCount; ++i) {
    const char* text = kTokSpecial[i].text;
    int j = 0;
    while (j < len && text[j] != '\0' && text[j] == s[j]) ++j;
    if (j < len) continue;
    if (text[j] == '\0') return i;
    prefix = true;
  }
  return prefix ? -2 : -1;
}

}  // namespace

void text_tokenizer_begin(TextTokenizer* t, uint16_t* out, int max_tokens, int keep_head) {
  t->out = out;
  t->max_tokens = max_tokens;
  t->keep_head = keep_head >= 0 && keep_head < max_tokens ? keep_head : -1;
  t->ring_next = t->keep_head;
  t->count = 0;
  t->full = false;
  t->error = TokenizeError::kNone;
  t->error_offset = 0;
  t->error_code_point = 0;
  t->offset = 0;
  t->sequence_start = 0;
  t->utf8 = Utf8Decoder();
  t->special_len = 0;
  t->special_start = 0;
  t->word_len = 0;
}

void text_tokenizer_feed(TextTokenizer* t, uint8_t byte) {
  const uint32_t offset = t->offset++;
  if (t->special_len == 0) t->special_start = offset;
  t->special[t->special_len++] = static_cast<char>(byte);
  // Added tokens are matched leftmost first in the raw text; bytes that cannot start one go on.
  while (t->special_len > 0) {
    const int match = match_special(t->special, t->special_len);
    if (match == -2 && t->special_len < kMaxSpecialLen) return;
    if (match >= 0) {
      if (utf8_pending(t->utf8)) {
        t->utf8 = Utf8Decoder();
        fail(t, TokenizeError::kInvalidUtf8, t->special_start);
      }
      end_word(t);
      emit(t, kTokSpecial[match].id);
      t->special_len = 0;
      return;
    }
    add_byte(t, static_cast<uint8_t>(t->special[0]), t->special_start);
    for (int i = 1; i < t->special_len; ++i) t->special[i - 1] = t->special[i];
    --t->special_len;
    ++t->special_start;
  }
}

void text_tokenizer_end(TextTokenizer* t) {
  for (int i = 0; i < t->special_len; ++i) add_byte(t, static_cast<uint8_t>(t->special[i]), t->special_start + i);
  t->special_len = 0;
  if (utf8_pending(t->utf8)) {
    t->utf8 = Utf8Decoder();
    fail(t, TokenizeError::kInvalidUtf8, t->offset);
  }
  end_word(t);
  if (keeps_tail(t)) unwind_ring(t);
}
