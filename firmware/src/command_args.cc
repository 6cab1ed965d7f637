#include "command_args.h"

#include "board.h"
#include "model_runner.h"
#include "model_settings.h"
#include "serial_out.h"

void error_begin() { out_str("e-["); }
void error_end() { out_str("]\r\n"); }

void reply_error(const char* msg) {
  error_begin();
  out_str(msg);
  error_end();
}

bool parse_number(const char* what, const char* s, uint32_t lo, uint32_t hi, uint32_t* out) {
  uint64_t v = 0;
  int digits = 0;
  for (const char* p = s; *p != '\0'; ++p, ++digits) {
    if (*p < '0' || *p > '9' || digits >= 10) {
      error_begin();
      out_str("bad number '");
      out_clipped(s, 16);
      out_str("' for ");
      out_str(what);
      error_end();
      return false;
    }
    v = v * 10 + static_cast<uint32_t>(*p - '0');
  }
  if (digits == 0 || v < lo || v > hi) {
    error_begin();
    out_str(what);
    out_str(" ");
    if (digits == 0) out_str("missing");
    else out_u64(v);
    out_str(" out of range ");
    out_u64(lo);
    out_str("..");
    out_u64(hi);
    error_end();
    return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool arg_count(const char* cmd, int argc, int expected) {
  if (argc == expected + 1) return true;
  error_begin();
  out_str(cmd);
  out_str(" expects ");
  out_u64(static_cast<uint64_t>(expected));
  out_str(expected == 1 ? " argument" : " arguments");
  error_end();
  return false;
}

bool model_ready() {
  if (runner::init_error() == nullptr) return true;
  error_begin();
  out_str("model not ready: ");
  out_str(runner::init_error());
  error_end();
  return false;
}

bool check_token_id(uint32_t id, uint32_t position) {
  if (id < static_cast<uint32_t>(kVocabSize)) return true;
  error_begin();
  out_str("token id ");
  out_u64(id);
  out_str(" at position ");
  out_u64(position);
  out_str(" out of range (vocab ");
  out_u64(kVocabSize);
  out_str(")");
  error_end();
  return false;
}
