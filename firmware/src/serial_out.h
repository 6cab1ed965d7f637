// Small formatted output on the board's serial line, without printf (no heap, no float code).
#ifndef EMBBERT_FIRMWARE_SERIAL_OUT_H_
#define EMBBERT_FIRMWARE_SERIAL_OUT_H_

#include <cstdint>

void out_str(const char* s);
void out_u64(uint64_t v);
void out_i32(int32_t v);
void out_hex8(uint32_t v);  // exactly 8 lowercase hex digits
void out_eol();             // "\r\n"

// At most `max` characters of `s`, non-printable bytes as '?': for echoing what the host sent.
void out_clipped(const char* s, int max);

// One complete reply line: `prefix` + `text` + "\r\n".
void out_line(const char* prefix, const char* text);

// Key-value reply lines: `prefix` + `key` + "=" + the value + "\r\n".
void out_key_str(const char* prefix, const char* key, const char* value);
void out_key_u64(const char* prefix, const char* key, uint64_t value);
void out_key_hex8(const char* prefix, const char* key, uint32_t value);  // 8 lowercase hex digits

#endif  // EMBBERT_FIRMWARE_SERIAL_OUT_H_
