// Native tests of the FULLY_CONNECTED reference kernel: the spec's worked example through the operator,
// raw accumulators, int32 wrap-around, the uint8 legacy path and the three requantization profiles.
#include <cstdint>
#include <vector>

#include "check.h"
#include "qint8/ops.h"
#include "qint8/quant.h"

namespace {

using qint8::ByteTensor;
using qint8::Requantization;
namespace ff = qint8::fc_field;

std::vector<int32_t> FcGeometry(int32_t batches, int32_t depth, int32_t units, int32_t input_offset,
                                int32_t filter_offset, int32_t output_offset, int32_t profile, int32_t per_channel,
                                int32_t act_min = -128, int32_t act_max = 127) {
  std::vector<int32_t> g(ff::kCount);
  g[ff::kBatches] = batches, g[ff::kDepth] = depth, g[ff::kUnits] = units;
  g[ff::kInputOffset] = input_offset, g[ff::kFilterOffset] = filter_offset, g[ff::kOutputOffset] = output_offset;
  g[ff::kActivationMin] = act_min, g[ff::kActivationMax] = act_max;
  g[ff::kProfile] = profile, g[ff::kPerChannel] = per_channel;
  return g;
}

ByteTensor Signed(const std::vector<int8_t>& v) { return ByteTensor{reinterpret_cast<const uint8_t*>(v.data()), true}; }

}  // namespace

// Spec 5.4: s_in 0.02, z_in -10, s_w 0.005, s_out 0.05, z_out 5; acc = 5140 -> 15.
QINT8_TEST(fc_worked_example_spec_5_4) {
  const std::vector<int8_t> x = {20, -10, 100, -128}, w = {127, -64, 3, 0};
  const int32_t bias = 1000;
  const double d = static_cast<double>(0.02f) * static_cast<double>(0.005f) / static_cast<double>(0.05f);
  const qint8::QuantizedMultiplier qm = qint8::QuantizeMultiplier(d, qint8::kProfileTfliteRef);
  const float scale = 0.002f;
  const Requantization rq{&qm.multiplier, &qm.shift, &scale};
  uint8_t out = 0;
  const std::vector<int32_t> g = FcGeometry(1, 4, 1, 10, 0, 5, 0, 1);
  qint8::FullyConnected(Signed(x), Signed(w), &bias, rq, g.data(), &out);
  CHECK_EQ(static_cast<int8_t>(out), 15);
  int32_t acc = 0;
  qint8::FullyConnectedAccumulators(Signed(x), Signed(w), &bias, g.data(), &acc);
  CHECK_EQ(acc, 5140);
}

// Batches x units layout, per-unit bias, no bias, and a 3-row batch.
QINT8_TEST(fc_accumulators_layout) {
  const std::vector<int8_t> x = {1, 2, 3, -1, -2, -3, 0, 1, 0};  // [3, 3]
  const std::vector<int8_t> w = {1, 0, 0, 0, 1, 0, 1, 1, 1, 2, -1, 5};  // [4, 3]
  const int32_t bias[] = {0, 10, 20, 30};
  std::vector<int32_t> acc(12), no_bias(12);
  const std::vector<int32_t> g = FcGeometry(3, 3, 4, 0, 0, 0, 0, 0);
  qint8::FullyConnectedAccumulators(Signed(x), Signed(w), bias, g.data(), acc.data());
  qint8::FullyConnectedAccumulators(Signed(x), Signed(w), nullptr, g.data(), no_bias.data());
  const int32_t expected[] = {1, 12, 26, 45, -1, 8, 14, 15, 0, 11, 21, 29};
  for (int i = 0; i < 12; ++i) CHECK_EQ(acc[i], expected[i]);
  for (int i = 0; i < 12; ++i) CHECK_EQ(no_bias[i], expected[i] - bias[i % 4]);
}

// Accumulation is int32 with two's complement wrap: 4 * 2^30 = 2^32 wraps to 0; + 2^31-1 + 1 wraps to INT32_MIN.
QINT8_TEST(fc_accumulator_wraps) {
  const std::vector<int8_t> x = {0, 0}, w = {4, 0};
  const int32_t bias = 2147483647;
  int32_t acc = 0;
  std::vector<int32_t> g = FcGeometry(1, 2, 1, 1 << 30, 0, 0, 0, 0);
  qint8::FullyConnectedAccumulators(Signed(x), Signed(w), &bias, g.data(), &acc);
  CHECK_EQ(acc, 2147483647);
  const std::vector<int8_t> w1 = {4, 1};  // + 2^30 * 1
  g[ff::kInputOffset] = 1 << 30;
  const int32_t bias1 = 1 << 30;
  qint8::FullyConnectedAccumulators(Signed(x), Signed(w1), &bias1, g.data(), &acc);
  CHECK_EQ(acc, -2147483647 - 1);
}

// uint8 legacy path: acc = sum (w - z_w) * (x - z_in) + bias with z_w = 130, z_in = 120, z_out = 128.
QINT8_TEST(fc_uint8_legacy_offsets) {
  const uint8_t x[] = {120, 121, 255, 0}, w[] = {130, 140, 129, 255};
  const int32_t bias = -7;
  const int32_t acc_expected = 0 * 0 + 10 * 1 + (-1) * 135 + 125 * (-120) - 7;
  int32_t acc = 0;
  const std::vector<int32_t> g = FcGeometry(1, 4, 1, -120, -130, 128, 0, 0, 0, 255);
  qint8::FullyConnectedAccumulators(ByteTensor{x, false}, ByteTensor{w, false}, &bias, g.data(), &acc);
  CHECK_EQ(acc, acc_expected);
  const int32_t multiplier = 1 << 30, shift = -6;  // x / 128
  const float scale = 1.0f / 128;
  uint8_t out = 0;
  qint8::FullyConnected(ByteTensor{x, false}, ByteTensor{w, false}, &bias, Requantization{&multiplier, &shift, &scale},
                        g.data(), &out);
  CHECK_EQ(out, 128 - 118);  // -15132 / 128 = -118.22 -> -118
}

// The three profiles on one accumulator where they disagree (spec 4.5, multiplier 0.25): acc 1 -> 0.25,
// acc -2 -> -0.5, and a float-scale tie 2.5 -> 2 (half to even) for xnnpack-fp32.
QINT8_TEST(fc_profiles_disagree) {
  const std::vector<int8_t> w = {1};
  const int32_t multiplier = 1 << 30, shift = -1;
  const float scale = 0.25f;
  const Requantization rq{&multiplier, &shift, &scale};
  struct Case {
    int8_t x;
    int32_t profile;
    int32_t expected;
  };
  const Case cases[] = {{1, 0, 1}, {1, 1, 0}, {1, 2, 0}, {-2, 0, -1}, {-2, 1, 0}, {-2, 2, 0},
                        {10, 0, 3}, {10, 1, 3}, {10, 2, 2}, {-6, 0, -2}, {-6, 1, -1}, {-6, 2, -2}};
  for (const Case& c : cases) {
    const std::vector<int8_t> x = {c.x};
    uint8_t out = 0;
    const std::vector<int32_t> g = FcGeometry(1, 1, 1, 0, 0, 0, c.profile, 0);
    qint8::FullyConnected(Signed(x), Signed(w), nullptr, rq, g.data(), &out);
    CHECK_EQ(static_cast<int8_t>(out), c.expected);
  }
}

// The output zero point is added in 64 bits: a huge requantized value plus z_out saturates at act_max.
QINT8_TEST(fc_output_offset_saturates) {
  const std::vector<int8_t> x = {100}, w = {100};
  const int32_t bias = 2147483647 - 10000;  // acc = 2^31 - 1
  const int32_t multiplier = 2147483647, shift = 0;  // 1 - 2^-31
  const float scale = 1.0f;
  for (int32_t profile = 0; profile <= 2; ++profile) {
    uint8_t out = 0;
    const std::vector<int32_t> g = FcGeometry(1, 1, 1, 0, 0, 127, profile, 0);
    qint8::FullyConnected(Signed(x), Signed(w), &bias, Requantization{&multiplier, &shift, &scale}, g.data(), &out);
    CHECK_EQ(static_cast<int8_t>(out), 127);
  }
}
