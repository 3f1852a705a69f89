// Requantization of 16 int32 lanes (zmm) for the AVX-512 VNNI GEMM kernels, bit-identical to fixedpoint.h, plus
// the int8 row store. Include only from a translation unit compiled with -mavx512f -mavx512bw (the avx512vnni
// family). Everything has internal linkage: copies compiled with different ISA flags must never merge.
#ifndef QINT8_SRC_GEMM_REQUANT_AVX512_H_
#define QINT8_SRC_GEMM_REQUANT_AVX512_H_

// GCC 12's AVX-512 intrinsics build their "undefined" pass-through operand as `__m512i __Y = __Y;`, which
// -Wmaybe-uninitialized reports once inlined (GCC PR 105593, fixed in GCC 13): silence it for that header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "gemm-kernels.h"
#include "qint8/gemm.h"

#ifndef QINT8_INLINE
#define QINT8_INLINE inline __attribute__((always_inline))
#endif

namespace qint8 {
namespace {

// ---- The three profiles: per-column constants (16 channels, hoisted out of the rows) and the lane op -------

// tflite-ref: MultiplyByQuantizedMultiplierDouble = RoundingDivideByPOT(SRDHM(x << left, m), right).
//  - x << left: vpsllvd, wraps modulo 2^32 as fixedpoint.h's uint32 shift.
//  - SRDHM(x, m) for 0 <= m < 2^31 (the GEMM contract): floor((x*m + 2^30) / 2^31), the Q0.31 product rounded
//    half toward +infinity; emulates ARM SQRDMULH (vqrdmulhq_s32). The only overflow of fixedpoint.h's version
//    (x == m == INT32_MIN) cannot occur since m >= 0. Exact 64-bit products of even and odd lanes (vpmuldq),
//    + 2^30, bits 31..62 kept (vpsrlq 31 for even lanes, vpsllq 1 into the high dword for odd lanes), merged by
//    a mask blend.
//  - RoundingDivideByPOT(y, right), 0 <= right <= 31: y / 2^right rounded half away from zero, never overflows;
//    gemmlowp's mask/threshold form: vpsravd, plus one (masked add) where the remainder y & (2^right - 1)
//    exceeds (mask >> 1) + (y < 0).
struct DoubleRoundingAvx512 {
  __m512i multiplier, multiplier_odd, left, right, mask, threshold;

  static QINT8_INLINE DoubleRoundingAvx512 Load(const int32_t* multiplier, const int32_t* shift) {
    DoubleRoundingAvx512 p;
    const __m512i zero = _mm512_setzero_si512();
    const __m512i s = _mm512_loadu_si512(shift);
    p.multiplier = _mm512_loadu_si512(multiplier);
    p.multiplier_odd = _mm512_srli_epi64(p.multiplier, 32);
    p.left = _mm512_max_epi32(s, zero);
    p.right = _mm512_max_epi32(_mm512_sub_epi32(zero, s), zero);
    p.mask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), p.right), _mm512_set1_epi32(1));
    p.threshold = _mm512_srai_epi32(p.mask, 1);
    return p;
  }
  QINT8_INLINE __m512i Apply(__m512i x) const {
    const __m512i round = _mm512_set1_epi64(int64_t{1} << 30);
    x = _mm512_sllv_epi32(x, left);
    const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, multiplier), round);
    const __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), multiplier_odd), round);
    const __m512i high = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 31), _mm512_slli_epi64(odd, 1));
    const __m512i remainder = _mm512_and_si512(high, mask);                                  // in [0, 2^31)
    const __m512i limit = _mm512_sub_epi32(threshold, _mm512_srai_epi32(high, 31));           // + 1 where y < 0
    const __m512i shifted = _mm512_srav_epi32(high, right);
    return _mm512_mask_add_epi32(shifted, _mm512_cmpgt_epi32_mask(remainder, limit), shifted, _mm512_set1_epi32(1));
  }
};

// tflite-single: (x*m + 2^(30-shift)) >> (31-shift) in 64 bits (vpmuldq, vpaddq, vpsravq with per-lane counts
// in [1, 62]), narrowed by wrap (the low dword). |x*m| < 2^62 and the rounding term is <= 2^61: no overflow.
struct SingleRoundingAvx512 {
  __m512i multiplier, multiplier_odd, shift_even, shift_odd, round_even, round_odd;

  static QINT8_INLINE SingleRoundingAvx512 Load(const int32_t* multiplier, const int32_t* shift) {
    SingleRoundingAvx512 p;
    const __m512i one64 = _mm512_set1_epi64(1);
    const __m512i total = _mm512_sub_epi32(_mm512_set1_epi32(31), _mm512_loadu_si512(shift));
    p.multiplier = _mm512_loadu_si512(multiplier);
    p.multiplier_odd = _mm512_srli_epi64(p.multiplier, 32);
    p.shift_even = _mm512_and_si512(total, _mm512_set1_epi64(0xFFFFFFFF));
    p.shift_odd = _mm512_srli_epi64(total, 32);
    p.round_even = _mm512_sllv_epi64(one64, _mm512_sub_epi64(p.shift_even, one64));
    p.round_odd = _mm512_sllv_epi64(one64, _mm512_sub_epi64(p.shift_odd, one64));
    return p;
  }
  QINT8_INLINE __m512i Apply(__m512i x) const {
    const __m512i even = _mm512_srav_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, multiplier), round_even), shift_even);
    const __m512i odd = _mm512_srav_epi64(
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), multiplier_odd), round_odd), shift_odd);
    return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  }
};

// xnnpack-fp32: MultiplyByFloatScale = round_half_even(f32(f32(x) * scale)) saturated to int32. vcvtdq2ps and
// vcvtps2dq round as the scalar casts do (MXCSR, nearest even); vcvtps2dq gives INT32_MIN for every input out of
// range, the scalar answer below -2^31 (and for NaN); inputs >= 2^31 are patched to INT32_MAX.
struct FloatScaleAvx512 {
  __m512 scale;

  static QINT8_INLINE FloatScaleAvx512 Load(const float* scale) { return FloatScaleAvx512{_mm512_loadu_ps(scale)}; }
  QINT8_INLINE __m512i Apply(__m512i x) const {
    const __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(x), scale);
    const __mmask16 too_big = _mm512_cmp_ps_mask(y, _mm512_set1_ps(2147483648.0f), _CMP_GE_OQ);
    return _mm512_mask_mov_epi32(_mm512_cvtps_epi32(y), too_big,
                                 _mm512_set1_epi32(std::numeric_limits<int32_t>::max()));
  }
};

// clamp(y + zero_point, act_min, act_max) with the sum saturating, as clamp(y, lo, hi) + zero_point
// (MakeOutputClamp in gemm-kernels.h: never wraps, exact for every int32 y).
struct OutputClampAvx512 {
  __m512i lo, hi, zero_point;

  static QINT8_INLINE OutputClampAvx512 Load(const GemmOutput& output) {
    const OutputClampParams p = MakeOutputClamp(output);
    return OutputClampAvx512{_mm512_set1_epi32(p.lo), _mm512_set1_epi32(p.hi), _mm512_set1_epi32(p.zero_point)};
  }
  QINT8_INLINE __m512i Apply(__m512i y) const {
    return _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(y, lo), hi), zero_point);
  }
};

// ---- Stores and the output stage of a tile of MR rows x NV*16 channels -------------------------------------

// Up to four vectors of int32 already in [-128, 127] (unused ones zero) -> up to 64 int8 in channel order, the
// first n stored with one masked store. The saturating packs are exact on that range; after them 128-bit lane
// L holds channels 4L..4L+3 of v0, v1, v2, v3, which vpermd puts back in order.
QINT8_INLINE void StoreRowAvx512(int8_t* c, size_t n, __m512i v0, __m512i v1, __m512i v2, __m512i v3) {
  const __m512i bytes = _mm512_packs_epi16(_mm512_packs_epi32(v0, v1), _mm512_packs_epi32(v2, v3));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __mmask64 mask = n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1;
  _mm512_mask_storeu_epi8(c, mask, _mm512_permutexvar_epi32(order, bytes));
}

template <size_t MR, size_t NV, typename Requant>
QINT8_INLINE void RequantizeStoreAvx512(__m512i (&acc)[MR][NV], const Requant (&p)[NV], const GemmOutput& output,
                                        size_t m, size_t n, int8_t* c, size_t c_stride) {
  static_assert(NV >= 1 && NV <= 4, "one masked store covers at most 64 channels");
  const OutputClampAvx512 clamp = OutputClampAvx512::Load(output);
  for (size_t i = 0; i < MR; ++i) {
    for (size_t j = 0; j < NV; ++j) acc[i][j] = clamp.Apply(p[j].Apply(acc[i][j]));
  }
  const __m512i zero = _mm512_setzero_si512();
  for (size_t i = 0; i < MR; ++i) {
    if (i >= m) break;
    StoreRowAvx512(c + i * c_stride, n, acc[i][0], NV > 1 ? acc[i][NV > 1 ? 1 : 0] : zero,
                   NV > 2 ? acc[i][NV > 2 ? 2 : 0] : zero, NV > 3 ? acc[i][NV > 3 ? 3 : 0] : zero);
  }
}

// Requantizes the MR x NV accumulator vectors of one NV*16-channel panel with the panel header's parameters and
// stores rows i < m, columns j < n.
template <size_t MR, size_t NV>
QINT8_INLINE void OutputTileAvx512(__m512i (&acc)[MR][NV], const uint8_t* panel, const GemmOutput& output, size_t m,
                                   size_t n, int8_t* c, size_t c_stride) {
  constexpr size_t kNR = NV * 16;
  const int32_t* multiplier = reinterpret_cast<const int32_t*>(panel) + kNR;
  const int32_t* shift = multiplier + kNR;
  const float* scale = reinterpret_cast<const float*>(shift + kNR);
  switch (output.profile) {
    case kProfileXnnpackFp32: {
      FloatScaleAvx512 p[NV];
      for (size_t j = 0; j < NV; ++j) p[j] = FloatScaleAvx512::Load(scale + 16 * j);
      RequantizeStoreAvx512<MR, NV>(acc, p, output, m, n, c, c_stride);
      break;
    }
    case kProfileTfliteSingle: {
      SingleRoundingAvx512 p[NV];
      for (size_t j = 0; j < NV; ++j) p[j] = SingleRoundingAvx512::Load(multiplier + 16 * j, shift + 16 * j);
      RequantizeStoreAvx512<MR, NV>(acc, p, output, m, n, c, c_stride);
      break;
    }
    default: {
      DoubleRoundingAvx512 p[NV];
      for (size_t j = 0; j < NV; ++j) p[j] = DoubleRoundingAvx512::Load(multiplier + 16 * j, shift + 16 * j);
      RequantizeStoreAvx512<MR, NV>(acc, p, output, m, n, c, c_stride);
      break;
    }
  }
}

// vpbroadcastd zmm, m32 of the four uint8 at p (memcpy keeps the read legal whatever type wrote them).
QINT8_INLINE __m512i BroadcastQuadAvx512(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm512_set1_epi32(v);
}

}  // namespace
}  // namespace qint8

#endif  // QINT8_SRC_GEMM_REQUANT_AVX512_H_
