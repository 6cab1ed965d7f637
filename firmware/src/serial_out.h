// Small formatted output on the board's serial line, without printf (no heap, no float code).
#ifndef EMBBERT_FIRMWARE_SERIAL_OUT_H_
#define EMBBERT_FIRMWARE_SERIAL_OUT_H_

#include <cstdint>

void out_str(const char* s);
void out_u64(uint64_t v);
void out_i32(int32_t v);
void out_hex8(uint32_t v);  // exactly 8 lowercase hex digits
void out_eol();             // "\r\n"

// One complete reply line: `prefix` + `text` + "\r\n".
void out_line(const char* prefix, const char* text);

#endif  // EMBBERT_FIRMWARE_SERIAL_OUT_H_
