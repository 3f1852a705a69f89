// Requantization of 8 int32 lanes (ymm) for the AVX2-class GEMM kernels (avx2, avxvnni and its EVEX twin),
// bit-identical to fixedpoint.h, plus the int8 row stores. Include only from a translation unit compiled with
// at least -mavx2. Everything has internal linkage: copies compiled with different ISA flags must never merge.
#ifndef QINT8_SRC_GEMM_REQUANT_AVX2_H_
#define QINT8_SRC_GEMM_REQUANT_AVX2_H_

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "gemm-kernels.h"
#include "qint8/gemm.h"

#define QINT8_INLINE inline __attribute__((always_inline))

namespace qint8 {
namespace {

// ---- Fixed-point primitives, 8 lanes ---------------------------------------------------------------------

// SaturatingRoundingDoublingHighMul(x, m) per lane, for any x and 0 <= m < 2^31 (the GEMM contract).
// Returns floor((x*m + 2^30) / 2^31): the Q0.31 product, rounded half toward +infinity. The one overflow case
// of fixedpoint.h (x == m == INT32_MIN) cannot occur since m >= 0, so there is no saturation step.
// Emulates ARM SQRDMULH (vqrdmulhq_s32): vpmuldq on even and odd lanes (exact 64-bit products), add 2^30,
// keep bits 31..62 of each sum (even lanes by a 31-bit logical right shift, odd lanes by a 1-bit left shift
// into the high dword), vpblendd. m_odd = m with the odd lanes moved down (vpsrlq 32), hoisted per column.
QINT8_INLINE __m256i SrdhmAvx2(__m256i x, __m256i m, __m256i m_odd) {
  const __m256i round = _mm256_set1_epi64x(int64_t{1} << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, m), round);
  const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), m_odd), round);
  return _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
}

// RoundingDivideByPOT(x, e) per lane, 0 <= e <= 31, with mask = 2^e - 1 and threshold = mask >> 1 hoisted.
// Returns x / 2^e rounded half away from zero; never overflows. gemmlowp's mask/threshold form: arithmetic
// shift (vpsravd) plus one where the remainder exceeds the threshold (raised by one for negative x).
QINT8_INLINE __m256i RoundingDivideByPotAvx2(__m256i x, __m256i exponent, __m256i mask, __m256i threshold) {
  const __m256i remainder = _mm256_and_si256(x, mask);                      // in [0, 2^31)
  const __m256i limit = _mm256_sub_epi32(threshold, _mm256_srai_epi32(x, 31));  // + 1 where x < 0
  return _mm256_sub_epi32(_mm256_srav_epi32(x, exponent), _mm256_cmpgt_epi32(remainder, limit));
}

// Arithmetic right shift of 64-bit lanes by counts in [0, 63] (AVX2 has only the logical vpsrlvq):
// floor(v / 2^s) = ~(~v >> s) for negative v, so shift v ^ sign logically and xor the sign back.
QINT8_INLINE __m256i Sra64Avx2(__m256i v, __m256i count) {
  const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
  return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(v, sign), count), sign);
}

// ---- The three profiles: per-column constants (8 channels, hoisted out of the rows) and the lane op -------

// tflite-ref: MultiplyByQuantizedMultiplierDouble = RDBPOT(SRDHM(x << left, m), right).
struct DoubleRoundingAvx2 {
  __m256i multiplier, multiplier_odd, left, right, mask, threshold;

  static QINT8_INLINE DoubleRoundingAvx2 Load(const int32_t* multiplier, const int32_t* shift) {
    DoubleRoundingAvx2 p;
    const __m256i zero = _mm256_setzero_si256();
    const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(shift));
    p.multiplier = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(multiplier));
    p.multiplier_odd = _mm256_srli_epi64(p.multiplier, 32);
    p.left = _mm256_max_epi32(s, zero);
    p.right = _mm256_max_epi32(_mm256_sub_epi32(zero, s), zero);
    p.mask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), p.right), _mm256_set1_epi32(1));
    p.threshold = _mm256_srai_epi32(p.mask, 1);
    return p;
  }
  // The left shift wraps modulo 2^32 (vpsllvd), as fixedpoint.h's uint32 shift does.
  QINT8_INLINE __m256i Apply(__m256i x) const {
    const __m256i high = SrdhmAvx2(_mm256_sllv_epi32(x, left), multiplier, multiplier_odd);
    return RoundingDivideByPotAvx2(high, right, mask, threshold);
  }
};

// tflite-single: (x*m + 2^(30-shift)) >> (31-shift) in 64 bits, narrowed by wrap (low dword).
struct SingleRoundingAvx2 {
  __m256i multiplier, multiplier_odd, shift_even, shift_odd, round_even, round_odd;

  static QINT8_INLINE SingleRoundingAvx2 Load(const int32_t* multiplier, const int32_t* shift) {
    SingleRoundingAvx2 p;
    const __m256i one64 = _mm256_set1_epi64x(1);
    const __m256i total = _mm256_sub_epi32(_mm256_set1_epi32(31), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(shift)));
    p.multiplier = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(multiplier));
    p.multiplier_odd = _mm256_srli_epi64(p.multiplier, 32);
    p.shift_even = _mm256_and_si256(total, _mm256_set1_epi64x(0xFFFFFFFF));  // counts in [1, 62]
    p.shift_odd = _mm256_srli_epi64(total, 32);
    p.round_even = _mm256_sllv_epi64(one64, _mm256_sub_epi64(p.shift_even, one64));
    p.round_odd = _mm256_sllv_epi64(one64, _mm256_sub_epi64(p.shift_odd, one64));
    return p;
  }
  // |x*m| < 2^62 and the rounding term is <= 2^61, so the 64-bit sums never overflow.
  QINT8_INLINE __m256i Apply(__m256i x) const {
    const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, multiplier), round_even);
    const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), multiplier_odd), round_odd);
    return _mm256_blend_epi32(Sra64Avx2(even, shift_even), _mm256_slli_epi64(Sra64Avx2(odd, shift_odd), 32), 0xAA);
  }
};

// xnnpack-fp32: MultiplyByFloatScale = round_half_even(f32(f32(x) * scale)) saturated to int32.
// vcvtdq2ps and vcvtps2dq round as the scalar casts do (MXCSR, round to nearest even). vcvtps2dq returns
// INT32_MIN for every out-of-range input, which is the scalar answer below -2^31 (and for NaN); inputs
// >= 2^31 are patched to INT32_MAX.
struct FloatScaleAvx2 {
  __m256 scale;

  static QINT8_INLINE FloatScaleAvx2 Load(const float* scale) { return FloatScaleAvx2{_mm256_loadu_ps(scale)}; }
  QINT8_INLINE __m256i Apply(__m256i x) const {
    const __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(x), scale);
    const __m256i rounded = _mm256_cvtps_epi32(y);
    const __m256 too_big = _mm256_cmp_ps(y, _mm256_set1_ps(2147483648.0f), _CMP_GE_OQ);
    return _mm256_blendv_epi8(rounded, _mm256_set1_epi32(std::numeric_limits<int32_t>::max()),
                              _mm256_castps_si256(too_big));
  }
};

// clamp(y + zero_point, act_min, act_max) with the sum saturating, as clamp(y, lo, hi) + zero_point
// (MakeOutputClamp in gemm-kernels.h: never wraps, exact for every int32 y).
struct OutputClampAvx2 {
  __m256i lo, hi, zero_point;

  static QINT8_INLINE OutputClampAvx2 Load(const GemmOutput& output) {
    const OutputClampParams p = MakeOutputClamp(output);
    return OutputClampAvx2{_mm256_set1_epi32(p.lo), _mm256_set1_epi32(p.hi), _mm256_set1_epi32(p.zero_point)};
  }
  QINT8_INLINE __m256i Apply(__m256i y) const {
    return _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(y, lo), hi), zero_point);
  }
};

// ---- Stores -----------------------------------------------------------------------------------------------

// Stores the first n (1..16) bytes of v at c: one 16-byte store when full, else 8/4/2/1-byte pieces.
QINT8_INLINE void StoreBytes16(int8_t* c, size_t n, __m128i v) {
  if (n >= 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c), v);
    return;
  }
  if (n & 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(c), v);
    v = _mm_unpackhi_epi64(v, v);
    c += 8;
  }
  if (n & 4) {
    _mm_storeu_si32(c, v);
    v = _mm_srli_epi64(v, 32);
    c += 4;
  }
  if (n & 2) {
    _mm_storeu_si16(c, v);
    v = _mm_srli_epi32(v, 16);
    c += 2;
  }
  if (n & 1) *c = static_cast<int8_t>(_mm_cvtsi128_si32(v));
}

// 16 int32 lanes already in [-128, 127] (two vectors) -> 16 int8 in channel order; the saturating packs are
// exact on that range, vpermq undoes vpackssdw's lane interleave.
QINT8_INLINE __m128i NarrowToInt8x16(__m256i v0, __m256i v1) {
  const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(v0, v1), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
}

// ---- The output stage of a tile of MR rows x 16 channels ---------------------------------------------------

template <size_t MR, typename Requant>
QINT8_INLINE void RequantizeStore16Avx2(__m256i (&acc)[MR][2], const Requant& p0, const Requant& p1,
                                        const GemmOutput& output, size_t m, size_t n, int8_t* c, size_t c_stride) {
  const OutputClampAvx2 clamp = OutputClampAvx2::Load(output);
  for (size_t i = 0; i < MR; ++i) {
    acc[i][0] = clamp.Apply(p0.Apply(acc[i][0]));
    acc[i][1] = clamp.Apply(p1.Apply(acc[i][1]));
  }
  for (size_t i = 0; i < MR; ++i) {
    if (i < m) StoreBytes16(c + i * c_stride, n, NarrowToInt8x16(acc[i][0], acc[i][1]));
  }
}

// Requantizes acc[i][*] (the two 8-channel vectors of a 16-channel panel) with the panel header's parameters and
// stores rows i < m, columns j < n.
template <size_t MR>
QINT8_INLINE void OutputTile16Avx2(__m256i (&acc)[MR][2], const uint8_t* panel, const GemmOutput& output, size_t m,
                                   size_t n, int8_t* c, size_t c_stride) {
  constexpr size_t kNR = 16;
  const int32_t* multiplier = reinterpret_cast<const int32_t*>(panel) + kNR;
  const int32_t* shift = multiplier + kNR;
  const float* scale = reinterpret_cast<const float*>(shift + kNR);
  switch (output.profile) {
    case kProfileXnnpackFp32:
      RequantizeStore16Avx2<MR>(acc, FloatScaleAvx2::Load(scale), FloatScaleAvx2::Load(scale + 8), output, m, n, c,
                                c_stride);
      break;
    case kProfileTfliteSingle:
      RequantizeStore16Avx2<MR>(acc, SingleRoundingAvx2::Load(multiplier, shift),
                                SingleRoundingAvx2::Load(multiplier + 8, shift + 8), output, m, n, c, c_stride);
      break;
    default:
      RequantizeStore16Avx2<MR>(acc, DoubleRoundingAvx2::Load(multiplier, shift),
                                DoubleRoundingAvx2::Load(multiplier + 8, shift + 8), output, m, n, c, c_stride);
      break;
  }
}

// Broadcast of the 4 bytes at p (an int16 pair or four uint8) to every 32-bit lane: vpbroadcastd ymm, m32.
// memcpy keeps the read legal whatever type wrote the bytes; compilers fold it into the broadcast.
QINT8_INLINE __m256i BroadcastPairAvx2(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm256_set1_epi32(v);
}

}  // namespace
}  // namespace qint8

#endif  // QINT8_SRC_GEMM_REQUANT_AVX2_H_
