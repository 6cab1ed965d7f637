#include "command_args.h"

#include "board.h"
#include "model_runner.h"
#include "model_settings.h"
#include "serial_out.h"

void ErrorBegin() { out_str("e-["); }
void ErrorEnd() { out_str("]\r\n"); }

void Error(const char* msg) {
  ErrorBegin();
  out_str(msg);
  ErrorEnd();
}

void OutClipped(const char* s, int max) {
  for (int i = 0; s[i] != '\0' && i < max; ++i) {
    const char c = s[i];
    board_putc(c >= 0x20 && c < 0x7f ? c : '?');
  }
}

bool ParseNumber(const char* what, const char* s, uint32_t lo, uint32_t hi, uint32_t* out) {
  uint64_t v = 0;
  int digits = 0;
  for (const char* p = s; *p != '\0'; ++p, ++digits) {
    if (*p < '0' || *p > '9' || digits >= 10) {
      ErrorBegin();
      out_str("bad number '");
      OutClipped(s, 16);
      out_str("' for ");
      out_str(what);
      ErrorEnd();
      return false;
    }
    v = v * 10 + static_cast<uint32_t>(*p - '0');
  }
  if (digits == 0 || v < lo || v > hi) {
    ErrorBegin();
    out_str(what);
    out_str(" ");
    if (digits == 0) out_str("missing");
    else out_u64(v);
    out_str(" out of range ");
    out_u64(lo);
    out_str("..");
    out_u64(hi);
    ErrorEnd();
    return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ArgCount(const char* cmd, int argc, int expected) {
  if (argc == expected + 1) return true;
  ErrorBegin();
  out_str(cmd);
  out_str(" expects ");
  out_u64(static_cast<uint64_t>(expected));
  out_str(expected == 1 ? " argument" : " arguments");
  ErrorEnd();
  return false;
}

bool ModelReady() {
  if (runner::Error() == nullptr) return true;
  ErrorBegin();
  out_str("model not ready: ");
  out_str(runner::Error());
  ErrorEnd();
  return false;
}

bool CheckTokenId(uint32_t id, uint32_t position) {
  if (id < static_cast<uint32_t>(kVocabSize)) return true;
  ErrorBegin();
  out_str("token id ");
  out_u64(id);
  out_str(" at position ");
  out_u64(position);
  out_str(" out of range (vocab ");
  out_u64(kVocabSize);
  out_str(")");
  ErrorEnd();
  return false;
}
