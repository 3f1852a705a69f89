// AArch64 Advanced SIMD depthwise kernel: 16-channel tiles, one tap per group, int16 tap rows (SXTL/SXTL2 once per
// input row in pack_row), SMLAL / SMLAL2 int16 x int16 -> int32 accumulation: exact for every int8 pair,
// -128 * -128 included (spec 5.6). Requantization and output stage from fixedpoint-neon.h. Plain armv8-a.
//
// Preconditions (qint8/dwconv.h): tap rows written by qs8_dwconv_pack_row_16c1_neon for the same tiles, packed
// tiles from PackDwconvWeights with this kernel (natural lane order), output zero point and clamp inside int8.
// Fast paths: 3x3 and 5x5 filters (weights held in registers); any other KH x KW loops.
#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "dwconv-kernels.h"
#include "qint8/fixedpoint-neon.h"

namespace qint8 {
namespace {

constexpr size_t kCt = 16;
constexpr size_t kEntryBytes = kCt * sizeof(int16_t);  // 32

// acc[0..3] += x[0..15] * w[0..15] (channels 4i..4i+3 in acc[i]).
inline void MultiplyAccumulate(int32x4_t (&acc)[4], const int16_t* x, int16x8_t w0, int16x8_t w1) {
  const int16x8_t x0 = vld1q_s16(x), x1 = vld1q_s16(x + 8);
  acc[0] = vmlal_s16(acc[0], vget_low_s16(x0), vget_low_s16(w0));
  acc[1] = vmlal_high_s16(acc[1], x0, w0);
  acc[2] = vmlal_s16(acc[2], vget_low_s16(x1), vget_low_s16(w1));
  acc[3] = vmlal_high_s16(acc[3], x1, w1);
}

// The output stage of one tile: per-channel requantization of 16 lanes, zero point (saturating), clamp, store.
template <Profile kProfile>
struct Stage {
  neon::RequantQuad rq[4];
  int32x4_t zero_point;
  int8x8_t act_min, act_max;

  static Stage Load(const uint8_t* tile, const DwconvOutput& o) {
    const int32_t* multiplier = reinterpret_cast<const int32_t*>(tile) + kCt;
    const int32_t* shift = multiplier + kCt;
    const float* scale = reinterpret_cast<const float*>(shift + kCt);
    Stage s;
    for (size_t a = 0; a < 4; ++a) s.rq[a] = neon::LoadRequantQuad(multiplier + 4 * a, shift + 4 * a, scale + 4 * a);
    s.zero_point = vdupq_n_s32(o.output_zero_point);
    s.act_min = vdup_n_s8(static_cast<int8_t>(o.activation_min));
    s.act_max = vdup_n_s8(static_cast<int8_t>(o.activation_max));
    return s;
  }
  inline int32x4_t Requantize(int32x4_t x, size_t a) const {
    if (kProfile == kProfileXnnpackFp32) return neon::MultiplyByFloatScale(x, rq[a]);
    if (kProfile == kProfileTfliteSingle) return neon::MultiplyByQuantizedMultiplierSingle(x, rq[a]);
    return neon::MultiplyByQuantizedMultiplierDouble(x, rq[a]);
  }
  inline void Store(const int32x4_t (&acc)[4], int8_t* dst, size_t n) const {
    const int8x16_t b = vcombine_s8(
        neon::OutputStage8(Requantize(acc[0], 0), Requantize(acc[1], 1), zero_point, act_min, act_max),
        neon::OutputStage8(Requantize(acc[2], 2), Requantize(acc[3], 3), zero_point, act_min, act_max));
    if (n == kCt) {
      vst1q_s8(dst, b);
    } else {
      int8_t tail[kCt];
      vst1q_s8(tail, b);
      std::memcpy(dst, tail, n);
    }
  }
};

// One tile of one output row. KH / KW = 0: taken from p at run time (weights read from the tile as needed).
template <size_t KH, size_t KW, typename S>
void TileRow(const DwconvRowParams& p, size_t t, const S& stage) {
  const uint8_t* tile = p.weights + t * p.weight_tile_bytes;
  const int16_t* weights = reinterpret_cast<const int16_t*>(tile + p.weights_offset);
  const int32_t* bias_data = reinterpret_cast<const int32_t*>(tile);
  const size_t kh = KH != 0 ? KH : p.kh;
  const size_t kw = KW != 0 ? KW : p.kw_groups;
  const size_t n = std::min(kCt, p.channels - t * kCt);
  const size_t step = p.entry_step * kCt, group = p.group_step * kCt;  // in int16
  int32x4_t bias[4];
  for (size_t a = 0; a < 4; ++a) bias[a] = vld1q_s32(bias_data + 4 * a);
  int8_t* dst = p.out + t * kCt;
  if constexpr (KH != 0 && KW != 0) {
    int16x8_t w[KH][KW][2];
    const int16_t* rows[KH];
    for (size_t ky = 0; ky < KH; ++ky) {
      rows[ky] = reinterpret_cast<const int16_t*>(p.rows[ky] + t * p.row_tile_bytes);
      for (size_t kx = 0; kx < KW; ++kx) {
        w[ky][kx][0] = vld1q_s16(weights + (ky * KW + kx) * kCt);
        w[ky][kx][1] = vld1q_s16(weights + (ky * KW + kx) * kCt + 8);
      }
    }
    for (size_t ox = 0; ox < p.out_w; ++ox) {
      int32x4_t acc[4] = {bias[0], bias[1], bias[2], bias[3]};
      for (size_t ky = 0; ky < KH; ++ky) {
        const int16_t* src = rows[ky] + ox * step;
        for (size_t kx = 0; kx < KW; ++kx) MultiplyAccumulate(acc, src + kx * group, w[ky][kx][0], w[ky][kx][1]);
      }
      stage.Store(acc, dst + ox * p.channels, n);
    }
  } else {
    for (size_t ox = 0; ox < p.out_w; ++ox) {
      int32x4_t acc[4] = {bias[0], bias[1], bias[2], bias[3]};
      const int16_t* w = weights;
      for (size_t ky = 0; ky < kh; ++ky) {
        const int16_t* src = reinterpret_cast<const int16_t*>(p.rows[ky] + t * p.row_tile_bytes) + ox * step;
        for (size_t kx = 0; kx < kw; ++kx, w += kCt, src += group) {
          MultiplyAccumulate(acc, src, vld1q_s16(w), vld1q_s16(w + 8));
        }
      }
      stage.Store(acc, dst + ox * p.channels, n);
    }
  }
}

template <size_t KH, size_t KW>
void RowAllTiles(const DwconvRowParams& p) {
  for (size_t t = 0; t < p.tiles; ++t) {
    const uint8_t* tile = p.weights + t * p.weight_tile_bytes;
    switch (p.output.profile) {
      case kProfileXnnpackFp32:
        TileRow<KH, KW>(p, t, Stage<kProfileXnnpackFp32>::Load(tile, p.output));
        break;
      case kProfileTfliteSingle:
        TileRow<KH, KW>(p, t, Stage<kProfileTfliteSingle>::Load(tile, p.output));
        break;
      default:
        TileRow<KH, KW>(p, t, Stage<kProfileTfliteRef>::Load(tile, p.output));
        break;
    }
  }
}

}  // namespace

QINT8_DWCONV_PACK_ROW(qs8_dwconv_pack_row_16c1_neon) {
  (void)d;  // one tap per group: entry e is pixel e * q
  for (size_t t = 0; t < tiles; ++t) {
    int16_t* dst = reinterpret_cast<int16_t*>(t_row + t * row_tile_bytes);
    for (size_t e = 0; e < entries; ++e, dst += kCt) {
      const int8x16_t x = vld1q_s8(px[e * q] + t * kCt);
      vst1q_s16(dst, vmovl_s8(vget_low_s8(x)));
      vst1q_s16(dst + 8, vmovl_high_s8(x));
    }
  }
}

QINT8_DWCONV_ROW(qs8_dwconv_16c1_minmax_neon) {
  if (p.kh == 3 && p.kw_groups == 3) return RowAllTiles<3, 3>(p);
  if (p.kh == 5 && p.kw_groups == 5) return RowAllTiles<5, 5>(p);
  RowAllTiles<0, 0>(p);
}

}  // namespace qint8
