#include "text_command.h"

#include <cstring>

#include "board.h"
#include "model_runner.h"
#include "model_settings.h"
#include "serial_out.h"
#include "text_tokenizer.h"
#include "token_packer.h"

namespace {

enum class Mode { kIdle, kSingle, kPair };

Mode g_mode = Mode::kIdle;
bool g_escape = false;   // the previous byte was an unescaped '\'
int g_segment = 0;       // text being received: 0 first, 1 second (pairs)
bool g_extra_separator = false;
uint64_t g_tokenize_cycles = 0;
TextTokenizer g_tokenizer;
uint16_t g_ids[2][kSeqLen];
int g_counts[2];
// The first tokenizer error (in g_failed_segment's text).
TokenizeError g_failed_error;
uint32_t g_failed_offset;
uint32_t g_failed_code_point;
int g_failed_segment = -1;

// The commands: `classify` runs the model on the tokens, `tokenize` only tokenizes.
struct TextCommandName {
  const char* name;
  bool pair;
  bool infer;
};
constexpr TextCommandName kCommands[] = {
    {"classify", false, true}, {"classify-pair", true, true}, {"tokenize", false, false}, {"tokenize-pair", true, false}};
bool g_infer = false;

void reply_error_line(const char* msg) {
  out_str("e-[");
  out_str(msg);
  out_str("]\r\n");
}

// Ends the text being tokenized; remembers its ids or its error.
void end_segment() {
  const uint32_t t0 = static_cast<uint32_t>(board_cycles());
  text_tokenizer_end(&g_tokenizer);
  g_tokenize_cycles += static_cast<uint32_t>(board_cycles()) - t0;
  g_counts[g_segment] = g_tokenizer.count;
  if (g_tokenizer.error != TokenizeError::kNone && g_failed_segment < 0) {
    g_failed_error = g_tokenizer.error;
    g_failed_offset = g_tokenizer.error_offset;
    g_failed_code_point = g_tokenizer.error_code_point;
    g_failed_segment = g_segment;
  }
}

void begin_segment(int segment) {
  g_segment = segment;
  const bool pair = g_mode == Mode::kPair;
  text_tokenizer_begin(&g_tokenizer, g_ids[segment], pack_budget(pair, kSeqLen), pair ? -1 : kKeepHead);
}

void print_tokenize_error() {
  out_str("e-[");
  switch (g_failed_error) {
    case TokenizeError::kInvalidUtf8:
      out_str("invalid UTF-8");
      break;
    case TokenizeError::kUnsupported: {
      static const char kHex[] = "0123456789ABCDEF";
      out_str("unsupported character U+");
      const int digits = g_failed_code_point > 0xFFFF ? 5 : 4;
      for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) board_putc(kHex[(g_failed_code_point >> shift) & 0xF]);
      break;
    }
    default:
      out_str("word longer than ");
      out_u64(kMaxWordChars);
      out_str(" characters");
  }
  out_str(" at byte ");
  out_u64(g_failed_offset);
  out_str(g_mode == Mode::kPair ? (g_failed_segment == 0 ? " of the first text" : " of the second text")
                                : " of the text");
  out_str("]\r\n");
}

// Packs the ids, runs the model once (`classify`) and prints the reply.
void run_text_command() {
  if (g_infer && runner::init_error() != nullptr) {
    out_str("e-[model not ready: ");
    out_str(runner::init_error());
    out_str("]\r\n");
    return;
  }
  static uint16_t packed[kSeqLen];
  const bool pair = g_mode == Mode::kPair;
  const int n = pack_tokens(g_ids[0], g_counts[0], g_ids[1], pair ? g_counts[1] : 0, pair,
                            static_cast<uint16_t>(kClsId), static_cast<uint16_t>(kSepId), kSeqLen, packed);
  if (!g_infer) {
    out_u16_list("m-tokens=", packed, n);
    out_key_u64("m-", "tokenize-cycles", g_tokenize_cycles);
    return;
  }
  runner::set_input(packed, n);
  runner::prepare_input();
  board_cycles_reset();
  const bool ok = runner::invoke();
  const uint64_t infer_cycles = board_cycles();
  out_u16_list("m-tokens=", packed, n);
  if (!ok) return reply_error_line("invoke failed");
  const int8_t* logits = runner::logits();
  const int classes = runner::num_logits();
  int best = 0;
  for (int i = 1; i < classes; ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  out_str("m-label-[");
  if (best < kNumLabelNames) out_str(kLabelNames[best]);
  else out_u64(static_cast<uint64_t>(best));
  out_str("]\r\n");
  out_i8_list("m-logits=", logits, classes);
  out_key_u64("m-", "tokenize-cycles", g_tokenize_cycles);
  out_key_u64("m-", "infer-cycles", infer_cycles);
}

void finish_command() {
  end_segment();
  if (g_failed_segment >= 0) {
    print_tokenize_error();
  } else if (g_mode == Mode::kPair && g_segment == 0) {
    reply_error_line("a pair needs two texts separated by an unescaped '|'");
  } else if (g_extra_separator) {
    reply_error_line("a pair takes exactly one unescaped '|'");
  } else {
    run_text_command();
  }
  g_mode = Mode::kIdle;
}

}  // namespace

bool is_text_command(const char* cmd) {
  for (const TextCommandName& c : kCommands) {
    if (std::strcmp(cmd, c.name) == 0) return true;
  }
  return false;
}

bool text_command_start(const char* word, int len) {
  while (len > 0 && (*word == ' ' || *word == '\t')) {
    ++word;
    --len;
  }
  const TextCommandName* command = nullptr;
  for (const TextCommandName& c : kCommands) {
    if (len == static_cast<int>(std::strlen(c.name)) && std::memcmp(word, c.name, len) == 0) command = &c;
  }
  if (command == nullptr) return false;
  g_mode = command->pair ? Mode::kPair : Mode::kSingle;
  g_infer = command->infer;
  g_escape = false;
  g_extra_separator = false;
  g_failed_segment = -1;
  g_counts[0] = g_counts[1] = 0;
  g_tokenize_cycles = 0;
  begin_segment(0);
  return true;
}

bool text_command_active() { return g_mode != Mode::kIdle; }

bool text_command_feed(char c) {
  if (!g_escape) {
    if (c == '\\') {
      g_escape = true;
      return false;
    }
    if (c == '%') {
      finish_command();
      return true;
    }
    if (c == '|' && g_mode == Mode::kPair) {
      if (g_segment == 0) {
        end_segment();
        begin_segment(1);
      } else {
        g_extra_separator = true;
      }
      return false;
    }
  }
  g_escape = false;
  const uint32_t t0 = static_cast<uint32_t>(board_cycles());
  text_tokenizer_feed(&g_tokenizer, static_cast<uint8_t>(c));
  g_tokenize_cycles += static_cast<uint32_t>(board_cycles()) - t0;
  return false;
}
