// gemmlowp's fixed-point math functions (fixedpoint/fixedpoint.h) as TFLite's int8 SOFTMAX uses them:
// exp on negative values, 1/(1+x), GetReciprocal, Rescale. Scalar int32 only; the oracle for any SIMD twin.
// Fixed-point notation: "Qm" means an int32 raw value r standing for r / 2^(31-m) (m integer bits).
#ifndef QINT8_GEMMLOWP_H_
#define QINT8_GEMMLOWP_H_

#include <cstdint>
#include <limits>

#include "qint8/fixedpoint.h"

namespace qint8 {
namespace gemmlowp {

constexpr int32_t kRawMax = std::numeric_limits<int32_t>::max();
constexpr int32_t kRawMin = std::numeric_limits<int32_t>::min();

// a + b and a - b modulo 2^32 (two's complement). gemmlowp's Add/Sub leave overflow undefined; on every
// input where theirs is defined these return the same value.
inline int32_t WrappingAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t WrappingSub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}

// a + b saturated to [INT32_MIN, INT32_MAX].
inline int32_t SaturatingAdd(int32_t a, int32_t b) {
  const int64_t sum = static_cast<int64_t>(a) + b;
  return sum > kRawMax ? kRawMax : sum < kRawMin ? kRawMin : static_cast<int32_t>(sum);
}

// The product of two fixed-point values: SRDHM of the raws. Qa * Qb is Q(a+b); rounding half up,
// INT32_MIN * INT32_MIN saturates to INT32_MAX (the only overflow). ARM SQRDMULH.
inline int32_t FixedMul(int32_t a, int32_t b) { return SaturatingRoundingDoublingHighMul(a, b); }

// SaturatingRoundingMultiplyByPOT<exponent>(x): x * 2^exponent. For exponent > 0 a left shift that
// saturates to INT32_MIN / INT32_MAX when the result leaves int32; for exponent < 0 RoundingDivideByPOT
// (half away from zero); exponent 0 returns x. Requires -31 <= exponent <= 31.
inline int32_t SaturatingRoundingMultiplyByPOT(int32_t x, int exponent) {
  if (exponent < 0) return RoundingDivideByPOT(x, -exponent);
  if (exponent == 0) return x;
  const int32_t threshold = static_cast<int32_t>((int64_t{1} << (31 - exponent)) - 1);
  if (x > threshold) return kRawMax;
  if (x < -threshold) return kRawMin;
  return static_cast<int32_t>(static_cast<uint32_t>(x) << exponent);
}

// Rescale<dst>(x) of a Q<src> value: the same real value in Q<dst>, i.e. the raw times 2^(src - dst),
// saturating when it grows and rounding half away from zero when it shrinks.
inline int32_t Rescale(int32_t raw, int src_integer_bits, int dst_integer_bits) {
  return SaturatingRoundingMultiplyByPOT(raw, src_integer_bits - dst_integer_bits);
}

// RoundingHalfSum(a, b): (a + b) / 2 rounded half away from zero, computed in 64 bits (never overflows).
// ARM VRHADD for non-negative sums.
inline int32_t RoundingHalfSum(int32_t a, int32_t b) {
  const int64_t sum = static_cast<int64_t>(a) + b;
  return static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
}

// RoundingDivideByPOT extended to any exponent >= 0: for exponent <= 31 it is RoundingDivideByPOT; for
// larger exponents |x| / 2^exponent < 1/2, so the rounded quotient is 0. (TFLite's softmax can ask for
// exponents above 31 when a row's sum of exps reaches 512; gemmlowp's version is undefined there.)
inline int32_t RoundingDivideByPOTAnyExponent(int32_t x, int exponent) {
  return exponent > 31 ? 0 : RoundingDivideByPOT(x, exponent);
}

// Number of leading zero bits of x; 32 for x == 0 (TFLite's CountLeadingZeros).
inline int CountLeadingZeros(uint32_t x) {
  int count = 0;
  for (uint32_t bit = uint32_t{1} << 31; bit != 0 && (x & bit) == 0; bit >>= 1) ++count;
  return count;
}

// exp(a) for a Q0 value a in [-1/4, 0); returns Q0. A 4th-order Taylor expansion around -1/8:
// exp(-1/8) * (1 + x + x^2/2 + x^3/6 + x^4/24) with x = a + 1/8, every product SRDHM-rounded.
// Bit-exact with gemmlowp's exp_on_interval_between_negative_one_quarter_and_0_excl.
inline int32_t ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(int32_t a) {
  const int32_t kExpMinusOneEighth = 1895147668;  // exp(-1/8) in Q0
  const int32_t kOneThird = 715827883;            // 1/3 in Q0
  const int32_t x = WrappingAdd(a, int32_t{1} << 28);  // + 1/8
  const int32_t x2 = FixedMul(x, x);
  const int32_t x3 = FixedMul(x2, x);
  const int32_t x4 = FixedMul(x2, x2);
  const int32_t x4_over_4 = SaturatingRoundingMultiplyByPOT(x4, -2);
  const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 =
      SaturatingRoundingMultiplyByPOT(WrappingAdd(FixedMul(WrappingAdd(x4_over_4, x3), kOneThird), x2), -1);
  return WrappingAdd(kExpMinusOneEighth,
                     FixedMul(kExpMinusOneEighth, WrappingAdd(x, x4_over_24_plus_x3_over_6_plus_x2_over_2)));
}

// exp(a) for a Q<kIntegerBits> value a <= 0; returns Q0 (exp(0) = INT32_MAX, the largest Q0 value).
// a is split into a remainder in [-1/4, 0) (Taylor series above) and multiples of 1/4, 1/2, 1, 2, ...
// applied by multiplying with the constants exp(-2^k) for each set bit ("barrel shifter"), SRDHM-rounded.
// For kIntegerBits > 5 inputs below -32 give 0. Bit-exact with gemmlowp's exp_on_negative_values; defined
// (never undefined behaviour) for every int32 input, meaningful for a <= 0.
template <int kIntegerBits>
inline int32_t ExpOnNegativeValues(int32_t a) {
  static_assert(kIntegerBits >= 0 && kIntegerBits < 31, "bad integer bits");
  constexpr int kFractionalBits = 31 - kIntegerBits;
  const int32_t kOneQuarter = int32_t{1} << (kFractionalBits - 2);
  const int32_t mask = kOneQuarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = WrappingSub(a & mask, kOneQuarter);
  int32_t result = ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(Rescale(a_mod_quarter_minus_one_quarter, kIntegerBits, 0));
  const int32_t remainder = WrappingSub(a_mod_quarter_minus_one_quarter, a);

  struct Step {
    int exponent;        // this step multiplies by exp(-2^exponent)
    int32_t multiplier;  // exp(-2^exponent) in Q0
  };
  constexpr Step kSteps[] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
                             {2, 39332535},    {3, 720401},      {4, 242}};
  for (const Step& step : kSteps) {
    if (kIntegerBits > step.exponent) {
      const int bit = kFractionalBits + step.exponent;
      if (static_cast<uint32_t>(remainder) & (uint32_t{1} << bit)) result = FixedMul(result, step.multiplier);
    }
  }
  if (kIntegerBits > 5) {
    const int32_t minus_32 = static_cast<int32_t>(-(int64_t{1} << (kIntegerBits > 5 ? 36 - kIntegerBits : 0)));
    if (a < minus_32) result = 0;
  }
  return a == 0 ? kRawMax : result;
}

// 1 / (1 + a) for a Q0 value a in [0, 1); returns Q0 in (1/2, 1]. Three Newton-Raphson steps on
// d = (1 + a) / 2 from the initial estimate 48/17 - 32/17 * d, in Q2; then halved into Q0 (saturating).
// Bit-exact with gemmlowp's one_over_one_plus_x_for_x_in_0_1.
inline int32_t OneOverOnePlusXForXIn0To1(int32_t a) {
  const int32_t kQ2One = int32_t{1} << 29;
  const int32_t k48Over17 = 1515870810;       // Q2
  const int32_t kMinus32Over17 = -1010580540;  // Q2
  const int32_t half_denominator = RoundingHalfSum(a, kRawMax);  // Q0
  int32_t x = WrappingAdd(k48Over17, FixedMul(half_denominator, kMinus32Over17));  // Q2
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = FixedMul(half_denominator, x);                 // Q2
    const int32_t one_minus_half_denominator_times_x = WrappingSub(kQ2One, half_denominator_times_x);  // Q2
    x = WrappingAdd(x, Rescale(FixedMul(x, one_minus_half_denominator_times_x), 4, 2));  // Q4 -> Q2
  }
  return Rescale(x, 1, 0);  // ExactMulByPot<-1> makes the Q2 raw a Q1 raw of x/2; then Q1 -> Q0
}

// TFLite's GetReciprocal(x, x_integer_digits, &num_bits_over_unit) for a Q<x_integer_digits> value x > 0:
// returns s in Q0 and sets *num_bits_over_unit = n such that 1/x ~= s / 2^n. x is normalised to
// 2^n * (1 + f) with f in [0, 1), and s = 1 / (1 + f). Requires x > 0.
inline int32_t GetReciprocal(int32_t x, int x_integer_digits, int* num_bits_over_unit) {
  const int headroom_plus_one = CountLeadingZeros(static_cast<uint32_t>(x));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const int32_t shifted_sum_minus_one =
      static_cast<int32_t>((static_cast<uint32_t>(x) << headroom_plus_one) - (uint32_t{1} << 31));
  return OneOverOnePlusXForXIn0To1(shifted_sum_minus_one);
}

// TFLite's MultiplyByQuantizedMultiplierGreaterThanOne(x, M, left_shift) = SRDHM(x * 2^left_shift, M):
// the double-rounding MultiplyByQuantizedMultiplier with a non-negative shift (single rounding gives the
// same value there). The left shift wraps modulo 2^32 (undefined in TFLite). Requires 0 <= left_shift <= 31.
inline int32_t MultiplyByQuantizedMultiplierGreaterThanOne(int32_t x, int32_t multiplier, int left_shift) {
  return SaturatingRoundingDoublingHighMul(static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift), multiplier);
}

}  // namespace gemmlowp
}  // namespace qint8

#endif  // QINT8_GEMMLOWP_H_
