// Native tests of the ADD reference kernel: exact sums under equal scales, broadcasting through strides,
// TFLite's double rounding of the rescaled inputs, and the saturating output clamp.
#include <cstdint>
#include <vector>

#include "check.h"
#include "qint8/ops.h"

namespace {

using qint8::ByteTensor;
namespace af = qint8::add_field;

// ADD parameters for s_a = s_b = s_out as TFLite's Prepare derives them: left shift 20, input multipliers
// 0.5 (2^30, shift 0), output multiplier 2 s / (2^20 s) = 2^-19 (2^30, shift -18). The result is then
// exactly (qa - za) + (qb - zb) + z_out.
std::vector<int32_t> EqualScaleGeometry(const int32_t (&shape)[6], const int32_t (&strides_a)[6],
                                        const int32_t (&strides_b)[6], int32_t za, int32_t zb, int32_t zo) {
  std::vector<int32_t> g(af::kCount);
  for (int d = 0; d < qint8::kAddRank; ++d) {
    g[af::kOutputShape + d] = shape[d], g[af::kStridesA + d] = strides_a[d], g[af::kStridesB + d] = strides_b[d];
  }
  g[af::kInputOffsetA] = -za, g[af::kInputOffsetB] = -zb, g[af::kOutputOffset] = zo, g[af::kLeftShift] = 20;
  g[af::kMultiplierA] = 1 << 30, g[af::kShiftA] = 0, g[af::kMultiplierB] = 1 << 30, g[af::kShiftB] = 0;
  g[af::kOutputMultiplier] = 1 << 30, g[af::kOutputShift] = -18;
  g[af::kActivationMin] = -128, g[af::kActivationMax] = 127;
  return g;
}

ByteTensor Signed(const std::vector<int8_t>& v) { return ByteTensor{reinterpret_cast<const uint8_t*>(v.data()), true}; }

}  // namespace

// a [2, 3] + b [1, 3] (b broadcast along rows) and a [2, 3] + scalar b.
QINT8_TEST(add_broadcasting_rows_and_scalar) {
  const std::vector<int8_t> a = {1, 2, 3, -4, -5, -6}, b = {10, 20, 30};
  const int32_t shape[6] = {1, 1, 1, 1, 2, 3}, strides_a[6] = {0, 0, 0, 0, 3, 1}, strides_b[6] = {0, 0, 0, 0, 0, 1};
  std::vector<uint8_t> out(6);
  std::vector<int32_t> g = EqualScaleGeometry(shape, strides_a, strides_b, 1, -2, 3);
  qint8::Add(Signed(a), Signed(b), g.data(), out.data());
  for (int i = 0; i < 6; ++i) CHECK_EQ(static_cast<int8_t>(out[i]), (a[i] - 1) + (b[i % 3] + 2) + 3);
  const int32_t scalar_strides[6] = {0, 0, 0, 0, 0, 0};
  g = EqualScaleGeometry(shape, strides_a, scalar_strides, 0, 0, 0);
  qint8::Add(Signed(a), Signed({-7}), g.data(), out.data());
  for (int i = 0; i < 6; ++i) CHECK_EQ(static_cast<int8_t>(out[i]), a[i] - 7);
}

// Both inputs broadcast: a [2, 1] + b [1, 3] -> [2, 3] (an outer sum), in the two lowest of six dimensions,
// and a 4-D case [2, 1, 2, 1] + [1, 3, 1, 2] -> [2, 3, 2, 2].
QINT8_TEST(add_broadcasting_both_inputs) {
  const std::vector<int8_t> a = {100, -100}, b = {1, 2, 3};
  const int32_t shape[6] = {1, 1, 1, 1, 2, 3}, strides_a[6] = {0, 0, 0, 0, 1, 0}, strides_b[6] = {0, 0, 0, 0, 0, 1};
  std::vector<uint8_t> out(6);
  const std::vector<int32_t> g = EqualScaleGeometry(shape, strides_a, strides_b, 0, 0, 0);
  qint8::Add(Signed(a), Signed(b), g.data(), out.data());
  for (int i = 0; i < 6; ++i) CHECK_EQ(static_cast<int8_t>(out[i]), a[i / 3] + b[i % 3]);

  const std::vector<int8_t> a4 = {1, 2, 3, 4}, b4 = {10, 20, 30, 40, 50, 60};
  const int32_t shape4[6] = {1, 1, 2, 3, 2, 2}, sa4[6] = {0, 0, 2, 0, 1, 0}, sb4[6] = {0, 0, 0, 2, 0, 1};
  std::vector<uint8_t> out4(24);
  const std::vector<int32_t> g4 = EqualScaleGeometry(shape4, sa4, sb4, 0, 0, 0);
  qint8::Add(Signed(a4), Signed(b4), g4.data(), out4.data());
  int i = 0;
  for (int n = 0; n < 2; ++n)
    for (int h = 0; h < 3; ++h)
      for (int w = 0; w < 2; ++w)
        for (int c = 0; c < 2; ++c) CHECK_EQ(static_cast<int8_t>(out4[i++]), a4[n * 2 + w] + b4[h * 2 + c]);
}

// Clamps: the sum saturates at the activation bounds (RELU: [z_out, 127]).
QINT8_TEST(add_clamps) {
  const std::vector<int8_t> a = {120, -120, 5}, b = {100, -100, -10};
  const int32_t shape[6] = {1, 1, 1, 1, 1, 3}, strides[6] = {0, 0, 0, 0, 0, 1};
  std::vector<int32_t> g = EqualScaleGeometry(shape, strides, strides, 0, 0, -10);
  g[af::kActivationMin] = -10;
  std::vector<uint8_t> out(3);
  qint8::Add(Signed(a), Signed(b), g.data(), out.data());
  CHECK_EQ(static_cast<int8_t>(out[0]), 127);
  CHECK_EQ(static_cast<int8_t>(out[1]), -10);
  CHECK_EQ(static_cast<int8_t>(out[2]), -10);  // -5 + z_out = -15, raised to -10
}

// Different scales, worked by hand: s_a = 0.5, s_b = 0.25, s_out = 1 (TFLite Prepare: twice_max = 1,
// input multipliers 0.5 and 0.25, output multiplier 1/2^20). a = 3 (1.5), b = 3 (0.75): 2.25 -> 2;
// a = 1 (0.5), b = 0 -> 0.5 -> 1 (the double rounding rounds half away); a = -1, b = 0 -> -0.5 -> -1.
QINT8_TEST(add_different_scales_rounding) {
  const std::vector<int8_t> a = {3, 1, -1, 5}, b = {3, 0, 0, -2};
  const int32_t shape[6] = {1, 1, 1, 1, 1, 4}, strides[6] = {0, 0, 0, 0, 0, 1};
  std::vector<int32_t> g = EqualScaleGeometry(shape, strides, strides, 0, 0, 0);
  g[af::kMultiplierA] = 1 << 30, g[af::kShiftA] = 0;          // 0.5
  g[af::kMultiplierB] = 1 << 30, g[af::kShiftB] = -1;         // 0.25
  g[af::kOutputMultiplier] = 1 << 30, g[af::kOutputShift] = -19;  // 2^-20
  std::vector<uint8_t> out(4);
  qint8::Add(Signed(a), Signed(b), g.data(), out.data());
  CHECK_EQ(static_cast<int8_t>(out[0]), 2);
  CHECK_EQ(static_cast<int8_t>(out[1]), 1);
  CHECK_EQ(static_cast<int8_t>(out[2]), -1);
  CHECK_EQ(static_cast<int8_t>(out[3]), 2);  // 2.5 - 0.5 = 2
}

// From 1024 output elements on, ADD tabulates each input's 256 scaled values: the result must equal the
// element-by-element path. Unequal scales (multipliers < 1 with rounding), both dtypes, broadcasting and not.
QINT8_TEST(add_tabulated_path_equals_per_element_path) {
  std::vector<int8_t> a(4096), b(4096);
  uint32_t state = 12345;
  auto next = [&]() { return state = state * 1664525u + 1013904223u; };
  for (auto& v : a) v = static_cast<int8_t>(next() >> 24);
  for (auto& v : b) v = static_cast<int8_t>(next() >> 24);
  const int32_t shapes[2][6] = {{1, 1, 1, 16, 16, 16}, {1, 1, 1, 16, 16, 16}};
  const int32_t strides_a[2][6] = {{0, 0, 0, 256, 16, 1}, {0, 0, 0, 256, 16, 1}};
  const int32_t strides_b[2][6] = {{0, 0, 0, 256, 16, 1}, {0, 0, 0, 0, 0, 1}};  // same shape; b broadcast [16]
  for (int c = 0; c < 2; ++c) {
    std::vector<int32_t> g = EqualScaleGeometry(shapes[c], strides_a[c], strides_b[c], -3, 7, -5);
    g[af::kMultiplierA] = 1518500250, g[af::kShiftA] = -1;  // ~0.354 and ~0.707 of the common scale
    g[af::kMultiplierB] = 1518500250, g[af::kShiftB] = 0;
    g[af::kOutputMultiplier] = 1431655765, g[af::kOutputShift] = -17;
    g[af::kActivationMin] = -100, g[af::kActivationMax] = 110;
    std::vector<uint8_t> tabulated(4096), single(1);
    qint8::Add(Signed(a), Signed(b), g.data(), tabulated.data());
    // The per-element path, one output at a time (1 element < 1024): the same pairs, walked by hand.
    std::vector<int32_t> g1 = g;
    for (int d = 0; d < qint8::kAddRank; ++d) g1[af::kOutputShape + d] = 1;
    for (int i = 0; i < 4096; ++i) {
      const int j = c == 0 ? i : i % 16;
      qint8::Add(ByteTensor{reinterpret_cast<const uint8_t*>(&a[i]), true}, ByteTensor{reinterpret_cast<const uint8_t*>(&b[j]), true},
                 g1.data(), single.data());
      CHECK_EQ(tabulated[i], single[0]);
    }
  }
}
