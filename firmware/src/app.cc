#include "app.h"

#include <cstdint>
#include <cstring>

#include "board.h"
#include "crc32.h"
#include "model_runner.h"
#include "model_settings.h"
#include "serial_out.h"
#include "stack_paint.h"
#include "tensorflow/lite/micro/cortex_m_generic/debug_log_callback.h"

#ifndef KERNELS_NAME
#define KERNELS_NAME "unknown"
#endif

namespace {

constexpr int kProtocolVersion = 1;
// Longest command: "load <n> <4n hex digits>".
constexpr int kLineMax = 32 + 4 * kSeqLen;
constexpr int kMaxArgs = 4;
constexpr uint32_t kMaxWarmup = 100;
constexpr uint32_t kMaxRuns = 1000;

char g_line[kLineMax + 1];
int g_len = 0;
bool g_overflow = false;
int g_bad_char = -1;  // first byte of the command that is not printable ASCII, or -1

// --- reply helpers -------------------------------------------------------------------------------

void reply_ready() { out_line("m-", "ready"); }

// An error reply line: error_begin(), the message, error_end(); or reply_error(message).
void error_begin() { out_str("e-["); }
void error_end() { out_str("]\r\n"); }

void reply_error(const char* msg) {
  error_begin();
  out_str(msg);
  error_end();
}

// --- parsing -------------------------------------------------------------------------------------

// Splits `line` in place at spaces and tabs; returns the number of words, or max + 1 when there are more.
int split_words(char* line, char* argv[], int max) {
  int argc = 0;
  char* p = line;
  while (*p != '\0') {
    while (*p == ' ' || *p == '\t') *p++ = '\0';
    if (*p == '\0') break;
    if (argc == max) return max + 1;
    argv[argc++] = p;
    while (*p != '\0' && *p != ' ' && *p != '\t') ++p;
  }
  return argc;
}

// Parses a decimal number in [lo, hi]; prints the error and returns false otherwise.
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

// --- commands ------------------------------------------------------------------------------------

void cmd_info() {
  const char* p = "m-info-";
  out_key_u64(p, "protocol", kProtocolVersion);
  out_key_str(p, "board", kBoardInfo.name);
  out_key_str(p, "cpu", kBoardInfo.cpu);
  out_key_u64(p, "clock_hz", kBoardInfo.clock_hz);
  out_key_str(p, "cycle_source", kBoardInfo.cycle_source);
  out_key_str(p, "kernels", KERNELS_NAME);
  out_key_str(p, "model_name", kModelName);
  out_key_hex8(p, "model_hash", kModelHash);
  out_key_u64(p, "model_bytes", static_cast<uint64_t>(kModelBytes));
  out_key_u64(p, "seq_len", kSeqLen);
  out_key_u64(p, "vocab", kVocabSize);
  out_key_u64(p, "classes", kNumClasses);
  out_key_u64(p, "arena_size", runner::arena_size());
  out_key_u64(p, "arena_used", runner::arena_used());
}

void cmd_load(int argc, char* argv[]) {
  if (!arg_count("load", argc, 2) || !model_ready()) return;
  uint32_t n;
  if (!parse_number("count", argv[1], 1, kSeqLen, &n)) return;
  const char* hex = argv[2];
  const size_t len = std::strlen(hex);
  if (len != 4u * n) {
    error_begin();
    out_str("hex length ");
    out_u64(len);
    out_str(", expected ");
    out_u64(4u * n);
    error_end();
    return;
  }
  // Validate everything before touching the current input: a rejected load keeps the previous one.
  static uint16_t ids[kSeqLen];
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t id = 0;
    for (int j = 0; j < 4; ++j) {
      const int d = hex_digit(hex[4 * i + j]);
      if (d < 0) {
        error_begin();
        out_str("bad hex digit at offset ");
        out_u64(4 * i + j);
        error_end();
        return;
      }
      id = (id << 4) | static_cast<uint32_t>(d);
    }
    if (id >= static_cast<uint32_t>(kVocabSize)) {
      error_begin();
      out_str("token id ");
      out_u64(id);
      out_str(" at position ");
      out_u64(i);
      out_str(" out of range (vocab ");
      out_u64(kVocabSize);
      out_str(")");
      error_end();
      return;
    }
    ids[i] = static_cast<uint16_t>(id);
  }
  const uint32_t crc = runner::set_input(ids, static_cast<int>(n));
  out_key_u64("m-", "load-count", n);
  out_key_hex8("m-", "load-crc", crc);
}

void cmd_infer(int argc, char* argv[]) {
  if (!arg_count("infer", argc, 2) || !model_ready()) return;
  uint32_t runs, warmup;
  if (!parse_number("runs", argv[1], 1, kMaxRuns, &runs)) return;
  if (!parse_number("warmup", argv[2], 0, kMaxWarmup, &warmup)) return;
  if (!runner::has_input()) return reply_error("no input loaded");
  uint32_t input_crc = 0;
  for (uint32_t i = 0; i < warmup + runs; ++i) {
    input_crc = runner::prepare_input();
    board_cycles_reset();
    const bool ok = runner::invoke();
    const uint64_t cycles = board_cycles();
    if (!ok) return reply_error("invoke failed");
    if (i >= warmup) {
      out_str("m-run-");
      out_u64(i - warmup);
      out_str("-cycles=");
      out_u64(cycles);
      out_eol();
    }
  }
  const int8_t* logits = runner::logits();
  const int n = runner::num_logits();
  out_str("m-logits=");
  for (int i = 0; i < n; ++i) {
    if (i > 0) board_putc(',');
    out_i32(logits[i]);
  }
  out_eol();
  out_key_hex8("m-", "crc-input", input_crc);
  out_key_hex8("m-", "crc-output", crc32(logits, static_cast<size_t>(n)));
}

void cmd_profile(int argc) {
  if (!arg_count("profile", argc, 0) || !model_ready()) return;
#ifdef TF_LITE_STRIP_ERROR_STRINGS
  // TFLM compiles its per-op profiling hooks out of release builds.
  reply_error("profiling not built in");
#else
  if (!runner::has_input()) return reply_error("no input loaded");
  runner::prepare_input();
  FixedProfiler& prof = runner::profiler();
  prof.start();
  board_cycles_reset();
  const bool ok = runner::invoke();
  const uint64_t total = board_cycles();
  prof.stop();
  if (!ok) return reply_error("invoke failed");
  for (int i = 0; i < prof.count(); ++i) {
    out_str("m-op-");
    out_u64(static_cast<uint64_t>(i));
    out_str("=");
    out_str(prof.event(i).tag != nullptr ? prof.event(i).tag : "?");
    out_str(",");
    out_u64(prof.event(i).cycles);
    out_eol();
  }
  if (prof.dropped() > 0) {
    error_begin();
    out_str("profiler full: ");
    out_u64(prof.dropped());
    out_str(" ops not recorded");
    error_end();
  }
  out_key_u64("m-", "op-total", total);
#endif
}

void cmd_mem(int argc) {
  if (!arg_count("mem", argc, 0)) return;
  const BoardMemory m = board_memory();
  const char* p = "m-mem-";
  out_key_u64(p, "arena_size", runner::arena_size());
  out_key_u64(p, "arena_used", runner::arena_used());
  out_key_u64(p, "stack_size", m.stack_high - m.stack_low);
  out_key_u64(p, "stack_used", stack_used(m.stack_low, m.stack_high));
  out_key_u64(p, "static_ram", m.static_ram);
  out_key_u64(p, "flash_used", m.flash_used);
  out_key_u64(p, "model_bytes", static_cast<uint64_t>(kModelBytes));
}

void cmd_fault(int argc) {
  if (!arg_count("fault", argc, 0)) return;
  // An undefined instruction (`udf` on Arm): UsageFault, escalated to HardFault (fault handlers are not
  // enabled). On a host build of the core, SIGILL.
  __builtin_trap();
}

void execute(char* line) {
  char* argv[kMaxArgs];
  const int argc = split_words(line, argv, kMaxArgs);
  if (argc == 0) return;  // "%" alone: just m-ready
  if (argc > kMaxArgs) return reply_error("too many arguments");
  const char* cmd = argv[0];
  if (std::strcmp(cmd, "name") == 0) {
    if (arg_count("name", argc, 0)) out_line("m-name-", "[embbert-q]");
  } else if (std::strcmp(cmd, "info") == 0) {
    if (arg_count("info", argc, 0)) cmd_info();
  } else if (std::strcmp(cmd, "load") == 0) {
    cmd_load(argc, argv);
  } else if (std::strcmp(cmd, "infer") == 0) {
    cmd_infer(argc, argv);
  } else if (std::strcmp(cmd, "profile") == 0) {
    cmd_profile(argc);
  } else if (std::strcmp(cmd, "mem") == 0) {
    cmd_mem(argc);
  } else if (std::strcmp(cmd, "fault") == 0) {
    cmd_fault(argc);
  } else {
    error_begin();
    out_str("unknown command '");
    out_clipped(cmd, 24);
    out_str("'");
    error_end();
  }
}

// TFLM's log lines (MicroPrintf) become `m-log-<text>` lines so they never break the protocol.
bool g_log_at_line_start = true;

void log_callback(const char* s) {
  for (; *s != '\0'; ++s) {
    if (*s == '\r') continue;
    if (*s == '\n') {
      if (!g_log_at_line_start) out_eol();
      g_log_at_line_start = true;
      continue;
    }
    if (g_log_at_line_start) out_str("m-log-");
    g_log_at_line_start = false;
    board_putc(*s);
  }
}

}  // namespace

void app_init() {
  RegisterDebugLogCallback(log_callback);
  out_str("m-boot-");
  out_str(kBoardInfo.name);
  out_eol();
  runner::init();
  model_ready();  // reports a model that failed to initialise, once after the banner
  reply_ready();
}

void app_feed(char c) {
  if (c == '\r' || c == '\n') return;  // line ends are not part of commands
  if (c != '%') {
    const unsigned char u = static_cast<unsigned char>(c);
    if (g_bad_char < 0 && (u < 0x20 || u >= 0x7f) && c != '\t') g_bad_char = u;
    if (g_len < kLineMax) g_line[g_len++] = c;
    else g_overflow = true;
    return;
  }
  g_line[g_len] = '\0';
  if (g_overflow) {
    error_begin();
    out_str("line too long (max ");
    out_u64(kLineMax);
    out_str(" characters)");
    error_end();
  } else if (g_bad_char >= 0) {
    error_begin();
    out_str("bad character 0x");
    static const char kHex[] = "0123456789abcdef";
    board_putc(kHex[g_bad_char >> 4]);
    board_putc(kHex[g_bad_char & 0xF]);
    out_str(" in command");
    error_end();
  } else {
    execute(g_line);
  }
  g_len = 0;
  g_overflow = false;
  g_bad_char = -1;
  reply_ready();
}
