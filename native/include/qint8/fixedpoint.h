// Scalar fixed-point primitives of TFLite's integer requantization (gemmlowp style).
// Every SIMD requantization in qint8 must equal these functions bit for bit; they are the oracle.
// See ../../../README.md "Numerics" and the quantization-semantics spec, section 4.
#ifndef QINT8_FIXEDPOINT_H_
#define QINT8_FIXEDPOINT_H_

#include <cmath>
#include <cstdint>
#include <limits>

namespace qint8 {

// Numerics profiles: which TFLite build (or delegate) the integer results reproduce.
enum Profile : int32_t {
  kProfileTfliteRef = 0,     // reference kernels, default build: double rounding (spec 4.3)
  kProfileTfliteSingle = 1,  // TFLITE_SINGLE_ROUNDING=1, CMSIS-NN single rounding, ruy ARM (spec 4.4)
  kProfileXnnpackFp32 = 2,   // XNNPACK delegate: float32 scale, round half to even (spec 4.6)
};

inline bool IsValidProfile(int32_t p) { return p >= 0 && p <= 2; }

// The arithmetic below has internal linkage (an anonymous namespace): every translation unit, including those
// compiled with ISA flags, gets its own copy, so the linker can never hand baseline code a copy that was
// compiled with AVX2 or Neon-extension instructions.
namespace {

// SaturatingRoundingDoublingHighMul(a, b).
// Returns the high 32 bits of 2*a*b, rounded: floor((a*b + 2^30) / 2^31), computed exactly in 64 bits.
// Reading the integers: with a, b as Q0.31 fractions in [-1, 1), the result is their Q0.31 product.
// Rounding: half toward +infinity (a*b/2^31 = +0.5 gives 1, -0.5 gives 0, -1.5 gives -1).
// Overflow: the one case a == b == INT32_MIN (product 1.0, not representable) saturates to INT32_MAX.
// Equals ARM SQRDMULH / Neon vqrdmulhq_s32 exactly.
inline int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::max();
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  // Arithmetic right shift of a signed value is floor division (guaranteed since C++20, and
  // what every supported compiler does before it).
  return static_cast<int32_t>((ab + (int64_t{1} << 30)) >> 31);
}

// RoundingDivideByPOT(x, exponent), 0 <= exponent <= 31.
// Returns x / 2^exponent rounded half away from zero ((5,1) -> 3, (-5,1) -> -3).
// Never overflows. Equals gemmlowp's mask/threshold formulation; exponent 0 returns x.
inline int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// MultiplyByQuantizedMultiplier, double rounding (tflite-ref): x * M * 2^(shift-31).
// The left shift (shift > 0) is applied to x first, in int32 with two's complement wrap
// (TFLite leaves that overflow undefined; it only occurs for real multipliers >= 1 and huge x).
// Rounding: SRDHM rounds half up, then RoundingDivideByPOT rounds half away from zero.
// Requires 0 <= M < 2^31 and -31 <= shift <= 30.
inline int32_t MultiplyByQuantizedMultiplierDouble(int32_t x, int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted, multiplier), right);
}

// MultiplyByQuantizedMultiplier, single rounding (tflite-single): (x*M + 2^(30-shift)) >> (31-shift)
// in 64 bits, one rounding half toward +infinity. Requires -31 <= shift <= 30 (QuantizeMultiplier
// saturates larger shifts for this profile). The result is narrowed to int32 by two's complement wrap
// (TFLite only DCHECKs the range).
inline int32_t MultiplyByQuantizedMultiplierSingle(int32_t x, int32_t multiplier, int shift) {
  const int total_shift = 31 - shift;
  const int64_t round = int64_t{1} << (total_shift - 1);
  const int64_t result = (static_cast<int64_t>(x) * multiplier + round) >> total_shift;
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(result)));
}

// Round half to even of a float, exact for every float (ties to even, as cvtps2dq / vcvtnq do).
inline float RoundHalfEven(float v) { return std::nearbyint(v); }

// XNNPACK fp32 requantization of an accumulator by a float32 scale, before the output zero point:
// round_half_even(f32(f32(x) * scale)), saturated to int32. NaN cannot arise from finite inputs.
inline int32_t MultiplyByFloatScale(int32_t x, float scale) {
  const float y = static_cast<float>(x) * scale;
  if (!(y > -2147483648.0f)) return std::numeric_limits<int32_t>::min();
  if (y >= 2147483648.0f) return std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(RoundHalfEven(y));
}

// The int64-input overload of TFLite's MultiplyByQuantizedMultiplier (used by its 16x8 paths); both
// rounding builds of TFLite define it the same way. The multiplier is first reduced to 16 bits (rounded,
// saturated to 0x7FFF), then one rounding half toward +infinity by 2^(15-shift).
// Requires |x| < 2^47, 0 <= M < 2^31 and -31 <= shift <= 7; the result is narrowed by two's complement wrap.
inline int32_t MultiplyByQuantizedMultiplierInt64(int64_t x, int32_t multiplier, int shift) {
  const int32_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - shift;
  const int64_t rounded = x * static_cast<int64_t>(reduced) + (int64_t{1} << (total_shift - 1));
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(rounded >> total_shift)));
}

}  // namespace

}  // namespace qint8

#endif  // QINT8_FIXEDPOINT_H_
