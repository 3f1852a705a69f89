// AVX-512 VNNI GEMM microkernel, 6 rows x 64 channels, c4 weight panels, and its LHS packer (A flipped to uint8).
// Compiled with the avx512vnni family's flags (-mavx512f/bw/dq/vl/vnni).
//
// Per k-quad: 4 weight vectors, 6 broadcasts, 24 vpdpbusd into 24 zmm accumulators (fewer when n <= 48: the
// tile then covers only the 16-channel vectors it stores) (+4 weights +1 broadcast:
// 29 of 32 registers). The tile won a measurement against 4x64, 5x64, 7x64, 8x48, 10x32, 12x32, 14x32 on the
// benchmark shapes (Zen 4: within 1-3% of the best at every shape; 7x64 spills one accumulator per step).
//
// Preconditions (gemm.h GemmMicrokernelFn): 1 <= m <= 6, 1 <= n <= 64, k >= 0; `a` is the block written by
// qs8_packa_xor80_avx512vnni (6 rows of k_padded uint8 = A ^ 0x80, rows >= m zero); `panel` a 64-byte aligned
// 64-channel c4 panel (qs8_packw_gemm_c4) whose bias carries -128 * sum W; writes only C[i < m][j < n].
// The indirect form (gemm.h GemmIndirectMicrokernelFn) reads the same uint8 rows through segment pointers instead
// of a packed block: the conv driver's flipped, padded input image, one segment per filter row.
// vpdpbusd (not vpdpbusds) adds four u8 x s8 products to int32 without saturation, wrapping modulo 2^32 like
// TFLite's accumulator; sum_k (a + 128) * w - 128 * sum_k w = sum_k a * w exactly under that wrap.
#include "gemm-kernels.h"
#include "lhs-block.h"
#include "requant-avx512.h"

namespace qint8 {

void qs8_packa_xor80_avx512vnni(size_t m, size_t mr_block, size_t k, size_t k_padded, const int8_t* a,
                                size_t a_stride, void* dst) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const uint8_t* block_end = static_cast<const uint8_t*>(dst) + mr_block * k_padded;
  PackLhsBlock<uint8_t>(m, mr_block, k_padded, dst, [&](size_t i, uint8_t* out) {
    const int8_t* row = a + i * a_stride;
    size_t kk = 0;
    for (; kk + 64 <= k; kk += 64) {
      _mm512_storeu_si512(out + kk, _mm512_xor_si512(_mm512_loadu_si512(row + kk), flip));
    }
    if (kk < k_padded) {
      // Tail: a masked (fault-suppressing) load of the last k - kk < 64 bytes of A; zeros up to k_padded.
      const __mmask64 valid = (__mmask64{1} << (k - kk)) - 1;
      const __mmask64 store = k_padded - kk >= 64 ? ~__mmask64{0} : (__mmask64{1} << (k_padded - kk)) - 1;
      const __m512i v = _mm512_maskz_mov_epi8(valid, _mm512_xor_si512(_mm512_maskz_loadu_epi8(valid, row + kk), flip));
      // A plain store where 64 bytes fit in the block (a masked store costs several on Zen 4): what it writes past
      // the row lands in the rows after it, which PackLhsBlock writes later, in order.
      if (out + kk + 64 <= block_end) {
        _mm512_storeu_si512(out + kk, v);
      } else {
        _mm512_mask_storeu_epi8(out + kk, store, v);
      }
    }
  });
}

namespace {

// The tile on the first NV (1..4) 16-channel vectors of a 64-channel panel: a layer with few output channels
// (16, 24, 32: MobileNet's projections) or a last partial panel skips the vectors it does not store, both their
// vpdpbusd and their requantization.
// A is read through `a`: per segment s < segments, the 6 row pointers a[6s .. 6s + 5], each to segment_k (a
// multiple of 4) uint8; the segments laid end to end are the rows' k_padded elements. The GEMM has one segment (the
// packed block's rows); the indirect GEMM one per filter row (rows of a flipped, padded input image).
template <size_t NV>
void Gemm6xNVAvx512(size_t m, size_t n, size_t segments, size_t segment_k, const uint8_t* const* a,
                    const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  constexpr size_t kMR = 6, kNR = 64;
  const int8_t* w = reinterpret_cast<const int8_t*>(panel + WeightsOffsetAvx512<kNR>());

  // Named accumulators (not an array): GCC keeps them in registers across the loop only this way. Vectors
  // j >= NV are never read and compile away.
  const __m512i zero = _mm512_setzero_si512();
  __m512i vacc0x0 = _mm512_load_si512(panel);
  __m512i vacc0x1 = NV > 1 ? _mm512_load_si512(panel + 64) : zero;
  __m512i vacc0x2 = NV > 2 ? _mm512_load_si512(panel + 128) : zero;
  __m512i vacc0x3 = NV > 3 ? _mm512_load_si512(panel + 192) : zero;
  __m512i vacc1x0 = vacc0x0, vacc1x1 = vacc0x1, vacc1x2 = vacc0x2, vacc1x3 = vacc0x3;
  __m512i vacc2x0 = vacc0x0, vacc2x1 = vacc0x1, vacc2x2 = vacc0x2, vacc2x3 = vacc0x3;
  __m512i vacc3x0 = vacc0x0, vacc3x1 = vacc0x1, vacc3x2 = vacc0x2, vacc3x3 = vacc0x3;
  __m512i vacc4x0 = vacc0x0, vacc4x1 = vacc0x1, vacc4x2 = vacc0x2, vacc4x3 = vacc0x3;
  __m512i vacc5x0 = vacc0x0, vacc5x1 = vacc0x1, vacc5x2 = vacc0x2, vacc5x3 = vacc0x3;

  for (size_t segment = 0; segment < segments; ++segment, a += kMR) {
    const uint8_t* a0 = a[0];
    const uint8_t* a1 = a[1];
    const uint8_t* a2 = a[2];
    const uint8_t* a3 = a[3];
    const uint8_t* a4 = a[4];
    const uint8_t* a5 = a[5];
    for (size_t kk = 0; kk < segment_k; kk += 4, w += 4 * kNR) {
      // NV vectors of 16 channels x 4 k; each broadcast is one row's four uint8 of k..k+3.
      const __m512i vw0 = _mm512_load_si512(w);
      const __m512i vw1 = NV > 1 ? _mm512_load_si512(w + 64) : zero;
      const __m512i vw2 = NV > 2 ? _mm512_load_si512(w + 128) : zero;
      const __m512i vw3 = NV > 3 ? _mm512_load_si512(w + 192) : zero;
#define QINT8_ROW(i)                                                      \
  {                                                                       \
    const __m512i va = BroadcastQuadAvx512(a##i + kk);                    \
    vacc##i##x0 = _mm512_dpbusd_epi32(vacc##i##x0, va, vw0);              \
    if (NV > 1) vacc##i##x1 = _mm512_dpbusd_epi32(vacc##i##x1, va, vw1);  \
    if (NV > 2) vacc##i##x2 = _mm512_dpbusd_epi32(vacc##i##x2, va, vw2);  \
    if (NV > 3) vacc##i##x3 = _mm512_dpbusd_epi32(vacc##i##x3, va, vw3);  \
  }
      QINT8_ROW(0) QINT8_ROW(1) QINT8_ROW(2) QINT8_ROW(3) QINT8_ROW(4) QINT8_ROW(5)
#undef QINT8_ROW
    }
  }

  alignas(64) __m512i acc[kMR][NV];
  const __m512i rows[kMR][4] = {{vacc0x0, vacc0x1, vacc0x2, vacc0x3}, {vacc1x0, vacc1x1, vacc1x2, vacc1x3},
                                {vacc2x0, vacc2x1, vacc2x2, vacc2x3}, {vacc3x0, vacc3x1, vacc3x2, vacc3x3},
                                {vacc4x0, vacc4x1, vacc4x2, vacc4x3}, {vacc5x0, vacc5x1, vacc5x2, vacc5x3}};
  for (size_t i = 0; i < kMR; ++i) {
    for (size_t j = 0; j < NV; ++j) acc[i][j] = rows[i][j];
  }
  OutputTileAvx512<kMR, NV, kNR>(acc, panel, output, m, n, c, c_stride);
}

void Gemm6x64Avx512(size_t m, size_t n, size_t segments, size_t segment_k, const uint8_t* const* a,
                   const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  switch ((n + 15) / 16) {
    case 1:
      return Gemm6xNVAvx512<1>(m, n, segments, segment_k, a, panel, c, c_stride, output);
    case 2:
      return Gemm6xNVAvx512<2>(m, n, segments, segment_k, a, panel, c, c_stride, output);
    case 3:
      return Gemm6xNVAvx512<3>(m, n, segments, segment_k, a, panel, c, c_stride, output);
    default:
      return Gemm6xNVAvx512<4>(m, n, segments, segment_k, a, panel, c, c_stride, output);
  }
}

}  // namespace

void qs8_gemm_6x64c4_minmax_avx512vnni(size_t m, size_t n, size_t k, const int8_t* a, size_t /*a_stride*/,
                                       const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  const size_t k_padded = (k + 3) & ~size_t{3};
  const LhsBlockRows<6> block(a, k_padded);
  Gemm6x64Avx512(m, n, 1, k_padded, block.rows, panel, c, c_stride, output);
}

QINT8_IGEMM_UKERNEL(qs8_igemm_6x64c4_minmax_avx512vnni) {
  Gemm6x64Avx512(m, n, segments, segment_k, a, panel, c, c_stride, output);
}

}  // namespace qint8
