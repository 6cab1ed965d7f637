#include "app.h"

#include <cstdint>
#include <cstring>

#include "board.h"
#include "command_args.h"
#include "crc32.h"
#include "mlperf_commands.h"
#include "model_runner.h"
#include "model_settings.h"
#include "serial_out.h"
#include "stack_paint.h"
#include "text_command.h"
#include "tensorflow/lite/micro/cortex_m_generic/debug_log_callback.h"

#ifndef KERNELS_NAME
#define KERNELS_NAME "unknown"
#endif

namespace {

constexpr int kProtocolVersion = 2;
// Longest command: "load <n> <4n hex digits>".
constexpr int kLineMax = 32 + 4 * kSeqLen;
constexpr int kMaxArgs = 4;

char g_line[kLineMax + 1];
int g_len = 0;
bool g_overflow = false;
int g_bad_char = -1;  // first byte of the command that is not printable ASCII, or -1

// --- reply helpers -------------------------------------------------------------------------------

void reply_ready() { out_line("m-", "ready"); }

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

// Loads token ids; a rejected load leaves the board with no input (it never runs on a stale one).
void cmd_load(int argc, char* argv[]) {
  if (!model_ready()) return;
  runner::clear_input();
  if (!arg_count("load", argc, 2)) return;
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
    if (!check_token_id(id, i)) return;
    ids[i] = static_cast<uint16_t>(id);
  }
  const uint32_t crc = runner::set_input(ids, static_cast<int>(n));
  out_key_u64("m-", "load-count", n);
  out_key_hex8("m-", "load-crc", crc);
}

// Runs one inference with the per-op profiler.
void cmd_profile_ops(int argc) {
  if (!arg_count("profile-ops", argc, 0) || !model_ready()) return;
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

// True when `s` starts with the word `word` (followed by a blank or the end).
bool starts_with_word(const char* s, const char* word) {
  const size_t n = std::strlen(word);
  return std::strncmp(s, word, n) == 0 && (s[n] == ' ' || s[n] == '\t' || s[n] == '\0');
}

// True for the commands that replace the input (`load`, `db`): rejecting one also drops the input.
bool is_load_command(const char* line) {
  while (*line == ' ' || *line == '\t') ++line;
  return starts_with_word(line, "load") || starts_with_word(line, "db");
}

void execute(char* line) {
  char* argv[kMaxArgs];
  const int argc = split_words(line, argv, kMaxArgs);
  if (argc == 0) return;  // "%" alone: just m-ready
  if (argc > kMaxArgs) {
    if (is_load_command(argv[0])) runner::clear_input();
    return reply_error("too many arguments");
  }
  const char* cmd = argv[0];
  if (std::strcmp(cmd, "name") == 0) {
    // The MLPerf Tiny runner's form: m-name-<device>-[<vendor>], device "dut".
    if (arg_count("name", argc, 0)) out_line("m-name-dut-", "[embbert-q]");
  } else if (std::strcmp(cmd, "info") == 0) {
    if (arg_count("info", argc, 0)) cmd_info();
  } else if (std::strcmp(cmd, "load") == 0) {
    cmd_load(argc, argv);
  } else if (std::strcmp(cmd, "profile-ops") == 0) {
    cmd_profile_ops(argc);
  } else if (std::strcmp(cmd, "mem") == 0) {
    cmd_mem(argc);
  } else if (std::strcmp(cmd, "fault") == 0) {
    cmd_fault(argc);
  } else if (is_text_command(cmd)) {
    reply_error("missing text: <command> <text>% or <command>-pair <first>|<second>%");
  } else if (mlperf_command(argc, argv)) {
    // infer, profile, db, results, timestamp, help: mlperf_commands.cc
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
  // Text commands take their bytes as they come, line ends included (whitespace to the tokenizer).
  if (text_command_active()) {
    if (text_command_feed(c)) reply_ready();
    return;
  }
  if (c == '\r' || c == '\n') return;  // line ends are not part of commands
  if ((c == ' ' || c == '\t') && !g_overflow && g_bad_char < 0 && text_command_start(g_line, g_len)) {
    g_len = 0;
    return;
  }
  if (c != '%') {
    const unsigned char u = static_cast<unsigned char>(c);
    if (g_bad_char < 0 && (u < 0x20 || u >= 0x7f) && c != '\t') g_bad_char = u;
    if (g_len < kLineMax) g_line[g_len++] = c;
    else g_overflow = true;
    return;
  }
  g_line[g_len] = '\0';
  if ((g_overflow || g_bad_char >= 0) && is_load_command(g_line)) runner::clear_input();
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
