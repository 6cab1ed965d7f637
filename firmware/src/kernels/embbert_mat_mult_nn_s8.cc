#include "embbert_kernels.h"

// The right-hand side is copied, a panel of kPanelCols columns at a time, into the transposed layout
// embbert_mat_mult_nt_s8 reads (cols x depth), and each panel's columns of the output are computed by it:
// the same sums, so the same outputs, with scratch for one panel instead of the whole transposed matrix.
namespace {

constexpr int kPanelCols = 32;

int PanelCols(int cols) { return cols < kPanelCols ? cols : kPanelCols; }

// panel (n x depth) = columns [first, first + n) of rhs (depth x cols), transposed.
void TransposePanel(const int8_t* rhs, int depth, int cols, int first, int n, int8_t* panel) {
  for (int k = 0; k < depth; ++k) {
    const int8_t* src = rhs + static_cast<size_t>(k) * cols + first;
    for (int c = 0; c < n; ++c) panel[static_cast<size_t>(c) * depth + k] = src[c];
  }
}

}  // namespace

size_t embbert_mat_mult_nn_s8_scratch_bytes(int depth, int cols) {
  return embbert_mat_mult_nt_s8_scratch_bytes(depth) + static_cast<size_t>(PanelCols(cols)) * depth;
}

void embbert_mat_mult_nn_s8(const int8_t* lhs, const int8_t* rhs, int8_t* out, int rows, int cols, int depth,
                            int32_t lhs_offset, int32_t rhs_offset, const embbert_requant& requant,
                            int16_t* scratch) {
  int8_t* panel = reinterpret_cast<int8_t*>(scratch) + embbert_mat_mult_nt_s8_scratch_bytes(depth);
  for (int first = 0; first < cols; first += kPanelCols) {
    const int n = cols - first < kPanelCols ? cols - first : kPanelCols;
    TransposePanel(rhs, depth, cols, first, n, panel);
    embbert_mat_mult_nt_s8(lhs, panel, nullptr, out + first, rows, n, depth, cols, lhs_offset, rhs_offset, requant,
                           scratch);
  }
}
