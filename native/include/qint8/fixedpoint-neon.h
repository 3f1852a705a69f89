// AArch64 Advanced SIMD twins of fixedpoint.h's requantization (4 int32 lanes), and the GEMM output stage.
// Included only by Neon translation units (native/src/*/*-neon*.cc); every function equals its scalar oracle
// bit for bit on every input the oracle accepts. See fixedpoint.h for the meaning of each operation.
#ifndef QINT8_FIXEDPOINT_NEON_H_
#define QINT8_FIXEDPOINT_NEON_H_

#if !defined(__aarch64__) && !defined(_M_ARM64)
#error "fixedpoint-neon.h is for AArch64 translation units only"
#endif

#include <arm_neon.h>

#include <cstdint>

namespace qint8 {
namespace neon {
// Internal linkage on purpose: these inline functions are compiled into TUs built with different -march flags
// (armv8-a, +dotprod, +i8mm). With external linkage the linker would keep one COMDAT copy for all of them, which
// could be the copy built for a CPU the others must not require.
namespace {

// SaturatingRoundingDoublingHighMul, 4 lanes: the high 32 bits of 2*a*b rounded half toward +infinity
// (floor((a*b + 2^30) / 2^31)); a == b == INT32_MIN saturates to INT32_MAX.
// Instruction: SQRDMULH, which is this function exactly (gemmlowp's definition was modelled on it).
inline int32x4_t SaturatingRoundingDoublingHighMul(int32x4_t a, int32x4_t b) { return vqrdmulhq_s32(a, b); }

// RoundingDivideByPOT, 4 lanes with their own exponents, passed negated: neg_exponent = -exponent in [-31, 0].
// Returns x / 2^exponent rounded half away from zero; never overflows; exponent 0 returns x.
// Instruction: SRSHL by a negative amount is a rounding right shift that rounds half toward +infinity, computed
// without intermediate overflow. Half away from zero differs only for negative x, so (gemmlowp's fixup) 1 is
// first subtracted from negative x when the exponent is non-zero: x - 1 sits just below a tie, and everywhere
// else in the same rounding interval as x. The sign of x reaches the fixup through AND with neg_exponent, whose
// sign bit is set exactly when the exponent is non-zero. x == INT32_MIN: the saturating add keeps INT32_MIN,
// which is a multiple of 2^exponent, so the result is still exact.
inline int32x4_t RoundingDivideByPOT(int32x4_t x, int32x4_t neg_exponent) {
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, neg_exponent), 31);  // -1 where x < 0 and exponent > 0
  return vrshlq_s32(vqaddq_s32(x, fixup), neg_exponent);
}

// Per-channel parameters of 4 output channels, unpacked once from a panel header for one profile.
struct RequantQuad {
  int32x4_t multiplier;    // fixed-point profiles: Q31 multiplier, >= 0
  int32x4_t left_shift;    // tflite-ref: max(shift, 0)
  int32x4_t neg_right;     // tflite-ref: min(shift, 0) = -(right shift)
  int64x2_t neg_total_lo;  // tflite-single: shift - 31 in [-62, -1], channels 0-1
  int64x2_t neg_total_hi;  //                                          channels 2-3
  float32x4_t scale;       // xnnpack-fp32
};

inline RequantQuad LoadRequantQuad(const int32_t* multiplier, const int32_t* shift, const float* scale) {
  RequantQuad q;
  const int32x4_t s = vld1q_s32(shift);
  q.multiplier = vld1q_s32(multiplier);
  q.left_shift = vmaxq_s32(s, vdupq_n_s32(0));
  q.neg_right = vminq_s32(s, vdupq_n_s32(0));
  const int32x4_t neg_total = vsubq_s32(s, vdupq_n_s32(31));
  q.neg_total_lo = vmovl_s32(vget_low_s32(neg_total));
  q.neg_total_hi = vmovl_high_s32(neg_total);
  q.scale = vld1q_f32(scale);
  return q;
}

// MultiplyByQuantizedMultiplierDouble (tflite-ref), 4 lanes: x * M * 2^(shift-31) with two roundings.
// The left shift (SSHL by a non-negative amount) discards the bits shifted out: the scalar's two's complement
// wrap. Then SQRDMULH (half up) and RoundingDivideByPOT (half away from zero). Requires -31 <= shift <= 30.
inline int32x4_t MultiplyByQuantizedMultiplierDouble(int32x4_t x, const RequantQuad& q) {
  const int32x4_t shifted = vshlq_s32(x, q.left_shift);
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted, q.multiplier), q.neg_right);
}

// MultiplyByQuantizedMultiplierSingle (tflite-single), 4 lanes: (x*M + 2^(30-shift)) >> (31-shift), one
// rounding half toward +infinity, narrowed by two's complement wrap.
// SMULL/SMULL2 form the exact 64-bit products (|x*M| < 2^62); SRSHL by -(31-shift) adds 2^(30-shift) and shifts
// right arithmetically without intermediate overflow, which is the scalar's int64 expression (it cannot overflow
// either: |x*M| + 2^61 < 2^63); UZP1 keeps the low 32 bits of each 64-bit lane (the wrap).
inline int32x4_t MultiplyByQuantizedMultiplierSingle(int32x4_t x, const RequantQuad& q) {
  const int64x2_t lo = vrshlq_s64(vmull_s32(vget_low_s32(x), vget_low_s32(q.multiplier)), q.neg_total_lo);
  const int64x2_t hi = vrshlq_s64(vmull_high_s32(x, q.multiplier), q.neg_total_hi);
  return vuzp1q_s32(vreinterpretq_s32_s64(lo), vreinterpretq_s32_s64(hi));
}

// MultiplyByFloatScale (xnnpack-fp32), 4 lanes: round_half_even(f32(f32(x) * scale)) saturated to int32.
// SCVTF rounds the int32 to nearest even like the scalar cast; FMUL is one correctly rounded product (no FMA:
// the multiply stands alone); FCVTNS rounds half to even and saturates out-of-range values to INT32_MIN/MAX as
// the scalar does. FCVTNS would turn a NaN product (only 0 * infinite scale) into 0 where the scalar gives
// INT32_MIN, so NaN lanes are selected to INT32_MIN explicitly.
inline int32x4_t MultiplyByFloatScale(int32x4_t x, const RequantQuad& q) {
  const float32x4_t y = vmulq_f32(vcvtq_f32_s32(x), q.scale);
  return vbslq_s32(vceqq_f32(y, y), vcvtnq_s32_f32(y), vdupq_n_s32(INT32_MIN));
}

// The GEMM output stage of 8 channels: clamp(scaled + output_zero_point, act_min, act_max) as int8, where the
// scalar adds the zero point in 64 bits. SQADD saturates the sum to int32, then SQXTN narrows to int16 and to
// int8, and SMAX/SMIN clamp. Saturation is monotonic and the identity on [-128, 127], which holds the clamp
// bounds, so saturating first and clamping after equals clamping the exact sum.
inline int8x8_t OutputStage8(int32x4_t lo, int32x4_t hi, int32x4_t zero_point, int8x8_t act_min, int8x8_t act_max) {
  const int16x8_t v16 = vcombine_s16(vqmovn_s32(vqaddq_s32(lo, zero_point)), vqmovn_s32(vqaddq_s32(hi, zero_point)));
  return vmin_s8(vmax_s8(vqmovn_s16(v16), act_min), act_max);
}

}  // namespace
}  // namespace neon
}  // namespace qint8

#endif  // QINT8_FIXEDPOINT_NEON_H_
