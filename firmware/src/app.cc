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

void Ready() { out_line("m-", "ready"); }

void KeyValue(const char* prefix, const char* key, const char* value) {
  out_str(prefix);
  out_str(key);
  out_str("=");
  out_str(value);
  out_eol();
}

void KeyNumber(const char* prefix, const char* key, uint64_t value) {
  out_str(prefix);
  out_str(key);
  out_str("=");
  out_u64(value);
  out_eol();
}

void KeyHex(const char* prefix, const char* key, uint32_t value) {
  out_str(prefix);
  out_str(key);
  out_str("=");
  out_hex8(value);
  out_eol();
}

// --- parsing -------------------------------------------------------------------------------------

// Splits `line` in place at spaces; returns the number of words (at most kMaxArgs + 1 are kept,
// one more signals "too many").
int Split(char* line, char* argv[], int max) {
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

void CmdInfo() {
  const char* p = "m-info-";
  KeyNumber(p, "protocol", kProtocolVersion);
  KeyValue(p, "board", kBoardInfo.name);
  KeyValue(p, "cpu", kBoardInfo.cpu);
  KeyNumber(p, "clock_hz", kBoardInfo.clock_hz);
  KeyValue(p, "cycle_source", kBoardInfo.cycle_source);
  KeyValue(p, "kernels", KERNELS_NAME);
  KeyValue(p, "model_name", kModelName);
  KeyHex(p, "model_hash", kModelHash);
  KeyNumber(p, "model_bytes", static_cast<uint64_t>(kModelBytes));
  KeyNumber(p, "seq_len", kSeqLen);
  KeyNumber(p, "vocab", kVocabSize);
  KeyNumber(p, "classes", kNumClasses);
  KeyNumber(p, "arena_size", runner::ArenaSize());
  KeyNumber(p, "arena_used", runner::ArenaUsed());
}

// Loads token ids; a rejected load leaves the board with no input (it never runs on a stale one).
void CmdLoad(int argc, char* argv[]) {
  if (!ModelReady()) return;
  runner::ClearInput();
  if (!ArgCount("load", argc, 2)) return;
  uint32_t n;
  if (!ParseNumber("count", argv[1], 1, kSeqLen, &n)) return;
  const char* hex = argv[2];
  const size_t len = std::strlen(hex);
  if (len != 4u * n) {
    ErrorBegin();
    out_str("hex length ");
    out_u64(len);
    out_str(", expected ");
    out_u64(4u * n);
    ErrorEnd();
    return;
  }
  static uint16_t ids[kSeqLen];
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t id = 0;
    for (int j = 0; j < 4; ++j) {
      const int d = HexDigit(hex[4 * i + j]);
      if (d < 0) {
        ErrorBegin();
        out_str("bad hex digit at offset ");
        out_u64(4 * i + j);
        ErrorEnd();
        return;
      }
      id = (id << 4) | static_cast<uint32_t>(d);
    }
    if (!CheckTokenId(id, i)) return;
    ids[i] = static_cast<uint16_t>(id);
  }
  const uint32_t crc = runner::SetInput(ids, static_cast<int>(n));
  KeyNumber("m-", "load-count", n);
  KeyHex("m-", "load-crc", crc);
}

// Runs one inference with the per-op profiler.
void CmdProfileOps(int argc) {
  if (!ArgCount("profile-ops", argc, 0) || !ModelReady()) return;
#ifdef TF_LITE_STRIP_ERROR_STRINGS
  // TFLM compiles its per-op profiling hooks out of release builds.
  Error("profiling not built in");
#else
  if (!runner::HasInput()) return Error("no input loaded");
  runner::PrepareInput();
  FixedProfiler& prof = runner::Profiler();
  prof.Start();
  board_cycles_reset();
  const bool ok = runner::Invoke();
  const uint64_t total = board_cycles();
  prof.Stop();
  if (!ok) return Error("invoke failed");
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
    ErrorBegin();
    out_str("profiler full: ");
    out_u64(prof.dropped());
    out_str(" ops not recorded");
    ErrorEnd();
  }
  KeyNumber("m-", "op-total", total);
#endif
}

void CmdMem(int argc) {
  if (!ArgCount("mem", argc, 0)) return;
  const BoardMemory m = board_memory();
  const char* p = "m-mem-";
  KeyNumber(p, "arena_size", runner::ArenaSize());
  KeyNumber(p, "arena_used", runner::ArenaUsed());
  KeyNumber(p, "stack_size", m.stack_high - m.stack_low);
  KeyNumber(p, "stack_used", stack_used(m.stack_low, m.stack_high));
  KeyNumber(p, "static_ram", m.static_ram);
  KeyNumber(p, "flash_used", m.flash_used);
  KeyNumber(p, "model_bytes", static_cast<uint64_t>(kModelBytes));
}

void CmdFault(int argc) {
  if (!ArgCount("fault", argc, 0)) return;
  // An undefined instruction: UsageFault, escalated to HardFault (fault handlers are not enabled).
  __asm__ volatile("udf #0");
}

// True when `s` starts with the word `word` (followed by a blank or the end).
bool StartsWithWord(const char* s, const char* word) {
  const size_t n = std::strlen(word);
  return std::strncmp(s, word, n) == 0 && (s[n] == ' ' || s[n] == '\t' || s[n] == '\0');
}

// True for the commands that replace the input (`load`, `db`): rejecting one also drops the input.
bool IsLoadCommand(const char* line) {
  while (*line == ' ' || *line == '\t') ++line;
  return StartsWithWord(line, "load") || StartsWithWord(line, "db");
}

void Execute(char* line) {
  char* argv[kMaxArgs];
  const int argc = Split(line, argv, kMaxArgs);
  if (argc == 0) return;  // "%" alone: just m-ready
  if (argc > kMaxArgs) {
    if (IsLoadCommand(argv[0])) runner::ClearInput();
    return Error("too many arguments");
  }
  const char* cmd = argv[0];
  if (std::strcmp(cmd, "name") == 0) {
    // The MLPerf Tiny runner's form: m-name-<device>-[<vendor>], device "dut".
    if (ArgCount("name", argc, 0)) out_line("m-name-dut-", "[embbert-q]");
  } else if (std::strcmp(cmd, "info") == 0) {
    if (ArgCount("info", argc, 0)) CmdInfo();
  } else if (std::strcmp(cmd, "load") == 0) {
    CmdLoad(argc, argv);
  } else if (std::strcmp(cmd, "profile-ops") == 0) {
    CmdProfileOps(argc);
  } else if (std::strcmp(cmd, "mem") == 0) {
    CmdMem(argc);
  } else if (std::strcmp(cmd, "fault") == 0) {
    CmdFault(argc);
  } else if (mlperf_command(argc, argv)) {
    // infer, profile, db, results, timestamp, help: mlperf_commands.cc
  } else {
    ErrorBegin();
    out_str("unknown command '");
    OutClipped(cmd, 24);
    out_str("'");
    ErrorEnd();
  }
}

// TFLM's log lines (MicroPrintf) become `m-log-<text>` lines so they never break the protocol.
bool g_log_at_line_start = true;

void LogCallback(const char* s) {
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
  RegisterDebugLogCallback(LogCallback);
  out_str("m-boot-");
  out_str(kBoardInfo.name);
  out_eol();
  if (runner::Init() != nullptr) {
    ErrorBegin();
    out_str("model not ready: ");
    out_str(runner::Error());
    ErrorEnd();
  }
  Ready();
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
  if ((g_overflow || g_bad_char >= 0) && IsLoadCommand(g_line)) runner::ClearInput();
  if (g_overflow) {
    ErrorBegin();
    out_str("line too long (max ");
    out_u64(kLineMax);
    out_str(" characters)");
    ErrorEnd();
  } else if (g_bad_char >= 0) {
    ErrorBegin();
    out_str("bad character 0x");
    static const char kHex[] = "0123456789abcdef";
    board_putc(kHex[g_bad_char >> 4]);
    board_putc(kHex[g_bad_char & 0xF]);
    out_str(" in command");
    ErrorEnd();
  } else {
    Execute(g_line);
  }
  g_len = 0;
  g_overflow = false;
  g_bad_char = -1;
  Ready();
}
