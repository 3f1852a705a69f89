// Native tests of the fast CONV_2D (conv.h): with each GEMM kernel this CPU runs (and the test twins), RunConv2D equals
// the scalar Conv2D bit for bit over random geometries (batches, channels off the NR/KR grid, kernels larger than the
// image, strides, dilations, SAME/VALID, groups, profiles, clamps, extreme zero points, 1-4 threads, guard bytes),
// and over small-channel layers that take the window packers, with the input between inaccessible pages.
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define QINT8_TEST_GUARD_PAGES 1
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "fixtures.h"
#include "qint8/conv.h"
#include "qint8/ops.h"
#include "qint8/quant.h"

using namespace qint8;
using namespace qint8_test;

namespace {

namespace cf = conv_field;
constexpr int8_t kConvGuard = static_cast<int8_t>(0x5A);
constexpr size_t kConvGuardBytes = 71;

// The GEMM kernels (and test twins) this CPU runs, without logging: asked once per trial.
std::vector<const GemmKernel*> ConvRunnableKernels() { return RunnableKernels(GemmKernelsForTesting(), false); }

// One CONV_2D layer and input with everything random but what the caller fixes.
struct ConvProblem {
  std::vector<int32_t> geometry = std::vector<int32_t>(cf::kCount, 0);
  std::vector<int8_t> input, filter;
  std::vector<int32_t> bias, multiplier, shift;
  std::vector<float> scale;
  bool has_bias = true;

  int32_t& operator[](int field) { return geometry[field]; }
  int32_t at(int field) const { return geometry[field]; }
  size_t OutputBytes() const {
    return static_cast<size_t>(at(cf::kBatches)) * at(cf::kOutputHeight) * at(cf::kOutputWidth) * at(cf::kOutputChannels);
  }
  Requantization Requant() const { return Requantization{multiplier.data(), shift.data(), scale.data()}; }
};

// TFLite padding.h along one axis: the output size and the padding before (spec 5.1); VALID may give 0.
void PaddingFor(bool same, int32_t in, int32_t k, int32_t stride, int32_t dilation, int32_t* out, int32_t* before) {
  const int32_t eff = (k - 1) * dilation + 1;
  *out = same ? (in + stride - 1) / stride : std::max(0, (in - eff + stride) / stride);
  const int32_t total = std::max(0, (*out - 1) * stride + eff - in);
  *before = total / 2;
}

// Sizes favouring the edges of the kernels' tiles (1, NR +- 1, KR multiples) as well as random ones.
int32_t EdgeSize(std::mt19937& rng, int32_t hi) {
  static const int32_t kEdges[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 67};
  if (rng() % 2 == 0) {
    int32_t v;
    do v = kEdges[rng() % (sizeof(kEdges) / sizeof(kEdges[0]))]; while (v > hi);
    return v;
  }
  return 1 + static_cast<int32_t>(rng() % static_cast<uint32_t>(hi));
}

ConvProblem RandomConv(std::mt19937& rng) {
  ConvProblem p;
  static const int32_t kGroupChoices[] = {1, 1, 1, 1, 2, 3, 4, 7};
  const int32_t groups = kGroupChoices[rng() % 8];
  const int32_t filter_c = EdgeSize(rng, std::max(1, 67 / groups));
  const int32_t per_group = EdgeSize(rng, std::max(1, 67 / groups));
  p[cf::kBatches] = 1 + static_cast<int32_t>(rng() % 2);
  p[cf::kInputHeight] = 1 + static_cast<int32_t>(rng() % 17);
  p[cf::kInputWidth] = 1 + static_cast<int32_t>(rng() % 17);
  p[cf::kInputChannels] = groups * filter_c;
  p[cf::kOutputChannels] = groups * per_group;
  p[cf::kFilterChannels] = filter_c;
  const bool pointwise = rng() % 6 == 0;
  p[cf::kFilterHeight] = pointwise ? 1 : 1 + static_cast<int32_t>(rng() % 5);
  p[cf::kFilterWidth] = pointwise ? 1 : 1 + static_cast<int32_t>(rng() % 5);
  if (rng() % 8 == 0) p[cf::kFilterHeight] = p[cf::kInputHeight] + 1 + static_cast<int32_t>(rng() % 3);  // > image
  if (rng() % 8 == 0) p[cf::kFilterWidth] = p[cf::kInputWidth] + 1 + static_cast<int32_t>(rng() % 3);
  p[cf::kStrideHeight] = pointwise ? 1 : 1 + static_cast<int32_t>(rng() % 3);
  p[cf::kStrideWidth] = pointwise ? 1 : 1 + static_cast<int32_t>(rng() % 3);
  p[cf::kDilationHeight] = 1 + static_cast<int32_t>(rng() % 2);
  p[cf::kDilationWidth] = 1 + static_cast<int32_t>(rng() % 2);
  const bool same = rng() % 2 == 0;
  PaddingFor(same, p[cf::kInputHeight], p[cf::kFilterHeight], p[cf::kStrideHeight], p[cf::kDilationHeight],
             &p[cf::kOutputHeight], &p[cf::kPadTop]);
  PaddingFor(same, p[cf::kInputWidth], p[cf::kFilterWidth], p[cf::kStrideWidth], p[cf::kDilationWidth],
             &p[cf::kOutputWidth], &p[cf::kPadLeft]);
  switch (rng() % 5) {  // z_in, extremes first (the padded taps' byte)
    case 0: p[cf::kInputOffset] = 128; break;   // z_in = -128
    case 1: p[cf::kInputOffset] = -127; break;  // z_in = 127
    case 2: p[cf::kInputOffset] = 0; break;
    default: p[cf::kInputOffset] = static_cast<int32_t>(rng() % 256) - 127; break;
  }
  switch (rng() % 8) {
    case 0: p[cf::kOutputOffset] = -128; break;
    case 1: p[cf::kOutputOffset] = 127; break;
    case 2: p[cf::kOutputOffset] = rng() % 2 ? kMax32 : kMin32; break;
    default: p[cf::kOutputOffset] = static_cast<int32_t>(rng() % 256) - 128; break;
  }
  switch (rng() % 4) {  // NONE, RELU-like, RELU6-like, random
    case 0: p[cf::kActivationMin] = -128, p[cf::kActivationMax] = 127; break;
    case 1: p[cf::kActivationMin] = std::max(-128, std::min(127, p[cf::kOutputOffset])), p[cf::kActivationMax] = 127; break;
    default: {
      int32_t lo = static_cast<int32_t>(rng() % 256) - 128, hi = static_cast<int32_t>(rng() % 256) - 128;
      if (lo > hi) std::swap(lo, hi);
      p[cf::kActivationMin] = lo, p[cf::kActivationMax] = hi;
    }
  }
  p[cf::kProfile] = static_cast<int32_t>(rng() % 3);
  p[cf::kDepthMultiplier] = 1;
  p[cf::kPerChannel] = rng() % 4 != 0;

  const size_t depth = static_cast<size_t>(p[cf::kFilterHeight]) * p[cf::kFilterWidth] * filter_c;
  p.input.resize(static_cast<size_t>(p[cf::kBatches]) * p[cf::kInputHeight] * p[cf::kInputWidth] * p[cf::kInputChannels]);
  for (int8_t& v : p.input) v = RandomInt8(rng);
  if (rng() % 12 == 0) std::fill(p.input.begin(), p.input.end(), static_cast<int8_t>(-128));
  p.filter.resize(static_cast<size_t>(p[cf::kOutputChannels]) * depth);
  for (int8_t& v : p.filter) v = RandomInt8(rng);
  if (rng() % 12 == 0) std::fill(p.filter.begin(), p.filter.end(), static_cast<int8_t>(-128));
  p.has_bias = rng() % 6 != 0;
  p.bias.resize(p[cf::kOutputChannels]);
  for (int32_t& b : p.bias) b = rng() % 10 == 0 ? static_cast<int32_t>(rng()) : static_cast<int32_t>(rng() % 400001) - 200000;

  const size_t channels = p[cf::kPerChannel] ? static_cast<size_t>(p[cf::kOutputChannels]) : 1;
  const bool realistic = rng() % 4 != 0;
  const double typical = 5500.0 * std::sqrt(static_cast<double>(std::max<size_t>(depth, 1))) + 1.0;
  p.multiplier.resize(channels), p.shift.resize(channels), p.scale.resize(channels);
  for (size_t c = 0; c < channels; ++c) {
    if (realistic) {
      const double d = std::ldexp(64.0 / typical, static_cast<int>(rng() % 7) - 3) * (1.0 + (rng() % 1000) / 1000.0);
      const QuantizedMultiplier q = QuantizeMultiplier(d, static_cast<Profile>(p[cf::kProfile]));
      p.multiplier[c] = q.multiplier, p.shift[c] = q.shift, p.scale[c] = static_cast<float>(d);
    } else {
      p.multiplier[c] = rng() % 4 == 0 ? kMax32 : static_cast<int32_t>(rng() & 0x7FFFFFFF);
      p.shift[c] = static_cast<int32_t>(rng() % 62) - 31;
      p.scale[c] = rng() % 8 == 0 ? 0.0f : std::ldexp(1.0f + (rng() % 4096) / 4096.0f, static_cast<int>(rng() % 80) - 50);
    }
  }
  return p;
}

std::string DescribeConv(const char* kernel, const ConvProblem& p, size_t threads) {
  char text[400];
  std::snprintf(text, sizeof(text),
                "%s: N=%d H=%d W=%d Cin=%d -> OH=%d OW=%d Cout=%d, filter %dx%dx%d, stride %d,%d dilation %d,%d "
                "pad %d,%d, zin=%d zout=%d clamp=[%d,%d] profile=%d per_channel=%d bias=%d threads=%zu",
                kernel, p.at(cf::kBatches), p.at(cf::kInputHeight), p.at(cf::kInputWidth), p.at(cf::kInputChannels),
                p.at(cf::kOutputHeight), p.at(cf::kOutputWidth), p.at(cf::kOutputChannels), p.at(cf::kFilterHeight),
                p.at(cf::kFilterWidth), p.at(cf::kFilterChannels), p.at(cf::kStrideHeight), p.at(cf::kStrideWidth),
                p.at(cf::kDilationHeight), p.at(cf::kDilationWidth), p.at(cf::kPadTop), p.at(cf::kPadLeft),
                -p.at(cf::kInputOffset), p.at(cf::kOutputOffset), p.at(cf::kActivationMin), p.at(cf::kActivationMax),
                p.at(cf::kProfile), p.at(cf::kPerChannel), p.has_bias ? 1 : 0, threads);
  return text;
}

// The reference Conv2D into a guarded buffer.
std::vector<int8_t> ReferenceConv(const ConvProblem& p) {
  std::vector<int8_t> expected(p.OutputBytes() + 2 * kConvGuardBytes, kConvGuard);
  const Requantization requant = p.Requant();
  Conv2D(ByteTensor{reinterpret_cast<const uint8_t*>(p.input.data()), true},
         ByteTensor{reinterpret_cast<const uint8_t*>(p.filter.data()), true}, p.has_bias ? p.bias.data() : nullptr, requant,
         p.geometry.data(), reinterpret_cast<uint8_t*>(expected.data() + kConvGuardBytes));
  return expected;
}

// Compares every byte (guards included); reports the first mismatch as a failed check.
bool SameBytes(const std::vector<int8_t>& got, const std::vector<int8_t>& expected, const ConvProblem& p,
               const std::string& what) {
  const size_t i = FirstDifference(got, expected);
  if (i == got.size()) return true;
  const auto output_byte = [](size_t e) { return "output byte " + std::to_string(e); };
  const std::string where = GuardedPlace(i, p.OutputBytes(), output_byte, kConvGuardBytes);
  std::fprintf(stderr, "  mismatch at %s: got %d, expected %d\n  %s\n", where.c_str(), got[i], expected[i], what.c_str());
  ++qint8_test::Failures();
  return false;
}

// Packs p for `kernel`, runs it with `threads` on p.input (or on a copy of it at `input`) and compares with the
// reference.
bool CheckConv(const GemmKernel& kernel, const ConvProblem& p, const std::vector<int8_t>& expected, size_t threads,
               const int8_t* input = nullptr) {
  const ConvParams s = ConvParams::FromGeometry(p.geometry.data());
  const Requantization requant = p.Requant();
  if (!Conv2DFastSupports(ByteTensor{reinterpret_cast<const uint8_t*>(p.input.data()), true},
                          ByteTensor{reinterpret_cast<const uint8_t*>(p.filter.data()), true}, requant, s)) {
    std::fprintf(stderr, "  unexpectedly unsupported: %s\n", DescribeConv(kernel.name, p, threads).c_str());
    ++qint8_test::Failures();
    return false;
  }
  PackedConvWeights packed;
  PackConvWeights(kernel, p.filter.data(), p.has_bias ? p.bias.data() : nullptr, requant, s, &packed);
  std::vector<int8_t> got(expected.size(), kConvGuard);
  RunConv2D(packed, input != nullptr ? input : p.input.data(), s, got.data() + kConvGuardBytes, threads);
  return SameBytes(got, expected, p, DescribeConv(kernel.name, p, threads));
}

}  // namespace

QINT8_TEST(conv_fast_every_kernel_matches_reference) {
  std::mt19937 rng(20240611);
  const std::vector<const GemmKernel*> kernels = ConvRunnableKernels();
  CHECK(!kernels.empty());
  int failures = 0;
  for (int trial = 0; trial < 700 && failures < 5; ++trial) {
    const ConvProblem p = RandomConv(rng);
    const std::vector<int8_t> expected = ReferenceConv(p);
    for (const GemmKernel* kernel : kernels) {
      if (!CheckConv(*kernel, p, expected, 1 + trial % 4)) ++failures;
    }
  }
}

// The pointwise path (1x1 stride 1 = one GEMM over the NHWC input per group) and 1x1 convs that leave it.
QINT8_TEST(conv_fast_pointwise_and_strided_1x1) {
  std::mt19937 rng(77);
  for (int trial = 0; trial < 120; ++trial) {
    ConvProblem p = RandomConv(rng);
    // Force 1x1: stride 1 (pointwise) or 2-3 (im2col), zero or SAME padding.
    p[cf::kFilterHeight] = p[cf::kFilterWidth] = 1;
    const int32_t stride = trial % 3 == 0 ? 2 + trial % 2 : 1;
    p[cf::kStrideHeight] = p[cf::kStrideWidth] = stride;
    PaddingFor(true, p[cf::kInputHeight], 1, stride, 1, &p[cf::kOutputHeight], &p[cf::kPadTop]);
    PaddingFor(true, p[cf::kInputWidth], 1, stride, 1, &p[cf::kOutputWidth], &p[cf::kPadLeft]);
    p.filter.resize(static_cast<size_t>(p[cf::kOutputChannels]) * p[cf::kFilterChannels]);
    const std::vector<int8_t> expected = ReferenceConv(p);
    for (const GemmKernel* kernel : ConvRunnableKernels()) CheckConv(*kernel, p, expected, 1 + trial % 3);
  }
}

// Larger layers (many row tiles, several panels and panel blocks) with 1 and 2 threads.
QINT8_TEST(conv_fast_larger_layers) {
  struct Shape {
    int32_t h, w, cin, cout, k, stride, groups;
  };
  const Shape shapes[] = {{28, 28, 64, 64, 3, 1, 1}, {29, 31, 32, 96, 3, 2, 1}, {14, 14, 256, 200, 3, 1, 1},
                          {16, 16, 96, 96, 3, 1, 4},  {9, 11, 130, 130, 5, 1, 2}, {20, 20, 8, 24, 7, 2, 1}};
  std::mt19937 rng(4242);
  for (const Shape& shape : shapes) {
    ConvProblem p = RandomConv(rng);
    p[cf::kBatches] = 1, p[cf::kInputHeight] = shape.h, p[cf::kInputWidth] = shape.w;
    p[cf::kInputChannels] = shape.cin, p[cf::kOutputChannels] = shape.cout, p[cf::kFilterChannels] = shape.cin / shape.groups;
    p[cf::kFilterHeight] = p[cf::kFilterWidth] = shape.k;
    p[cf::kStrideHeight] = p[cf::kStrideWidth] = shape.stride;
    p[cf::kDilationHeight] = p[cf::kDilationWidth] = 1;
    PaddingFor(true, shape.h, shape.k, shape.stride, 1, &p[cf::kOutputHeight], &p[cf::kPadTop]);
    PaddingFor(true, shape.w, shape.k, shape.stride, 1, &p[cf::kOutputWidth], &p[cf::kPadLeft]);
    p[cf::kPerChannel] = 1;
    p.input.resize(static_cast<size_t>(shape.h) * shape.w * shape.cin);
    for (int8_t& v : p.input) v = RandomInt8(rng);
    p.filter.resize(static_cast<size_t>(shape.cout) * shape.k * shape.k * (shape.cin / shape.groups));
    for (int8_t& v : p.filter) v = RandomInt8(rng);
    p.bias.resize(shape.cout);
    for (int32_t& b : p.bias) b = static_cast<int32_t>(rng() % 400001) - 200000;
    const double d = 64.0 / (5500.0 * std::sqrt(shape.k * shape.k * shape.cin / shape.groups));
    const QuantizedMultiplier qm = QuantizeMultiplier(d, static_cast<Profile>(p[cf::kProfile]));
    p.multiplier.assign(shape.cout, qm.multiplier);
    p.shift.assign(shape.cout, qm.shift);
    p.scale.assign(shape.cout, static_cast<float>(d));
    const std::vector<int8_t> expected = ReferenceConv(p);
    for (const GemmKernel* kernel : ConvRunnableKernels()) {
      CheckConv(*kernel, p, expected, 1);
      CheckConv(*kernel, p, expected, 2);
    }
  }
}

// The stateless entry: the best usable family, and the layers it must refuse (the caller then runs Conv2D).
QINT8_TEST(conv_fast_stateless_entry_and_refusals) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 60; ++trial) {
    const ConvProblem p = RandomConv(rng);
    const std::vector<int8_t> expected = ReferenceConv(p);
    std::vector<int8_t> got(expected.size(), kConvGuard);
    const bool ran = Conv2DFast(ByteTensor{reinterpret_cast<const uint8_t*>(p.input.data()), true},
                                ByteTensor{reinterpret_cast<const uint8_t*>(p.filter.data()), true},
                                p.has_bias ? p.bias.data() : nullptr, p.Requant(), p.geometry.data(),
                                reinterpret_cast<uint8_t*>(got.data() + kConvGuardBytes), BestIsa(), 1 + trial % 2);
    CHECK(ran);
    SameBytes(got, expected, p, DescribeConv("Conv2DFast", p, 1 + trial % 2));
  }
  ConvProblem p = RandomConv(rng);
  p[cf::kProfile] = 0;
  const ByteTensor in{reinterpret_cast<const uint8_t*>(p.input.data()), true};
  const ByteTensor w{reinterpret_cast<const uint8_t*>(p.filter.data()), true};
  const auto supports = [&](ByteTensor a, ByteTensor b, const ConvProblem& q) {
    return Conv2DFastSupports(a, b, q.Requant(), ConvParams::FromGeometry(q.geometry.data()));
  };
  CHECK(supports(in, w, p));
  CHECK(!supports(ByteTensor{in.data, false}, w, p));  // uint8 input
  CHECK(!supports(in, ByteTensor{w.data, false}, p));  // uint8 filter
  ConvProblem q = p;
  q[cf::kFilterOffset] = 3;
  CHECK(!supports(in, w, q));
  q = p, q[cf::kInputOffset] = -128;  // z_in = 128: not a byte
  CHECK(!supports(in, w, q));
  q = p, q[cf::kInputOffset] = 129;  // z_in = -129
  CHECK(!supports(in, w, q));
  q = p, q[cf::kActivationMax] = 200;  // a uint8 output range
  CHECK(!supports(in, w, q));
  q = p, q.multiplier[0] = -1;  // PackGemmWeights takes multipliers in [0, 2^31)
  CHECK(!supports(in, w, q));
  q[cf::kProfile] = 2;  // ... which xnnpack-fp32 never reads
  CHECK(supports(in, w, q));
}

// Each im2col packer writes exactly what its kernel's pack_lhs writes from the gathered rows: random runs (input
// and padding, every length 1..150 and tails), m < mr_block, k not a multiple of KR. Where the kernel owning that
// pack_lhs cannot run here, against the layout it documents (uint8 x ^ 0x80 or int16 rows, zero-padded).
QINT8_TEST(conv_im2col_packers_equal_pack_lhs) {
  std::mt19937 rng(31337);
  std::vector<int8_t> source(4096), padding(4096, static_cast<int8_t>(-77));
  for (int8_t& v : source) v = RandomInt8(rng);
  for (const Im2colPacker* runnable : RunnableKernels(Im2colPackers())) {
    const Im2colPacker& packer = *runnable;
    const GemmKernel* owner = nullptr;
    for (const GemmKernel& kernel : GemmKernelsForTesting()) {
      if (kernel.pack_lhs == packer.pack_lhs) owner = &kernel;
    }
    CHECK(owner != nullptr);
    if (owner == nullptr) continue;
    const bool owner_runs = IsUsable(owner->isa);
    const size_t elem = owner->lhs_element_bytes;
    for (int trial = 0; trial < 400; ++trial) {
      const size_t mr_block = owner->mr, m = 1 + rng() % mr_block;
      std::vector<Im2colRun> runs;
      std::vector<size_t> row_first{0};
      std::vector<int8_t> rows;
      const size_t run_count = 1 + rng() % 6;
      size_t k = 0;
      std::vector<size_t> lengths(run_count);
      for (size_t& len : lengths) len = rng() % 4 == 0 ? 64 * (1 + rng() % 3) : 1 + rng() % 150, k += len;
      if (rng() % 10 == 0) k = 0, lengths.clear();
      for (size_t i = 0; i < m; ++i) {
        for (size_t len : lengths) {
          const int8_t* src = rng() % 4 == 0 ? padding.data() : source.data() + rng() % (source.size() - len);
          runs.push_back(Im2colRun{src, len});
          rows.insert(rows.end(), src, src + len);
        }
        row_first.push_back(runs.size());
      }
      const size_t kp = (k + owner->kr - 1) / owner->kr * owner->kr;
      const size_t block_bytes = mr_block * kp * elem;
      std::vector<uint8_t> got(block_bytes + 128, 0xEE), expected(block_bytes + 128, 0xEE);
      uint8_t* got_block = got.data() + (64 - reinterpret_cast<uintptr_t>(got.data()) % 64);
      uint8_t* expected_block = expected.data() + (64 - reinterpret_cast<uintptr_t>(expected.data()) % 64);
      packer.pack(m, mr_block, k, kp, runs.data(), row_first.data(), got_block);
      if (owner_runs) {
        owner->pack_lhs(m, mr_block, k, kp, rows.data(), k, expected_block);
      } else {
        std::memset(expected_block, 0, block_bytes);
        for (size_t i = 0; i < m; ++i) {
          for (size_t c = 0; c < k; ++c) {
            const int8_t x = rows[i * k + c];
            if (elem == 1) {
              expected_block[i * kp + c] = static_cast<uint8_t>(x ^ 0x80);
            } else {
              const int16_t wide = x;
              std::memcpy(expected_block + (i * kp + c) * 2, &wide, 2);
            }
          }
        }
      }
      if (std::memcmp(got_block, expected_block, block_bytes) != 0 ||
          got_block[block_bytes] != 0xEE || got_block[block_bytes + 63] != 0xEE) {
        std::fprintf(stderr, "  %s differs from %s's pack_lhs: m=%zu mr_block=%zu k=%zu runs/row=%zu\n", packer.name,
                     owner->name, m, mr_block, k, lengths.size());
        ++qint8_test::Failures();
        break;
      }
    }
    // The indirect path's image copy: x ^ 0x80 of exactly n bytes (guards around the destination untouched).
    for (int trial = 0; packer.flip_copy != nullptr && trial < 300; ++trial) {
      const size_t n = trial < 80 ? static_cast<size_t>(trial) : rng() % 700;
      const size_t offset = rng() % 64;
      std::vector<uint8_t> got(n + 2 * 64, 0xEE);
      packer.flip_copy(source.data() + offset, n, got.data() + 64);
      bool same = got[63] == 0xEE && got[64 + n] == 0xEE;
      for (size_t i = 0; i < n; ++i) same = same && got[64 + i] == static_cast<uint8_t>(source[offset + i] ^ 0x80);
      if (!same) {
        std::fprintf(stderr, "  %s flip_copy differs: n=%zu offset=%zu\n", packer.name, n, offset);
        ++qint8_test::Failures();
        break;
      }
    }
  }
}

namespace {

// A copy of some bytes placed against an inaccessible page: ending right before it (`at_end`) or starting right
// after it, so that a read past that end of the bytes faults. Without mmap, a plain copy.
class PageGuardedCopy {
 public:
  PageGuardedCopy(const std::vector<int8_t>& bytes, bool at_end) {
#if QINT8_TEST_GUARD_PAGES
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    inner_ = (std::max<size_t>(bytes.size(), 1) + page_ - 1) / page_ * page_;
    void* map = mmap(nullptr, inner_ + 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map != MAP_FAILED) {
      map_ = static_cast<int8_t*>(map);
      mprotect(map_, page_, PROT_NONE);
      mprotect(map_ + page_ + inner_, page_, PROT_NONE);
      data_ = map_ + page_ + (at_end ? inner_ - bytes.size() : 0);
      std::memcpy(data_, bytes.data(), bytes.size());
      return;
    }
#endif
    (void)at_end;
    fallback_ = bytes;
    data_ = fallback_.data();
  }
  ~PageGuardedCopy() {
#if QINT8_TEST_GUARD_PAGES
    if (map_ != nullptr) munmap(map_, inner_ + 2 * page_);
#endif
  }
  PageGuardedCopy(const PageGuardedCopy&) = delete;
  PageGuardedCopy& operator=(const PageGuardedCopy&) = delete;
  const int8_t* data() const { return data_; }

 private:
  int8_t* map_ = nullptr;
  int8_t* data_ = nullptr;
  size_t page_ = 0, inner_ = 0;
  std::vector<int8_t> fallback_;
};

// Whether `kernel` has a window packer (conv.h Im2colPacker::window_pack).
bool HasWindowPacker(const GemmKernel& kernel) {
  for (const Im2colPacker& packer : Im2colPackers()) {
    if (packer.pack_lhs == kernel.pack_lhs && kernel.pack_lhs != nullptr) return packer.window_pack != nullptr;
  }
  return false;
}

// When RunConv2D should take the window path, worked out here from the documented limits (conv.h
// MakeIm2colWindowTables): a window of at most 64 bytes, MR * k_padded at most 384, KH at most 16, not pointwise.
bool ExpectWindows(const GemmKernel& kernel, const ConvProblem& p) {
  const int64_t cin = p.at(cf::kInputChannels), cf_ = p.at(cf::kFilterChannels), kh = p.at(cf::kFilterHeight);
  const int64_t kw = p.at(cf::kFilterWidth), k = kh * kw * cf_;
  const int64_t kr = static_cast<int64_t>(kernel.kr), kp = (k + kr - 1) / kr * kr;
  const int64_t mr = static_cast<int64_t>(kernel.mr);
  const int64_t window = (mr - 1) * p.at(cf::kStrideWidth) * cin + (kw - 1) * p.at(cf::kDilationWidth) * cin + cf_;
  const bool pointwise = kh == 1 && kw == 1 && p.at(cf::kStrideHeight) == 1 && p.at(cf::kStrideWidth) == 1 &&
                         p.at(cf::kPadTop) == 0 && p.at(cf::kPadLeft) == 0 &&
                         p.at(cf::kOutputHeight) == p.at(cf::kInputHeight) &&
                         p.at(cf::kOutputWidth) == p.at(cf::kInputWidth);
  return HasWindowPacker(kernel) && k >= 1 && window <= 64 && mr * kp <= 384 && kh <= 16 && !pointwise;
}

// One axis of a small-channel layer: SAME, VALID (when the kernel fits) or explicit padding (any amount up to the
// dilated kernel before and after, as a folded PAD gives); the output size and the padding before.
void RandomAxis(std::mt19937& rng, int32_t in, int32_t k, int32_t stride, int32_t dilation, int32_t* out,
                int32_t* before) {
  const int32_t eff = (k - 1) * dilation + 1;
  switch (rng() % 3) {
    case 0: return PaddingFor(true, in, k, stride, dilation, out, before);
    case 1: return PaddingFor(in < eff, in, k, stride, dilation, out, before);
    default: {
      *before = static_cast<int32_t>(rng() % static_cast<uint32_t>(eff));
      const int32_t after = static_cast<int32_t>(rng() % static_cast<uint32_t>(eff));
      const int32_t span = in + *before + after - eff;
      *out = span < 0 ? 1 : span / stride + 1;
    }
  }
}

// A layer whose taps are few bytes (the window packers' kind): Cf = filter_c, KW = kw, KH in 1..5, strides 1..3,
// dilations 1..2, paddings from RandomAxis, widths mostly off the MR grid, 1-3 batches, sometimes 2-3 groups; the
// rest (zero points, clamps, profile, requantization) as RandomConv draws it.
ConvProblem SmallChannelConv(std::mt19937& rng, int32_t filter_c, int32_t kw) {
  ConvProblem p = RandomConv(rng);
  const int32_t groups = rng() % 4 == 0 ? 2 + static_cast<int32_t>(rng() % 2) : 1;
  const int32_t per_group = EdgeSize(rng, std::max(1, 67 / groups));
  p[cf::kBatches] = 1 + static_cast<int32_t>(rng() % 3);
  p[cf::kInputHeight] = 1 + static_cast<int32_t>(rng() % 10);
  p[cf::kInputWidth] = 1 + static_cast<int32_t>(rng() % 40);
  p[cf::kInputChannels] = groups * filter_c;
  p[cf::kOutputChannels] = groups * per_group;
  p[cf::kFilterChannels] = filter_c;
  p[cf::kFilterHeight] = 1 + static_cast<int32_t>(rng() % 5);
  p[cf::kFilterWidth] = kw;
  p[cf::kStrideHeight] = 1 + static_cast<int32_t>(rng() % 3);
  p[cf::kStrideWidth] = 1 + static_cast<int32_t>(rng() % 3);
  p[cf::kDilationHeight] = 1 + static_cast<int32_t>(rng() % 2);
  p[cf::kDilationWidth] = 1 + static_cast<int32_t>(rng() % 2);
  RandomAxis(rng, p[cf::kInputHeight], p[cf::kFilterHeight], p[cf::kStrideHeight], p[cf::kDilationHeight],
             &p[cf::kOutputHeight], &p[cf::kPadTop]);
  RandomAxis(rng, p[cf::kInputWidth], kw, p[cf::kStrideWidth], p[cf::kDilationWidth], &p[cf::kOutputWidth],
             &p[cf::kPadLeft]);
  const size_t depth = static_cast<size_t>(p[cf::kFilterHeight]) * kw * filter_c;
  p.input.resize(static_cast<size_t>(p[cf::kBatches]) * p[cf::kInputHeight] * p[cf::kInputWidth] *
                 p[cf::kInputChannels]);
  for (int8_t& v : p.input) v = RandomInt8(rng);
  p.filter.resize(static_cast<size_t>(p[cf::kOutputChannels]) * depth);
  for (int8_t& v : p.filter) v = RandomInt8(rng);
  p.bias.resize(p[cf::kOutputChannels]);
  for (int32_t& b : p.bias) b = static_cast<int32_t>(rng() % 400001) - 200000;
  const size_t channels = p[cf::kPerChannel] ? static_cast<size_t>(p[cf::kOutputChannels]) : 1;
  RandomRequantization(rng, channels, 5500.0 * std::sqrt(static_cast<double>(depth)) + 1.0,
                       static_cast<Profile>(p[cf::kProfile]), &p.multiplier, &p.shift, &p.scale);
  return p;
}

// Runs p with every kernel (input against a guard page at one end or the other), checks that the window path is
// taken exactly when expected, and returns how many kernels took it.
int CheckSmallChannelConv(const ConvProblem& p, size_t threads, bool input_at_end) {
  const std::vector<int8_t> expected = ReferenceConv(p);
  const PageGuardedCopy input(p.input, input_at_end);
  const ConvParams s = ConvParams::FromGeometry(p.geometry.data());
  int windowed = 0;
  for (const GemmKernel* kernel : ConvRunnableKernels()) {
    PackedConvWeights packed;
    PackConvWeights(*kernel, p.filter.data(), p.bias.data(), p.Requant(), s, &packed);
    const bool windows = Conv2DUsesIm2colWindows(packed, s);
    if (windows != ExpectWindows(*kernel, p)) {
      std::fprintf(stderr, "  window path %s unexpectedly: %s\n", windows ? "taken" : "not taken",
                   DescribeConv(kernel->name, p, threads).c_str());
      ++qint8_test::Failures();
    }
    windowed += windows ? 1 : 0;
    CheckConv(*kernel, p, expected, threads, input.data());
  }
  return windowed;
}

}  // namespace

// Small-channel layers (the window packers' kind) over Cf 1, 2, 3, 4, 8 and KW 1..5, with every stride, dilation and
// padding kind, batches, groups and widths off the MR grid; the input lies against an inaccessible page.
QINT8_TEST(conv_fast_small_channels_match_reference) {
  std::mt19937 rng(20240907);
  int windowed = 0;
  int trial = 0;
  for (int32_t filter_c : {1, 2, 3, 4, 8}) {
    for (int32_t kw = 1; kw <= 5; ++kw) {
      for (int repeat = 0; repeat < 8; ++repeat, ++trial) {
        windowed += CheckSmallChannelConv(SmallChannelConv(rng, filter_c, kw), 1 + trial % 3, trial % 2 == 0);
      }
    }
  }
  bool any_window_packer = false;
  for (const GemmKernel* kernel : ConvRunnableKernels()) any_window_packer |= HasWindowPacker(*kernel);
  if (any_window_packer) CHECK(windowed >= 100);  // the path under test ran (about half the layers fit)
}

// Layers the indirect path takes on kernels with an igemm (one group, DilationW 1, KW * Cin a multiple of KR, taps of
// more than a window): filters 1x2..5x5, strides 1..3, DilationH 1..2, SAME / VALID / explicit padding (padded rows
// and columns on either side, outputs beyond the input), 1-3 images, Cout off the panel grid, row tiles across
// output rows and images, 1-3 threads; the input lies against an inaccessible page.
QINT8_TEST(conv_fast_indirect_image_matches_reference) {
  std::mt19937 rng(20261127);
  int indirect = 0;
  for (int trial = 0; trial < 90; ++trial) {
    const int32_t cins[] = {4, 8, 12, 16, 20, 32, 64, 3, 6};
    const int32_t cin = cins[trial % 9];
    ConvProblem p = SmallChannelConv(rng, cin, 1 + static_cast<int32_t>(trial % 5));
    const int32_t couts[] = {1, 16, 63, 64, 65, 130};
    const int32_t cout = couts[rng() % 6];
    p[cf::kInputChannels] = p[cf::kFilterChannels] = cin;  // one group
    p[cf::kOutputChannels] = cout;
    p[cf::kDilationWidth] = 1;
    p[cf::kFilterHeight] = 1 + static_cast<int32_t>(rng() % 5);
    RandomAxis(rng, p[cf::kInputHeight], p[cf::kFilterHeight], p[cf::kStrideHeight], p[cf::kDilationHeight],
               &p[cf::kOutputHeight], &p[cf::kPadTop]);
    RandomAxis(rng, p[cf::kInputWidth], p[cf::kFilterWidth], p[cf::kStrideWidth], 1, &p[cf::kOutputWidth],
               &p[cf::kPadLeft]);
    const size_t depth = static_cast<size_t>(p[cf::kFilterHeight]) * p[cf::kFilterWidth] * cin;
    p.input.resize(static_cast<size_t>(p[cf::kBatches]) * p[cf::kInputHeight] * p[cf::kInputWidth] * cin);
    for (int8_t& v : p.input) v = RandomInt8(rng);
    p.filter.resize(static_cast<size_t>(cout) * depth);
    for (int8_t& v : p.filter) v = RandomInt8(rng);
    p.bias.resize(cout);
    for (int32_t& b : p.bias) b = static_cast<int32_t>(rng() % 400001) - 200000;
    const size_t channels = p[cf::kPerChannel] ? static_cast<size_t>(cout) : 1;
    RandomRequantization(rng, channels, 5500.0 * std::sqrt(static_cast<double>(depth)) + 1.0,
                         static_cast<Profile>(p[cf::kProfile]), &p.multiplier, &p.shift, &p.scale);
    if (p.OutputBytes() == 0) continue;
    const std::vector<int8_t> expected = ReferenceConv(p);
    const PageGuardedCopy input(p.input, trial % 2 == 0);
    const ConvParams s = ConvParams::FromGeometry(p.geometry.data());
    for (const GemmKernel* kernel : ConvRunnableKernels()) {
      PackedConvWeights packed;
      PackConvWeights(*kernel, p.filter.data(), p.bias.data(), p.Requant(), s, &packed);
      const bool expect = kernel->igemm != nullptr && (p[cf::kFilterWidth] * cin) % static_cast<int32_t>(kernel->kr) == 0 &&
                          !ExpectWindows(*kernel, p) && !Conv2DUsesIm2colWindows(packed, s) &&
                          !(p[cf::kFilterHeight] == 1 && p[cf::kFilterWidth] == 1 && p[cf::kStrideHeight] == 1 &&
                            p[cf::kStrideWidth] == 1 && p[cf::kPadTop] == 0 && p[cf::kPadLeft] == 0 &&
                            p[cf::kOutputHeight] == p[cf::kInputHeight] && p[cf::kOutputWidth] == p[cf::kInputWidth]);
      const bool taken = Conv2DUsesIndirectImage(packed, s);
      if (taken != expect) {
        std::fprintf(stderr, "  indirect path %s unexpectedly: %s\n", taken ? "taken" : "not taken",
                     DescribeConv(kernel->name, p, 1).c_str());
        ++qint8_test::Failures();
      }
      indirect += taken ? 1 : 0;
      for (size_t threads : {size_t{1}, size_t{3}}) CheckConv(*kernel, p, expected, threads, input.data());
    }
  }
  bool any_igemm = false;
  for (const GemmKernel* kernel : ConvRunnableKernels()) any_igemm |= kernel->igemm != nullptr;
  if (any_igemm) CHECK(indirect >= 40);
}

// MobileNet-style first layers (3x3, stride 2, Cin 3) at full size: explicit padding 1 before (the folded PAD), SAME,
// VALID; many row tiles, several threads.
QINT8_TEST(conv_fast_small_channels_first_layers) {
  struct Shape {
    int32_t h, w, cin, cout, k, stride, pad;  // pad < 0: SAME
  };
  const Shape shapes[] = {{224, 224, 3, 32, 3, 2, 1}, {225, 225, 3, 32, 3, 2, 0}, {96, 160, 3, 16, 3, 2, -1},
                          {57, 61, 1, 8, 5, 1, -1},    {64, 64, 4, 24, 3, 1, 1},   {38, 38, 2, 16, 3, 3, 1}};
  std::mt19937 rng(1231);
  for (const Shape& shape : shapes) {
    ConvProblem p = SmallChannelConv(rng, shape.cin, shape.k);
    p[cf::kBatches] = 1, p[cf::kInputHeight] = shape.h, p[cf::kInputWidth] = shape.w;
    p[cf::kInputChannels] = shape.cin, p[cf::kFilterChannels] = shape.cin, p[cf::kOutputChannels] = shape.cout;
    p[cf::kFilterHeight] = p[cf::kFilterWidth] = shape.k;
    p[cf::kStrideHeight] = p[cf::kStrideWidth] = shape.stride;
    p[cf::kDilationHeight] = p[cf::kDilationWidth] = 1;
    if (shape.pad < 0) {
      PaddingFor(true, shape.h, shape.k, shape.stride, 1, &p[cf::kOutputHeight], &p[cf::kPadTop]);
      PaddingFor(true, shape.w, shape.k, shape.stride, 1, &p[cf::kOutputWidth], &p[cf::kPadLeft]);
    } else {
      p[cf::kPadTop] = p[cf::kPadLeft] = shape.pad;
      p[cf::kOutputHeight] = (shape.h + shape.pad - shape.k) / shape.stride + 1;
      p[cf::kOutputWidth] = (shape.w + shape.pad - shape.k) / shape.stride + 1;
    }
    p[cf::kPerChannel] = 1;
    p.input.resize(static_cast<size_t>(shape.h) * shape.w * shape.cin);
    for (int8_t& v : p.input) v = RandomInt8(rng);
    p.filter.resize(static_cast<size_t>(shape.cout) * shape.k * shape.k * shape.cin);
    for (int8_t& v : p.filter) v = RandomInt8(rng);
    p.bias.resize(shape.cout);
    for (int32_t& b : p.bias) b = static_cast<int32_t>(rng() % 400001) - 200000;
    RandomRequantization(rng, shape.cout, 5500.0 * std::sqrt(shape.k * shape.k * shape.cin),
                         static_cast<Profile>(p[cf::kProfile]), &p.multiplier, &p.shift, &p.scale);
    CheckSmallChannelConv(p, 1, true);
    CheckSmallChannelConv(p, 2, false);
  }
}

// Each window packer writes exactly the block its kernel's pack_lhs writes from the im2col rows: random small
// layers and tiles of one or two segments (windows starting before the image, past it, rows above and below it,
// m < MR), the tail of the last 64-byte vector zero, nothing past it, no input byte read outside the rows.
QINT8_TEST(conv_im2col_window_packers_equal_pack_lhs) {
  std::mt19937 rng(8086);
  for (const Im2colPacker* runnable : RunnableKernels(Im2colPackers())) {
    const Im2colPacker& packer = *runnable;
    if (packer.window_pack == nullptr) continue;
    const GemmKernel* owner = nullptr;
    for (const GemmKernel& kernel : GemmKernelsForTesting()) {
      if (kernel.pack_lhs == packer.pack_lhs) owner = &kernel;
    }
    CHECK(owner != nullptr && owner->lhs_element_bytes == 1);
    if (owner == nullptr || owner->lhs_element_bytes != 1) continue;
    int tested = 0;
    for (int trial = 0; trial < 600; ++trial) {
      ConvParams s{};
      const int64_t groups = rng() % 3 == 0 ? 2 : 1, filter_c = std::vector<int64_t>{1, 2, 3, 4, 8}[rng() % 5];
      s.in_c = groups * filter_c, s.filter_c = filter_c;
      s.in_h = 1 + rng() % 4, s.in_w = 1 + rng() % 30;
      s.k_h = rng() % 8 == 0 ? 6 + rng() % 11 : 1 + rng() % 5, s.k_w = 1 + rng() % 5;
      s.stride_w = 1 + rng() % 3, s.dilation_w = 1 + rng() % 2, s.pad_left = rng() % 4;
      s.input_offset = static_cast<uint32_t>(-(static_cast<int32_t>(rng() % 256) - 128));
      const size_t k = static_cast<size_t>(s.k_h * s.k_w * s.filter_c);
      const size_t mr = owner->mr, kp = (k + owner->kr - 1) / owner->kr * owner->kr;
      Im2colWindowTables tables;
      if (!MakeIm2colWindowTables(s, mr, kp, &tables)) continue;
      ++tested;
      const int8_t z_in = tables.input_zero_point;
      std::vector<int8_t> image(static_cast<size_t>(s.in_h * s.in_w * s.in_c));
      for (int8_t& v : image) v = RandomInt8(rng);
      const PageGuardedCopy input(image, trial % 2 == 0);
      const int64_t group_offset = static_cast<int64_t>(rng() % groups) * filter_c;
      const size_t m = 1 + rng() % mr, split = m > 1 && rng() % 2 == 0 ? 1 + rng() % (m - 1) : m;
      const size_t segment_count = split < m ? 2 : 1;
      std::vector<const int8_t*> lines(2 * static_cast<size_t>(s.k_h));
      std::vector<int8_t> rows(m * k);
      Im2colWindowSegment segments[2];
      for (size_t j = 0; j < segment_count; ++j) {
        const size_t first = j == 0 ? 0 : split, end = j == 0 ? split : m;
        const int8_t** seg_lines = lines.data() + j * s.k_h;
        std::vector<int64_t> line_rows(static_cast<size_t>(s.k_h));
        for (int64_t ky = 0; ky < s.k_h; ++ky) {
          line_rows[ky] = rng() % 5 == 0 ? -1 : static_cast<int64_t>(rng() % s.in_h);
          seg_lines[ky] = line_rows[ky] < 0 ? nullptr : input.data() + line_rows[ky] * s.in_w * s.in_c;
        }
        // Pixels first..end-1 are ox0 + i (i the tile row): ox0 may put the windows before or past the image.
        const int64_t ox0 = static_cast<int64_t>(rng() % (s.in_w + 10)) - 8;
        const int64_t window_offset = (ox0 * s.stride_w - s.pad_left) * s.in_c + group_offset;
        segments[j] = Im2colWindowSegment{first, end, seg_lines, window_offset};
        for (size_t i = first; i < end; ++i) {
          int8_t* row = rows.data() + i * k;
          for (int64_t ky = 0; ky < s.k_h; ++ky) {
            for (int64_t kx = 0; kx < s.k_w; ++kx) {
              const int64_t ix = (ox0 + static_cast<int64_t>(i)) * s.stride_w - s.pad_left + kx * s.dilation_w;
              for (int64_t c = 0; c < filter_c; ++c) {
                const bool inside = line_rows[ky] >= 0 && ix >= 0 && ix < s.in_w;
                *row++ = inside ? image[(line_rows[ky] * s.in_w + ix) * s.in_c + group_offset + c] : z_in;
              }
            }
          }
        }
      }
      const size_t block_bytes = tables.vectors * 64;
      std::vector<uint8_t> got(block_bytes + 128, 0xEE), expected(block_bytes + 128, 0);
      uint8_t* got_block = got.data() + (64 - reinterpret_cast<uintptr_t>(got.data()) % 64);
      uint8_t* expected_block = expected.data() + (64 - reinterpret_cast<uintptr_t>(expected.data()) % 64);
      packer.window_pack(tables, segment_count, segments, got_block);
      if (IsUsable(owner->isa)) {
        owner->pack_lhs(m, mr, k, kp, rows.data(), k, expected_block);
      } else {
        for (size_t i = 0; i < m; ++i) {
          for (size_t c = 0; c < k; ++c) expected_block[i * kp + c] = static_cast<uint8_t>(rows[i * k + c] ^ 0x80);
        }
      }
      if (std::memcmp(got_block, expected_block, block_bytes) != 0 || got_block[block_bytes] != 0xEE ||
          got_block[block_bytes + 63] != 0xEE) {
        std::fprintf(stderr,
                     "  %s window packer differs from %s's pack_lhs: m=%zu split=%zu k=%zu KH=%lld KW=%lld Cf=%lld "
                     "Cin=%lld stride_w=%lld dilation_w=%lld W=%lld\n",
                     packer.name, owner->name, m, split, k, static_cast<long long>(s.k_h),
                     static_cast<long long>(s.k_w), static_cast<long long>(s.filter_c), static_cast<long long>(s.in_c),
                     static_cast<long long>(s.stride_w), static_cast<long long>(s.dilation_w),
                     static_cast<long long>(s.in_w));
        ++qint8_test::Failures();
        break;
      }
    }
    CHECK(tested >= 200);
  }
}
