#include "mlperf_commands.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "board.h"
#include "command_args.h"
#include "crc32.h"
#include "model_runner.h"
#include "model_settings.h"
#include "serial_out.h"

namespace {

constexpr const char* kFirmwareVersion = "EmbBERT-Q firmware protocol 2";
constexpr uint32_t kMaxRuns = 100000;
constexpr uint32_t kMaxWarmup = 10000;
constexpr uint32_t kDefaultRuns = 1;
constexpr uint32_t kDefaultWarmup = 10;  // the runner's default when `infer N` has no W
constexpr uint32_t kRunsReported = 100;  // `m-run-<i>-cycles` lines kept for the first runs
// `db` bytes: the token ids, 16-bit little-endian, at most L of them.
constexpr uint32_t kDbMaxBytes = 2 * kSeqLen;

uint8_t g_db[kDbMaxBytes];
uint32_t g_db_expected = 0;  // bytes announced by `db load`; 0: no load in progress
uint32_t g_db_received = 0;
// The clock of `m-lap-us-`: microseconds of measured inference since boot (it advances only while
// `infer` runs its measured inferences, by their cycle counts at the board's clock).
uint64_t g_measured_cycles = 0;
constexpr int kOutputs = kNumClasses > 0 ? kNumClasses : 1;
// The int8 output of the last `infer`, kept because the arena reuses the output tensor's memory.
int8_t g_results[kOutputs];
bool g_have_results = false;

void OutU64Line(const char* prefix, uint64_t v) {
  out_str(prefix);
  out_u64(v);
  out_eol();
}

void Lap() { OutU64Line("m-lap-us-", g_measured_cycles * 1000000u / kBoardInfo.clock_hz); }

// Prints `v` with 6 decimals (no printf: the firmware carries no float formatting code).
void OutFixed6(float v) {
  if (v < 0) {
    board_putc('-');
    v = -v;
  }
  const uint64_t micro = static_cast<uint64_t>(static_cast<double>(v) * 1e6 + 0.5);
  out_u64(micro / 1000000u);
  board_putc('.');
  const uint32_t frac = static_cast<uint32_t>(micro % 1000000u);
  for (uint32_t div = 100000; div > 0; div /= 10) board_putc(static_cast<char>('0' + frac / div % 10));
}

// `m-results-[...]`: the class probabilities (softmax of the dequantized logits), or the dequantized
// value of a one-output (regression) model. The runner divides each vector by its sum, so it needs
// non-negative scores that sum to 1: raw logits would flip its argmax whenever their sum is negative.
void PrintResults() {
  const int n = kOutputs;
  float v[kOutputs];
  float top = -INFINITY;
  for (int i = 0; i < n; ++i) {
    v[i] = kOutputScale * static_cast<float>(g_results[i] - kOutputZeroPoint);
    top = v[i] > top ? v[i] : top;
  }
  if (n > 1) {
    float sum = 0;
    for (int i = 0; i < n; ++i) sum += v[i] = expf(v[i] - top);
    for (int i = 0; i < n; ++i) v[i] /= sum;
  }
  out_str("m-results-[");
  for (int i = 0; i < n; ++i) {
    if (i > 0) board_putc(',');
    OutFixed6(v[i]);
  }
  out_str("]");
  out_eol();
}

// infer [N=1 [W=10]]: W warm-up inferences, then N measured ones between two `m-lap-us-` stamps.
void CmdInfer(int argc, char* argv[]) {
  if (argc > 3) return reply_error("infer expects at most 2 arguments");
  uint32_t runs = kDefaultRuns, warmup = kDefaultWarmup;
  if (argc > 1 && !parse_number("runs", argv[1], 1, kMaxRuns, &runs)) return;
  if (argc > 2 && !parse_number("warmup", argv[2], 0, kMaxWarmup, &warmup)) return;
  if (!model_ready()) return;
  if (!runner::has_input()) return reply_error("no input loaded");
  g_have_results = false;
  OutU64Line("m-warmup-start-", warmup);
  for (uint32_t i = 0; i < warmup; ++i) {
    runner::prepare_input();
    if (!runner::invoke()) return reply_error("invoke failed");
  }
  out_line("m-", "warmup-done");
  OutU64Line("m-infer-start-", runs);
  static uint64_t cycles[kRunsReported];
  uint64_t total = 0;
  uint32_t input_crc = 0;
  Lap();
  for (uint32_t i = 0; i < runs; ++i) {
    input_crc = runner::prepare_input();
    board_cycles_reset();
    const bool ok = runner::invoke();
    const uint64_t c = board_cycles();
    if (!ok) return reply_error("invoke failed");
    if (i < kRunsReported) cycles[i] = c;
    total += c;
    g_measured_cycles += c;
  }
  Lap();
  out_line("m-", "infer-done");
  const int8_t* logits = runner::logits();
  const int n = runner::num_logits();
  std::memcpy(g_results, logits, sizeof(g_results) < static_cast<size_t>(n) ? sizeof(g_results) : static_cast<size_t>(n));
  g_have_results = true;
  PrintResults();
  for (uint32_t i = 0; i < runs && i < kRunsReported; ++i) {
    out_str("m-run-");
    out_u64(i);
    out_str("-cycles=");
    out_u64(cycles[i]);
    out_eol();
  }
  OutU64Line("m-runs-cycles-total=", total);
  out_str("m-logits=");
  for (int i = 0; i < n; ++i) {
    if (i > 0) board_putc(',');
    out_i32(logits[i]);
  }
  out_eol();
  out_str("m-crc-input=");
  out_hex8(input_crc);
  out_eol();
  out_str("m-crc-output=");
  out_hex8(crc32(logits, static_cast<size_t>(n)));
  out_eol();
}

void CmdProfile(int argc) {
  if (!arg_count("profile", argc, 0)) return;
  out_str("m-profile-[");
  out_str(kFirmwareVersion);
  out_line("]", "");
  out_str("m-model-[");
  out_str(kModelName);
  out_line("]", "");
}

void DbAbort() {
  g_db_expected = 0;
  g_db_received = 0;
  runner::clear_input();
}

// db load N: expects N bytes (an even count, 2..2L: N/2 token ids, 16-bit little-endian).
void CmdDbLoad(int argc, char* argv[]) {
  DbAbort();  // whatever happens now, the previous input is gone
  if (!arg_count("db load", argc - 1, 1)) return;
  uint32_t n;
  if (!parse_number("byte count", argv[2], 2, kDbMaxBytes, &n)) return;
  if (n % 2 != 0) return reply_error("byte count must be even (16-bit token ids)");
  g_db_expected = n;
  out_str("m-[Expecting ");
  out_u64(n);
  out_line(" bytes]", "");
}

// Checks the received ids and makes them the input.
void DbComplete() {
  static uint16_t ids[kSeqLen];
  const uint32_t count = g_db_expected / 2;
  for (uint32_t i = 0; i < count; ++i) {
    ids[i] = static_cast<uint16_t>(g_db[2 * i] | (g_db[2 * i + 1] << 8));
    if (!check_token_id(ids[i], i)) return DbAbort();
  }
  g_db_expected = 0;
  const uint32_t crc = runner::set_input(ids, static_cast<int>(count));
  out_line("m-", "load-done");
  OutU64Line("m-load-count=", count);
  out_str("m-load-crc=");
  out_hex8(crc);
  out_eol();
}

// db HH[HH]*: the next bytes of the announced load.
void CmdDbBytes(int argc, char* argv[]) {
  if (argc != 2) {
    DbAbort();
    return reply_error("db expects one string of hex digits");
  }
  const char* hex = argv[1];
  if (g_db_expected == 0) {
    DbAbort();
    return reply_error("db: no load in progress (send 'db load <bytes>' first)");
  }
  const size_t len = std::strlen(hex);
  if (len % 2 != 0) {
    DbAbort();
    return reply_error("db: odd number of hex digits");
  }
  if (g_db_received + len / 2 > g_db_expected) {
    error_begin();
    out_str("db: ");
    out_u64(g_db_received + len / 2);
    out_str(" bytes sent, ");
    out_u64(g_db_expected);
    out_str(" expected");
    error_end();
    return DbAbort();
  }
  for (size_t i = 0; i < len; i += 2) {
    const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      error_begin();
      out_str("db: bad hex digit at offset ");
      out_u64(i + (hi < 0 ? 0 : 1));
      error_end();
      return DbAbort();
    }
    g_db[g_db_received++] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (g_db_received == g_db_expected) DbComplete();
}

// db print: the bytes received so far, 8 a line, as `m-buffer-xx-xx-...`.
void CmdDbPrint() {
  static const char kHex[] = "0123456789abcdef";
  for (uint32_t i = 0; i < g_db_received; ++i) {
    if (i % 8 == 0) out_str("m-buffer-");
    board_putc(kHex[g_db[i] >> 4]);
    board_putc(kHex[g_db[i] & 0xF]);
    if (i % 8 == 7 || i + 1 == g_db_received) out_eol();
    else board_putc('-');
  }
}

void CmdDb(int argc, char* argv[]) {
  if (!model_ready()) return;
  if (argc < 2) {
    DbAbort();
    return reply_error("db expects a subcommand: load <bytes>, print, or hex digits");
  }
  if (std::strcmp(argv[1], "load") == 0) return CmdDbLoad(argc, argv);
  if (std::strcmp(argv[1], "print") == 0) return CmdDbPrint();
  CmdDbBytes(argc, argv);
}

void CmdHelp() {
  static const char* const kLines[] = {
      kFirmwareVersion,
      "help            this list",
      "name            m-name-dut-[embbert-q]",
      "profile         firmware version and model id (m-profile-[...], m-model-[...])",
      "timestamp       m-lap-us-<microseconds of measured inference>",
      "db load N       start a load of N bytes: N/2 token ids, 16-bit little-endian",
      "db HH[HH]*      the next bytes of the load, hex",
      "db print        the bytes received so far",
      "infer [N [W]]   W warm-up (default 10) then N measured inferences (default 1)",
      "results         m-results-[...] of the last infer",
      "info, load, mem, profile-ops, fault: see firmware/PROTOCOL.md",
  };
  for (const char* line : kLines) out_line("m-help-", line);
}

}  // namespace

bool mlperf_command(int argc, char* argv[]) {
  const char* cmd = argv[0];
  if (std::strcmp(cmd, "infer") == 0) {
    CmdInfer(argc, argv);
  } else if (std::strcmp(cmd, "profile") == 0) {
    CmdProfile(argc);
  } else if (std::strcmp(cmd, "db") == 0) {
    CmdDb(argc, argv);
  } else if (std::strcmp(cmd, "results") == 0) {
    if (!arg_count("results", argc, 0)) return true;
    if (!g_have_results) reply_error("no results: run infer first");
    else PrintResults();
  } else if (std::strcmp(cmd, "timestamp") == 0) {
    if (arg_count("timestamp", argc, 0)) Lap();
  } else if (std::strcmp(cmd, "help") == 0) {
    if (arg_count("help", argc, 0)) CmdHelp();
  } else {
    return false;
  }
  return true;
}
