// Native tests of the fixed-point primitives, QuantizeMultiplier and the quantize loops: the spec's worked
// examples, the rounding tables, and properties against independent formulations.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "check.h"
#include "qint8/quant.h"

using namespace qint8;

namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

// gemmlowp's own formulation of SRDHM (sign-dependent nudge, truncating division), as an independent oracle.
int32_t SrdhmNudge(int32_t a, int32_t b) {
  if (a == b && a == kMin) return kMax;
  const int64_t ab = static_cast<int64_t>(a) * b;
  const int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

// Round half away from zero of x / 2^n by exact long-double-free integer reasoning.
int32_t DivideAway(int32_t x, int n) {
  const int64_t d = int64_t{1} << n;
  const int64_t magnitude = x < 0 ? -static_cast<int64_t>(x) : x;
  const int64_t q = (2 * magnitude + d) / (2 * d);
  return static_cast<int32_t>(x < 0 ? -q : q);
}

}  // namespace

QINT8_TEST(srdhm_examples) {
  // a*b/2^31 = +0.5 -> 1, -0.5 -> 0, -1.5 -> -1 (half toward +infinity)
  CHECK_EQ(SaturatingRoundingDoublingHighMul(1, 1 << 30), 1);
  CHECK_EQ(SaturatingRoundingDoublingHighMul(-1, 1 << 30), 0);
  CHECK_EQ(SaturatingRoundingDoublingHighMul(-3, 1 << 30), -1);
  CHECK_EQ(SaturatingRoundingDoublingHighMul(kMin, kMin), kMax);
  CHECK_EQ(SaturatingRoundingDoublingHighMul(kMin, kMax), -kMax);
  CHECK_EQ(SaturatingRoundingDoublingHighMul(kMax, kMax), kMax - 1);
  CHECK_EQ(SaturatingRoundingDoublingHighMul(5140, 1099511562), 2632);
}

QINT8_TEST(srdhm_matches_gemmlowp_nudge) {
  std::mt19937 rng(7);
  const int32_t edges[] = {kMin, kMin + 1, -65536, -32768, -2, -1, 0, 1, 2, 32767, 65536, kMax - 1, kMax};
  for (int32_t a : edges)
    for (int32_t b : edges) CHECK_EQ(SaturatingRoundingDoublingHighMul(a, b), SrdhmNudge(a, b));
  for (int i = 0; i < 200000; ++i) {
    const int32_t a = static_cast<int32_t>(rng());
    const int32_t b = static_cast<int32_t>(rng()) >> (rng() % 31);
    CHECK_EQ(SaturatingRoundingDoublingHighMul(a, b), SrdhmNudge(a, b));
  }
}

QINT8_TEST(rounding_divide_by_pot) {
  CHECK_EQ(RoundingDivideByPOT(5, 1), 3);
  CHECK_EQ(RoundingDivideByPOT(-5, 1), -3);
  CHECK_EQ(RoundingDivideByPOT(6, 2), 2);
  CHECK_EQ(RoundingDivideByPOT(-6, 2), -2);
  CHECK_EQ(RoundingDivideByPOT(kMin, 31), -1);
  CHECK_EQ(RoundingDivideByPOT(kMax, 31), 1);
  CHECK_EQ(RoundingDivideByPOT(kMin, 0), kMin);
  std::mt19937 rng(11);
  for (int n = 0; n <= 31; ++n) {
    for (int i = 0; i < 5000; ++i) {
      const int32_t x = static_cast<int32_t>(rng()) >> (rng() % 32);
      CHECK_EQ(RoundingDivideByPOT(x, n), DivideAway(x, n));
    }
  }
}

QINT8_TEST(multiply_by_quantized_multiplier_profiles_disagree_as_spec_4_5) {
  // M = 2^30, shift = -1: multiply by 0.25
  const int32_t m = 1 << 30;
  CHECK_EQ(MultiplyByQuantizedMultiplierDouble(1, m, -1), 1);
  CHECK_EQ(MultiplyByQuantizedMultiplierSingle(1, m, -1), 0);
  CHECK_EQ(MultiplyByQuantizedMultiplierDouble(-2, m, -1), -1);
  CHECK_EQ(MultiplyByQuantizedMultiplierSingle(-2, m, -1), 0);
  CHECK_EQ(MultiplyByQuantizedMultiplierDouble(-3, m, -1), -1);
  CHECK_EQ(MultiplyByQuantizedMultiplierSingle(-3, m, -1), -1);
  CHECK_EQ(MultiplyByQuantizedMultiplierDouble(2, m, -1), 1);
  CHECK_EQ(MultiplyByQuantizedMultiplierSingle(2, m, -1), 1);
}

QINT8_TEST(fully_connected_worked_example) {
  // spec 5.4: acc 5140, d from float32 scales 0.02*0.005/0.05 -> M 1099511562, shift -8 -> 10, + z_out 5 = 15
  const double d = static_cast<double>(0.02f) * static_cast<double>(0.005f) / static_cast<double>(0.05f);
  const QuantizedMultiplier qm = QuantizeMultiplier(d, kProfileTfliteRef);
  CHECK_EQ(qm.multiplier, 1099511562);
  CHECK_EQ(qm.shift, -8);
  CHECK_EQ(MultiplyByQuantizedMultiplierDouble(5140, qm.multiplier, qm.shift) + 5, 15);
}

QINT8_TEST(quantize_multiplier_examples) {
  QuantizedMultiplier qm = QuantizeMultiplier(0.002, kProfileTfliteRef);
  CHECK_EQ(qm.multiplier, 1099511628);
  CHECK_EQ(qm.shift, -8);
  qm = QuantizeMultiplier(1.0 - std::ldexp(1.0, -40), kProfileTfliteRef);
  CHECK_EQ(qm.multiplier, 1 << 30);
  CHECK_EQ(qm.shift, 1);
  qm = QuantizeMultiplier(3.0, kProfileTfliteRef);
  CHECK_EQ(qm.multiplier, 1610612736);
  CHECK_EQ(qm.shift, 2);
  qm = QuantizeMultiplier(std::ldexp(1.0, -33), kProfileTfliteRef);
  CHECK_EQ(qm.multiplier, 0);
  CHECK_EQ(qm.shift, 0);
  qm = QuantizeMultiplier(std::ldexp(1.0, -32), kProfileTfliteRef);  // exponent -31: kept
  CHECK_EQ(qm.multiplier, 1 << 30);
  CHECK_EQ(qm.shift, -31);
  qm = QuantizeMultiplier(0.0, kProfileTfliteRef);
  CHECK_EQ(qm.multiplier, 0);
  CHECK_EQ(qm.shift, 0);
  qm = QuantizeMultiplier(1e10, kProfileTfliteRef);
  CHECK_EQ(qm.shift, 34);
  qm = QuantizeMultiplier(1e10, kProfileTfliteSingle);  // single rounding saturates the shift
  CHECK_EQ(qm.multiplier, kMax);
  CHECK_EQ(qm.shift, 30);
}

QINT8_TEST(quantize_rounding_and_special_values) {
  const float x[] = {0.25f, -0.25f, 0.75f, -0.75f, 1.25f, INFINITY, -INFINITY, NAN, 1e30f, -1e30f};
  const float scale = 0.5f;
  const int32_t zero = 3;
  uint8_t out[10];
  const AxisLayout layout{1, 1, 10};
  CHECK_EQ(Quantize(x, &scale, &zero, layout, -128, 127, kRoundHalfAway, kIsaScalar, out), 1);
  const int8_t away[] = {4, 2, 5, 1, 6, 127, -128, 3, 127, -128};
  for (int i = 0; i < 10; ++i) CHECK_EQ(static_cast<int8_t>(out[i]), away[i]);
  CHECK_EQ(Quantize(x, &scale, &zero, layout, -128, 127, kRoundHalfEven, kIsaScalar, out), 1);
  const int8_t even[] = {3, 3, 5, 1, 5, 127, -128, 3, 127, -128};
  for (int i = 0; i < 10; ++i) CHECK_EQ(static_cast<int8_t>(out[i]), even[i]);
}

QINT8_TEST(quantize_per_axis_and_dequantize) {
  // [2, 3] along axis 1: per-column scales and zero points
  const float x[] = {1.0f, 2.0f, -3.0f, 0.5f, -1.0f, 6.0f};
  const float scales[] = {0.5f, 0.25f, 1.0f};
  const int32_t zeros[] = {0, 10, 128};
  uint8_t q[6];
  CHECK_EQ(Quantize(x, scales, zeros, AxisLayout{2, 3, 1}, 0, 255, kRoundHalfAway, kIsaScalar, q), 0);
  const uint8_t expected[] = {2, 18, 125, 1, 6, 134};
  for (int i = 0; i < 6; ++i) CHECK_EQ(q[i], expected[i]);
  float f[6];
  DequantizeUint8(q, scales, zeros, AxisLayout{2, 3, 1}, f);
  for (int i = 0; i < 6; ++i) CHECK(f[i] == x[i]);
}

QINT8_TEST(requantize_int8_to_uint8_is_xor) {
  uint8_t q[256];
  for (int i = 0; i < 256; ++i) q[i] = static_cast<uint8_t>(i);
  const QuantizedMultiplier one = QuantizeMultiplier(1.0, kProfileTfliteRef);
  const RequantizeChannel c{one.multiplier, one.shift, 1.0f, -5, 123};
  uint8_t out[256];
  Requantize(q, true, &c, AxisLayout{1, 1, 256}, kProfileTfliteRef, 0, 255, out);
  for (int i = 0; i < 256; ++i) CHECK_EQ(out[i], q[i] ^ 0x80);
}

QINT8_TEST(quantize_every_isa_equals_scalar) {
  // Lengths around the 32-element SIMD step, values with exact ties, NaN, infinities, huge magnitudes.
  std::mt19937 rng(3);
  std::vector<float> x(300);
  const float specials[] = {0.5f, -0.5f, 1.5f, -2.5f, NAN, INFINITY, -INFINITY, 3e38f, -3e38f, 0.0f, -0.0f};
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = (rng() % 5 == 0) ? specials[rng() % 11] : static_cast<float>(static_cast<int32_t>(rng() % 2001) - 1000) / 4.0f;
  }
  for (Isa isa : UsableIsas()) {
    for (int32_t n : {0, 1, 7, 31, 32, 33, 63, 64, 65, 100, 300}) {
      for (Rounding rounding : {kRoundHalfAway, kRoundHalfEven}) {
        for (int32_t zero : {-128, -3, 0, 127}) {
          for (float scale : {0.25f, 0.5f, 1.0f, 3.7f}) {
            std::vector<uint8_t> expected(n + 1, 0xAA), got(n + 1, 0xAA);
            const AxisLayout layout{1, 1, static_cast<size_t>(n)};
            const int32_t qmin = zero < 0 ? -128 : 0, qmax = zero < 0 ? 127 : 255;
            const size_t nans_expected = Quantize(x.data(), &scale, &zero, layout, qmin, qmax, rounding, kIsaScalar, expected.data());
            const size_t nans = Quantize(x.data(), &scale, &zero, layout, qmin, qmax, rounding, isa, got.data());
            CHECK_EQ(nans, nans_expected);
            CHECK(expected == got);  // includes the guard byte after the end: nothing written past n
          }
        }
      }
    }
  }
}
