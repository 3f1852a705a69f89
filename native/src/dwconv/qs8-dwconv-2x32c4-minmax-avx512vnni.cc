// AVX-512 VNNI depthwise kernel: 32-channel tiles taken two at a time (64 channels, one output pixel per zmm), a last
// odd tile alone (two pixels per zmm, or one per ymm), or, on input off a 64-byte line, windows shifted to its phase;
// taps in uint8 quads; exact 64-bit requantization (vpmuldq, vpsravq) of each profile. Compiled with the avx512vnni
// family's flags (F, BW, DQ, VL, VNNI) only.
//
// Preconditions (qint8/dwconv.h): tap rows written by this kernel's packers (which flip every byte, padding
// included: vpdpbusd is u8 x s8, four products per int32 lane, non-saturating, so exact (spec 5.6) on
// x ^ 0x80 = x + 128, whose extra 128 * sum w the packed bias removes); packed tiles from PackDwconvWeights with
// this kernel (lane order Avx512QuadOrder in dwconv.cc, constants from qs8_dwconv_pack_extra_32c4_avx512vnni);
// output zero point and clamp inside int8; an even number of tap-row entries. Fast paths: 3x3 and 5x5 filters, and
// 3x3 / 4x4 in pair mode, with weights held in registers; any other KH x KW loops. Phase mode (3x3 and 4x3 in
// pair mode, channels a multiple of 64, input 16, 32 or 48 bytes past a line; DwconvRowParams::phase_bytes): the
// windows start that many channels early, so that every 64-byte load of the input is aligned (split loads cost
// 9% of a 56x56x128 layer); window 0's first lanes hold the column before's last channels, with its taps shifted.
// Quads: (x[p], x[p+d], x[p+2d], x[p+3d]) along the width (pack_row), or in pair mode (stride 2) the 2x2 block
// (a[2e], a[2e+1], b[2e], b[2e+1]) of two rows (pack_row_pairs: 4 taps of 9 wasted on a 3x3 filter instead of 3 of
// 12, and each input byte stored once instead of twice). Within 32 bytes (one tile's accumulator a), lane order: the
// quads of channels 16h + 4a + (0..3) in 128-bit half h, which vpunpck{l,h}bw then vpunpck{l,h}wd of four
// 32-channel byte rows give, and which vpackssdw(0, 1), vpackssdw(2, 3) and vpacksswb of the two put back in channel
// order.
// Tap-row layouts, tile t at t * row_tile_bytes:
//   pair layout (tiles t, t + 1): 256 bytes per entry; for accumulator a, 64 bytes: tile t's 32, then t + 1's. One
//     zmm load is accumulator a of one pixel's 64 channels, so any stride and dilation reads whole vectors, and
//     the output stage stores 64 bytes at once.
//   blocked layout (a last odd tile): entries in blocks of two, 256 bytes per block; for accumulator a, 32 bytes
//     of the even entry then 32 of the odd one. Output pixels ox, ox + 1 share a zmm when StrideWidth / q == 1 and
//     the tap groups are an even number of entries apart (stride 1 and 2 outside pair mode); else pixel by pixel.

#include "../x86-intrinsics.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "dwconv-kernels.h"

#define QINT8_DW_INLINE inline __attribute__((always_inline))

namespace qint8 {
namespace {

constexpr size_t kCt = 32;
constexpr size_t kEntryBytes = kCt * 4;       // 128
constexpr size_t kBlockBytes = 2 * kEntryBytes;  // two entries (blocked layout)
constexpr size_t kPairEntryBytes = 2 * kEntryBytes;  // one entry of a tile pair (pair layout)

QINT8_DW_INLINE __m256i Load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
QINT8_DW_INLINE __m512i Load512(const uint8_t* p) { return _mm512_loadu_si512(p); }
QINT8_DW_INLINE __m512i Twice(__m256i v) { return _mm512_inserti64x4(_mm512_castsi256_si512(v), v, 1); }

// Accumulator a of entry e of a tap row (32 bytes); entry e's block, even entry first.
QINT8_DW_INLINE const uint8_t* EntryAcc(const uint8_t* row, size_t e, size_t a) {
  return row + (e >> 1) * kBlockBytes + 64 * a + 32 * (e & 1);
}

// The two 64-bit halves of 32-bit lanes as qword results back into one vector of int32 (the low dword of every
// qword: dwords 0, 2, 4, ... of each source, even lanes from `even`, odd lanes from `odd`).
QINT8_DW_INLINE __m256i InterleaveLowDwords(__m256i even, __m256i odd) {
  return _mm256_permutex2var_epi32(even, _mm256_setr_epi32(0, 8, 2, 10, 4, 12, 6, 14), odd);
}
QINT8_DW_INLINE __m512i InterleaveLowDwords(__m512i even, __m512i odd) {
  return _mm512_permutex2var_epi32(even, _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30), odd);
}

// ---- Requantization -------------------------------------------------------------------------------------------
// Each profile's constants for one accumulator (8 channels) are computed once per tile at packing time
// (qs8_dwconv_pack_extra_32c4_avx512vnni) as zmm with both 256-bit halves equal, so one register serves two pixels
// and its low half (a free cast) one pixel. ExtraIndex names the 14 vectors of an accumulator; even / odd are the
// channels of the even / odd 32-bit lanes, held in 64-bit lanes.
// After the 4 accumulators' vectors, one 64-byte block whose byte 0 says whether the tile (with its pair, see
// pack_extra) is a fast tile of DoubleRounding (kFastFlagOffset).
enum ExtraIndex : size_t {
  kXLeft, kXMulEven, kXMulOdd, kXRoundEven, kXRoundOdd, kXSignEven, kXSignOdd, kXCountEven, kXCountOdd,  // tflite-ref
  kXCountOddHigh,                                                             // tflite-ref, fast tiles
  kXRound1Even, kXRound1Odd, kXCount1Even, kXCount1Odd,                                            // tflite-single
  kXScale,                                                                                      // xnnpack-fp32
  kXExtraVectors,
};
constexpr size_t kFastFlagOffset = 4 * kXExtraVectors * 64;
static_assert(kDwconvExtraBytes32c4Avx512 == kFastFlagOffset + 64, "extra layout");

// Where a Stage finds its constants: vector i of accumulator a at base + (a * kXExtraVectors + i) * stride (a tile's
// extra bytes, or a phase window's constants: stride 64). The stride is a run-time value on purpose: with the
// constant 64, GCC keeps fewer constants in registers in the row loops (measured 3-5% slower).
struct Constants {
  const uint8_t* base;
  size_t stride;
  QINT8_DW_INLINE __m512i operator()(size_t a, ExtraIndex i) const {
    return _mm512_loadu_si512(base + (a * kXExtraVectors + i) * stride);
  }
};
QINT8_DW_INLINE __m256i Low(__m512i v) { return _mm512_castsi512_si256(v); }

// tflite-ref, MultiplyByQuantizedMultiplierDouble = RoundingDivideByPOT(SRDHM(x << left, m), right), in one
// 64-bit expression per lane. With p = (x << left) * m (exact, |p| < 2^62; x << left wraps modulo 2^32 as in
// fixedpoint.h) and right = r:
//   r = 0:  SRDHM alone, floor((p + 2^30) / 2^31).
//   r >= 1: floor((floor((p + 2^30) / 2^31) + 2^(r-1) - [y < 0]) / 2^r), y the SRDHM result: RoundingDivideByPOT
//           is round half away from zero, i.e. + 2^(r-1) then floor, one less for negative y. Nested floors of
//           integers merge: floor((p + 2^30 + 2^(30+r) - [y < 0] * 2^31) / 2^(31+r)). y < 0 iff p < -2^30, and
//           for -2^30 <= p < 0 both choices give 0; p < 0 iff x << left < 0 when m > 0, and for m = 0 (p = 0)
//           subtracting 2^31 still gives 0. So the test is the sign bit of x << left.
// So result = (p + K - [x < 0] * S) >> (31 + r) with K = 2^30 + (r ? 2^(30+r) : 0), S = r ? 2^31 : 0. The sign
// term costs no compare: bit 31 of a 64-bit lane holding x in its low half is x's sign, so x & S (S = 2^31 or 0)
// is it; the odd lanes' x sits shifted down for vpmuldq anyway. Per half: vpmuldq, vpaddq, vpandq, vpsubq,
// vpsravq. |p + K| < 2^62 + 2^61 + 2^30 never overflows, and the result fits int32 (it is the scalar's), so the
// low dword is it. Requires 0 <= m < 2^31, -31 <= shift <= 30. (A channel with m = 0 has y = 0 for any shift: its
// constants are made with shift -1.)
// Fast tiles (kFast: every channel's shift in [-22, -1], so 1 <= r <= 22): the odd half shifts by r - 1 = T - 32
// instead, which leaves its result in the high dword, and a vpblendmd (any ALU port) joins the halves instead of a
// vpermt2d (a shuffle port, which the tap rows' packing also needs). They also fold the output zero point into K:
// K + zp * 2^T gives y + zp exactly (|zp * 2^T| <= 2^60: no overflow), and |y| <= 2^30 + 1 (T >= 32) keeps y + zp
// inside int32, so the stage adds no zero point.
template <bool kLeft, bool kFast = false>
struct DoubleRounding {
  static constexpr bool kFoldsZeroPoint = kFast;
  __m512i left, m_even, m_odd, k_even, k_odd, s_even, s_odd, count_even, count_odd;  // count_odd: T - 32 if kFast

  template <typename Constants>
  static QINT8_DW_INLINE DoubleRounding Load(const Constants& c, size_t a) {
    return DoubleRounding{kLeft ? c(a, kXLeft) : _mm512_setzero_si512(), c(a, kXMulEven), c(a, kXMulOdd),
                          c(a, kXRoundEven), c(a, kXRoundOdd), c(a, kXSignEven), c(a, kXSignOdd),
                          c(a, kXCountEven), c(a, kFast ? kXCountOddHigh : kXCountOdd)};
  }
  // K += zp * 2^T (zp: the output zero point in every 64-bit lane; zp_high: zp * 2^32).
  QINT8_DW_INLINE void FoldZeroPoint(__m512i zp, __m512i zp_high) {
    k_even = _mm512_add_epi64(k_even, _mm512_sllv_epi64(zp, count_even));
    k_odd = _mm512_add_epi64(k_odd, _mm512_sllv_epi64(zp_high, count_odd));
  }
  QINT8_DW_INLINE __m512i Apply(__m512i x) const {
    if (kLeft) x = _mm512_sllv_epi32(x, left);
    const __m512i x_odd = _mm512_srli_epi64(x, 32);
    __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, m_even), k_even);
    __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(x_odd, m_odd), k_odd);
    even = _mm512_sub_epi64(even, _mm512_and_si512(x, s_even));
    odd = _mm512_sub_epi64(odd, _mm512_and_si512(x_odd, s_odd));
    if (kFast) {
      return _mm512_mask_blend_epi32(0xAAAA, _mm512_srav_epi64(even, count_even), _mm512_srav_epi64(odd, count_odd));
    }
    return InterleaveLowDwords(_mm512_srav_epi64(even, count_even), _mm512_srav_epi64(odd, count_odd));
  }
  QINT8_DW_INLINE __m256i Apply(__m256i x) const {
    if (kLeft) x = _mm256_sllv_epi32(x, Low(left));
    const __m256i x_odd = _mm256_srli_epi64(x, 32);
    __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, Low(m_even)), Low(k_even));
    __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(x_odd, Low(m_odd)), Low(k_odd));
    even = _mm256_sub_epi64(even, _mm256_and_si256(x, Low(s_even)));
    odd = _mm256_sub_epi64(odd, _mm256_and_si256(x_odd, Low(s_odd)));
    if (kFast) {
      return _mm256_mask_blend_epi32(0xAA, _mm256_srav_epi64(even, Low(count_even)), _mm256_srav_epi64(odd, Low(count_odd)));
    }
    return InterleaveLowDwords(_mm256_srav_epi64(even, Low(count_even)), _mm256_srav_epi64(odd, Low(count_odd)));
  }
};

// tflite-single: (x*m + 2^(30-shift)) >> (31-shift) in 64 bits (vpmuldq, vpaddq, vpsravq with counts in [1, 62]),
// narrowed by two's complement wrap (the low dword). |x*m| < 2^62 and the rounding term is <= 2^61: no overflow.
struct SingleRounding {
  static constexpr bool kFoldsZeroPoint = false;
  __m512i m_even, m_odd, round_even, round_odd, count_even, count_odd;

  template <typename Constants>
  static QINT8_DW_INLINE SingleRounding Load(const Constants& c, size_t a) {
    return SingleRounding{c(a, kXMulEven),    c(a, kXMulOdd),    c(a, kXRound1Even),
                          c(a, kXRound1Odd),  c(a, kXCount1Even), c(a, kXCount1Odd)};
  }
  QINT8_DW_INLINE __m512i Apply(__m512i x) const {
    const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, m_even), round_even);
    const __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), m_odd), round_odd);
    return InterleaveLowDwords(_mm512_srav_epi64(even, count_even), _mm512_srav_epi64(odd, count_odd));
  }
  QINT8_DW_INLINE __m256i Apply(__m256i x) const {
    const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, Low(m_even)), Low(round_even));
    const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), Low(m_odd)), Low(round_odd));
    return InterleaveLowDwords(_mm256_srav_epi64(even, Low(count_even)), _mm256_srav_epi64(odd, Low(count_odd)));
  }
};

// xnnpack-fp32: round_half_even(f32(f32(x) * scale)) saturated to int32 (MultiplyByFloatScale). vcvtdq2ps and
// vcvtps2dq round to nearest even as the scalar casts do; vcvtps2dq gives INT32_MIN for NaN and every value out
// of range, the scalar answer except for values >= 2^31, which are patched to INT32_MAX.
struct FloatScale {
  static constexpr bool kFoldsZeroPoint = false;
  __m512 scale;

  template <typename Constants>
  static QINT8_DW_INLINE FloatScale Load(const Constants& c, size_t a) {
    return FloatScale{_mm512_castsi512_ps(c(a, kXScale))};
  }
  QINT8_DW_INLINE __m512i Apply(__m512i x) const {
    const __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(x), scale);
    const __mmask16 too_big = _mm512_cmp_ps_mask(y, _mm512_set1_ps(2147483648.0f), _CMP_GE_OQ);
    return _mm512_mask_mov_epi32(_mm512_cvtps_epi32(y), too_big, _mm512_set1_epi32(std::numeric_limits<int32_t>::max()));
  }
  QINT8_DW_INLINE __m256i Apply(__m256i x) const {
    const __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(x), _mm512_castps512_ps256(scale));
    const __mmask8 too_big = _mm256_cmp_ps_mask(y, _mm256_set1_ps(2147483648.0f), _CMP_GE_OQ);
    return _mm256_mask_mov_epi32(_mm256_cvtps_epi32(y), too_big, _mm256_set1_epi32(std::numeric_limits<int32_t>::max()));
  }
};

// The output stage of a tile: 4 accumulators (8 int32 lanes per pixel) -> requantized -> 32 int8 per pixel in
// channel order. vpackssdw saturates to int16, vpaddsw adds the zero point, vpacksswb saturates to int8, vpmaxsb /
// vpminsb clamp; with |zero point| <= 128 that equals clamp(y + zero point, act_min, act_max) for every int32 y (an
// int16-saturated y plus the zero point leaves [-128, 127] exactly when y + zero point does, on the same side).
// The requantization constants are read from the tile's extra bytes where they are used (Rq), not copied into the
// Stage: four accumulators' worth do not fit in registers, and a copy cost as much as a narrow row's pixels.
// Requantizations that fold the zero point (Requant::kFoldsZeroPoint) get it in their constants from Rq instead.
template <typename Requant>
struct Stage {
  Constants constants;
  __m512i zero_point, act_min, act_max;
  __m512i zero_point64, zero_point64_high;  // zp and zp * 2^32 in 64-bit lanes (folding requantizations)

  QINT8_DW_INLINE Requant Rq(size_t a) const {
    Requant r = Requant::Load(constants, a);
    if constexpr (Requant::kFoldsZeroPoint) r.FoldZeroPoint(zero_point64, zero_point64_high);
    return r;
  }
  QINT8_DW_INLINE __m512i AddZeroPoint(__m512i w) const {
    return Requant::kFoldsZeroPoint ? w : _mm512_adds_epi16(w, zero_point);
  }
  QINT8_DW_INLINE __m256i AddZeroPoint(__m256i w) const {
    return Requant::kFoldsZeroPoint ? w : _mm256_adds_epi16(w, Low(zero_point));
  }

  static QINT8_DW_INLINE Stage Load(const Constants& constants, const DwconvOutput& o) {
    Stage s;
    s.constants = constants;
    s.zero_point64 = _mm512_set1_epi64(o.output_zero_point);
    s.zero_point64_high = _mm512_slli_epi64(s.zero_point64, 32);
    s.zero_point = _mm512_set1_epi16(static_cast<int16_t>(o.output_zero_point));
    s.act_min = _mm512_set1_epi8(static_cast<int8_t>(o.activation_min));
    s.act_max = _mm512_set1_epi8(static_cast<int8_t>(o.activation_max));
    return s;
  }

  // One pixel: 32 channels at dst (the first n of them: `mask`).
  QINT8_DW_INLINE void Store(const __m256i (&acc)[4], int8_t* dst, __mmask32 mask) const {
    const __m256i w01 = AddZeroPoint(_mm256_packs_epi32(Rq(0).Apply(acc[0]), Rq(1).Apply(acc[1])));
    const __m256i w23 = AddZeroPoint(_mm256_packs_epi32(Rq(2).Apply(acc[2]), Rq(3).Apply(acc[3])));
    const __m256i b = _mm256_min_epi8(_mm256_max_epi8(_mm256_packs_epi16(w01, w23), Low(act_min)), Low(act_max));
    _mm256_mask_storeu_epi8(dst, mask, b);
  }

  // Half of a two-pixel output stage: accumulators a0, a0 + 1 requantized, narrowed to int16 with the zero point
  // added; vpacksswb of halves 0-1 and 2-3 gives the bytes of both pixels in channel order.
  QINT8_DW_INLINE __m512i Half(__m512i acc_a, __m512i acc_b, const Requant& ra, const Requant& rb) const {
    return AddZeroPoint(_mm512_packs_epi32(ra.Apply(acc_a), rb.Apply(acc_b)));
  }
  // Two pixels (low and high 256 bits) at dst and dst + stride; `contiguous` when the tile is the whole pixel
  // (stride == 32), so one 64-byte store writes both.
  QINT8_DW_INLINE void StoreHalves(__m512i w01, __m512i w23, int8_t* dst, size_t stride, __mmask32 mask,
                                   bool contiguous) const {
    const __m512i b = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(w01, w23), act_min), act_max);
    if (contiguous) {
      _mm512_storeu_si512(dst, b);
    } else if (mask == ~__mmask32{0}) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm512_castsi512_si256(b));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + stride), _mm512_extracti64x4_epi64(b, 1));
    } else {
      _mm256_mask_storeu_epi8(dst, mask, _mm512_castsi512_si256(b));
      _mm256_mask_storeu_epi8(dst + stride, mask, _mm512_extracti64x4_epi64(b, 1));
    }
  }
  // One pixel of a 64-channel window (PairRow): its bytes in lane order, clamped; the window stores them.
  QINT8_DW_INLINE __m512i Bytes(__m512i w01, __m512i w23) const {
    return _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(w01, w23), act_min), act_max);
  }
  QINT8_DW_INLINE void Store2(const __m512i (&acc)[4], int8_t* dst, size_t stride, __mmask32 mask, bool contiguous) const {
    StoreHalves(Half(acc[0], acc[1], Rq(0), Rq(1)), Half(acc[2], acc[3], Rq(2), Rq(3)), dst, stride, mask, contiguous);
  }
};

// The quad transpose of pack_row on one tile (ymm: 32 channels) or two neighbouring tiles at once (zmm: 64 channels,
// tile t in the low 256 bits, t + 1 in the high ones). vpunpck works within 128-bit lanes, so each 256-bit half of a
// zmm result is exactly the ymm result of its tile: the wide form halves the loads, flips and shuffles per tile.
struct QuadsYmm {
  using V = __m256i;
  static QINT8_DW_INLINE V Pixel(const int8_t* p) {
    return _mm256_xor_si256(Load(reinterpret_cast<const uint8_t*>(p)), _mm256_set1_epi8(static_cast<char>(0x80)));
  }
  static QINT8_DW_INLINE V Lo8(V u, V v) { return _mm256_unpacklo_epi8(u, v); }
  static QINT8_DW_INLINE V Hi8(V u, V v) { return _mm256_unpackhi_epi8(u, v); }
  static QINT8_DW_INLINE V Lo16(V u, V v) { return _mm256_unpacklo_epi16(u, v); }
  static QINT8_DW_INLINE V Hi16(V u, V v) { return _mm256_unpackhi_epi16(u, v); }
  static QINT8_DW_INLINE uint8_t* Entry(uint8_t* row, size_t e) { return const_cast<uint8_t*>(EntryAcc(row, e, 0)); }
  static QINT8_DW_INLINE void Store(uint8_t* dst, V v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), v); }
};
struct QuadsZmm {
  using V = __m512i;
  static QINT8_DW_INLINE V Pixel(const int8_t* p) {
    return _mm512_xor_si512(Load512(reinterpret_cast<const uint8_t*>(p)), _mm512_set1_epi8(static_cast<char>(0x80)));
  }
  static QINT8_DW_INLINE V Lo8(V u, V v) { return _mm512_unpacklo_epi8(u, v); }
  static QINT8_DW_INLINE V Hi8(V u, V v) { return _mm512_unpackhi_epi8(u, v); }
  static QINT8_DW_INLINE V Lo16(V u, V v) { return _mm512_unpacklo_epi16(u, v); }
  static QINT8_DW_INLINE V Hi16(V u, V v) { return _mm512_unpackhi_epi16(u, v); }
  static QINT8_DW_INLINE uint8_t* Entry(uint8_t* row, size_t e) { return row + e * kPairEntryBytes; }
  static QINT8_DW_INLINE void Store(uint8_t* dst, V v) { _mm512_storeu_si512(dst, v); }
};

// Entry e from the byte-interleaved pixel pairs (taps 0, 1) and (taps 2, 3), low and high halves: the second half
// of the transpose.
template <typename Q>
QINT8_DW_INLINE void StoreQuads(uint8_t* row, size_t e, typename Q::V lo01, typename Q::V hi01, typename Q::V lo23,
                                typename Q::V hi23) {
  uint8_t* dst = Q::Entry(row, e);
  Q::Store(dst, Q::Lo16(lo01, lo23));
  Q::Store(dst + 64, Q::Hi16(lo01, lo23));
  Q::Store(dst + 128, Q::Lo16(hi01, hi23));
  Q::Store(dst + 192, Q::Hi16(hi01, hi23));
}

// Packs the entries of one tile (Q = QuadsYmm) or two (QuadsZmm) starting at channel c into `row` (the first tile's
// entries; the second's are row_tile_bytes further). Entry e's taps are pixels e*q + g*d. When q == d (stride 1)
// entry e + 1 shares pixels and pixel pairs with e, when q == 2d (stride 2) entry e + 1's first pair is entry e's
// second: each pixel is loaded and flipped once and each pair interleaved once (6 shuffles per entry instead of 8).
template <typename Q>
QINT8_DW_INLINE void PackQuads(const int8_t* const* px, size_t c, size_t entries, size_t q, size_t d, uint8_t* row) {
  using V = typename Q::V;
  struct Pair {
    V lo, hi;  // a pair of flipped pixel rows (u, v) interleaved byte by byte: the first half of the transpose
  };
  const auto pixel = [&](size_t i) { return Q::Pixel(px[i] + c); };
  const auto interleave = [](V u, V v) { return Pair{Q::Lo8(u, v), Q::Hi8(u, v)}; };
  const auto store = [&](size_t e, const Pair& p01, const Pair& p23) { StoreQuads<Q>(row, e, p01.lo, p01.hi, p23.lo, p23.hi); };
  if (q == d) {
    // Pairs (k, k+1) in units of d: entry e = pairs e and e + 2.
    V u2 = pixel(2 * d);
    Pair p0 = interleave(pixel(0), pixel(d)), p1 = interleave(pixel(d), u2);
    for (size_t e = 0; e < entries; ++e) {
      const V u3 = pixel((e + 3) * d);
      const Pair p2 = interleave(u2, u3);
      store(e, p0, p2);
      p0 = p1;
      p1 = p2;
      u2 = u3;
    }
  } else if (q == 2 * d) {
    Pair p0 = interleave(pixel(0), pixel(d));
    for (size_t e = 0; e < entries; ++e) {
      const size_t i = e * q + 2 * d;
      const Pair p1 = interleave(pixel(i), pixel(i + d));
      store(e, p0, p1);
      p0 = p1;
    }
  } else {
    for (size_t e = 0; e < entries; ++e) {
      const size_t i = e * q;
      store(e, interleave(pixel(i), pixel(i + d)), interleave(pixel(i + 2 * d), pixel(i + 3 * d)));
    }
  }
}

// Pair mode: entries [e0, e1) of a tile (QuadsYmm) or tile pair (QuadsZmm) starting at channel c, from the 2x2
// quads (a[2e], a[2e+1], b[2e], b[2e+1]). In phase mode c may be negative: window 0 starts in the column before.
template <typename Q>
QINT8_DW_INLINE void PackPairQuads(const int8_t* const* px_a, const int8_t* const* px_b, ptrdiff_t c, size_t e0,
                                   size_t e1, uint8_t* row) {
  for (size_t e = e0; e < e1; ++e) {
    const typename Q::V a0 = Q::Pixel(px_a[2 * e] + c), a1 = Q::Pixel(px_a[2 * e + 1] + c);
    const typename Q::V b0 = Q::Pixel(px_b[2 * e] + c), b1 = Q::Pixel(px_b[2 * e + 1] + c);
    StoreQuads<Q>(row, e, Q::Lo8(a0, a1), Q::Hi8(a0, a1), Q::Lo8(b0, b1), Q::Hi8(b0, b1));
  }
}

// The pack-ahead work of the tile (Q = QuadsYmm) or window (QuadsZmm) whose tap rows start at tile t and whose
// channels start at `channel`: entries [e0, e1), clipped to the row's entries.
template <typename Q>
QINT8_DW_INLINE void PackAhead(const DwconvRowParams& p, size_t t, ptrdiff_t channel, size_t e0, size_t e1) {
  const DwconvRowParams::PackAhead& ahead = p.pack_ahead;
  if (ahead.px_a == nullptr) return;
  PackPairQuads<Q>(ahead.px_a, ahead.px_b, channel, e0, std::min(e1, ahead.entries),
                   ahead.t_row + t * p.row_tile_bytes);
}

// One tile of one output row. KH / KWG = 0: taken from p at run time (weights read from the tile as needed).
template <size_t KH, size_t KWG, typename S>
void TileRow(const DwconvRowParams& p, size_t t, const S& stage) {
  PackAhead<QuadsYmm>(p, t, static_cast<ptrdiff_t>(t * kCt), 0, p.pack_ahead.entries);
  const uint8_t* tile = p.weights + t * p.weight_tile_bytes;
  const uint8_t* weights = tile + p.weights_offset;
  const size_t kh = KH != 0 ? KH : p.kh;
  const size_t kwg = KWG != 0 ? KWG : p.kw_groups;
  const size_t n = std::min(kCt, p.channels - t * kCt);
  const __mmask32 mask = n >= 32 ? ~__mmask32{0} : (__mmask32{1} << n) - 1;
  const size_t es = p.entry_step, gs = p.group_step;
  const bool pairs = es == 1 && (kwg == 1 || gs % 2 == 0);
  const bool contiguous = p.channels == kCt;
  __m256i bias[4];
  for (size_t a = 0; a < 4; ++a) bias[a] = Load(tile + 32 * a);
  int8_t* dst = p.out + t * kCt;
  size_t ox = 0;
  if constexpr (KH != 0 && KWG != 0) {
    const uint8_t* rows[KH];
    for (size_t ky = 0; ky < KH; ++ky) rows[ky] = p.rows[ky] + t * p.row_tile_bytes;
    if (pairs) {
      // Two passes over chunks of pixel pairs, accumulators 0-1 then 2-3, so that each pass holds its weights and
      // requantization constants in registers (all four at once spill to memory operands): the first pass parks its
      // int16 half in `half01`, the second combines and stores.
      constexpr size_t kChunkPairs = 32;
      alignas(64) __m512i half01[kChunkPairs];
      const size_t pair_end = p.out_w & ~size_t{1};
      for (size_t chunk = 0; chunk < pair_end; chunk += 2 * kChunkPairs) {
        const size_t chunk_end = std::min(pair_end, chunk + 2 * kChunkPairs);
        {
          __m512i w[KH][KWG][2];
          for (size_t ky = 0; ky < KH; ++ky) {
            for (size_t j = 0; j < KWG; ++j) {
              for (size_t a = 0; a < 2; ++a) w[ky][j][a] = Twice(Load(weights + (ky * KWG + j) * kEntryBytes + 32 * a));
            }
          }
          const __m512i b0 = Twice(bias[0]), b1 = Twice(bias[1]);
          const auto r0 = stage.Rq(0), r1 = stage.Rq(1);
          for (size_t x = chunk; x < chunk_end; x += 2) {
            __m512i acc0 = b0, acc1 = b1;
            for (size_t ky = 0; ky < KH; ++ky) {
              for (size_t j = 0; j < KWG; ++j) {
                const uint8_t* src = rows[ky] + ((x + j * gs) >> 1) * kBlockBytes;
                acc0 = _mm512_dpbusd_epi32(acc0, Load512(src), w[ky][j][0]);
                acc1 = _mm512_dpbusd_epi32(acc1, Load512(src + 64), w[ky][j][1]);
              }
            }
            half01[(x - chunk) >> 1] = stage.Half(acc0, acc1, r0, r1);
          }
        }
        {
          __m512i w[KH][KWG][2];
          for (size_t ky = 0; ky < KH; ++ky) {
            for (size_t j = 0; j < KWG; ++j) {
              for (size_t a = 0; a < 2; ++a) w[ky][j][a] = Twice(Load(weights + (ky * KWG + j) * kEntryBytes + 32 * (a + 2)));
            }
          }
          const __m512i b2 = Twice(bias[2]), b3 = Twice(bias[3]);
          const auto r2 = stage.Rq(2), r3 = stage.Rq(3);
          for (size_t x = chunk; x < chunk_end; x += 2) {
            __m512i acc2 = b2, acc3 = b3;
            for (size_t ky = 0; ky < KH; ++ky) {
              for (size_t j = 0; j < KWG; ++j) {
                const uint8_t* src = rows[ky] + ((x + j * gs) >> 1) * kBlockBytes;
                acc2 = _mm512_dpbusd_epi32(acc2, Load512(src + 128), w[ky][j][0]);
                acc3 = _mm512_dpbusd_epi32(acc3, Load512(src + 192), w[ky][j][1]);
              }
            }
            stage.StoreHalves(half01[(x - chunk) >> 1], stage.Half(acc2, acc3, r2, r3), dst + x * p.channels, p.channels,
                              mask, contiguous);
          }
        }
      }
      ox = pair_end;
    }
    __m256i w[KH][KWG][4];
    for (size_t ky = 0; ky < KH; ++ky) {
      for (size_t j = 0; j < KWG; ++j) {
        for (size_t a = 0; a < 4; ++a) w[ky][j][a] = Load(weights + (ky * KWG + j) * kEntryBytes + 32 * a);
      }
    }
    for (; ox < p.out_w; ++ox) {
      __m256i acc[4] = {bias[0], bias[1], bias[2], bias[3]};
      for (size_t ky = 0; ky < KH; ++ky) {
        for (size_t j = 0; j < KWG; ++j) {
          const size_t e = ox * es + j * gs;
          for (size_t a = 0; a < 4; ++a) acc[a] = _mm256_dpbusd_epi32(acc[a], Load(EntryAcc(rows[ky], e, a)), w[ky][j][a]);
        }
      }
      stage.Store(acc, dst + ox * p.channels, mask);
    }
  } else {
    if (pairs) {
      const __m512i bias2[4] = {Twice(bias[0]), Twice(bias[1]), Twice(bias[2]), Twice(bias[3])};
      for (; ox + 2 <= p.out_w; ox += 2) {
        __m512i acc[4] = {bias2[0], bias2[1], bias2[2], bias2[3]};
        const uint8_t* w = weights;
        for (size_t ky = 0; ky < kh; ++ky) {
          const uint8_t* row = p.rows[ky] + t * p.row_tile_bytes;
          for (size_t j = 0; j < kwg; ++j, w += kEntryBytes) {
            const uint8_t* src = row + ((ox + j * gs) >> 1) * kBlockBytes;
            for (size_t a = 0; a < 4; ++a) {
              acc[a] = _mm512_dpbusd_epi32(acc[a], Load512(src + 64 * a), Twice(Load(w + 32 * a)));
            }
          }
        }
        stage.Store2(acc, dst + ox * p.channels, p.channels, mask, contiguous);
      }
    }
    for (; ox < p.out_w; ++ox) {
      __m256i acc[4] = {bias[0], bias[1], bias[2], bias[3]};
      const uint8_t* w = weights;
      for (size_t ky = 0; ky < kh; ++ky) {
        const uint8_t* row = p.rows[ky] + t * p.row_tile_bytes;
        for (size_t j = 0; j < kwg; ++j, w += kEntryBytes) {
          const size_t e = ox * es + j * gs;
          for (size_t a = 0; a < 4; ++a) acc[a] = _mm256_dpbusd_epi32(acc[a], Load(EntryAcc(row, e, a)), Load(w + 32 * a));
        }
      }
      stage.Store(acc, dst + ox * p.channels, mask);
    }
  }
}

// The 64 channels one PairRow call computes, with where their weights, bias' and tap rows are and how a pixel's
// bytes are stored. Weight(tap, a) / Bias(a): accumulator a's vector (tap = ky * KWG + j); t: the tile whose tap-row
// slot the window's entries use; Channel(): the window's first channel.
// Tile pair t, t + 1: each vector two 32-byte halves, one per tile.
struct TilePairWindow {
  const uint8_t* tile0;
  const uint8_t* tile1;
  size_t weights_offset;
  size_t t;
  __mmask64 mask;  // the channels stored (fewer than 64 when the second tile is the layer's last, partial one)

  static QINT8_DW_INLINE __m512i Halves(const uint8_t* lo, const uint8_t* hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(Load(lo)), Load(hi), 1);
  }
  QINT8_DW_INLINE __m512i Bias(size_t a) const { return Halves(tile0 + 32 * a, tile1 + 32 * a); }
  QINT8_DW_INLINE __m512i Weight(size_t tap, size_t a) const {
    const size_t offset = weights_offset + tap * kEntryBytes + 32 * a;
    return Halves(tile0 + offset, tile1 + offset);
  }
  QINT8_DW_INLINE ptrdiff_t Channel() const { return static_cast<ptrdiff_t>(t * kCt); }
  // `pixel`: the output pixel's channel 0.
  QINT8_DW_INLINE void Store(__m512i b, int8_t* pixel) const {
    if (mask == ~__mmask64{0}) {
      _mm512_storeu_si512(pixel + t * kCt, b);
    } else {
      _mm512_mask_storeu_epi8(pixel + t * kCt, mask, b);
    }
  }
};

// Phase mode, window j (channels from 64j - phase, see DwconvRowParams::phase_bytes): the vectors of its block
// (PhaseLayout, the layout of WeightVector). Window 0 (split) holds in its first phase / 16 lanes the pixel's last
// `phase` channels, so it stores its bytes in two parts: lanes phase / 16 .. 3 to channels 0 .. 63 - phase, the
// rest to the end of the pixel.
struct PhaseWindow {
  const uint8_t* block;
  size_t t;
  ptrdiff_t channel;
  size_t split;        // phase bytes when this is window 0, else 0
  size_t pixel_bytes;  // the output's channels

  QINT8_DW_INLINE __m512i Bias(size_t a) const { return _mm512_load_si512(block + 64 * a); }
  QINT8_DW_INLINE __m512i Weight(size_t tap, size_t a) const {
    return _mm512_load_si512(block + 64 * (4 + 4 * tap + a));
  }
  QINT8_DW_INLINE ptrdiff_t Channel() const { return channel; }
  QINT8_DW_INLINE void Store(__m512i b, int8_t* pixel) const {
    if (split == 0) {
      _mm512_storeu_si512(pixel + channel, b);
    } else {
      // Byte i of b goes to pixel - split + i (i >= split: a masked store), or to pixel + pixel_bytes - split + i
      // (i < split: the low 16 or 32 bytes, or masked). Nothing outside the pixel is written.
      const __mmask64 head = (__mmask64{1} << split) - 1;
      _mm512_mask_storeu_epi8(pixel - split, ~head, b);
      int8_t* tail = pixel + pixel_bytes - split;
      if (split == 16) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(tail), _mm512_castsi512_si128(b));
      } else if (split == 32) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(tail), _mm512_castsi512_si256(b));
      } else {
        _mm512_mask_storeu_epi8(tail, head, b);
      }
    }
  }
};

// One 64-channel window of one output row, one pixel per zmm, from tap rows in the pair layout (PackQuads<QuadsZmm>
// or PackPairQuads<QuadsZmm>). Any stride and dilation. KH / KWG = 0: taken from p at run time.
template <size_t KH, size_t KWG, typename S, typename W>
void PairRow(const DwconvRowParams& p, const W& window, const S& stage) {
  const W win = window;  // a local copy: the int8 stores below could alias the caller's, which forces reloads
  const size_t es = p.entry_step, gs = p.group_step;
  const size_t t = win.t;
  const ptrdiff_t channel = win.Channel();
  if constexpr (KH != 0 && KWG != 0) {
    const uint8_t* rows[KH];
    for (size_t ky = 0; ky < KH; ++ky) rows[ky] = p.rows[ky] + t * p.row_tile_bytes;
    // Two passes over chunks of pixels, accumulators 0-1 then 2-3, so that each pass holds its weights and
    // requantization constants in registers: the first parks its int16 half in `half01`, the second stores.
    constexpr size_t kChunk = 32;
    alignas(64) __m512i half01[kChunk];
    for (size_t chunk = 0; chunk < p.out_w; chunk += kChunk) {
      const size_t chunk_end = std::min(p.out_w, chunk + kChunk);
      {
        __m512i w[KH][KWG][2];
        for (size_t ky = 0; ky < KH; ++ky) {
          for (size_t j = 0; j < KWG; ++j) {
            for (size_t a = 0; a < 2; ++a) w[ky][j][a] = win.Weight(ky * KWG + j, a);
          }
        }
        const __m512i b0 = win.Bias(0), b1 = win.Bias(1);
        const auto r0 = stage.Rq(0), r1 = stage.Rq(1);
        for (size_t x = chunk; x < chunk_end; ++x) {
          __m512i acc0 = b0, acc1 = b1;
          for (size_t ky = 0; ky < KH; ++ky) {
            for (size_t j = 0; j < KWG; ++j) {
              const uint8_t* src = rows[ky] + (x * es + j * gs) * kPairEntryBytes;
              acc0 = _mm512_dpbusd_epi32(acc0, Load512(src), w[ky][j][0]);
              acc1 = _mm512_dpbusd_epi32(acc1, Load512(src + 64), w[ky][j][1]);
            }
          }
          half01[x - chunk] = stage.Half(acc0, acc1, r0, r1);
          PackAhead<QuadsZmm>(p, t, channel, x, x + 1);
        }
      }
      {
        __m512i w[KH][KWG][2];
        for (size_t ky = 0; ky < KH; ++ky) {
          for (size_t j = 0; j < KWG; ++j) {
            for (size_t a = 0; a < 2; ++a) w[ky][j][a] = win.Weight(ky * KWG + j, a + 2);
          }
        }
        const __m512i b2 = win.Bias(2), b3 = win.Bias(3);
        const auto r2 = stage.Rq(2), r3 = stage.Rq(3);
        for (size_t x = chunk; x < chunk_end; ++x) {
          __m512i acc2 = b2, acc3 = b3;
          for (size_t ky = 0; ky < KH; ++ky) {
            for (size_t j = 0; j < KWG; ++j) {
              const uint8_t* src = rows[ky] + (x * es + j * gs) * kPairEntryBytes;
              acc2 = _mm512_dpbusd_epi32(acc2, Load512(src + 128), w[ky][j][0]);
              acc3 = _mm512_dpbusd_epi32(acc3, Load512(src + 192), w[ky][j][1]);
            }
          }
          win.Store(stage.Bytes(half01[x - chunk], stage.Half(acc2, acc3, r2, r3)), p.out + x * p.channels);
        }
      }
    }
    PackAhead<QuadsZmm>(p, t, channel, p.out_w, p.pack_ahead.entries);
  } else {
    PackAhead<QuadsZmm>(p, t, channel, 0, p.pack_ahead.entries);
    const __m512i bias[4] = {win.Bias(0), win.Bias(1), win.Bias(2), win.Bias(3)};
    for (size_t ox = 0; ox < p.out_w; ++ox) {
      __m512i acc[4] = {bias[0], bias[1], bias[2], bias[3]};
      for (size_t ky = 0, tap = 0; ky < p.kh; ++ky) {
        const uint8_t* row = p.rows[ky] + t * p.row_tile_bytes;
        for (size_t j = 0; j < p.kw_groups; ++j, ++tap) {
          const uint8_t* src = row + (ox * es + j * gs) * kPairEntryBytes;
          for (size_t a = 0; a < 4; ++a) {
            acc[a] = _mm512_dpbusd_epi32(acc[a], Load512(src + 64 * a), win.Weight(tap, a));
          }
        }
      }
      const __m512i w01 = stage.Half(acc[0], acc[1], stage.Rq(0), stage.Rq(1));
      const __m512i w23 = stage.Half(acc[2], acc[3], stage.Rq(2), stage.Rq(3));
      win.Store(stage.Bytes(w01, w23), p.out + ox * p.channels);
    }
  }
}

// Phase mode's packed windows (qs8_dwconv_pack_phase_windows_32c4_avx512vnni): for each phase f = 16, 32, 48 and
// window j (channels 64j - f .. 64j - f + 63), a block of 64-byte vectors laid out as a tile pair's would be: lane
// l of a vector holds 16-channel group g = 4j - f / 16 + l (lane i of accumulator a: channel 16g + 4a + i). Groups
// g < 0 are the last -g groups of the layer read one column earlier: their taps are kx - 1. Block vectors: 4 of
// bias' (a), 4 per pair-mode tap (4 + 4 * tap + a: the 2x2-quad weights), 4 x kXExtraVectors of constants. After
// each phase's blocks, 64 bytes whose byte 0 says whether every channel is fast for DoubleRounding.
struct PhaseLayout {
  size_t taps, windows;
  PhaseLayout(size_t tiles, size_t pair_taps) : taps(pair_taps), windows(tiles / 2) {}
  size_t WeightVector(size_t tap, size_t a) const { return 4 + 4 * tap + a; }
  size_t ConstantsVector() const { return 4 + 4 * taps; }
  size_t WindowBytes() const { return (ConstantsVector() + 4 * kXExtraVectors) * 64; }
  size_t FlagOffset() const { return windows * WindowBytes(); }
  size_t PhaseBytes() const { return FlagOffset() + 64; }
  size_t Offset(size_t phase_bytes) const { return (phase_bytes / 16 - 1) * PhaseBytes(); }  // of the phase's blocks
};

// Tile pair t, t + 1 (the pair layout), or a last odd tile alone (the blocked layout, two pixels per zmm).
template <size_t KH, size_t KWG, typename S>
QINT8_DW_INLINE void PairOrTileRow(const DwconvRowParams& p, size_t t, const S& stage) {
  if (t + 2 <= p.tiles) {
    const uint8_t* tile0 = p.weights + t * p.weight_tile_bytes;
    const size_t n = std::min(2 * kCt, p.channels - t * kCt);
    PairRow<KH, KWG>(p, TilePairWindow{tile0, tile0 + p.weight_tile_bytes, p.weights_offset, t,
                                       n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1}, stage);
  } else {
    TileRow<KH, KWG>(p, t, stage);
  }
}

// Phase mode, window j: its block of the call's phase (PhaseLayout).
template <size_t KH, size_t KWG, typename S>
QINT8_DW_INLINE void PhaseWindowRow(const DwconvRowParams& p, const uint8_t* block, size_t j, const S& stage) {
  PairRow<KH, KWG>(p, PhaseWindow{block, 2 * j, static_cast<ptrdiff_t>(64 * j) - static_cast<ptrdiff_t>(p.phase_bytes),
                                  j == 0 ? p.phase_bytes : 0, p.channels}, stage);
}

// Phase mode: the windows of the call's phase, each with the Stage of the profile. A function of its own (and the
// profile switch written out, not a generic lambda), so that GCC inlines the row functions into both this and
// RowAllTiles: measured, either change cost the tile path 0.2-0.5 us per call of a 576-channel layer.
template <size_t KH, size_t KWG>
__attribute__((noinline)) void RowPhaseWindows(const DwconvRowParams& p) {
  const PhaseLayout layout(p.tiles, p.kh * p.kw_groups);
  const uint8_t* blocks = p.phase_windows + layout.Offset(p.phase_bytes);
  const bool fast = blocks[layout.FlagOffset()] != 0;
  for (size_t j = 0; j < layout.windows; ++j) {
    const uint8_t* block = blocks + j * layout.WindowBytes();
    const Constants c{block + 64 * layout.ConstantsVector(), 64};
    switch (p.output.profile) {
      case kProfileXnnpackFp32:
        PhaseWindowRow<KH, KWG>(p, block, j, Stage<FloatScale>::Load(c, p.output));
        break;
      case kProfileTfliteSingle:
        PhaseWindowRow<KH, KWG>(p, block, j, Stage<SingleRounding>::Load(c, p.output));
        break;
      default:
        if (p.left_shift) {
          PhaseWindowRow<KH, KWG>(p, block, j, Stage<DoubleRounding<true>>::Load(c, p.output));
        } else if (fast) {
          PhaseWindowRow<KH, KWG>(p, block, j, Stage<DoubleRounding<false, true>>::Load(c, p.output));
        } else {
          PhaseWindowRow<KH, KWG>(p, block, j, Stage<DoubleRounding<false>>::Load(c, p.output));
        }
        break;
    }
  }
}

// Tile pairs and a last odd tile; or, in phase mode, the 64-channel windows of the call's phase.
template <size_t KH, size_t KWG>
void RowAllTiles(const DwconvRowParams& p) {
  if constexpr (KH == 2 && KWG == 2) {  // phase mode exists for these filters only
    if (p.phase_bytes != 0) return RowPhaseWindows<KH, KWG>(p);
  }
  for (size_t t = 0; t < p.tiles; t += 2) {
    const uint8_t* extra = p.weights + (t + 1) * p.weight_tile_bytes - kDwconvExtraBytes32c4Avx512;
    const Constants c{extra, 64};
    switch (p.output.profile) {
      case kProfileXnnpackFp32:
        PairOrTileRow<KH, KWG>(p, t, Stage<FloatScale>::Load(c, p.output));
        break;
      case kProfileTfliteSingle:
        PairOrTileRow<KH, KWG>(p, t, Stage<SingleRounding>::Load(c, p.output));
        break;
      default:
        if (p.left_shift) {
          PairOrTileRow<KH, KWG>(p, t, Stage<DoubleRounding<true>>::Load(c, p.output));
        } else if (extra[kFastFlagOffset] != 0) {
          PairOrTileRow<KH, KWG>(p, t, Stage<DoubleRounding<false, true>>::Load(c, p.output));
        } else {
          PairOrTileRow<KH, KWG>(p, t, Stage<DoubleRounding<false>>::Load(c, p.output));
        }
        break;
    }
  }
}

}  // namespace

// Tiles two at a time in zmm (their 64 channels are contiguous in each pixel), a last odd tile in ymm.
QINT8_DWCONV_PACK_ROW(qs8_dwconv_pack_row_32c4_avx512vnni) {
  size_t t = 0;
  for (; t + 2 <= tiles; t += 2) {
    PackQuads<QuadsZmm>(px, t * kCt, entries, q, d, t_row + t * row_tile_bytes);
  }
  if (t < tiles) PackQuads<QuadsYmm>(px, t * kCt, entries, q, d, t_row + t * row_tile_bytes);
}

namespace {

// The constants of ExtraIndex of accumulator a (channels in slots 8a..8a+7 of the header's arrays) of one tile.
void TileExtraConstants(const uint8_t* header, size_t a, __m256i (&v)[kXExtraVectors]) {
  const int32_t* multiplier = reinterpret_cast<const int32_t*>(header) + kCt;
  const int32_t* shift = multiplier + kCt;
  const float* scale = reinterpret_cast<const float*>(shift + kCt);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i shift_in = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(shift + 8 * a));
  const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(multiplier + 8 * a));
  const __m256i low32 = _mm256_set1_epi64x(0xFFFFFFFF), one = _mm256_set1_epi64x(1);
  // tflite-ref (a channel with m = 0 as if its shift were -1: its y is 0 either way)
  const __m256i s = _mm256_mask_mov_epi32(shift_in, _mm256_cmpeq_epi32_mask(m, zero), _mm256_set1_epi32(-1));
  v[kXLeft] = _mm256_max_epi32(s, zero);
  const __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, s), zero);
  v[kXMulEven] = m;
  v[kXMulOdd] = _mm256_srli_epi64(m, 32);
  const __m256i r_even = _mm256_and_si256(right, low32), r_odd = _mm256_srli_epi64(right, 32);
  const __m256i half = _mm256_set1_epi64x(int64_t{1} << 30), s31 = _mm256_set1_epi64x(int64_t{1} << 31);
  const __mmask8 nz_even = _mm256_cmpgt_epi64_mask(r_even, zero), nz_odd = _mm256_cmpgt_epi64_mask(r_odd, zero);
  v[kXRoundEven] = _mm256_mask_add_epi64(half, nz_even, half, _mm256_sllv_epi64(half, r_even));
  v[kXRoundOdd] = _mm256_mask_add_epi64(half, nz_odd, half, _mm256_sllv_epi64(half, r_odd));
  v[kXSignEven] = _mm256_maskz_mov_epi64(nz_even, s31);
  v[kXSignOdd] = _mm256_maskz_mov_epi64(nz_odd, s31);
  v[kXCountEven] = _mm256_add_epi64(r_even, _mm256_set1_epi64x(31));
  v[kXCountOdd] = _mm256_add_epi64(r_odd, _mm256_set1_epi64x(31));
  v[kXCountOddHigh] = _mm256_sub_epi64(r_odd, one);  // fast tiles: r >= 1
  // tflite-single: counts 31 - shift in [1, 62], rounding term 2^(count - 1)
  const __m256i total = _mm256_sub_epi32(_mm256_set1_epi32(31), shift_in);
  v[kXCount1Even] = _mm256_and_si256(total, low32);
  v[kXCount1Odd] = _mm256_srli_epi64(total, 32);
  v[kXRound1Even] = _mm256_sllv_epi64(one, _mm256_sub_epi64(v[kXCount1Even], one));
  v[kXRound1Odd] = _mm256_sllv_epi64(one, _mm256_sub_epi64(v[kXCount1Odd], one));
  // xnnpack-fp32
  v[kXScale] = _mm256_castps_si256(_mm256_loadu_ps(scale + 8 * a));
}

// Whether DoubleRounding may run the tile fast: every channel with m != 0 has a shift in [-22, -1].
bool FastDoubleRounding(const uint8_t* header) {
  const int32_t* multiplier = reinterpret_cast<const int32_t*>(header) + kCt;
  const int32_t* shift = multiplier + kCt;
  for (size_t slot = 0; slot < kCt; ++slot) {
    if (multiplier[slot] != 0 && (shift[slot] < -22 || shift[slot] > -1)) return false;
  }
  return true;
}

}  // namespace

// Low halves from this tile, high halves from the next one (this one again for the last tile): the vectors serve
// a tile pair (PairRow), two pixels of a last lone tile (TileRow; it is never paired) and, by their low halves, one
// pixel (ymm). The fast flag holds for both halves.
void qs8_dwconv_pack_extra_32c4_avx512vnni(const uint8_t* header, const uint8_t* next_header, uint8_t* extra) {
  const uint8_t* high = next_header != nullptr ? next_header : header;
  std::memset(extra + kFastFlagOffset, 0, 64);
  extra[kFastFlagOffset] = FastDoubleRounding(header) && FastDoubleRounding(high) ? 1 : 0;
  for (size_t a = 0; a < 4; ++a) {
    __m256i lo[kXExtraVectors], hi[kXExtraVectors];
    TileExtraConstants(header, a, lo);
    TileExtraConstants(high, a, hi);
    for (size_t i = 0; i < kXExtraVectors; ++i) {
      _mm512_store_si512(extra + (a * kXExtraVectors + i) * 64, _mm512_inserti64x4(_mm512_castsi256_si512(lo[i]), hi[i], 1));
    }
  }
}

void qs8_dwconv_pack_row_pairs_32c4_avx512vnni(const int8_t* const* px_a, const int8_t* const* px_b, size_t tiles,
                                               size_t entries, uint8_t* t_row, size_t row_tile_bytes,
                                               size_t phase_bytes) {
  size_t t = 0;
  for (; t + 2 <= tiles; t += 2) {
    const ptrdiff_t channel = static_cast<ptrdiff_t>(t * kCt) - static_cast<ptrdiff_t>(phase_bytes);
    PackPairQuads<QuadsZmm>(px_a, px_b, channel, 0, entries, t_row + t * row_tile_bytes);
  }
  if (t < tiles) {
    PackPairQuads<QuadsYmm>(px_a, px_b, static_cast<ptrdiff_t>(t * kCt), 0, entries, t_row + t * row_tile_bytes);
  }
}

// Phase mode's packed windows (PhaseLayout), from the packed tiles (2x2-quad taps, bias', constants) and, for the
// groups read one column earlier, the filter. Only for layers in whole tile pairs (channels a multiple of 64) whose
// pair-mode row function holds its weights in registers (2 x 2 quads: KH 3 or 4) with KW = 3: odd, so the taps
// kx - 1 still fit the two quad columns. (The run-time loop of other filters reloads weights per pixel; measured
// slower in phase mode.)
size_t qs8_dwconv_pack_phase_windows_32c4_avx512vnni(const PackedDwconvWeights& p, const int8_t* filter,
                                                     uint8_t* windows) {
  if (p.channels % 64 != 0 || p.kw != 3 || (p.kh != 3 && p.kh != 4)) return 0;
  const size_t pair_rows = (p.kh + 1) / 2, pair_groups = (p.kw + 1) / 2, taps = pair_rows * pair_groups;
  const PhaseLayout layout(p.tiles, taps);
  if (windows == nullptr) return 3 * layout.PhaseBytes();
  std::memset(windows, 0, 3 * layout.PhaseBytes());
  const size_t groups = 2 * p.tiles;
  bool fast = true;
  for (size_t t = 0; t < p.tiles; ++t) {
    fast = fast && p.data[t * p.tile_bytes + p.tile_bytes - kDwconvExtraBytes32c4Avx512 + kFastFlagOffset] != 0;
  }
  for (size_t shifted = 1; shifted <= 3; ++shifted) {
    uint8_t* blocks = windows + layout.Offset(16 * shifted);
    for (size_t j = 0; j < layout.windows; ++j) {
      uint8_t* block = blocks + j * layout.WindowBytes();
      for (size_t lane = 0; lane < 4; ++lane) {
        // Group g of this lane; a group before 0 is group groups + g read one column earlier.
        const ptrdiff_t g_signed = static_cast<ptrdiff_t>(4 * j + lane) - static_cast<ptrdiff_t>(shifted);
        const bool early = g_signed < 0;
        const size_t g = static_cast<size_t>(early ? g_signed + static_cast<ptrdiff_t>(groups) : g_signed);
        const uint8_t* tile = p.data + (g / 2) * p.tile_bytes;  // group g is half g % 2 of tile g / 2
        const uint8_t* extra = tile + p.tile_bytes - kDwconvExtraBytes32c4Avx512;
        const size_t h = g % 2;
        for (size_t a = 0; a < 4; ++a) {
          const size_t slot = 8 * a + 4 * h;  // slots 8a + 4h + i hold channels 16g + 4a + i
          std::memcpy(block + 64 * a + 16 * lane, tile + slot * 4, 16);
          for (size_t i = 0; i < kXExtraVectors; ++i) {
            std::memcpy(block + 64 * (layout.ConstantsVector() + a * kXExtraVectors + i) + 16 * lane,
                        extra + (a * kXExtraVectors + i) * 64 + 16 * h, 16);
          }
          for (size_t ky2 = 0; ky2 < pair_rows; ++ky2) {
            for (size_t j2 = 0; j2 < pair_groups; ++j2) {
              const size_t tap = ky2 * pair_groups + j2;
              uint8_t* dst = block + 64 * layout.WeightVector(tap, a) + 16 * lane;
              if (!early) {
                std::memcpy(dst, tile + p.pair_weights_offset + (tap * kCt + slot) * 4, 16);
                continue;
              }
              for (size_t c4 = 0; c4 < 4; ++c4) {  // quad i weighs tap (2 ky2 + i / 2, 2 j2 + i % 2 - 1)
                const size_t c = 16 * g + 4 * a + c4;
                for (size_t i = 0; i < 4; ++i) {
                  const size_t ky = 2 * ky2 + i / 2, kx = 2 * j2 + i % 2;  // the tap is column kx - 1
                  const bool inside = ky < p.kh && kx >= 1 && kx - 1 < p.kw;
                  dst[4 * c4 + i] = static_cast<uint8_t>(inside ? filter[(ky * p.kw + kx - 1) * p.channels + c] : 0);
                }
              }
            }
          }
        }
      }
    }
    blocks[layout.FlagOffset()] = fast ? 1 : 0;
  }
  return 3 * layout.PhaseBytes();
}

QINT8_DWCONV_ROW(qs8_dwconv_2x32c4_minmax_avx512vnni) {
  if (p.kh == 3 && p.kw_groups == 1) return RowAllTiles<3, 1>(p);
  if (p.kh == 2 && p.kw_groups == 2) return RowAllTiles<2, 2>(p);  // 3x3 (and 4x4) stride 2 in pair mode
  if (p.kh == 5 && p.kw_groups == 2) return RowAllTiles<5, 2>(p);
  RowAllTiles<0, 0>(p);
}

}  // namespace qint8
