// Native tests of the int8 SOFTMAX reference kernel and its gemmlowp fixed-point helpers: exp and 1/(1+x)
// against libm, exact outputs for uniform rows, rows beyond TFLite's exponent range, diff_min.
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.h"
#include "qint8/gemmlowp.h"
#include "qint8/ops.h"
#include "qint8/quant.h"

namespace {

namespace sf = qint8::softmax_field;

// TFLite's PreprocessSoftmaxScaling (default build) and TFLM's diff_min = -CalculateInputRadius(5, shift).
std::vector<int32_t> SoftmaxGeometry(int32_t rows, int32_t depth, double beta, float input_scale) {
  const double real = std::fmin(beta * static_cast<double>(input_scale) * (1 << 26), 2147483647.0);
  const qint8::QuantizedMultiplier qm = qint8::QuantizeMultiplier(real, qint8::kProfileTfliteRef);
  const double radius = 31.0 * static_cast<double>(int64_t{1} << 26) / static_cast<double>(int64_t{1} << qm.shift);
  std::vector<int32_t> g(sf::kCount);
  g[sf::kRows] = rows, g[sf::kDepth] = depth;
  g[sf::kInputMultiplier] = qm.multiplier, g[sf::kInputLeftShift] = qm.shift;
  g[sf::kDiffMin] = -static_cast<int32_t>(std::floor(radius));
  return g;
}

std::vector<int32_t> RunSoftmax(const std::vector<int8_t>& x, int32_t rows, double beta, float scale) {
  const std::vector<int32_t> g = SoftmaxGeometry(rows, static_cast<int32_t>(x.size()) / rows, beta, scale);
  std::vector<int8_t> out(x.size(), 0x55);
  qint8::Softmax(x.data(), g.data(), out.data());
  return std::vector<int32_t>(out.begin(), out.end());
}

}  // namespace

// exp on Q5.26 inputs in [-32, 0] agrees with libm to within 2.5e-7 (the Taylor remainder at -1/4 dominates).
QINT8_TEST(gemmlowp_exp_on_negative_values_matches_libm) {
  CHECK_EQ(qint8::gemmlowp::ExpOnNegativeValues<5>(0), 2147483647);
  int bad = 0;
  for (int64_t raw = 0; raw >= -(int64_t{1} << 31); raw -= 1 << 18) {
    const double got = qint8::gemmlowp::ExpOnNegativeValues<5>(static_cast<int32_t>(raw)) / 2147483648.0;
    bad += std::fabs(got - std::exp(static_cast<double>(raw) / (1 << 26))) > 2.5e-7;
  }
  CHECK_EQ(bad, 0);
}

// 1/(1+x) for x in [0, 1) agrees with libm to about 2^-30.
QINT8_TEST(gemmlowp_one_over_one_plus_x_matches_libm) {
  int bad = 0;
  for (int64_t raw = 0; raw < (int64_t{1} << 31); raw += 1 << 20) {
    const double got = qint8::gemmlowp::OneOverOnePlusXForXIn0To1(static_cast<int32_t>(raw)) / 2147483648.0;
    bad += std::fabs(got - 1.0 / (1.0 + static_cast<double>(raw) / 2147483648.0)) > 4e-9;
  }
  CHECK_EQ(bad, 0);
  int n = 0;
  CHECK_EQ(qint8::gemmlowp::GetReciprocal(1 << 21, 12, &n), qint8::gemmlowp::OneOverOnePlusXForXIn0To1(0));  // 4.0
  CHECK_EQ(n, 2);
}

QINT8_TEST(gemmlowp_saturating_multiply_by_pot) {
  CHECK_EQ(qint8::gemmlowp::SaturatingRoundingMultiplyByPOT(1 << 25, 5), 1 << 30);
  CHECK_EQ(qint8::gemmlowp::SaturatingRoundingMultiplyByPOT(1 << 26, 5), 2147483647);
  CHECK_EQ(qint8::gemmlowp::SaturatingRoundingMultiplyByPOT(-(1 << 26), 5), -2147483647 - 1);
  CHECK_EQ(qint8::gemmlowp::SaturatingRoundingMultiplyByPOT(-(1 << 26) + 1, 5), -2147483647 - 1 + 32);
  CHECK_EQ(qint8::gemmlowp::SaturatingRoundingMultiplyByPOT(-6, -2), -2);
  CHECK_EQ(qint8::gemmlowp::RoundingHalfSum(2147483647, 2147483647), 2147483647);
  CHECK_EQ(qint8::gemmlowp::RoundingHalfSum(-3, 0), -2);
  CHECK_EQ(qint8::gemmlowp::RoundingDivideByPOTAnyExponent(2147483647, 32), 0);
  CHECK_EQ(qint8::gemmlowp::RoundingDivideByPOTAnyExponent(2147483647, 31), 1);
  CHECK_EQ(qint8::gemmlowp::CountLeadingZeros(0), 32);
  CHECK_EQ(qint8::gemmlowp::CountLeadingZeros(1), 31);
  CHECK_EQ(qint8::gemmlowp::CountLeadingZeros(0x80000000u), 0);
}

// Uniform rows: 1/depth in units of 1/256, minus 128. Depth 1 -> 1.0 -> 128 - 128 clamps at 127;
// depth 4 -> 64; depth 256 -> 1; depth 512 and more -> 0.5 or less -> 0 (TFLite's exponent would exceed 31).
QINT8_TEST(softmax_uniform_rows) {
  CHECK_EQ(RunSoftmax({42}, 1, 1.0, 0.1f)[0], 127);
  for (int32_t v : RunSoftmax({5, 5, 5, 5}, 1, 1.0, 0.1f)) CHECK_EQ(v, 64 - 128);
  for (int32_t v : RunSoftmax(std::vector<int8_t>(256, -7), 1, 1.0, 0.1f)) CHECK_EQ(v, 1 - 128);
  for (int32_t v : RunSoftmax(std::vector<int8_t>(511, 0), 1, 1.0, 0.1f)) CHECK_EQ(v, 1 - 128);  // 256/511 = 0.501
  for (int32_t v : RunSoftmax(std::vector<int8_t>(512, 0), 1, 1.0, 0.1f)) CHECK_EQ(v, -128);
  for (int32_t v : RunSoftmax(std::vector<int8_t>(10000, 3), 1, 1.0, 0.1f)) CHECK_EQ(v, -128);  // sum saturates
}

// Two classes whose difference is ln 3 in real units: probabilities 3/4 and 1/4 -> 192 and 64 (minus 128).
// Rows are independent; entries below diff_min give -128 exactly.
QINT8_TEST(softmax_two_classes_and_rows) {
  const float scale = static_cast<float>(std::log(3.0) / 16);  // 16 steps of the input = ln 3
  const std::vector<int32_t> out = RunSoftmax({16, 0, -100, -84}, 2, 1.0, scale);
  CHECK(out[0] >= 63 && out[0] <= 64);
  CHECK(out[1] >= -65 && out[1] <= -64);
  CHECK_EQ(out[2], out[1]);
  CHECK_EQ(out[3], out[0]);
  // beta * scale large: every non-maximal entry falls below diff_min (or rounds to 0).
  const std::vector<int32_t> sharp = RunSoftmax({10, 9, -128, 10}, 1, 1.0, 20.0f);
  CHECK_EQ(sharp[0], 0);  // two maxima: 1/2 each -> 128 - 128
  CHECK_EQ(sharp[1], -128);
  CHECK_EQ(sharp[2], -128);
  CHECK_EQ(sharp[3], 0);
}

// Softmax agrees with a float model to within one step over random rows (sanity of the whole chain).
QINT8_TEST(softmax_close_to_float_model) {
  uint32_t state = 12345u;
  int bad = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int8_t> x(1 + trial % 40);
    for (int8_t& v : x) v = static_cast<int8_t>((state = state * 1664525u + 1013904223u) >> 24);
    const float scale = 0.01f + 0.002f * static_cast<float>(trial % 50);
    const double beta = trial % 3 == 0 ? 0.5 : trial % 3 == 1 ? 1.0 : 2.0;
    const std::vector<int32_t> out = RunSoftmax(x, 1, beta, scale);
    int32_t max = -128;
    for (int8_t v : x) max = v > max ? v : max;
    double sum = 0;
    for (int8_t v : x) sum += std::exp(beta * scale * (v - max));
    for (size_t i = 0; i < x.size(); ++i) {
      const double expected = std::exp(beta * scale * (x[i] - max)) / sum * 256 - 128;
      bad += std::fabs(out[i] - std::fmin(expected, 127.0)) > 1.0;
    }
  }
  CHECK_EQ(bad, 0);
}
