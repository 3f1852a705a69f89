// The output stage shared by the Neon GEMM microkernels (neon, neondot, neoni8mm): add the panel's bias, requantize
// every channel with its own parameters for the operator's profile, add the zero point, clamp, store the tile.
// Header-only with internal linkage (see fixedpoint-neon.h); included only by *-neon*.cc kernel files.
#ifndef QINT8_SRC_GEMM_GEMM_OUTPUT_NEON_H_
#define QINT8_SRC_GEMM_GEMM_OUTPUT_NEON_H_

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qint8/fixedpoint-neon.h"
#include "qint8/gemm.h"

namespace qint8 {
namespace neon {
namespace {

// Loads n < 16 (or 8) bytes into the low lanes of a vector, zeroing the rest, without touching memory past p + n:
// the K tail of an A row (the microkernel contract forbids reading A beyond the row's k bytes).
inline int8x16_t LoadPartial16(const int8_t* p, size_t n) {
  int8_t buffer[16] = {};
  std::memcpy(buffer, p, n);
  return vld1q_s8(buffer);
}
inline int8x8_t LoadPartial8(const int8_t* p, size_t n) {
  int8_t buffer[8] = {};
  std::memcpy(buffer, p, n);
  return vld1_s8(buffer);
}

// acc[r][q] holds the raw sums of row r for channels 4q..4q+3 (no bias yet). kRows >= kMr rows are held (a kernel
// may compute aliased rows it will not store); rows >= m and channels >= n are never written.
template <Profile kProfile, size_t kMr, size_t kRows, size_t kQuads>
inline void RequantizeAndStore(int32x4_t (&acc)[kRows][kQuads], size_t m, size_t n, const uint8_t* panel, int8_t* c,
                               size_t c_stride, const GemmOutput& output) {
  static_assert(kMr <= kRows && kQuads % 2 == 0, "tile shape");
  constexpr size_t kNr = 4 * kQuads;
  const int32_t* bias = reinterpret_cast<const int32_t*>(panel);
  const int32_t* multiplier = bias + kNr;
  const int32_t* shift = multiplier + kNr;
  const float* scale = reinterpret_cast<const float*>(shift + kNr);

  for (size_t q = 0; q < kQuads; ++q) {
    const int32x4_t vbias = vld1q_s32(bias + 4 * q);
    const RequantQuad params = LoadRequantQuad(multiplier + 4 * q, shift + 4 * q, scale + 4 * q);
    for (size_t r = 0; r < kMr; ++r) {
      const int32x4_t x = vaddq_s32(acc[r][q], vbias);  // modulo 2^32, like the scalar accumulation
      if (kProfile == kProfileXnnpackFp32) {
        acc[r][q] = MultiplyByFloatScale(x, params);
      } else if (kProfile == kProfileTfliteSingle) {
        acc[r][q] = MultiplyByQuantizedMultiplierSingle(x, params);
      } else {
        acc[r][q] = MultiplyByQuantizedMultiplierDouble(x, params);
      }
    }
  }

  const int32x4_t zero_point = vdupq_n_s32(output.output_zero_point);
  const int8x8_t act_min = vdup_n_s8(static_cast<int8_t>(output.activation_min));
  const int8x8_t act_max = vdup_n_s8(static_cast<int8_t>(output.activation_max));
  for (size_t r = 0; r < kMr; ++r) {
    if (r >= m) break;
    int8_t* row = c + r * c_stride;
    int8_t tail[kNr];
    int8_t* dst = n == kNr ? row : tail;
    for (size_t h = 0; h < kQuads / 2; ++h) {
      vst1_s8(dst + 8 * h, OutputStage8(acc[r][2 * h], acc[r][2 * h + 1], zero_point, act_min, act_max));
    }
    if (n != kNr) std::memcpy(row, tail, n);
  }
}

// Dispatches the operator's profile once per tile.
template <size_t kMr, size_t kRows, size_t kQuads>
inline void StoreTile(int32x4_t (&acc)[kRows][kQuads], size_t m, size_t n, const uint8_t* panel, int8_t* c,
                      size_t c_stride, const GemmOutput& output) {
  switch (output.profile) {
    case kProfileXnnpackFp32:
      RequantizeAndStore<kProfileXnnpackFp32, kMr>(acc, m, n, panel, c, c_stride, output);
      break;
    case kProfileTfliteSingle:
      RequantizeAndStore<kProfileTfliteSingle, kMr>(acc, m, n, panel, c, c_stride, output);
      break;
    default:
      RequantizeAndStore<kProfileTfliteRef, kMr>(acc, m, n, panel, c, c_stride, output);
      break;
  }
}

}  // namespace
}  // namespace neon
}  // namespace qint8

#endif  // QINT8_SRC_GEMM_GEMM_OUTPUT_NEON_H_
