#include "serial_out.h"

#include "board.h"

void out_str(const char* s) {
  while (*s) board_putc(*s++);
}

void out_u64(uint64_t v) {
  char buf[21];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) board_putc(buf[--n]);
}

void out_i32(int32_t v) {
  if (v < 0) {
    board_putc('-');
    out_u64(static_cast<uint64_t>(-static_cast<int64_t>(v)));
  } else {
    out_u64(static_cast<uint64_t>(v));
  }
}

void out_hex8(uint32_t v) {
  static const char kDigits[] = "0123456789abcdef";
  for (int shift = 28; shift >= 0; shift -= 4) board_putc(kDigits[(v >> shift) & 0xF]);
}

void out_eol() { out_str("\r\n"); }

void out_line(const char* prefix, const char* text) {
  out_str(prefix);
  out_str(text);
  out_eol();
}

void out_clipped(const char* s, int max) {
  for (int i = 0; s[i] != '\0' && i < max; ++i) {
    const char c = s[i];
    board_putc(c >= 0x20 && c < 0x7f ? c : '?');
  }
}

namespace {

void out_key(const char* prefix, const char* key) {
  out_str(prefix);
  out_str(key);
  out_str("=");
}

}  // namespace

void out_key_str(const char* prefix, const char* key, const char* value) {
  out_key(prefix, key);
  out_str(value);
  out_eol();
}

void out_key_u64(const char* prefix, const char* key, uint64_t value) {
  out_key(prefix, key);
  out_u64(value);
  out_eol();
}

void out_key_hex8(const char* prefix, const char* key, uint32_t value) {
  out_key(prefix, key);
  out_hex8(value);
  out_eol();
}
