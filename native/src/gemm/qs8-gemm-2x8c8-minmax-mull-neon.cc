// qs8 GEMM microkernel for any AArch64 CPU: 2 rows x 8 channels, weights in k-blocks of 8 ([K/8][8][8]).
// SMULL multiplies 8 int8 pairs into int16 (exact, -128 * -128 = 16384 included), SADALP adds adjacent products
// into the int32 accumulators; per-channel lanes are reduced with ADDP at the end. Compiled with -march=armv8-a.
#include <arm_neon.h>

#include "gemm-output-neon.h"
#include "qint8/gemm-neon.h"

namespace qint8 {
namespace {

constexpr size_t kNr = 8;
constexpr size_t kKr = 8;

// One k-block of 8: acc[r][j] (4 partial sums of channel j) += pairwise sums of va[r] * w[j].
template <size_t kMr>
inline void MullBlock(int32x4_t (&acc)[kMr][kNr], const int8x8_t (&va)[kMr], const int8_t* w) {
  for (size_t j = 0; j < kNr; ++j) {
    const int8x8_t vw = vld1_s8(w + j * kKr);
    for (size_t r = 0; r < kMr; ++r) acc[r][j] = vpadalq_s16(acc[r][j], vmull_s8(va[r], vw));
  }
}

// Preconditions (gemm.h): 1 <= m <= kMr, 1 <= n <= 8, k >= 0; reads A rows only within their k bytes; rows
// m..kMr-1 alias row m-1 and are computed but not stored.
template <size_t kMr>
void GemmMull(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride, const uint8_t* panel, int8_t* c,
              size_t c_stride, const GemmOutput& output) {
  const int8_t* ar[kMr];
  ar[0] = a;
  for (size_t r = 1; r < kMr; ++r) ar[r] = r < m ? ar[r - 1] + a_stride : ar[r - 1];
  const int8_t* w = reinterpret_cast<const int8_t*>(panel + kNr * GemmPanelLayout::kHeaderArrays * sizeof(int32_t));

  int32x4_t acc[kMr][kNr];
  for (size_t r = 0; r < kMr; ++r)
    for (size_t j = 0; j < kNr; ++j) acc[r][j] = vdupq_n_s32(0);

  size_t kk = k;
  for (; kk >= kKr; kk -= kKr) {
    int8x8_t va[kMr];
    for (size_t r = 0; r < kMr; ++r) {
      va[r] = vld1_s8(ar[r]);
      ar[r] += kKr;
    }
    MullBlock<kMr>(acc, va, w);
    w += kNr * kKr;
  }
  if (kk != 0) {  // the last, partial k-block: its padded weights are zero
    int8x8_t va[kMr];
    for (size_t r = 0; r < kMr; ++r) va[r] = neon::LoadPartial8(ar[r], kk);
    MullBlock<kMr>(acc, va, w);
  }

  // Reduce each channel's 4 partial sums: ADDP(ADDP(c0, c1), ADDP(c2, c3)) = [sum c0, sum c1, sum c2, sum c3].
  int32x4_t sums[kMr][kNr / 4];
  for (size_t r = 0; r < kMr; ++r) {
    for (size_t q = 0; q < kNr / 4; ++q) {
      sums[r][q] = vpaddq_s32(vpaddq_s32(acc[r][4 * q], acc[r][4 * q + 1]), vpaddq_s32(acc[r][4 * q + 2], acc[r][4 * q + 3]));
    }
  }
  neon::StoreTile<kMr>(sums, m, n, panel, c, c_stride, output);
}

}  // namespace

void qs8_gemm_2x8c8_minmax_mull_neon(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                     const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  GemmMull<2>(m, n, k, a, a_stride, panel, c, c_stride, output);
}

void qs8_gemm_1x8c8_minmax_mull_neon(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                     const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  GemmMull<1>(m, n, k, a, a_stride, panel, c, c_stride, output);
}

const GemmKernel& GemmKernelNeon() {
  static const GemmKernel kernel{kIsaNeon, "qs8-gemm-2x8c8-minmax-mull-neon", "qs8-gemm-1x8c8-minmax-mull-neon",
                                 2, kNr, kKr, false, qs8_gemm_2x8c8_minmax_mull_neon, qs8_gemm_1x8c8_minmax_mull_neon,
                                 qs8_packw_gemm_c8_neon, nullptr, 0};
  return kernel;
}

}  // namespace qint8
