#include "token_packer.h"

int pack_budget(bool pair, int seq_len) { return pair ? seq_len - 2 : seq_len - 1; }

int pack_tokens(const uint16_t* a, int na, const uint16_t* b, int nb, bool pair, uint16_t cls_id,
                uint16_t sep_id, int seq_len, uint16_t* out) {
  const int budget = pack_budget(pair, seq_len);
  if (!pair) nb = 0;
  while (na + nb > budget) {
    if (na >= nb) --na;
    else --nb;
  }
  int n = 0;
  out[n++] = cls_id;
  for (int i = 0; i < na; ++i) out[n++] = a[i];
  if (pair) {
    out[n++] = sep_id;
    for (int i = 0; i < nb; ++i) out[n++] = b[i];
  }
  return n;
}
