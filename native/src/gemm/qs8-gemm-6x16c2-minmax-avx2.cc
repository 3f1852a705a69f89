// AVX2 GEMM microkernel, 6 rows x 16 channels, c2 weight panels; and its LHS packer (A widened to int16 rows).
// Exact int8 products without VNNI: vpmovsxbw widens weights, vpmaddwd sums pairs into int32, vpaddd
// accumulates (never vpmaddubsw, which saturates: spec 5.6). Compiled with -mavx2 only.
//
// Preconditions (gemm.h GemmMicrokernelFn): 1 <= m <= 6, 1 <= n <= 16, k >= 0; `a` is the block written by
// qs8_packa_x16_avx2 (6 rows of k_padded int16, rows >= m zero), `panel` a 64-byte aligned 16-channel c2 panel
// (qs8_packw_gemm_c2); writes only C[i < m][j < n]. Accumulation wraps modulo 2^32 like TFLite's int32.
#include "gemm-kernels.h"
#include "lhs-block.h"
#include "requant-avx2.h"

namespace qint8 {

void qs8_packa_x16_avx2(size_t m, size_t mr_block, size_t k, size_t k_padded, const int8_t* a, size_t a_stride,
                        void* dst) {
  PackLhsBlock<int16_t>(m, mr_block, k_padded, dst, [&](size_t i, int16_t* out) {
    const int8_t* row = a + i * a_stride;
    size_t kk = 0;
    for (; kk + 16 <= k; kk += 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + kk));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + kk), _mm256_cvtepi8_epi16(bytes));
    }
    for (; kk < k; ++kk) out[kk] = row[kk];
    for (; kk < k_padded; ++kk) out[kk] = 0;
  });
}

void qs8_gemm_6x16c2_minmax_avx2(size_t m, size_t n, size_t k, const int8_t* a, size_t /*a_stride*/,
                                 const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  constexpr size_t kMR = 6, kNR = 16;
  const size_t k_padded = (k + 1) & ~size_t{1};
  const int16_t* a0 = reinterpret_cast<const int16_t*>(a);
  const int16_t* a1 = a0 + k_padded;
  const int16_t* a2 = a1 + k_padded;
  const int16_t* a3 = a2 + k_padded;
  const int16_t* a4 = a3 + k_padded;
  const int16_t* a5 = a4 + k_padded;
  const int8_t* w = reinterpret_cast<const int8_t*>(panel + kNR * 4 * sizeof(int32_t));

  // Named accumulators (not an array): GCC keeps them in registers across the loop only this way.
  __m256i vacc0x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel));
  __m256i vacc0x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel) + 1);
  __m256i vacc1x0 = vacc0x0, vacc1x1 = vacc0x1;
  __m256i vacc2x0 = vacc0x0, vacc2x1 = vacc0x1;
  __m256i vacc3x0 = vacc0x0, vacc3x1 = vacc0x1;
  __m256i vacc4x0 = vacc0x0, vacc4x1 = vacc0x1;
  __m256i vacc5x0 = vacc0x0, vacc5x1 = vacc0x1;

  for (size_t kk = 0; kk < k_padded; kk += 2, w += 2 * kNR) {
    // Channels 0-7 and 8-15 as int16 (k, k+1) pairs; each A broadcast is one row's (k, k+1) int16 pair.
    const __m256i vw0 = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(w)));
    const __m256i vw1 = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(w + 16)));
#define QINT8_ROW(i)                                                              \
  {                                                                               \
    const __m256i va = BroadcastPairAvx2(a##i + kk);                              \
    vacc##i##x0 = _mm256_add_epi32(vacc##i##x0, _mm256_madd_epi16(va, vw0));      \
    vacc##i##x1 = _mm256_add_epi32(vacc##i##x1, _mm256_madd_epi16(va, vw1));      \
  }
    QINT8_ROW(0) QINT8_ROW(1) QINT8_ROW(2) QINT8_ROW(3) QINT8_ROW(4) QINT8_ROW(5)
#undef QINT8_ROW
  }

  __m256i acc[kMR][2] = {{vacc0x0, vacc0x1}, {vacc1x0, vacc1x1}, {vacc2x0, vacc2x1},
                         {vacc3x0, vacc3x1}, {vacc4x0, vacc4x1}, {vacc5x0, vacc5x1}};
  OutputTile16Avx2<kMR>(acc, panel, output, m, n, c, c_stride);
}

}  // namespace qint8
