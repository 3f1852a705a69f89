// The ISA-independent part of the im2col packers (qs8-im2col-packa-*.cc): the block's row walk and, within a row,
// its runs laid back to back, then zeros up to k_padded. Each packer supplies only how one run is copied.
// Internal linkage (as gemm/lhs-block.h): included by translation units compiled with different ISA flags.
#ifndef QINT8_SRC_CONV_IM2COL_PACK_ROWS_H_
#define QINT8_SRC_CONV_IM2COL_PACK_ROWS_H_

#include <cstddef>
#include <cstdint>

#include "../gemm/lhs-block.h"
#include "conv-kernels.h"

namespace qint8 {
namespace {

// The block of an Im2colPackFn (conv.h): row i < m is the runs runs[row_first[i]] .. runs[row_first[i + 1] - 1],
// each written by copy_run(src, bytes, dst) as `bytes` Elements at dst (reading no byte outside the run), then
// k_padded - k zeros; rows >= m are zero.
template <typename Element, typename CopyRun>
inline void PackIm2colBlock(size_t m, size_t mr_block, size_t k, size_t k_padded, const Im2colRun* runs,
                            const size_t* row_first, void* dst, CopyRun&& copy_run) {
  PackLhsBlock<Element>(m, mr_block, k_padded, dst, [&](size_t i, Element* row) {
    Element* o = row;
    for (size_t r = row_first[i]; r < row_first[i + 1]; ++r) {
      copy_run(runs[r].src, runs[r].bytes, o);
      o += runs[r].bytes;
    }
    for (size_t kk = k; kk < k_padded; ++kk) row[kk] = 0;  // at most KR - 1 elements: no memset call
  });
}

}  // namespace
}  // namespace qint8

#endif  // QINT8_SRC_CONV_IM2COL_PACK_ROWS_H_
