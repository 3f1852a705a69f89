// AVX2 GEMV microkernel (M == 1), 16 channels, c2 weight panels shared with qs8-gemm-6x16c2-minmax-avx2.
// Weight-bandwidth bound: four k-pairs per step into four independent accumulator pairs (hides vpmaddwd's
// latency), summed once at the end. Compiled with -mavx2 only.
//
// Preconditions (gemm.h GemmMicrokernelFn): m == 1, 1 <= n <= 16, k >= 0; `a` is the 1-row block written by
// qs8_packa_x16_avx2 (k_padded int16), `panel` a 64-byte aligned 16-channel c2 panel; writes only C[0][j < n].
#include "gemm-kernels.h"
#include "requant-avx2.h"

namespace qint8 {

void qs8_gemm_1x16c2_minmax_avx2(size_t /*m*/, size_t n, size_t k, const int8_t* a, size_t /*a_stride*/,
                                 const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  constexpr size_t kNR = 16, kUnroll = 4;
  const size_t k_padded = (k + 1) & ~size_t{1};
  const int16_t* a0 = reinterpret_cast<const int16_t*>(a);
  const int8_t* w = reinterpret_cast<const int8_t*>(panel + kNR * 4 * sizeof(int32_t));

  __m256i vacc0x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel));
  __m256i vacc0x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel) + 1);
  __m256i vacc1x0 = _mm256_setzero_si256(), vacc1x1 = _mm256_setzero_si256();
  __m256i vacc2x0 = _mm256_setzero_si256(), vacc2x1 = _mm256_setzero_si256();
  __m256i vacc3x0 = _mm256_setzero_si256(), vacc3x1 = _mm256_setzero_si256();
#define QINT8_STEP(u, kp)                                                                                      \
  {                                                                                                            \
    const __m256i vw0 = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(w + u * 32)));      \
    const __m256i vw1 = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(w + u * 32 + 16))); \
    const __m256i va = BroadcastPairAvx2(a0 + (kp));                                                           \
    vacc##u##x0 = _mm256_add_epi32(vacc##u##x0, _mm256_madd_epi16(va, vw0));                                   \
    vacc##u##x1 = _mm256_add_epi32(vacc##u##x1, _mm256_madd_epi16(va, vw1));                                   \
  }
  size_t kk = 0;
  for (; kk + 2 * kUnroll <= k_padded; kk += 2 * kUnroll, w += 2 * kNR * kUnroll) {
    QINT8_STEP(0, kk) QINT8_STEP(1, kk + 2) QINT8_STEP(2, kk + 4) QINT8_STEP(3, kk + 6)
  }
  for (; kk < k_padded; kk += 2, w += 2 * kNR) QINT8_STEP(0, kk)
#undef QINT8_STEP

  // Wrapping int32 additions are associative: the regrouped sum equals the sequential one exactly.
  __m256i acc[1][2];
  acc[0][0] = _mm256_add_epi32(_mm256_add_epi32(vacc0x0, vacc1x0), _mm256_add_epi32(vacc2x0, vacc3x0));
  acc[0][1] = _mm256_add_epi32(_mm256_add_epi32(vacc0x1, vacc1x1), _mm256_add_epi32(vacc2x1, vacc3x1));
  OutputTile16Avx2<1>(acc, panel, output, 1, n, c, c_stride);
}

}  // namespace qint8
