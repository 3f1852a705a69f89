// The source of the ymm VNNI kernels (6x16c4 GEMM, 1x16c4 GEMV, uint8 LHS packer), written once against an
// abstract `Dot` (vpdpbusd on ymm). qs8-gemm-6x16c4-minmax-avxvnni.cc instantiates it with the VEX encoding
// (AVX-VNNI); qs8-gemm-6x16c4-minmax-avxvnni-evex-avx512vnni.cc with the EVEX one, as a test twin.
//
// Preconditions (gemm.h GemmMicrokernelFn): gemm 1 <= m <= 6, gemv m == 1; 1 <= n <= 16; k >= 0; `a` is the block
// written by the packer below (mr_block rows of k_padded uint8 = A ^ 0x80, rows >= m zero), `panel` a 64-byte
// aligned 16-channel c4 panel (qs8_packw_gemm_c4) whose bias carries -128 * sum W; writes only C[i < m][j < n].
// vpdpbusd (not vpdpbusds) adds four u8 x s8 products to int32 without saturation: wraps modulo 2^32 like TFLite.
#ifndef QINT8_SRC_GEMM_QS8_GEMM_6X16C4_VNNI_YMM_H_
#define QINT8_SRC_GEMM_QS8_GEMM_6X16C4_VNNI_YMM_H_

#include "gemm-kernels.h"
#include "lhs-block.h"
#include "requant-avx2.h"

namespace qint8 {
namespace {

// Rows of A as uint8 (x ^ 0x80 = x + 128), zero-padded to k_padded; rows m..mr_block-1 zero.
QINT8_INLINE void PackLhsXor80Ymm(size_t m, size_t mr_block, size_t k, size_t k_padded, const int8_t* a,
                                  size_t a_stride, void* dst) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  PackLhsBlock<uint8_t>(m, mr_block, k_padded, dst, [&](size_t i, uint8_t* out) {
    const int8_t* row = a + i * a_stride;
    size_t kk = 0;
    for (; kk + 32 <= k; kk += 32) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + kk));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + kk), _mm256_xor_si256(v, flip));
    }
    for (; kk < k; ++kk) out[kk] = static_cast<uint8_t>(row[kk] ^ 0x80);
    for (; kk < k_padded; ++kk) out[kk] = 0;
  });
}

// A is read through `a`: per segment s < segments, the 6 row pointers a[6s .. 6s + 5], each to segment_k (a
// multiple of 4) uint8; the segments laid end to end are the rows' k_padded elements (one segment for the packed
// block, one per filter row for the conv driver's indirect GEMM).
template <typename Dot>
QINT8_INLINE void Gemm6x16c4VnniYmm(size_t m, size_t n, size_t segments, size_t segment_k, const uint8_t* const* a,
                                    const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  constexpr size_t kMR = 6, kNR = 16;
  const int8_t* w = reinterpret_cast<const int8_t*>(panel + kNR * 4 * sizeof(int32_t));

  // Named accumulators (not an array): GCC keeps them in registers across the loop only this way.
  __m256i vacc0x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel));
  __m256i vacc0x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel) + 1);
  __m256i vacc1x0 = vacc0x0, vacc1x1 = vacc0x1;
  __m256i vacc2x0 = vacc0x0, vacc2x1 = vacc0x1;
  __m256i vacc3x0 = vacc0x0, vacc3x1 = vacc0x1;
  __m256i vacc4x0 = vacc0x0, vacc4x1 = vacc0x1;
  __m256i vacc5x0 = vacc0x0, vacc5x1 = vacc0x1;

  for (size_t segment = 0; segment < segments; ++segment, a += kMR) {
    const uint8_t* a0 = a[0];
    const uint8_t* a1 = a[1];
    const uint8_t* a2 = a[2];
    const uint8_t* a3 = a[3];
    const uint8_t* a4 = a[4];
    const uint8_t* a5 = a[5];
    for (size_t kk = 0; kk < segment_k; kk += 4, w += 4 * kNR) {
      // Channels 0-7 and 8-15, four k each; each broadcast is one row's four uint8 of k..k+3.
      const __m256i vw0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
      const __m256i vw1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32));
#define QINT8_ROW(i)                                         \
  {                                                          \
    const __m256i va = BroadcastPairAvx2(a##i + kk);         \
    vacc##i##x0 = Dot::Run(vacc##i##x0, va, vw0);            \
    vacc##i##x1 = Dot::Run(vacc##i##x1, va, vw1);            \
  }
      QINT8_ROW(0) QINT8_ROW(1) QINT8_ROW(2) QINT8_ROW(3) QINT8_ROW(4) QINT8_ROW(5)
#undef QINT8_ROW
    }
  }

  __m256i acc[kMR][2] = {{vacc0x0, vacc0x1}, {vacc1x0, vacc1x1}, {vacc2x0, vacc2x1},
                         {vacc3x0, vacc3x1}, {vacc4x0, vacc4x1}, {vacc5x0, vacc5x1}};
  OutputTile16Avx2<kMR>(acc, panel, output, m, n, c, c_stride);
}

// The packed block (6 rows of k_padded uint8) as one segment.
template <typename Dot>
QINT8_INLINE void Gemm6x16c4VnniYmmBlock(size_t m, size_t n, size_t k, const int8_t* a, const uint8_t* panel, int8_t* c,
                                         size_t c_stride, const GemmOutput& output) {
  const size_t k_padded = (k + 3) & ~size_t{3};
  const LhsBlockRows<6> block(a, k_padded);
  Gemm6x16c4VnniYmm<Dot>(m, n, 1, k_padded, block.rows, panel, c, c_stride, output);
}

template <typename Dot>
QINT8_INLINE void Gemv1x16c4VnniYmm(size_t n, size_t k, const int8_t* a, const uint8_t* panel, int8_t* c,
                                    size_t c_stride, const GemmOutput& output) {
  constexpr size_t kNR = 16, kUnroll = 4;
  const size_t k_padded = (k + 3) & ~size_t{3};
  const uint8_t* a0 = reinterpret_cast<const uint8_t*>(a);
  const int8_t* w = reinterpret_cast<const int8_t*>(panel + kNR * 4 * sizeof(int32_t));

  // Four k-quads per step into four independent accumulator pairs (vpdpbusd latency), named for GCC.
  __m256i vacc0x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel));
  __m256i vacc0x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel) + 1);
  __m256i vacc1x0 = _mm256_setzero_si256(), vacc1x1 = _mm256_setzero_si256();
  __m256i vacc2x0 = _mm256_setzero_si256(), vacc2x1 = _mm256_setzero_si256();
  __m256i vacc3x0 = _mm256_setzero_si256(), vacc3x1 = _mm256_setzero_si256();
#define QINT8_STEP(u, kq)                                                                                   \
  {                                                                                                         \
    const __m256i va = BroadcastPairAvx2(a0 + (kq));                                                        \
    vacc##u##x0 = Dot::Run(vacc##u##x0, va, _mm256_load_si256(reinterpret_cast<const __m256i*>(w + u * 64)));      \
    vacc##u##x1 = Dot::Run(vacc##u##x1, va, _mm256_load_si256(reinterpret_cast<const __m256i*>(w + u * 64 + 32))); \
  }
  size_t kk = 0;
  for (; kk + 4 * kUnroll <= k_padded; kk += 4 * kUnroll, w += 4 * kNR * kUnroll) {
    QINT8_STEP(0, kk) QINT8_STEP(1, kk + 4) QINT8_STEP(2, kk + 8) QINT8_STEP(3, kk + 12)
  }
  for (; kk < k_padded; kk += 4, w += 4 * kNR) QINT8_STEP(0, kk)
#undef QINT8_STEP

  // Wrapping int32 additions are associative: the regrouped sum equals the sequential one exactly.
  __m256i acc[1][2];
  acc[0][0] = _mm256_add_epi32(_mm256_add_epi32(vacc0x0, vacc1x0), _mm256_add_epi32(vacc2x0, vacc3x0));
  acc[0][1] = _mm256_add_epi32(_mm256_add_epi32(vacc0x1, vacc1x1), _mm256_add_epi32(vacc2x1, vacc3x1));
  OutputTile16Avx2<1>(acc, panel, output, 1, n, c, c_stride);
}

}  // namespace
}  // namespace qint8

#endif  // QINT8_SRC_GEMM_QS8_GEMM_6X16C4_VNNI_YMM_H_
