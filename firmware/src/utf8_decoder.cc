#include "utf8_decoder.h"

int32_t utf8_decode(Utf8Decoder* d, uint8_t byte) {
  if (d->remaining == 0) {
    if (byte < 0x80) return byte;
    if (byte >= 0xC2 && byte <= 0xDF) {
      *d = {byte & 0x1Fu, 0x80u, 1};
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      *d = {byte & 0x0Fu, 0x800u, 2};
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      *d = {byte & 0x07u, 0x10000u, 3};
    } else {
      return kUtf8Invalid;
    }
    return kUtf8NeedMore;
  }
  if ((byte & 0xC0) != 0x80) {
    *d = Utf8Decoder();
    return kUtf8Invalid;
  }
  d->code_point = (d->code_point << 6) | (byte & 0x3Fu);
  if (--d->remaining > 0) return kUtf8NeedMore;
  const uint32_t cp = d->code_point;
  const bool bad = cp < d->min_value || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF);
  *d = Utf8Decoder();
  return bad ? kUtf8Invalid : static_cast<int32_t>(cp);
}
