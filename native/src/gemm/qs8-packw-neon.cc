// Weight packing for the Neon GEMM kernels: [K/KR][NR][KR] panel order with KR = 4 (neondot) or 8 (mull-neon,
// neoni8mm); channel j of k-block b occupies bytes [(b * NR + j) * KR, +KR). Plain loops: runs once per weight tensor.
#include <cstring>

#include "qint8/gemm-neon.h"

namespace qint8 {
namespace {

template <size_t kKr>
void PackBlocked(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst) {
  std::memset(dst, 0, k_padded * nr);  // padding channels and the K tail stay zero
  for (size_t j = 0; j < n_valid; ++j) {
    const int8_t* row = w + j * k;
    for (size_t kk = 0; kk < k; ++kk) dst[((kk / kKr) * nr + j) * kKr + kk % kKr] = row[kk];
  }
}

}  // namespace

void qs8_packw_gemm_c4_neon(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst) {
  PackBlocked<4>(w, n_valid, k, k_padded, nr, dst);
}

void qs8_packw_gemm_c8_neon(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst) {
  PackBlocked<8>(w, n_valid, k, k_padded, nr, dst);
}

}  // namespace qint8
