// Weight packing into [k / KR][NR][KR] panel order (every x86 kernel and the scalar one use it): channel j of
// k-block b occupies bytes [(b * NR + j) * KR, +KR). Runs once per weight tensor, so plain loops suffice.
#include <cstring>

#include "gemm-kernels.h"

namespace qint8 {
namespace {

template <size_t KR>
void PackBlocked(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst) {
  std::memset(dst, 0, k_padded * nr);
  for (size_t j = 0; j < n_valid; ++j) {
    const int8_t* row = w + j * k;
    for (size_t kk = 0; kk < k; ++kk) dst[((kk / KR) * nr + j) * KR + kk % KR] = row[kk];
  }
}

}  // namespace

void qs8_packw_gemm_c2(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst) {
  PackBlocked<2>(w, n_valid, k, k_padded, nr, dst);
}
void qs8_packw_gemm_c4(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst) {
  PackBlocked<4>(w, n_valid, k, k_padded, nr, dst);
}

}  // namespace qint8
