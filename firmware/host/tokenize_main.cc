// Host build of the firmware's tokenizer, for checking it against the Hugging Face tokenizer on many
// texts (firmware/scripts/check_tokenizer.py builds and drives it).
//
// Usage: tokenize [keep_head]: a single text too long for its budget keeps its first `keep_head` ids and
// then its last ones (as text_command.cc with kKeepHead); default -1, its first ids only. Pairs ignore it.
// stdin: records "<seq_len> <pair 0|1> <len a> <len b>\n" followed by the raw bytes of a and b.
// stdout: one line per record: "ok <id> <id> ...", or "error <kind> <offset> <code point>".
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "text_tokenizer.h"
#include "token_packer.h"

namespace {

bool Tokenize(const std::vector<unsigned char>& text, int budget, int keep_head, std::vector<uint16_t>* ids) {
  ids->assign(static_cast<size_t>(budget), 0);
  static TextTokenizer t;
  text_tokenizer_begin(&t, ids->data(), budget, keep_head);
  for (unsigned char c : text) text_tokenizer_feed(&t, c);
  text_tokenizer_end(&t);
  ids->resize(static_cast<size_t>(t.count));
  if (t.error == TokenizeError::kNone) return true;
  std::printf("error %d %u %u\n", static_cast<int>(t.error), t.error_offset, t.error_code_point);
  return false;
}

bool ReadBytes(size_t n, std::vector<unsigned char>* out) {
  out->resize(n);
  return n == 0 || std::fread(out->data(), 1, n, stdin) == n;
}

}  // namespace

int main(int argc, char** argv) {
  const int keep_head = argc > 1 ? std::atoi(argv[1]) : -1;
  int seq_len, pair;
  size_t len_a, len_b;
  std::vector<unsigned char> a, b;
  std::vector<uint16_t> ids_a, ids_b;
  while (std::scanf("%d %d %zu %zu", &seq_len, &pair, &len_a, &len_b) == 4) {
    std::getchar();  // the newline
    if (!ReadBytes(len_a, &a) || !ReadBytes(len_b, &b)) return 2;
    const int budget = pack_budget(pair != 0, seq_len);
    if (!Tokenize(a, budget, pair ? -1 : keep_head, &ids_a)) continue;
    if (pair && !Tokenize(b, budget, -1, &ids_b)) continue;
    std::vector<uint16_t> packed(static_cast<size_t>(seq_len));
    const int n = pack_tokens(ids_a.data(), static_cast<int>(ids_a.size()), ids_b.data(),
                              static_cast<int>(ids_b.size()), pair != 0, 2, 4, seq_len, packed.data());
    std::printf("ok");
    for (int i = 0; i < n; ++i) std::printf(" %u", packed[static_cast<size_t>(i)]);
    std::printf("\n");
  }
  return 0;
}
