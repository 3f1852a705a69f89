// AVX2 depthwise kernel: 32-channel tiles, taps in int16 pairs along the kernel width. Exact int8 products without
// VNNI: vpmovsxbw widens the rows once (pack_row), vpmaddwd sums a tap pair per channel into int32 and vpaddd
// accumulates (never vpmaddubsw, which saturates: spec 5.6). Compiled with -mavx2 only.
//
// Preconditions (qint8/dwconv.h): tap rows written by qs8_dwconv_pack_row_32c2_avx2 for the same tiles, packed
// tiles from PackDwconvWeights with this kernel (lane order Avx2PairOrder in dwconv.cc), output zero point and
// clamp inside int8. Fast paths: 3x3 and 5x5 filters (weights held in registers); any other KH x KW loops.
// Lane order: entry e of a tile is four ymm; ymm 2b + part holds the (x[p], x[p+d]) int16 pairs of channels
// 16b + 8h + 4*part + (0..3) in 128-bit half h, which is what vpunpck{l,h}wd of two widened 16-channel blocks give
// and what vpackssdw(2b, 2b + 1) puts back in channel order.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "../gemm/requant-avx2.h"
#include "dwconv-kernels.h"

namespace qint8 {
namespace {

constexpr size_t kCt = 32;
constexpr size_t kEntryBytes = kCt * 2 * sizeof(int16_t);  // 128

QINT8_INLINE __m256i Load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// tflite-ref without a left shift on any channel of the operator: RoundingDivideByPOT(SRDHM(x, m), right) only.
struct DoubleRoundingNoLeftAvx2 {
  DoubleRoundingAvx2 p;
  static QINT8_INLINE DoubleRoundingNoLeftAvx2 Load(const int32_t* multiplier, const int32_t* shift) {
    return DoubleRoundingNoLeftAvx2{DoubleRoundingAvx2::Load(multiplier, shift)};
  }
  QINT8_INLINE __m256i Apply(__m256i x) const {
    return RoundingDivideByPotAvx2(SrdhmAvx2(x, p.multiplier, p.multiplier_odd), p.right, p.mask, p.threshold);
  }
};

// The output stage of one output pixel of a tile: 4 x 8 int32 accumulators -> requantized -> 32 int8.
// Zero point and clamp: vpackssdw saturates to int16, vpaddsw adds the zero point (saturating), vpacksswb saturates
// to int8, vpmaxsb / vpminsb clamp. Saturation is monotonic and exact on the range that matters: with
// |zero point| <= 128 every int32 y saturated to int16 and then shifted stays outside [-128, 127] exactly when
// y + zero point does, on the same side. So this equals clamp(y + zero point, act_min, act_max).
template <typename Requant>
struct StageAvx2 {
  Requant rq[4];
  __m256i zero_point, act_min, act_max;

  static QINT8_INLINE StageAvx2 Load(const uint8_t* tile, const DwconvOutput& o) {
    const int32_t* multiplier = reinterpret_cast<const int32_t*>(tile) + kCt;
    const int32_t* shift = multiplier + kCt;
    StageAvx2 s;
    for (size_t a = 0; a < 4; ++a) s.rq[a] = LoadRequant(multiplier + 8 * a, shift + 8 * a, tile, a);
    s.zero_point = _mm256_set1_epi16(static_cast<int16_t>(o.output_zero_point));
    s.act_min = _mm256_set1_epi8(static_cast<int8_t>(o.activation_min));
    s.act_max = _mm256_set1_epi8(static_cast<int8_t>(o.activation_max));
    return s;
  }
  static QINT8_INLINE Requant LoadRequant(const int32_t* multiplier, const int32_t* shift, const uint8_t* tile, size_t a) {
    if constexpr (std::is_same<Requant, FloatScaleAvx2>::value) {
      (void)multiplier, (void)shift;
      return FloatScaleAvx2::Load(reinterpret_cast<const float*>(tile + 3 * kCt * sizeof(int32_t)) + 8 * a);
    } else {
      (void)tile, (void)a;
      return Requant::Load(multiplier, shift);
    }
  }

  QINT8_INLINE void Store(const __m256i (&acc)[4], int8_t* dst, size_t n) const {
    const __m256i w01 = _mm256_adds_epi16(_mm256_packs_epi32(rq[0].Apply(acc[0]), rq[1].Apply(acc[1])), zero_point);
    const __m256i w23 = _mm256_adds_epi16(_mm256_packs_epi32(rq[2].Apply(acc[2]), rq[3].Apply(acc[3])), zero_point);
    __m256i b = _mm256_permute4x64_epi64(_mm256_packs_epi16(w01, w23), 0xD8);
    b = _mm256_min_epi8(_mm256_max_epi8(b, act_min), act_max);
    if (n == kCt) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), b);
    } else if (n > 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm256_castsi256_si128(b));
      StoreBytes16(dst + 16, n - 16, _mm256_extracti128_si256(b, 1));
    } else {
      StoreBytes16(dst, n, _mm256_castsi256_si128(b));
    }
  }
};

// One tile of one output row. KH / KWG = 0: taken from p at run time (weights read from the tile as needed).
template <size_t KH, size_t KWG, typename Stage>
void TileRow(const DwconvRowParams& p, size_t t, const Stage& stage) {
  const uint8_t* tile = p.weights + t * p.weight_tile_bytes;
  const uint8_t* weights = tile + p.weights_offset;
  const size_t kh = KH != 0 ? KH : p.kh;
  const size_t kwg = KWG != 0 ? KWG : p.kw_groups;
  const size_t n = std::min(kCt, p.channels - t * kCt);
  const size_t step = p.entry_step * kEntryBytes, group = p.group_step * kEntryBytes;
  __m256i bias[4];
  for (size_t a = 0; a < 4; ++a) bias[a] = Load(tile + 32 * a);
  int8_t* dst = p.out + t * kCt;
  if constexpr (KH != 0 && KWG != 0) {
    __m256i w[KH][KWG][4];
    const uint8_t* rows[KH];
    for (size_t ky = 0; ky < KH; ++ky) {
      rows[ky] = p.rows[ky] + t * p.row_tile_bytes;
      for (size_t j = 0; j < KWG; ++j) {
        for (size_t a = 0; a < 4; ++a) w[ky][j][a] = Load(weights + (ky * KWG + j) * kEntryBytes + 32 * a);
      }
    }
    for (size_t ox = 0; ox < p.out_w; ++ox) {
      __m256i acc[4] = {bias[0], bias[1], bias[2], bias[3]};
      for (size_t ky = 0; ky < KH; ++ky) {
        const uint8_t* src = rows[ky] + ox * step;
        for (size_t j = 0; j < KWG; ++j) {
          for (size_t a = 0; a < 4; ++a) {
            acc[a] = _mm256_add_epi32(acc[a], _mm256_madd_epi16(Load(src + j * group + 32 * a), w[ky][j][a]));
          }
        }
      }
      stage.Store(acc, dst + ox * p.channels, n);
    }
  } else {
    for (size_t ox = 0; ox < p.out_w; ++ox) {
      __m256i acc[4] = {bias[0], bias[1], bias[2], bias[3]};
      const uint8_t* w = weights;
      for (size_t ky = 0; ky < kh; ++ky) {
        const uint8_t* src = p.rows[ky] + t * p.row_tile_bytes + ox * step;
        for (size_t j = 0; j < kwg; ++j, w += kEntryBytes, src += group) {
          for (size_t a = 0; a < 4; ++a) {
            acc[a] = _mm256_add_epi32(acc[a], _mm256_madd_epi16(Load(src + 32 * a), Load(w + 32 * a)));
          }
        }
      }
      stage.Store(acc, dst + ox * p.channels, n);
    }
  }
}

template <size_t KH, size_t KWG>
void RowAllTiles(const DwconvRowParams& p) {
  for (size_t t = 0; t < p.tiles; ++t) {
    const uint8_t* tile = p.weights + t * p.weight_tile_bytes;
    switch (p.output.profile) {
      case kProfileXnnpackFp32:
        TileRow<KH, KWG>(p, t, StageAvx2<FloatScaleAvx2>::Load(tile, p.output));
        break;
      case kProfileTfliteSingle:
        TileRow<KH, KWG>(p, t, StageAvx2<SingleRoundingAvx2>::Load(tile, p.output));
        break;
      default:
        if (p.left_shift) {
          TileRow<KH, KWG>(p, t, StageAvx2<DoubleRoundingAvx2>::Load(tile, p.output));
        } else {
          TileRow<KH, KWG>(p, t, StageAvx2<DoubleRoundingNoLeftAvx2>::Load(tile, p.output));
        }
        break;
    }
  }
}

}  // namespace

QINT8_DWCONV_PACK_ROW(qs8_dwconv_pack_row_32c2_avx2) {
  for (size_t t = 0; t < tiles; ++t) {
    uint8_t* dst = t_row + t * row_tile_bytes;
    for (size_t e = 0; e < entries; ++e, dst += kEntryBytes) {
      const int8_t* x0 = px[e * q] + t * kCt;
      const int8_t* x1 = px[e * q + d] + t * kCt;
      for (size_t b = 0; b < 2; ++b) {
        const __m256i lo = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x0 + 16 * b)));
        const __m256i hi = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x1 + 16 * b)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 64 * b), _mm256_unpacklo_epi16(lo, hi));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 64 * b + 32), _mm256_unpackhi_epi16(lo, hi));
      }
    }
  }
}

QINT8_DWCONV_ROW(qs8_dwconv_32c2_minmax_avx2) {
  if (p.kh == 3 && p.kw_groups == 2) return RowAllTiles<3, 2>(p);
  if (p.kh == 5 && p.kw_groups == 3) return RowAllTiles<5, 3>(p);
  RowAllTiles<0, 0>(p);
}

}  // namespace qint8
