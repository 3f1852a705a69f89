// AVX2 im2col packer for the AVX2 kernels: copies each run of an im2col row from the input into the packed int16
// block (vpmovsxbw), 16 bytes at a time with the last step overlapping (runs under 8 bytes: one by one), so no
// byte outside a run is read. Compiled with -mavx2 only.
//
// Preconditions (conv.h Im2colPackFn): 1 <= m <= mr_block; the runs of row i sum to k bytes; dst 64-byte aligned,
// mr_block * k_padded int16. Writes rows of k_padded int16: the widened row, then zeros; rows >= m all zero.
#include <immintrin.h>

#include "conv-kernels.h"
#include "im2col-pack-rows.h"

namespace qint8 {

QINT8_IM2COL_PACK(qs8_im2col_packa_x16_avx2) {
  // One run: n bytes from src to o, sign-extended to int16.
  const auto copy_run = [&](const int8_t* src, size_t n, int16_t* o) {
    if (n >= 16) {
      // 16 bytes at a time, then 16 more ending at the run's end (overlapping: same values written twice).
      size_t j = 0;
      for (; j + 16 < n; j += 16) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + j));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + j), _mm256_cvtepi8_epi16(bytes));
      }
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + n - 16));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + n - 16), _mm256_cvtepi8_epi16(bytes));
    } else if (n >= 8) {
      const __m128i head = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src));
      const __m128i tail = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + n - 8));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm_cvtepi8_epi16(head));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + n - 8), _mm_cvtepi8_epi16(tail));
    } else {
      for (size_t j = 0; j < n; ++j) o[j] = src[j];
    }
  };
  PackIm2colBlock<int16_t>(m, mr_block, k, k_padded, runs, row_first, dst, copy_run);
}

}  // namespace qint8
