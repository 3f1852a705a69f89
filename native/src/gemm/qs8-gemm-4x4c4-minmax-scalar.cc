// Portable GEMM microkernels on 4-channel c4 panels: 4x4 GEMM and 1x4 GEMV, the baseline path (no ISA flags)
// and a plain reading of the packed-panel contract. Requantization is fixedpoint.h's, one value at a time.
//
// Preconditions (gemm.h GemmMicrokernelFn): gemm 1 <= m <= 4, gemv m == 1; 1 <= n <= 4; k >= 0; reads A rows
// directly, never past column k - 1 (no over-read); `panel` is a 4-channel c4 panel (qs8_packw_gemm_c4);
// writes only C[i < m][j < n].
#include "gemm-kernels.h"
#include "requant-scalar.h"

namespace qint8 {

namespace {

template <size_t kMR>
void GemmScalar(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride, const uint8_t* panel, int8_t* c,
                size_t c_stride, const GemmOutput& output) {
  constexpr size_t kNR = 4, kKR = 4;
  const int32_t* bias = reinterpret_cast<const int32_t*>(panel);
  const int32_t* multiplier = bias + kNR;
  const int32_t* shift = bias + 2 * kNR;
  const float* scale = reinterpret_cast<const float*>(bias + 3 * kNR);
  const int8_t* w = reinterpret_cast<const int8_t*>(panel + kNR * 4 * sizeof(int32_t));

  // Row by row over the whole K (the 4-channel panel stays in L1): only rows < m are computed, and with baseline
  // flags this order measured ~1.4-1.8x faster than a 4x4 register tile (the compiler vectorizes the row's dot).
  for (size_t i = 0; i < m && i < kMR; ++i) {
    const int8_t* row = a + i * a_stride;
    const int8_t* wb = w;
    // Accumulate modulo 2^32 (uint32) so that K large enough to overflow int32 wraps as TFLite's int32 does.
    uint32_t acc[kNR];
    for (size_t j = 0; j < kNR; ++j) acc[j] = static_cast<uint32_t>(bias[j]);
    size_t kk = 0;
    for (; kk + kKR <= k; kk += kKR, wb += kNR * kKR) {
      for (size_t j = 0; j < kNR; ++j) {
        int32_t dot = 0;  // |dot| <= 4 * 128 * 128: no overflow
        for (size_t e = 0; e < kKR; ++e) dot += static_cast<int32_t>(row[kk + e]) * wb[j * kKR + e];
        acc[j] += static_cast<uint32_t>(dot);
      }
    }
    if (kk < k) {  // last partial block: the padded weights are zero, A is read only up to k
      for (size_t j = 0; j < kNR; ++j) {
        int32_t dot = 0;
        for (size_t e = 0; kk + e < k; ++e) dot += static_cast<int32_t>(row[kk + e]) * wb[j * kKR + e];
        acc[j] += static_cast<uint32_t>(dot);
      }
    }
    for (size_t j = 0; j < n; ++j) {
      c[i * c_stride + j] = GemmOutputStageScalar(static_cast<int32_t>(acc[j]), multiplier[j], shift[j], scale[j], output);
    }
  }
}

}  // namespace

void qs8_gemm_4x4c4_minmax_scalar(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                  const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  GemmScalar<4>(m, n, k, a, a_stride, panel, c, c_stride, output);
}

void qs8_gemm_1x4c4_minmax_scalar(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                  const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  GemmScalar<1>(m, n, k, a, a_stride, panel, c, c_stride, output);
}

}  // namespace qint8
