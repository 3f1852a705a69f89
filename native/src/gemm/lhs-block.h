// The row walk every LHS block packer shares (the GEMM packers qs8_packa_* and the im2col packers of native/src/conv):
// a block of mr_block rows of k_padded elements, rows < m filled by the packer, rows >= m zero. Plain C++ with
// internal linkage: translation units compiled with different ISA flags include it, and their copies never merge.
#ifndef QINT8_SRC_GEMM_LHS_BLOCK_H_
#define QINT8_SRC_GEMM_LHS_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace qint8 {
namespace {

// Fills row i < m of the block at dst with pack_row(i, row), which writes all k_padded Elements of `row`;
// zeroes rows m..mr_block-1. Rows are written in order, so pack_row may also write past its row inside the block
// (the rows after it are written later).
template <typename Element, typename PackRow>
inline void PackLhsBlock(size_t m, size_t mr_block, size_t k_padded, void* dst, PackRow&& pack_row) {
  Element* row = static_cast<Element*>(dst);
  for (size_t i = 0; i < mr_block; ++i, row += k_padded) {
    if (i >= m) {
      std::memset(row, 0, k_padded * sizeof(Element));
      continue;
    }
    pack_row(i, row);
  }
}

// A packed block of MR rows of k_padded uint8 as the one segment of row pointers that the segmented (direct and
// indirect) GEMM kernels read: rows[i] = row i of the block.
template <size_t MR>
struct LhsBlockRows {
  const uint8_t* rows[MR];
  LhsBlockRows(const int8_t* block, size_t k_padded) {
    for (size_t i = 0; i < MR; ++i) rows[i] = reinterpret_cast<const uint8_t*>(block) + i * k_padded;
  }
};

}  // namespace
}  // namespace qint8

#endif  // QINT8_SRC_GEMM_LHS_BLOCK_H_
