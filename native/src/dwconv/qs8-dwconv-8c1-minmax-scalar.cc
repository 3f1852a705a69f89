// Portable depthwise kernel (baseline, no ISA flags): 8-channel tiles, one tap per group, int16 tap rows, int32
// accumulation modulo 2^32 and fixedpoint.h's output stage. The fallback for CPUs without a SIMD family, and a
// second implementation of the driver's contract that every machine tests.
//
// Preconditions (qint8/dwconv.h): the tap rows were written by qs8_dwconv_pack_row_8c1_scalar for the same tiles;
// the packed tiles come from PackDwconvWeights with this kernel; output stage as DwconvOutput requires.
#include <algorithm>
#include <cstdint>

#include "dwconv-kernels.h"
#include "qint8/fixedpoint.h"

namespace qint8 {
namespace {

constexpr size_t kCt = 8;

inline int8_t OutputStage(uint32_t acc, int32_t multiplier, int32_t shift, float scale, const DwconvOutput& o) {
  const int32_t x = static_cast<int32_t>(acc);
  int32_t scaled;
  switch (o.profile) {
    case kProfileXnnpackFp32:
      scaled = MultiplyByFloatScale(x, scale);
      break;
    case kProfileTfliteSingle:
      scaled = MultiplyByQuantizedMultiplierSingle(x, multiplier, shift);
      break;
    default:
      scaled = MultiplyByQuantizedMultiplierDouble(x, multiplier, shift);
      break;
  }
  const int64_t y = static_cast<int64_t>(scaled) + o.output_zero_point;
  return static_cast<int8_t>(std::min<int64_t>(std::max<int64_t>(y, o.activation_min), o.activation_max));
}

}  // namespace

QINT8_DWCONV_PACK_ROW(qs8_dwconv_pack_row_8c1_scalar) {
  (void)d;  // one tap per group: entry e is pixel e * q
  for (size_t t = 0; t < tiles; ++t) {
    int16_t* dst = reinterpret_cast<int16_t*>(t_row + t * row_tile_bytes);
    for (size_t e = 0; e < entries; ++e) {
      const int8_t* src = px[e * q] + t * kCt;
      for (size_t c = 0; c < kCt; ++c) dst[e * kCt + c] = src[c];
    }
  }
}

QINT8_DWCONV_ROW(qs8_dwconv_8c1_minmax_scalar) {
  for (size_t t = 0; t < p.tiles; ++t) {
    const uint8_t* tile = p.weights + t * p.weight_tile_bytes;
    const int32_t* bias = reinterpret_cast<const int32_t*>(tile);
    const int32_t* multiplier = bias + kCt;
    const int32_t* shift = multiplier + kCt;
    const float* scale = reinterpret_cast<const float*>(shift + kCt);
    const int16_t* weights = reinterpret_cast<const int16_t*>(tile + p.weights_offset);
    const size_t n = std::min(kCt, p.channels - t * kCt);
    for (size_t ox = 0; ox < p.out_w; ++ox) {
      uint32_t acc[kCt];
      for (size_t c = 0; c < kCt; ++c) acc[c] = static_cast<uint32_t>(bias[c]);
      for (size_t ky = 0; ky < p.kh; ++ky) {
        const int16_t* row = reinterpret_cast<const int16_t*>(p.rows[ky] + t * p.row_tile_bytes) + ox * p.entry_step * kCt;
        for (size_t j = 0; j < p.kw_groups; ++j) {
          const int16_t* x = row + j * p.group_step * kCt;
          const int16_t* w = weights + (ky * p.kw_groups + j) * kCt;
          for (size_t c = 0; c < kCt; ++c) acc[c] += static_cast<uint32_t>(x[c] * w[c]);
        }
      }
      int8_t* dst = p.out + ox * p.channels + t * kCt;
      for (size_t c = 0; c < n; ++c) dst[c] = OutputStage(acc[c], multiplier[c], shift[c], scale[c], p.output);
    }
  }
}

}  // namespace qint8
