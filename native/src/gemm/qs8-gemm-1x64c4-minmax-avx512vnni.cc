// AVX-512 VNNI GEMV microkernel (M == 1), 64 channels, on the c4 panels of qs8-gemm-6x64c4-minmax-avx512vnni.
// Weight-bandwidth bound (each weight byte is used once): two k-quads per step into 8 independent accumulators
// (vpdpbusd latency), summed at the end. Compiled with the avx512vnni family's flags.
//
// Preconditions (gemm.h GemmMicrokernelFn): m == 1, 1 <= n <= 64, k >= 0; `a` is the 1-row block written by
// qs8_packa_xor80_avx512vnni (k_padded uint8 = A ^ 0x80); `panel` a 64-byte aligned 64-channel c4 panel whose
// bias carries -128 * sum W; writes only C[0][j < n]. vpdpbusd wraps modulo 2^32 like TFLite's accumulator.
#include "gemm-kernels.h"
#include "requant-avx512.h"

namespace qint8 {

void qs8_gemm_1x64c4_minmax_avx512vnni(size_t /*m*/, size_t n, size_t k, const int8_t* a, size_t /*a_stride*/,
                                       const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  constexpr size_t kNR = 64;
  const size_t k_padded = (k + 3) & ~size_t{3};
  const uint8_t* a0 = reinterpret_cast<const uint8_t*>(a);
  const int8_t* w = reinterpret_cast<const int8_t*>(panel + WeightsOffsetAvx512<kNR>());

  __m512i vacc0x0 = _mm512_load_si512(panel);
  __m512i vacc0x1 = _mm512_load_si512(panel + 64);
  __m512i vacc0x2 = _mm512_load_si512(panel + 128);
  __m512i vacc0x3 = _mm512_load_si512(panel + 192);
  __m512i vacc1x0 = _mm512_setzero_si512(), vacc1x1 = _mm512_setzero_si512();
  __m512i vacc1x2 = _mm512_setzero_si512(), vacc1x3 = _mm512_setzero_si512();
#define QINT8_STEP(u, kq, wp)                                                               \
  {                                                                                         \
    const __m512i va = BroadcastQuadAvx512(a0 + (kq));                                      \
    vacc##u##x0 = _mm512_dpbusd_epi32(vacc##u##x0, va, _mm512_load_si512((wp)));            \
    vacc##u##x1 = _mm512_dpbusd_epi32(vacc##u##x1, va, _mm512_load_si512((wp) + 64));       \
    vacc##u##x2 = _mm512_dpbusd_epi32(vacc##u##x2, va, _mm512_load_si512((wp) + 128));      \
    vacc##u##x3 = _mm512_dpbusd_epi32(vacc##u##x3, va, _mm512_load_si512((wp) + 192));      \
  }
  size_t kk = 0;
  for (; kk + 8 <= k_padded; kk += 8, w += 8 * kNR) {
    QINT8_STEP(0, kk, w)
    QINT8_STEP(1, kk + 4, w + 4 * kNR)
  }
  if (kk < k_padded) QINT8_STEP(0, kk, w)
#undef QINT8_STEP

  // Wrapping int32 additions are associative: the regrouped sum equals the sequential one exactly.
  __m512i acc[1][4] = {{_mm512_add_epi32(vacc0x0, vacc1x0), _mm512_add_epi32(vacc0x1, vacc1x1),
                        _mm512_add_epi32(vacc0x2, vacc1x2), _mm512_add_epi32(vacc0x3, vacc1x3)}};
  OutputTileAvx512<1, 4, kNR>(acc, panel, output, 1, n, c, c_stride);
}

}  // namespace qint8
