// Native tests of the MAX_POOL_2D / AVERAGE_POOL_2D reference kernels: windows clipped by padding,
// rounding of negative sums half away from zero, activation clamps, uint8 data.
#include <cstdint>
#include <vector>

#include "check.h"
#include "fixtures.h"
#include "qint8/ops.h"

namespace {

using qint8::ByteTensor;
namespace pf = qint8::pool_field;

struct PoolSpec {
  int32_t n = 1, h = 1, w = 1, c = 1, oh = 1, ow = 1, fh = 1, fw = 1, sh = 1, sw = 1, pad_top = 0, pad_left = 0;
  int32_t act_min = -128, act_max = 127;
  std::vector<int32_t> Geometry() const {
    std::vector<int32_t> g(pf::kCount);
    g[pf::kBatches] = n, g[pf::kInputHeight] = h, g[pf::kInputWidth] = w, g[pf::kChannels] = c;
    g[pf::kOutputHeight] = oh, g[pf::kOutputWidth] = ow, g[pf::kFilterHeight] = fh, g[pf::kFilterWidth] = fw;
    g[pf::kStrideHeight] = sh, g[pf::kStrideWidth] = sw, g[pf::kPadTop] = pad_top, g[pf::kPadLeft] = pad_left;
    g[pf::kActivationMin] = act_min, g[pf::kActivationMax] = act_max;
    return g;
  }
};

std::vector<int32_t> Pool(bool average, const PoolSpec& s, const std::vector<int8_t>& input) {
  std::vector<uint8_t> out(static_cast<size_t>(s.n) * s.oh * s.ow * s.c);
  const std::vector<int32_t> g = s.Geometry();
  const ByteTensor in{reinterpret_cast<const uint8_t*>(input.data()), true};
  if (average) {
    qint8::AveragePool2D(in, g.data(), out.data());
  } else {
    qint8::MaxPool2D(in, g.data(), out.data());
  }
  return qint8_test::Int8Values(out);
}

}  // namespace

// Means of two or three taps: -1.5 -> -2, -0.67 -> -1, -0.5 -> -1, 0.5 -> 1, 1.5 -> 2, 0 -> 0.
QINT8_TEST(average_pool_rounds_half_away_from_zero) {
  PoolSpec s;
  s.w = 12, s.ow = 6, s.fw = 2, s.sw = 2;
  const std::vector<int32_t> pairs = Pool(true, s, {-1, -2, -1, 0, 1, 0, 1, 2, 0, 0, -128, -127});
  const int32_t expected[] = {-2, -1, 1, 2, 0, -128};
  for (int i = 0; i < 6; ++i) CHECK_EQ(pairs[i], expected[i]);
  PoolSpec t;
  t.w = 3, t.fw = 3;
  CHECK_EQ(Pool(true, t, {-1, -1, 0})[0], -1);
  CHECK_EQ(Pool(true, t, {1, 1, 0})[0], 1);
  CHECK_EQ(Pool(true, t, {-2, -2, 0})[0], -1);  // -1.33
  CHECK_EQ(Pool(true, t, {-2, -2, -1})[0], -2);  // -1.67
}

// SAME padding, 3x3 filter on 3x3 input, stride 1, pad 1: corners average 4 taps, edges 6, centre 9.
QINT8_TEST(average_pool_counts_only_in_image_taps) {
  PoolSpec s;
  s.h = 3, s.w = 3, s.oh = 3, s.ow = 3, s.fh = 3, s.fw = 3, s.pad_top = 1, s.pad_left = 1;
  const std::vector<int8_t> input = {-9, 0, 0, 0, 0, 0, 0, 0, 9};
  const std::vector<int32_t> out = Pool(true, s, input);
  const int32_t expected[] = {-2, -2, 0, -2, 0, 2, 0, 2, 2};  // -9/4 -> -2, -9/6 -> -2 (-1.5), 0, 9/6 -> 2 ...
  for (int i = 0; i < 9; ++i) CHECK_EQ(out[i], expected[i]);
}

// Max pool with padding (padded taps take no part) and a raised activation minimum.
QINT8_TEST(max_pool_padding_and_clamp) {
  PoolSpec s;
  s.h = 2, s.w = 3, s.oh = 2, s.ow = 3, s.fh = 2, s.fw = 2, s.pad_top = 0, s.pad_left = 1, s.act_min = -100;
  const std::vector<int8_t> input = {-128, -128, 5, -120, 7, -3};
  const std::vector<int32_t> out = Pool(false, s, input);
  // windows: x in {-1,0}/{0,1}/{1,2} and y in {0,1}/{1}
  const int32_t expected[] = {-100, 7, 7, -100, 7, 7};
  for (int i = 0; i < 6; ++i) CHECK_EQ(out[i], expected[i]);
}

// Channels pool independently; batches do not mix; uint8 data starts the max from 0 and averages unsigned.
QINT8_TEST(pool_channels_batches_and_uint8) {
  PoolSpec s;
  s.n = 2, s.w = 2, s.c = 2, s.fw = 2;
  const uint8_t input[] = {10, 200, 20, 201, 255, 0, 254, 1};  // [2, 1, 2, 2]
  uint8_t out[4];
  s.act_min = 0, s.act_max = 255;
  const std::vector<int32_t> g = s.Geometry();
  qint8::MaxPool2D(ByteTensor{input, false}, g.data(), out);
  CHECK_EQ(out[0], 20);
  CHECK_EQ(out[1], 201);
  CHECK_EQ(out[2], 255);
  CHECK_EQ(out[3], 1);
  qint8::AveragePool2D(ByteTensor{input, false}, g.data(), out);
  CHECK_EQ(out[0], 15);
  CHECK_EQ(out[1], 201);  // 200.5 -> 201
  CHECK_EQ(out[2], 255);  // 254.5 -> 255
  CHECK_EQ(out[3], 1);    // 0.5 -> 1
}
