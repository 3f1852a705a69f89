// Requantization of 16 int32 lanes (zmm) for the AVX-512 VNNI GEMM kernels, bit-identical to fixedpoint.h, plus
// the int8 row store. Include only from a translation unit compiled with -mavx512f -mavx512bw (the avx512vnni
// family). Everything has internal linkage: copies compiled with different ISA flags must never merge.
#ifndef QINT8_SRC_GEMM_REQUANT_AVX512_H_
#define QINT8_SRC_GEMM_REQUANT_AVX512_H_

#include "../x86-intrinsics.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "gemm-kernels.h"
#include "qint8/gemm.h"

#ifndef QINT8_INLINE
#define QINT8_INLINE inline __attribute__((always_inline))
#endif

namespace qint8 {
namespace {

// ---- The three profiles: per-column constants (16 channels, hoisted out of the rows) and the lane op -------

// tflite-ref: MultiplyByQuantizedMultiplierDouble = RoundingDivideByPOT(SRDHM(x << left, m), right), in one
// 64-bit expression per lane (the depthwise kernel's form, qs8-dwconv-2x32c4-minmax-avx512vnni.cc). With
// p = (x << left) * m (exact, |p| < 2^62; x << left wraps modulo 2^32 as fixedpoint.h's uint32 shift):
//   right = 0:  SRDHM alone, floor((p + 2^30) / 2^31) (the Q0.31 product rounded half toward +infinity; its
//               only overflow, x == m == INT32_MIN, cannot occur since 0 <= m < 2^31).
//   right >= 1: RoundingDivideByPOT rounds half away from zero: floor((y + 2^(right-1) - [y < 0]) / 2^right) of
//               the SRDHM result y. Nested floors of integers merge into
//               floor((p + 2^30 + 2^(30+right) - [y < 0] * 2^31) / 2^(31+right)); y < 0 iff p < -2^30, and for
//               -2^30 <= p < 0 both choices give the same result, so the test may be the sign of x << left
//               (m > 0; for m = 0 the result is 0 either way).
// So result = (p + K - (sign bit of x) * S) >> (31 + right), K = 2^30 + (right ? 2^(30+right) : 0),
// S = right ? 2^31 : 0: per 8 lanes vpmuldq, vpaddq, vpandq (bit 31 of a 64-bit lane holding x low is x's sign),
// vpsubq, vpsravq; |p + K| < 2^62 + 2^61 + 2^30 never overflows and the result (the scalar's) fits int32, so the
// low dwords of the even and odd halves, interleaved, are the answer. Requires 0 <= m < 2^31, -31 <= shift <= 30.
// The constants K, S, 31 + right and the odd lanes' multipliers were derived at packing time
// (qs8_packx_double_rounding_x16, gemm-kernels.h) and are read as memory operands; kLeft: some channel of the
// tile has shift > 0 (x << left is then applied; the common case, every multiplier below one, skips it).
template <bool kLeft>
struct DoubleRoundingAvx512 {
  __m512i m_even, m_odd, k_even, k_odd, s_even, s_odd, count_even, count_odd, left;

  // multiplier: the header's 16 multipliers (vpmuldq reads the even channels' in place); extra: the block's
  // kDoubleRoundingVectorsX16 vectors (DoubleRoundingVector), 64-byte aligned.
  static QINT8_INLINE DoubleRoundingAvx512 Load(const int32_t* multiplier, const int32_t* shift,
                                                const uint8_t* extra) {
    const auto vector = [extra](DoubleRoundingVector i) { return _mm512_load_si512(extra + 64 * i); };
    return DoubleRoundingAvx512{_mm512_load_si512(multiplier), vector(kDrMulOdd),    vector(kDrRoundEven),
                                vector(kDrRoundOdd),           vector(kDrSignEven),  vector(kDrSignOdd),
                                vector(kDrCountEven),          vector(kDrCountOdd),
                                kLeft ? _mm512_max_epi32(_mm512_loadu_si512(shift), _mm512_setzero_si512())
                                      : _mm512_setzero_si512()};
  }
  QINT8_INLINE __m512i Apply(__m512i x) const {
    if (kLeft) x = _mm512_sllv_epi32(x, left);
    const __m512i x_odd = _mm512_srli_epi64(x, 32);
    __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, m_even), k_even);
    __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(x_odd, m_odd), k_odd);
    even = _mm512_srav_epi64(_mm512_sub_epi64(even, _mm512_and_si512(x, s_even)), count_even);
    odd = _mm512_srav_epi64(_mm512_sub_epi64(odd, _mm512_and_si512(x_odd, s_odd)), count_odd);
    return _mm512_permutex2var_epi32(
        even, _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30), odd);
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
QINT8_INLINE __m512i ChannelOrderAvx512(__m512i packed) {
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_epi32(order, packed);
}
// Stores the first n (>= 1) bytes of v. Whole 16-byte quarters go out as plain stores: a masked vmovdqu8 store
// costs several times a plain one on Zen 4, and layers of 16, 32, 48 or 64k channels never need it.
QINT8_INLINE void StoreFirstBytesAvx512(int8_t* c, size_t n, __m512i v) {
  if (n >= 64) {
    _mm512_storeu_si512(c, v);
  } else if (n == 32) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), _mm512_castsi512_si256(v));
  } else if (n == 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c), _mm512_castsi512_si128(v));
  } else if (n == 48) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), _mm512_castsi512_si256(v));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c + 32), _mm512_extracti32x4_epi32(v, 2));
  } else {
    _mm512_mask_storeu_epi8(c, (__mmask64{1} << n) - 1, v);
  }
}

QINT8_INLINE void StoreRowAvx512(int8_t* c, size_t n, __m512i v0, __m512i v1, __m512i v2, __m512i v3) {
  const __m512i bytes = _mm512_packs_epi16(_mm512_packs_epi32(v0, v1), _mm512_packs_epi32(v2, v3));
  StoreFirstBytesAvx512(c, n, ChannelOrderAvx512(bytes));
}

// The zero point and clamp of rows whose zero point lies in [-128, 127] (every TFLite int8 tensor), on up to four
// requantized vectors y (any int32): vpackssdw saturates to int16, vpaddsw adds the zero point, vpacksswb saturates
// to int8, vpmaxsb / vpminsb clamp. That equals clamp(y + zero point, act_min, act_max) for every y: an
// int16-saturated y plus the zero point leaves [-128, 127] exactly when y + zero point does, on the same side.
struct NarrowClampAvx512 {
  __m512i zero_point, act_min, act_max;

  static QINT8_INLINE bool Fits(const GemmOutput& output) {
    return output.output_zero_point >= -128 && output.output_zero_point <= 127;
  }
  static QINT8_INLINE NarrowClampAvx512 Load(const GemmOutput& output) {
    return NarrowClampAvx512{_mm512_set1_epi16(static_cast<int16_t>(output.output_zero_point)),
                             _mm512_set1_epi8(static_cast<int8_t>(output.activation_min)),
                             _mm512_set1_epi8(static_cast<int8_t>(output.activation_max))};
  }
  QINT8_INLINE void StoreRow(int8_t* c, size_t n, __m512i v0, __m512i v1, __m512i v2, __m512i v3) const {
    const __m512i w01 = _mm512_adds_epi16(_mm512_packs_epi32(v0, v1), zero_point);
    const __m512i w23 = _mm512_adds_epi16(_mm512_packs_epi32(v2, v3), zero_point);
    const __m512i bytes = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(w01, w23), act_min), act_max);
    StoreFirstBytesAvx512(c, n, ChannelOrderAvx512(bytes));
  }
};

// The zero point and clamp of any GemmOutput (OutputClampAvx512, then the saturating packs of StoreRowAvx512).
struct WideClampAvx512 {
  OutputClampAvx512 clamp;

  static QINT8_INLINE WideClampAvx512 Load(const GemmOutput& output) {
    return WideClampAvx512{OutputClampAvx512::Load(output)};
  }
  QINT8_INLINE void StoreRow(int8_t* c, size_t n, __m512i v0, __m512i v1, __m512i v2, __m512i v3) const {
    StoreRowAvx512(c, n, clamp.Apply(v0), clamp.Apply(v1), clamp.Apply(v2), clamp.Apply(v3));
  }
};

// Requantizes rows i < m of acc in place, one 16-channel column j at a time with load(j)'s constants held in
// registers (loaded as values, not re-read through pointers that the stores to acc might alias), then offsets,
// clamps and stores them.
template <size_t MR, size_t NV, typename Load>
QINT8_INLINE void RequantizeStoreAvx512(__m512i (&acc)[MR][NV], const Load& load, const GemmOutput& output,
                                        size_t m, size_t n, int8_t* c, size_t c_stride) {
  for (size_t j = 0; j < NV; ++j) {
    const auto p = load(j);
    for (size_t i = 0; i < MR; ++i) {
      if (i < m) acc[i][j] = p.Apply(acc[i][j]);
    }
  }
  const auto store = [&](const auto& narrow) {
    const __m512i zero = _mm512_setzero_si512();
    for (size_t i = 0; i < MR; ++i) {
      if (i >= m) break;
      narrow.StoreRow(c + i * c_stride, n, acc[i][0], NV > 1 ? acc[i][NV > 1 ? 1 : 0] : zero,
                      NV > 2 ? acc[i][NV > 2 ? 2 : 0] : zero, NV > 3 ? acc[i][NV > 3 ? 3 : 0] : zero);
    }
  };
  if (NarrowClampAvx512::Fits(output)) {
    store(NarrowClampAvx512::Load(output));
  } else {
    store(WideClampAvx512::Load(output));
  }
}

// The output stage of a tile: the MR x NV accumulator vectors of the first NV*16 channels of a kNR-channel panel
// (NV*16 <= kNR), requantized with the panel header's parameters; stores rows i < m, columns j < n (n <= NV*16).
// Kernels store their accumulators to `acc` and call this out of line: inlined, its register pressure made GCC
// spill the accumulators inside the k loop.
template <size_t MR, size_t NV, size_t kNR>
__attribute__((noinline)) void OutputTileAvx512(__m512i (&acc)[MR][NV], const uint8_t* panel, const GemmOutput& output,
                                                size_t m, size_t n, int8_t* c, size_t c_stride) {
  static_assert(NV >= 1 && NV <= 4 && NV * 16 <= kNR, "one masked store covers at most 64 channels of the panel");
  const int32_t* multiplier = reinterpret_cast<const int32_t*>(panel) + kNR;
  const int32_t* shift = multiplier + kNR;
  const float* scale = reinterpret_cast<const float*>(shift + kNR);
  const uint8_t* extra = panel + 4 * kNR * sizeof(int32_t);
  constexpr size_t kBlockBytes = kDoubleRoundingVectorsX16 * 64;
  switch (output.profile) {
    case kProfileXnnpackFp32:
      RequantizeStoreAvx512<MR, NV>(
          acc, [&](size_t j) { return FloatScaleAvx512::Load(scale + 16 * j); }, output, m, n, c, c_stride);
      break;
    case kProfileTfliteSingle:
      RequantizeStoreAvx512<MR, NV>(
          acc, [&](size_t j) { return SingleRoundingAvx512::Load(multiplier + 16 * j, shift + 16 * j); }, output, m,
          n, c, c_stride);
      break;
    default: {
      __mmask16 shifts_left = 0;
      for (size_t j = 0; j < NV; ++j) {
        shifts_left |= _mm512_cmpgt_epi32_mask(_mm512_loadu_si512(shift + 16 * j), _mm512_setzero_si512());
      }
      const auto double_rounding = [&](auto left) {
        using Requant = DoubleRoundingAvx512<decltype(left)::value>;
        RequantizeStoreAvx512<MR, NV>(
            acc, [&](size_t j) { return Requant::Load(multiplier + 16 * j, shift + 16 * j, extra + kBlockBytes * j); },
            output, m, n, c, c_stride);
      };
      if (shifts_left != 0) {
        double_rounding(std::true_type{});
      } else {
        double_rounding(std::false_type{});
      }
      break;
    }
  }
}

// Where the weights of a kNR-channel AVX-512 panel start: after the header and the extra constants
// (gemm-config.cc gives these kernels kNR / 16 blocks of qs8_packx_double_rounding_x16).
template <size_t kNR>
constexpr size_t WeightsOffsetAvx512() {
  return 4 * kNR * sizeof(int32_t) + kNR / 16 * kDoubleRoundingVectorsX16 * 64;
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
