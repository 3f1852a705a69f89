// qs8 GEMM microkernel for FEAT_DotProd: 4 rows x 16 channels, weights in k-blocks of 4 ([K/4][16][4]).
// SDOT (by lane) adds 4 int8 products of one A k-block into each int32 lane; exact for every int8 pair.
// Compiled with -march=armv8.2-a+dotprod; dispatched only where HWCAP_ASIMDDP is set.
#include <arm_neon.h>

#include "gemm-output-neon.h"
#include "qint8/gemm-neon.h"

namespace qint8 {
namespace {

constexpr size_t kNr = 16;
constexpr size_t kKr = 4;

// One k-block of 4 for every row: channels 4q..4q+3 of row r += dot(A k-block kLane of va[r], their weights).
// A is read 8 bytes (2 k-blocks) at a time so that 16 accumulators + 4 weight + 4 A registers fit the 32 vector
// registers (16 bytes of A would invite the compiler to hoist 16 weight registers and spill accumulators).
template <int kLane, size_t kMr>
inline void DotBlock(int32x4_t (&acc)[kMr][4], const int8x8_t (&va)[kMr], const int8_t* w) {
  const int8x16_t w0 = vld1q_s8(w);
  const int8x16_t w1 = vld1q_s8(w + 16);
  const int8x16_t w2 = vld1q_s8(w + 32);
  const int8x16_t w3 = vld1q_s8(w + 48);
  for (size_t r = 0; r < kMr; ++r) {
    acc[r][0] = vdotq_lane_s32(acc[r][0], w0, va[r], kLane);
    acc[r][1] = vdotq_lane_s32(acc[r][1], w1, va[r], kLane);
    acc[r][2] = vdotq_lane_s32(acc[r][2], w2, va[r], kLane);
    acc[r][3] = vdotq_lane_s32(acc[r][3], w3, va[r], kLane);
  }
}

// Preconditions (gemm.h): 1 <= m <= kMr, 1 <= n <= 16, k >= 0; reads A rows only within their k bytes; rows
// m..kMr-1 alias row m-1 and are computed but not stored.
template <size_t kMr>
void GemmDot(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride, const uint8_t* panel, int8_t* c,
             size_t c_stride, const GemmOutput& output) {
  constexpr size_t kBlockBytes = kNr * kKr;
  const int8_t* ar[kMr];
  ar[0] = a;
  for (size_t r = 1; r < kMr; ++r) ar[r] = r < m ? ar[r - 1] + a_stride : ar[r - 1];
  const int8_t* w = reinterpret_cast<const int8_t*>(panel + kNr * GemmPanelLayout::kHeaderArrays * sizeof(int32_t));

  int32x4_t acc[kMr][4];
  for (size_t r = 0; r < kMr; ++r)
    for (size_t q = 0; q < 4; ++q) acc[r][q] = vdupq_n_s32(0);

  size_t kk = k;
  for (; kk >= 8; kk -= 8) {  // 2 k-blocks per A load
    int8x8_t va[kMr];
    for (size_t r = 0; r < kMr; ++r) {
      va[r] = vld1_s8(ar[r]);
      ar[r] += 8;
    }
    DotBlock<0>(acc, va, w);
    DotBlock<1>(acc, va, w + kBlockBytes);
    w += 2 * kBlockBytes;
  }
  if (kk != 0) {  // 1..7 bytes left: ceil(kk / 4) k-blocks, the last one zero-padded in the weights
    int8x8_t va[kMr];
    for (size_t r = 0; r < kMr; ++r) va[r] = neon::LoadPartial8(ar[r], kk);
    DotBlock<0>(acc, va, w);
    if (kk > 4) DotBlock<1>(acc, va, w + kBlockBytes);
  }
  neon::StoreTile<kMr>(acc, m, n, panel, c, c_stride, output);
}

}  // namespace

void qs8_gemm_4x16c4_minmax_neondot(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                    const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  GemmDot<4>(m, n, k, a, a_stride, panel, c, c_stride, output);
}

void qs8_gemm_1x16c4_minmax_neondot(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                    const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  GemmDot<1>(m, n, k, a, a_stride, panel, c, c_stride, output);
}

const GemmKernel& GemmKernelNeonDot() {
  static const GemmKernel kernel{kIsaNeonDot, "qs8-gemm-4x16c4-minmax-neondot", "qs8-gemm-1x16c4-minmax-neondot",
                                 4, kNr, kKr, false, qs8_gemm_4x16c4_minmax_neondot, qs8_gemm_1x16c4_minmax_neondot,
                                 qs8_packw_gemm_c4_neon, nullptr, 0};
  return kernel;
}

}  // namespace qint8
