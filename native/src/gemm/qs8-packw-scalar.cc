// Weight packing into [k / KR][NR][KR] panel order (every x86 kernel and the scalar one use it): channel j of
// k-block b occupies bytes [(b * NR + j) * KR, +KR); and the AVX-512 kernels' extra output constants. Runs once
// per weight tensor, so plain loops suffice.
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

// For channel c = 16 * b + 2 * l + h (h = 0: even, 1: odd 32-bit lane) with right = max(-shift, 0), 64-bit lane l
// of block b's vectors holds: kDrMulOdd the odd channel's multiplier; kDrRound* K = 2^30 + (right ? 2^(30+right)
// : 0); kDrSign* S = right ? 2^31 : 0; kDrCount* 31 + right (the terms of requant-avx512.h's formula).
void qs8_packx_double_rounding_x16(const uint8_t* panel, size_t nr, uint8_t* extra) {
  const int32_t* multiplier = reinterpret_cast<const int32_t*>(panel) + nr;
  const int32_t* shift = multiplier + nr;
  int64_t* out = reinterpret_cast<int64_t*>(extra);
  for (size_t b = 0; b < nr / 16; ++b, out += kDoubleRoundingVectorsX16 * 8) {
    for (size_t l = 0; l < 8; ++l) {
      for (size_t h = 0; h < 2; ++h) {
        const size_t c = 16 * b + 2 * l + h;
        const int64_t right = shift[c] < 0 ? -static_cast<int64_t>(shift[c]) : 0;
        if (h == 1) out[kDrMulOdd * 8 + l] = multiplier[c];
        out[(kDrRoundEven + h) * 8 + l] = (int64_t{1} << 30) + (right > 0 ? int64_t{1} << (30 + right) : 0);
        out[(kDrSignEven + h) * 8 + l] = right > 0 ? int64_t{1} << 31 : 0;
        out[(kDrCountEven + h) * 8 + l] = 31 + right;
      }
    }
  }
}

}  // namespace qint8
