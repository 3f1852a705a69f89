// Native tests of the CONV_2D and DEPTHWISE_CONV_2D reference kernels: hand-worked padding, groups and
// depth multipliers, and conv2d against a naive formula (explicitly padded input) over random shapes.
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.h"
#include "fixtures.h"
#include "qint8/ops.h"

namespace {

using qint8::ByteTensor;
using qint8::Requantization;
namespace cf = qint8::conv_field;

// mulberry32: a small deterministic generator for random test tensors.
struct Random {
  uint32_t state;
  uint32_t Next() {
    uint32_t z = (state += 0x6D2B79F5u);
    z = (z ^ (z >> 15)) * (z | 1u);
    z ^= z + (z ^ (z >> 7)) * (z | 61u);
    return z ^ (z >> 14);
  }
  int32_t Between(int32_t lo, int32_t hi) { return lo + static_cast<int32_t>(Next() % static_cast<uint32_t>(hi - lo + 1)); }
};

// A conv geometry with identity-like defaults: stride/dilation 1, no padding, offsets 0, full int8 range.
struct ConvSpec {
  int32_t n = 1, h = 1, w = 1, cin = 1, oh = 1, ow = 1, cout = 1, kh = 1, kw = 1, cf = 1;
  int32_t sh = 1, sw = 1, dh = 1, dw = 1, pad_top = 0, pad_left = 0;
  int32_t input_offset = 0, filter_offset = 0, output_offset = 0, act_min = -128, act_max = 127;
  int32_t profile = 0, depth_multiplier = 1, per_channel = 0;

  std::vector<int32_t> Geometry() const {
    std::vector<int32_t> g(cf::kCount);
    g[cf::kBatches] = n, g[cf::kInputHeight] = h, g[cf::kInputWidth] = w, g[cf::kInputChannels] = cin;
    g[cf::kOutputHeight] = oh, g[cf::kOutputWidth] = ow, g[cf::kOutputChannels] = cout;
    g[cf::kFilterHeight] = kh, g[cf::kFilterWidth] = kw, g[cf::kFilterChannels] = cf;
    g[cf::kStrideHeight] = sh, g[cf::kStrideWidth] = sw, g[cf::kDilationHeight] = dh, g[cf::kDilationWidth] = dw;
    g[cf::kPadTop] = pad_top, g[cf::kPadLeft] = pad_left;
    g[cf::kInputOffset] = input_offset, g[cf::kFilterOffset] = filter_offset, g[cf::kOutputOffset] = output_offset;
    g[cf::kActivationMin] = act_min, g[cf::kActivationMax] = act_max;
    g[cf::kProfile] = profile, g[cf::kDepthMultiplier] = depth_multiplier, g[cf::kPerChannel] = per_channel;
    return g;
  }
};

// multiplier 2^30 with shift 1 is exactly 1.0 under every fixed-point profile.
const int32_t kUnitMultiplier = 1 << 30;
const int32_t kUnitShift = 1;
const float kUnitScale = 1.0f;

std::vector<int32_t> RunConv(const ConvSpec& spec, const std::vector<int8_t>& input, const std::vector<int8_t>& filter,
                             const int32_t* bias, bool depthwise) {
  const Requantization unit{&kUnitMultiplier, &kUnitShift, &kUnitScale};
  std::vector<uint8_t> out(static_cast<size_t>(spec.n) * spec.oh * spec.ow * spec.cout, 0xAA);
  const std::vector<int32_t> g = spec.Geometry();
  const ByteTensor in{reinterpret_cast<const uint8_t*>(input.data()), true};
  const ByteTensor w{reinterpret_cast<const uint8_t*>(filter.data()), true};
  if (depthwise) {
    qint8::DepthwiseConv2D(in, w, bias, unit, g.data(), out.data());
  } else {
    qint8::Conv2D(in, w, bias, unit, g.data(), out.data());
  }
  return qint8_test::Int8Values(out);
}

}  // namespace

// Spec 5.1: in 7, k 4, SAME -> out 7, pad 1 before and 2 after. With all-ones data each output counts
// its in-image taps; the trailing padding is implicit in the bounds check.
QINT8_TEST(conv2d_same_padding_even_kernel) {
  ConvSpec spec;
  spec.w = 7, spec.ow = 7, spec.kw = 4, spec.pad_left = 1;
  const std::vector<int32_t> out = RunConv(spec, std::vector<int8_t>(7, 1), std::vector<int8_t>(4, 1), nullptr, false);
  const int32_t expected[] = {3, 4, 4, 4, 4, 3, 2};
  for (int i = 0; i < 7; ++i) CHECK_EQ(out[i], expected[i]);
}

// Spec 5.1: in 5, k 3, dilation 2, SAME -> out 5, pad 2 and 2.
QINT8_TEST(conv2d_same_padding_dilated) {
  ConvSpec spec;
  spec.h = 5, spec.oh = 5, spec.kh = 3, spec.dh = 2, spec.pad_top = 2;
  const std::vector<int32_t> out = RunConv(spec, std::vector<int8_t>(5, 1), std::vector<int8_t>(3, 1), nullptr, false);
  const int32_t expected[] = {2, 2, 3, 2, 2};
  for (int i = 0; i < 5; ++i) CHECK_EQ(out[i], expected[i]);
}

// Skipping a tap equals padding with q = z_in: with input_offset = -z_in, padded taps add nothing.
QINT8_TEST(conv2d_padding_is_input_zero_point) {
  ConvSpec spec;
  spec.w = 2, spec.ow = 2, spec.kw = 3, spec.pad_left = 1, spec.input_offset = 5;  // z_in = -5
  // x + 5 = [2, 4]; ox 0 sees (pad, x0, x1), ox 1 sees (x0, x1, pad).
  const std::vector<int32_t> out = RunConv(spec, {-3, -1}, {3, 1, 2}, nullptr, false);
  CHECK_EQ(out[0], 1 * 2 + 2 * 4);  // w1*x0' + w2*x1'
  CHECK_EQ(out[1], 3 * 2 + 1 * 4);  // w0*x0' + w1*x1'
}

// Groups: Cin 4, Cf 2 -> G 2, Cout 4 -> two filters per group; oc 0,1 read channels 0-1, oc 2,3 read 2-3.
QINT8_TEST(conv2d_grouped) {
  ConvSpec spec;
  spec.cin = 4, spec.cf = 2, spec.cout = 4;
  const std::vector<int8_t> input = {1, 2, 3, 4};
  const std::vector<int8_t> filter = {1, 1, 1, -1, 1, 1, 2, 0};  // [Cout 4, 1, 1, Cf 2]
  const int32_t bias[] = {100, 0, 0, -3};
  const std::vector<int32_t> out = RunConv(spec, input, filter, bias, false);
  CHECK_EQ(out[0], 1 + 2 + 100);
  CHECK_EQ(out[1], 1 - 2);
  CHECK_EQ(out[2], 3 + 4);
  CHECK_EQ(out[3], 2 * 3 - 3);
}

// Depthwise with M = 2: oc = ic*2 + m reads input channel ic; filter [1, 1, 2, 4].
QINT8_TEST(depthwise_conv2d_multiplier_2) {
  ConvSpec spec;
  spec.w = 2, spec.cin = 2, spec.cout = 4, spec.kw = 2, spec.depth_multiplier = 2, spec.input_offset = 1;
  const std::vector<int8_t> input = {10, 20, 30, 40};  // pixels (10, 20), (30, 40); +1 offset
  const std::vector<int8_t> filter = {1, 2, 3, 4, -1, 0, 1, 2};
  const int32_t bias[] = {0, 1, 2, 3};
  const std::vector<int32_t> out = RunConv(spec, input, filter, bias, true);
  CHECK_EQ(out[0], 1 * 11 + -1 * 31 + 0);
  CHECK_EQ(out[1], 2 * 11 + 0 * 31 + 1);
  CHECK_EQ(out[2], 3 * 21 + 1 * 41 + 2);
  CHECK_EQ(out[3], 127);  // 4*21 + 2*41 + 3 = 169 clamps to 127
}

// Per-channel requantization and the output offset: acc -> MBQM(acc, M[oc], shift[oc]) + z_out, clamped,
// with z_out added in 64 bits (a saturating clamp, never a wrap).
QINT8_TEST(conv2d_per_channel_requantization) {
  ConvSpec spec;
  spec.cout = 3, spec.per_channel = 1, spec.output_offset = 5;
  const int32_t multiplier[] = {1 << 30, 1 << 30, 2147483647};
  const int32_t shift[] = {0, -2, 30};  // x/2, x/8, ~x*2^30
  const float scale[] = {0.5f, 0.125f, 1.0f};
  const Requantization requant{multiplier, shift, scale};
  const std::vector<int8_t> input = {7};
  const std::vector<int8_t> filter = {3, 3, 127};  // acc 21, 21, 889
  std::vector<uint8_t> out(3);
  const std::vector<int32_t> g = spec.Geometry();
  qint8::Conv2D(ByteTensor{reinterpret_cast<const uint8_t*>(input.data()), true},
                ByteTensor{reinterpret_cast<const uint8_t*>(filter.data()), true}, nullptr, requant, g.data(), out.data());
  CHECK_EQ(static_cast<int8_t>(out[0]), 11 + 5);  // 10.5 rounds to 11 (double rounding)
  CHECK_EQ(static_cast<int8_t>(out[1]), 3 + 5);   // 2.625 -> 3
  CHECK_EQ(static_cast<int8_t>(out[2]), 127);     // 889 << 30 wraps in int32, MBQM is still finite; clamps
}

// The uint8 legacy path: uint8 input and weights with a non-zero weight zero point (FilterOffset = -z_w).
QINT8_TEST(conv2d_uint8_filter_offset) {
  ConvSpec spec;
  spec.cin = 2, spec.cf = 2, spec.input_offset = -128, spec.filter_offset = -100, spec.output_offset = 128;
  spec.act_min = 0, spec.act_max = 255;
  const uint8_t input[] = {130, 120};   // x + offset: 2, -8
  const uint8_t filter[] = {103, 99};   // w + offset: 3, -1
  const int32_t multiplier = kUnitMultiplier, shift = kUnitShift;
  const float scale = 1.0f;
  uint8_t out[1] = {0};
  const std::vector<int32_t> g = spec.Geometry();
  qint8::Conv2D(ByteTensor{input, false}, ByteTensor{filter, false}, nullptr, Requantization{&multiplier, &shift, &scale},
                g.data(), out);
  CHECK_EQ(out[0], 128 + 3 * 2 + -1 * -8);
}

namespace {

// Naive CONV_2D: pads the input explicitly with q = z_in (-InputOffset), then a dense sliding window;
// the accumulator in int64, wrapped to int32 at the end; requantization by profile from first principles.
std::vector<uint8_t> NaiveConv(const ConvSpec& s, const std::vector<int8_t>& input, const std::vector<int8_t>& filter,
                               const std::vector<int32_t>& bias, const Requantization& rq) {
  const int eff_h = (s.kh - 1) * s.dh + 1, eff_w = (s.kw - 1) * s.dw + 1;
  const int ph = s.pad_top + (s.oh - 1) * s.sh + eff_h, pw = s.pad_left + (s.ow - 1) * s.sw + eff_w;  // padded extent
  const int padded_h = ph > s.h + s.pad_top ? ph : s.h + s.pad_top, padded_w = pw > s.w + s.pad_left ? pw : s.w + s.pad_left;
  std::vector<int32_t> padded(static_cast<size_t>(s.n) * padded_h * padded_w * s.cin, -s.input_offset);
  for (int n = 0; n < s.n; ++n)
    for (int y = 0; y < s.h; ++y)
      for (int x = 0; x < s.w; ++x)
        for (int c = 0; c < s.cin; ++c)
          padded[((n * padded_h + y + s.pad_top) * padded_w + x + s.pad_left) * s.cin + c] =
              input[((n * s.h + y) * s.w + x) * s.cin + c];
  const int groups = s.cin / s.cf, per_group = s.cout / groups;
  std::vector<uint8_t> out;
  for (int n = 0; n < s.n; ++n)
    for (int oy = 0; oy < s.oh; ++oy)
      for (int ox = 0; ox < s.ow; ++ox)
        for (int oc = 0; oc < s.cout; ++oc) {
          int64_t acc = 0;
          for (int ky = 0; ky < s.kh; ++ky)
            for (int kx = 0; kx < s.kw; ++kx)
              for (int ic = 0; ic < s.cf; ++ic) {
                const int y = oy * s.sh + ky * s.dh, x = ox * s.sw + kx * s.dw;
                const int64_t xv = padded[((n * padded_h + y) * padded_w + x) * s.cin + (oc / per_group) * s.cf + ic];
                const int64_t wv = filter[((oc * s.kh + ky) * s.kw + kx) * s.cf + ic];
                acc += (wv + s.filter_offset) * (xv + s.input_offset);
              }
          acc += bias[oc];
          const int32_t acc32 = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(acc)));
          const int c = s.per_channel ? oc : 0;
          int64_t scaled;
          if (s.profile == 2) {
            const float y = static_cast<float>(acc32) * rq.scale[c];
            scaled = static_cast<int64_t>(std::nearbyint(y));
          } else if (s.profile == 1) {
            const int total = 31 - rq.shift[c];
            scaled = (static_cast<int64_t>(acc32) * rq.multiplier[c] + (int64_t{1} << (total - 1))) >> total;
          } else {
            const int left = rq.shift[c] > 0 ? rq.shift[c] : 0, right = rq.shift[c] > 0 ? 0 : -rq.shift[c];
            const int64_t prod = static_cast<int64_t>(acc32) * (int64_t{1} << left) * rq.multiplier[c];
            const int64_t high = (prod + (int64_t{1} << 30)) >> 31;  // floor: half up
            const int64_t d = int64_t{1} << right;
            // round half away from zero of high / 2^right
            scaled = high >= 0 ? (high + d / 2) >> right : -((-high + d / 2) >> right);
          }
          int64_t v = scaled + s.output_offset;
          v = v < s.act_min ? s.act_min : v > s.act_max ? s.act_max : v;
          out.push_back(static_cast<uint8_t>(v));
        }
  return out;
}

}  // namespace

// conv2d against the naive formula: random shapes, strides, dilations, padding, groups, per-tensor and
// per-channel multipliers, all three profiles.
QINT8_TEST(conv2d_matches_naive_formula_random) {
  Random rng{20240611u};
  for (int trial = 0; trial < 300; ++trial) {
    ConvSpec s;
    s.n = rng.Between(1, 2), s.h = rng.Between(1, 7), s.w = rng.Between(1, 7);
    const int groups = rng.Between(1, 3);
    s.cf = rng.Between(1, 4), s.cin = s.cf * groups, s.cout = groups * rng.Between(1, 3);
    s.kh = rng.Between(1, 4), s.kw = rng.Between(1, 4), s.sh = rng.Between(1, 3), s.sw = rng.Between(1, 3);
    s.dh = rng.Between(1, 2), s.dw = rng.Between(1, 2);
    s.pad_top = rng.Between(0, 2), s.pad_left = rng.Between(0, 2);
    s.oh = rng.Between(1, 5), s.ow = rng.Between(1, 5);
    s.input_offset = rng.Between(-127, 128), s.output_offset = rng.Between(-128, 127);
    s.act_min = rng.Between(-128, 0), s.act_max = rng.Between(0, 127);
    s.profile = rng.Between(0, 2), s.per_channel = rng.Between(0, 1);
    std::vector<int8_t> input(static_cast<size_t>(s.n) * s.h * s.w * s.cin);
    std::vector<int8_t> filter(static_cast<size_t>(s.cout) * s.kh * s.kw * s.cf);
    for (int8_t& v : input) v = static_cast<int8_t>(rng.Between(-128, 127));
    for (int8_t& v : filter) v = static_cast<int8_t>(rng.Between(-127, 127));
    std::vector<int32_t> bias(s.cout), multiplier(s.cout), shift(s.cout);
    std::vector<float> scale(s.cout);
    for (int c = 0; c < s.cout; ++c) {
      bias[c] = rng.Between(-20000, 20000);
      multiplier[c] = rng.Between(1 << 30, 2147483647);
      shift[c] = rng.Between(-12, 0);
      scale[c] = static_cast<float>(multiplier[c]) * static_cast<float>(std::ldexp(1.0, shift[c] - 31));
    }
    const Requantization rq{multiplier.data(), shift.data(), scale.data()};
    std::vector<uint8_t> out(static_cast<size_t>(s.n) * s.oh * s.ow * s.cout);
    const std::vector<int32_t> g = s.Geometry();
    qint8::Conv2D(ByteTensor{reinterpret_cast<const uint8_t*>(input.data()), true},
                  ByteTensor{reinterpret_cast<const uint8_t*>(filter.data()), true}, bias.data(), rq, g.data(), out.data());
    const std::vector<uint8_t> expected = NaiveConv(s, input, filter, bias, rq);
    int mismatches = 0;
    for (size_t i = 0; i < out.size(); ++i) mismatches += out[i] != expected[i];
    CHECK_EQ(mismatches, 0);
  }
}

// Depthwise equals a grouped conv with G = Cin and Cout/G = M once the filter is transposed to [Cout, KH, KW, 1].
QINT8_TEST(depthwise_conv2d_equals_grouped_conv_random) {
  Random rng{777u};
  for (int trial = 0; trial < 200; ++trial) {
    ConvSpec s;
    s.h = rng.Between(1, 6), s.w = rng.Between(1, 6), s.cin = rng.Between(1, 4), s.depth_multiplier = rng.Between(1, 3);
    s.cout = s.cin * s.depth_multiplier, s.cf = 1;
    s.kh = rng.Between(1, 3), s.kw = rng.Between(1, 3), s.sh = rng.Between(1, 2), s.sw = rng.Between(1, 2);
    s.dh = rng.Between(1, 2), s.dw = rng.Between(1, 2), s.pad_top = rng.Between(0, 2), s.pad_left = rng.Between(0, 2);
    s.oh = rng.Between(1, 4), s.ow = rng.Between(1, 4), s.input_offset = rng.Between(-127, 128);
    s.profile = rng.Between(0, 2), s.per_channel = 1;
    std::vector<int8_t> input(static_cast<size_t>(s.h) * s.w * s.cin), filter(static_cast<size_t>(s.kh) * s.kw * s.cout);
    for (int8_t& v : input) v = static_cast<int8_t>(rng.Between(-128, 127));
    for (int8_t& v : filter) v = static_cast<int8_t>(rng.Between(-127, 127));
    std::vector<int8_t> transposed(filter.size());
    for (int t = 0; t < s.kh * s.kw; ++t)
      for (int oc = 0; oc < s.cout; ++oc) transposed[oc * s.kh * s.kw + t] = filter[t * s.cout + oc];
    std::vector<int32_t> bias(s.cout), multiplier(s.cout), shift(s.cout);
    std::vector<float> scale(s.cout);
    for (int c = 0; c < s.cout; ++c) {
      bias[c] = rng.Between(-5000, 5000), multiplier[c] = rng.Between(1 << 30, 2147483647), shift[c] = rng.Between(-10, 0);
      scale[c] = static_cast<float>(std::ldexp(static_cast<double>(multiplier[c]), shift[c] - 31));
    }
    const Requantization rq{multiplier.data(), shift.data(), scale.data()};
    std::vector<uint8_t> dw(static_cast<size_t>(s.oh) * s.ow * s.cout), grouped(dw.size());
    const std::vector<int32_t> g = s.Geometry();
    const ByteTensor in{reinterpret_cast<const uint8_t*>(input.data()), true};
    qint8::DepthwiseConv2D(in, ByteTensor{reinterpret_cast<const uint8_t*>(filter.data()), true}, bias.data(), rq,
                           g.data(), dw.data());
    qint8::Conv2D(in, ByteTensor{reinterpret_cast<const uint8_t*>(transposed.data()), true}, bias.data(), rq, g.data(),
                  grouped.data());
    int mismatches = 0;
    for (size_t i = 0; i < dw.size(); ++i) mismatches += dw[i] != grouped[i];
    CHECK_EQ(mismatches, 0);
  }
}
