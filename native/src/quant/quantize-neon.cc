// QUANTIZE of a float32 run sharing (scale, zero point), 16 elements per step with AArch64 Advanced SIMD;
// bit-identical to QuantizeElement (quantize-element.h), which also handles the tail. Compiled with -march=armv8-a.
#include <arm_neon.h>

#include "quantize-element.h"

namespace qint8 {
namespace {

// 4 lanes of QuantizeElement up to the zero point: divide (FDIV, correctly rounded like x / scale), NaN -> 0
// (counted), clamp to the integer bounds [lo, hi], then round to an integer:
//   half to even:            FCVTNS (vcvtnq_s32_f32), round to nearest, ties to even;
//   half away from zero:     FCVTAS (vcvtaq_s32_f32), round to nearest, ties away from zero.
// Both are exact conversions here because |v| <= 2^10 after the clamp. `nan_count` gains 1 per NaN lane
// (the all-ones compare mask is -1, so subtracting it counts).
template <Rounding kRounding>
inline int32x4_t QuantizeLanes(float32x4_t x, float32x4_t scale, float32x4_t lo, float32x4_t hi, uint32x4_t& nan_count) {
  float32x4_t v = vdivq_f32(x, scale);
  const uint32x4_t ordered = vceqq_f32(v, v);  // all-ones where v is not NaN
  nan_count = vaddq_u32(nan_count, vshrq_n_u32(vmvnq_u32(ordered), 31));
  v = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v), ordered));  // NaN -> +0.0
  v = vminq_f32(vmaxq_f32(v, lo), hi);
  return kRounding == kRoundHalfEven ? vcvtnq_s32_f32(v) : vcvtaq_s32_f32(v);
}

template <Rounding kRounding>
int32_t QuantizeChunkNeon(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                          uint8_t* out) {
  const float lo_s = static_cast<float>(qmin - zero_point);
  const float hi_s = static_cast<float>(qmax - zero_point);
  const float32x4_t vscale = vdupq_n_f32(scale);
  const float32x4_t lo = vdupq_n_f32(lo_s);
  const float32x4_t hi = vdupq_n_f32(hi_s);
  // After adding the zero point every lane lies in [qmin, qmax] within [-128, 255]: it fits int16 exactly, and
  // the low byte (XTN, no saturation) is the two's complement byte QuantizeElement stores, for int8 and uint8.
  const int16x8_t zp = vdupq_n_s16(static_cast<int16_t>(zero_point));
  uint32x4_t nan_count = vdupq_n_u32(0);  // per lane at most 2^28 (n <= 2^30): no overflow
  int32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const int32x4_t a = QuantizeLanes<kRounding>(vld1q_f32(x + i), vscale, lo, hi, nan_count);
    const int32x4_t b = QuantizeLanes<kRounding>(vld1q_f32(x + i + 4), vscale, lo, hi, nan_count);
    const int32x4_t c = QuantizeLanes<kRounding>(vld1q_f32(x + i + 8), vscale, lo, hi, nan_count);
    const int32x4_t d = QuantizeLanes<kRounding>(vld1q_f32(x + i + 12), vscale, lo, hi, nan_count);
    // |a - z| <= 383 before the zero point: the int16 narrowing and the int16 addition are exact.
    const int16x8_t ab = vaddq_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b)), zp);
    const int16x8_t cd = vaddq_s16(vcombine_s16(vmovn_s32(c), vmovn_s32(d)), zp);
    const uint8x16_t bytes = vcombine_u8(vmovn_u16(vreinterpretq_u16_s16(ab)), vmovn_u16(vreinterpretq_u16_s16(cd)));
    vst1q_u8(out + i, bytes);
  }
  int32_t nans = static_cast<int32_t>(vaddvq_u32(nan_count));
  for (; i < n; ++i) out[i] = QuantizeElement<kRounding>(x[i] / scale, lo_s, hi_s, zero_point, nans);
  return nans;
}

}  // namespace

int32_t QuantizeChunkAwayNeon(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                              uint8_t* out) {
  return QuantizeChunkNeon<kRoundHalfAway>(x, n, scale, zero_point, qmin, qmax, out);
}

int32_t QuantizeChunkEvenNeon(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                              uint8_t* out) {
  return QuantizeChunkNeon<kRoundHalfEven>(x, n, scale, zero_point, qmin, qmax, out);
}

}  // namespace qint8
