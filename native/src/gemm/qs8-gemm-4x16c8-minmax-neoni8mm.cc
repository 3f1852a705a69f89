// qs8 GEMM microkernel for FEAT_I8MM: 4 rows x 16 channels, weights in k-blocks of 8 ([K/8][16][8]). SMMLA
// multiplies a 2x8 block of A (a row pair) by an 8x2 block of W (a channel pair) into 2x2 int32, exact for any int8.
// Compiled with -march=armv8.2-a+dotprod+i8mm; dispatched only where HWCAP2_I8MM (and dotprod) is set.
#include <arm_neon.h>

#include "gemm-output-neon.h"
#include "qint8/gemm-neon.h"

namespace qint8 {
namespace {

constexpr size_t kNr = 16;
constexpr size_t kKr = 8;
constexpr size_t kBlockBytes = kNr * kKr;

// One k-block of 8: acc[p][j] = [r0 c2j, r0 c2j+1, r1 c2j, r1 c2j+1] of row pair p and channel pair j
// += va[p] (row 2p's 8 bytes, then row 2p+1's) times the 16 bytes of channels 2j, 2j+1.
template <size_t kPairs>
inline void MmlaBlock(int32x4_t (&acc)[kPairs][kNr / 2], const int8x16_t (&va)[kPairs], const int8_t* w) {
  for (size_t j = 0; j < kNr / 2; ++j) {
    const int8x16_t vw = vld1q_s8(w + 16 * j);
    for (size_t p = 0; p < kPairs; ++p) acc[p][j] = vmmlaq_s32(acc[p][j], va[p], vw);
  }
}

// Preconditions (gemm.h): 1 <= m <= kMr, 1 <= n <= 16, k >= 0; reads A rows only within their k bytes. Rows are
// processed in pairs; rows m.. alias row m-1 (kMr == 1 pairs row 0 with itself) and are computed but not stored.
template <size_t kMr>
void GemmMmla(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride, const uint8_t* panel, int8_t* c,
              size_t c_stride, const GemmOutput& output) {
  constexpr size_t kPairs = (kMr + 1) / 2;
  const int8_t* ar[2 * kPairs];
  ar[0] = a;
  for (size_t r = 1; r < 2 * kPairs; ++r) ar[r] = r < m ? ar[r - 1] + a_stride : ar[r - 1];
  const int8_t* w = reinterpret_cast<const int8_t*>(panel + kNr * GemmPanelLayout::kHeaderArrays * sizeof(int32_t));

  int32x4_t acc[kPairs][kNr / 2];
  for (size_t p = 0; p < kPairs; ++p)
    for (size_t j = 0; j < kNr / 2; ++j) acc[p][j] = vdupq_n_s32(0);

  // One k-block of 8 per iteration: 16 accumulators + 8 weight + 2 A registers fit the 32 vector registers.
  size_t kk = k;
  for (; kk >= kKr; kk -= kKr) {
    int8x16_t va[kPairs];
    for (size_t p = 0; p < kPairs; ++p) {
      va[p] = vcombine_s8(vld1_s8(ar[2 * p]), vld1_s8(ar[2 * p + 1]));
      ar[2 * p] += kKr;
      ar[2 * p + 1] += kKr;
    }
    MmlaBlock<kPairs>(acc, va, w);
    w += kBlockBytes;
  }
  if (kk != 0) {  // 1..7 bytes left: a partial k-block (its padded weights are zero)
    int8x16_t va[kPairs];
    for (size_t p = 0; p < kPairs; ++p) {
      va[p] = vcombine_s8(neon::LoadPartial8(ar[2 * p], kk), neon::LoadPartial8(ar[2 * p + 1], kk));
    }
    MmlaBlock<kPairs>(acc, va, w);
  }

  // Un-interleave the 2x2 blocks: row 2p, channels 4q..4q+3 = the low 64-bit halves of channel pairs 2q, 2q+1.
  int32x4_t rows[2 * kPairs][kNr / 4];
  for (size_t p = 0; p < kPairs; ++p) {
    for (size_t q = 0; q < kNr / 4; ++q) {
      const int64x2_t x = vreinterpretq_s64_s32(acc[p][2 * q]);
      const int64x2_t y = vreinterpretq_s64_s32(acc[p][2 * q + 1]);
      rows[2 * p][q] = vreinterpretq_s32_s64(vuzp1q_s64(x, y));
      rows[2 * p + 1][q] = vreinterpretq_s32_s64(vuzp2q_s64(x, y));
    }
  }
  neon::StoreTile<kMr>(rows, m, n, panel, c, c_stride, output);
}

}  // namespace

void qs8_gemm_4x16c8_minmax_neoni8mm(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                     const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  GemmMmla<4>(m, n, k, a, a_stride, panel, c, c_stride, output);
}

void qs8_gemm_1x16c8_minmax_neoni8mm(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                     const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  GemmMmla<1>(m, n, k, a, a_stride, panel, c, c_stride, output);
}

const GemmKernel& GemmKernelNeonI8mm() {
  static const GemmKernel kernel{kIsaNeonI8mm, "qs8-gemm-4x16c8-minmax-neoni8mm", "qs8-gemm-1x16c8-minmax-neoni8mm",
                                 4, kNr, kKr, false, qs8_gemm_4x16c8_minmax_neoni8mm, qs8_gemm_1x16c8_minmax_neoni8mm,
                                 qs8_packw_gemm_c8_neon, nullptr, 0};
  return kernel;
}

}  // namespace qint8
