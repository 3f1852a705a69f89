// QUANTIZE of a float32 run sharing (scale, zero point), 32 elements per step with AVX2; bit-identical to
// QuantizeElement (quantize-element.h), which also handles the tail. Compiled with -mavx2 only.
#include <immintrin.h>

#include "quantize-element.h"

namespace qint8 {
namespace {

// 8 lanes of QuantizeElement up to the zero point: divide, NaN -> 0, clamp to [lo, hi], round.
template <Rounding kRounding>
inline __m256i QuantizeLanes(__m256 x, __m256 scale, __m256 lo, __m256 hi, __m256i zero_point, int32_t& nans) {
  __m256 v = _mm256_div_ps(x, scale);
  const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  nans += __builtin_popcount(static_cast<unsigned>(_mm256_movemask_ps(nan)));
  v = _mm256_andnot_ps(nan, v);
  v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
  __m256 r;
  if (kRounding == kRoundHalfEven) {
    r = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  } else {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_sub_ps(v, t);  // exact
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 up = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ), one);
    const __m256 down = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ), one);
    r = _mm256_sub_ps(_mm256_add_ps(t, up), down);
  }
  return _mm256_add_epi32(_mm256_cvtps_epi32(r), zero_point);  // r is an exact integer
}

template <Rounding kRounding>
int32_t QuantizeChunkAvx2(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                          uint8_t* out) {
  const float lo_s = static_cast<float>(qmin - zero_point);
  const float hi_s = static_cast<float>(qmax - zero_point);
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256 lo = _mm256_set1_ps(lo_s);
  const __m256 hi = _mm256_set1_ps(hi_s);
  const __m256i zp = _mm256_set1_epi32(zero_point);
  const __m256i lane_order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const bool is_signed = qmin < 0;
  int32_t nans = 0;
  int32_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i a = QuantizeLanes<kRounding>(_mm256_loadu_ps(x + i), vscale, lo, hi, zp, nans);
    const __m256i b = QuantizeLanes<kRounding>(_mm256_loadu_ps(x + i + 8), vscale, lo, hi, zp, nans);
    const __m256i c = QuantizeLanes<kRounding>(_mm256_loadu_ps(x + i + 16), vscale, lo, hi, zp, nans);
    const __m256i d = QuantizeLanes<kRounding>(_mm256_loadu_ps(x + i + 24), vscale, lo, hi, zp, nans);
    // Values already lie in [qmin, qmax], so the saturating packs are exact; packs interleave 128-bit lanes,
    // which the final permutation undoes.
    const __m256i ab = _mm256_packs_epi32(a, b);
    const __m256i cd = _mm256_packs_epi32(c, d);
    const __m256i bytes = is_signed ? _mm256_packs_epi16(ab, cd) : _mm256_packus_epi16(ab, cd);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_permutevar8x32_epi32(bytes, lane_order));
  }
  for (; i < n; ++i) out[i] = QuantizeElement<kRounding>(x[i] / scale, lo_s, hi_s, zero_point, nans);
  return nans;
}

}  // namespace

int32_t QuantizeChunkAwayAvx2(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                              uint8_t* out) {
  return QuantizeChunkAvx2<kRoundHalfAway>(x, n, scale, zero_point, qmin, qmax, out);
}

int32_t QuantizeChunkEvenAvx2(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                              uint8_t* out) {
  return QuantizeChunkAvx2<kRoundHalfEven>(x, n, scale, zero_point, qmin, qmax, out);
}

}  // namespace qint8
