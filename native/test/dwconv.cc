// Native tests of the fast depthwise convolution: every kernel this CPU runs equals the reference DepthwiseConv2D bit for
// bit over sizes, channel tails, multipliers, 1x1-7x7 (and larger-than-input) filters, strides, dilations, paddings,
// profiles, clamps, zero-point extremes, 1-4 threads and guard bytes, and (stride 2) input at each 16-byte phase of a
// line; chosen accumulators; the entry's refusals.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "check.h"
#include "fixtures.h"
#include "qint8/dwconv.h"
#include "qint8/ops.h"
#include "qint8/quant.h"

using namespace qint8;
using namespace qint8_test;

namespace {

// The kernels this CPU runs (the inventory filtered by UsableIsas()); logs the ones skipped.
std::vector<const DwconvKernel*> RunnableKernels() { return qint8_test::RunnableKernels(DwconvKernels()); }

// One depthwise problem: tensors, requantization and the geometry fields (conv_field layout).
struct Problem {
  int32_t g[conv_field::kCount] = {};
  std::vector<int8_t> input, filter;
  std::vector<int32_t> bias, multiplier, shift;
  std::vector<float> scale;
  bool has_bias = true;
};

// TFLite's padding.h: output size and pad_before for SAME (true) or VALID along one axis; false if VALID is empty.
bool Pad(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same, int64_t* out, int64_t* before) {
  const int64_t eff = (k - 1) * dilation + 1;
  *out = same ? (in + stride - 1) / stride : (in - eff + stride) / stride;
  if (*out <= 0) return false;
  const int64_t total = std::max<int64_t>(0, (*out - 1) * stride + eff - in);
  *before = total / 2;
  return true;
}

struct Options {
  int max_hw = 17;
  int max_c = 67;
  int max_m = 4;
};

// A random problem; sizes from `o`. Returns false when the drawn VALID geometry has an empty output (redraw).
bool RandomProblem(std::mt19937& rng, const Options& o, Problem* p) {
  using namespace conv_field;
  int32_t* g = p->g;
  static const int kKernels[] = {1, 2, 3, 3, 3, 4, 5, 5, 7};
  g[kBatches] = rng() % 6 == 0 ? 2 : 1;
  g[kInputHeight] = 1 + static_cast<int32_t>(rng() % o.max_hw);
  g[kInputWidth] = 1 + static_cast<int32_t>(rng() % o.max_hw);
  g[kInputChannels] = 1 + static_cast<int32_t>(rng() % o.max_c);
  g[kDepthMultiplier] = rng() % 3 == 0 ? 1 + static_cast<int32_t>(rng() % o.max_m) : 1;
  g[kOutputChannels] = g[kInputChannels] * g[kDepthMultiplier];
  g[kFilterHeight] = kKernels[rng() % 9];
  g[kFilterWidth] = rng() % 4 == 0 ? kKernels[rng() % 9] : g[kFilterHeight];
  if (rng() % 12 == 0) g[kFilterWidth] = g[kInputWidth] + 1 + static_cast<int32_t>(rng() % 3);  // wider than the input
  if (rng() % 12 == 0) g[kFilterHeight] = g[kInputHeight] + 1 + static_cast<int32_t>(rng() % 3);
  g[kFilterChannels] = 1;
  g[kStrideHeight] = 1 + static_cast<int32_t>(rng() % 3);
  g[kStrideWidth] = rng() % 3 == 0 ? 1 + static_cast<int32_t>(rng() % 3) : g[kStrideHeight];
  g[kDilationHeight] = rng() % 4 == 0 ? 2 : 1;
  g[kDilationWidth] = rng() % 4 == 0 ? 2 : g[kDilationHeight];
  const int padding = static_cast<int>(rng() % 5);  // 0-2 SAME, 3 VALID, 4 explicit odd pads
  int64_t oh, ow, pt, pl;
  if (padding == 4) {
    pt = static_cast<int64_t>(rng() % 4) - (rng() % 6 == 0 ? 1 : 0);
    pl = static_cast<int64_t>(rng() % 4) - (rng() % 6 == 0 ? 1 : 0);
    oh = 1 + static_cast<int64_t>(rng() % 6);
    ow = 1 + static_cast<int64_t>(rng() % 6);
  } else {
    const bool same = padding != 3;
    if (!Pad(g[kInputHeight], g[kFilterHeight], g[kStrideHeight], g[kDilationHeight], same, &oh, &pt)) return false;
    if (!Pad(g[kInputWidth], g[kFilterWidth], g[kStrideWidth], g[kDilationWidth], same, &ow, &pl)) return false;
  }
  g[kOutputHeight] = static_cast<int32_t>(oh);
  g[kOutputWidth] = static_cast<int32_t>(ow);
  g[kPadTop] = static_cast<int32_t>(pt);
  g[kPadLeft] = static_cast<int32_t>(pl);
  // Zero points: the int8 extremes often (input_offset = -z_in, so z_in = -128 is offset 128).
  const int32_t z_in = rng() % 4 == 0 ? (rng() % 2 ? -128 : 127) : static_cast<int32_t>(rng() % 256) - 128;
  g[kInputOffset] = -z_in;
  g[kFilterOffset] = 0;
  g[kOutputOffset] = rng() % 4 == 0 ? (rng() % 2 ? -128 : 127) : static_cast<int32_t>(rng() % 256) - 128;
  if (rng() % 3 == 0) {
    g[kActivationMin] = -128;
    g[kActivationMax] = 127;
  } else {
    int32_t lo = static_cast<int32_t>(rng() % 256) - 128, hi = static_cast<int32_t>(rng() % 256) - 128;
    if (lo > hi) std::swap(lo, hi);
    g[kActivationMin] = lo;
    g[kActivationMax] = hi;
  }
  g[kProfile] = static_cast<int32_t>(rng() % 3);
  g[kPerChannel] = rng() % 4 != 0 ? 1 : 0;

  const size_t in_elems = static_cast<size_t>(g[kBatches]) * g[kInputHeight] * g[kInputWidth] * g[kInputChannels];
  const size_t channels = static_cast<size_t>(g[kOutputChannels]);
  const size_t taps = static_cast<size_t>(g[kFilterHeight]) * g[kFilterWidth];
  p->input.resize(in_elems);
  for (int8_t& v : p->input) v = RandomInt8(rng);
  if (rng() % 10 == 0) std::fill(p->input.begin(), p->input.end(), static_cast<int8_t>(-128));
  p->filter.resize(taps * channels);
  for (int8_t& v : p->filter) v = RandomInt8(rng);
  if (rng() % 10 == 0) std::fill(p->filter.begin(), p->filter.end(), static_cast<int8_t>(-128));
  p->has_bias = rng() % 6 != 0;
  p->bias.resize(channels);
  for (int32_t& b : p->bias) {
    switch (rng() % 10) {
      case 0: b = static_cast<int32_t>(rng()); break;
      case 1: b = rng() % 2 ? kMax32 - static_cast<int32_t>(rng() % 1000) : kMin32 + static_cast<int32_t>(rng() % 1000); break;
      default: b = static_cast<int32_t>(rng() % 200001) - 100000; break;
    }
  }
  const double typical = 9000.0 * std::sqrt(static_cast<double>(taps)) + 1.0;  // |acc| of a depthwise tap sum
  RandomRequantization(rng, g[kPerChannel] ? channels : 1, typical, static_cast<Profile>(g[kProfile]), &p->multiplier,
                       &p->shift, &p->scale);
  return true;
}

std::string Describe(const char* kernel, const Problem& p, size_t threads) {
  using namespace conv_field;
  const int32_t* g = p.g;
  char text[400];
  std::snprintf(text, sizeof(text),
                "%s: N=%d in=%dx%dx%d M=%d out=%dx%dx%d k=%dx%d s=%dx%d d=%dx%d pad=%d,%d zin=%d zout=%d "
                "clamp=[%d,%d] profile=%d per_channel=%d bias=%d threads=%zu",
                kernel, g[kBatches], g[kInputHeight], g[kInputWidth], g[kInputChannels], g[kDepthMultiplier],
                g[kOutputHeight], g[kOutputWidth], g[kOutputChannels], g[kFilterHeight], g[kFilterWidth],
                g[kStrideHeight], g[kStrideWidth], g[kDilationHeight], g[kDilationWidth], g[kPadTop], g[kPadLeft],
                -g[kInputOffset], g[kOutputOffset], g[kActivationMin], g[kActivationMax], g[kProfile],
                g[kPerChannel], p.has_bias ? 1 : 0, threads);
  return text;
}

// A copy of some bytes that starts `phase` bytes past a 64-byte line. Under AddressSanitizer the bytes around the
// copy are poisoned, so that a read outside it is reported (phase mode reads before pixels: never before the first).
class PhasedBytes {
 public:
  PhasedBytes(const std::vector<int8_t>& bytes, size_t phase) : storage_(bytes.size() + 192) {
    const uintptr_t base = reinterpret_cast<uintptr_t>(storage_.data());
    data_ = storage_.data() + (64 - base % 64) % 64 + 64 + phase;
    std::memcpy(data_, bytes.data(), bytes.size());
    size_ = bytes.size();
#if defined(__SANITIZE_ADDRESS__)
    ASAN_POISON_MEMORY_REGION(storage_.data(), static_cast<size_t>(data_ - storage_.data()));
    ASAN_POISON_MEMORY_REGION(data_ + size_, storage_.size() - static_cast<size_t>(data_ - storage_.data()) - size_);
#endif
  }
  ~PhasedBytes() {
#if defined(__SANITIZE_ADDRESS__)
    ASAN_UNPOISON_MEMORY_REGION(storage_.data(), storage_.size());
#endif
  }
  PhasedBytes(const PhasedBytes&) = delete;
  PhasedBytes& operator=(const PhasedBytes&) = delete;
  const int8_t* data() const { return data_; }

 private:
  std::vector<int8_t> storage_;
  int8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Runs `kernel` (through DepthwiseConv2DFast with its isa) and the reference; compares every byte and the guards.
// The fast call reads the input from `input` (a copy of p.input) when given.
bool CheckProblem(const DwconvKernel& kernel, const Problem& p, size_t threads, const int8_t* fast_input = nullptr) {
  using namespace conv_field;
  const size_t out_elems = static_cast<size_t>(p.g[kBatches]) * p.g[kOutputHeight] * p.g[kOutputWidth] * p.g[kOutputChannels];
  std::vector<uint8_t> expected = GuardedBuffer<uint8_t>(out_elems), got = GuardedBuffer<uint8_t>(out_elems);
  const Requantization requant{p.multiplier.data(), p.shift.data(), p.scale.data()};
  const int32_t* bias = p.has_bias ? p.bias.data() : nullptr;
  const ByteTensor input{reinterpret_cast<const uint8_t*>(p.input.data()), true};
  const ByteTensor filter{reinterpret_cast<const uint8_t*>(p.filter.data()), true};
  DepthwiseConv2D(input, filter, bias, requant, p.g, expected.data() + kGuardBytes);
  if (&DwconvKernelFor(kernel.isa) != &kernel) {
    std::fprintf(stderr, "  %s is not the kernel dispatched for %s\n", kernel.name, IsaName(kernel.isa));
    ++qint8_test::Failures();
    return false;
  }
  const ByteTensor fast{reinterpret_cast<const uint8_t*>(fast_input != nullptr ? fast_input : p.input.data()), true};
  if (!DepthwiseConv2DFast(fast, filter, bias, requant, p.g, got.data() + kGuardBytes, kernel.isa, threads)) {
    std::fprintf(stderr, "  refused: %s\n", Describe(kernel.name, p, threads).c_str());
    ++qint8_test::Failures();
    return false;
  }
  const size_t i = FirstDifference(got, expected);
  if (i == got.size()) return true;
  const std::string where = GuardedPlace(i, out_elems, [&](size_t e) {
    const size_t c = p.g[kOutputChannels];
    char text[96];
    std::snprintf(text, sizeof(text), "pixel %zu channel %zu", e / c, e % c);
    return std::string(text);
  });
  std::fprintf(stderr, "  mismatch at %s: got %d, expected %d\n  %s\n", where.c_str(), static_cast<int8_t>(got[i]),
               static_cast<int8_t>(expected[i]), Describe(kernel.name, p, threads).c_str());
  ++qint8_test::Failures();
  return false;
}

// Runs `trials` random problems on every runnable kernel; stops a kernel at its first mismatch.
void RandomTrials(uint32_t seed, int trials, const Options& o) {
  for (const DwconvKernel* kernel : RunnableKernels()) {
    std::mt19937 rng(seed);
    int done = 0;
    while (done < trials) {
      Problem p;
      if (!RandomProblem(rng, o, &p)) continue;
      const size_t threads = 1 + rng() % 4;
      if (!CheckProblem(*kernel, p, threads)) break;
      ++done;
    }
  }
}

// A fixed layer: in HxWxC, k x k, stride, SAME, M; everything else random from `rng`.
Problem Layer(std::mt19937& rng, int h, int w, int c, int m, int k, int stride, int dilation, bool same, int profile) {
  using namespace conv_field;
  Problem p;
  Options o;
  while (!RandomProblem(rng, o, &p)) {
  }
  int32_t* g = p.g;
  g[kBatches] = 1;
  g[kInputHeight] = h;
  g[kInputWidth] = w;
  g[kInputChannels] = c;
  g[kDepthMultiplier] = m;
  g[kOutputChannels] = c * m;
  g[kFilterHeight] = g[kFilterWidth] = k;
  g[kStrideHeight] = g[kStrideWidth] = stride;
  g[kDilationHeight] = g[kDilationWidth] = dilation;
  g[kProfile] = profile;
  int64_t oh = 0, ow = 0, pt = 0, pl = 0;
  Pad(h, k, stride, dilation, same, &oh, &pt);
  Pad(w, k, stride, dilation, same, &ow, &pl);
  g[kOutputHeight] = static_cast<int32_t>(oh);
  g[kOutputWidth] = static_cast<int32_t>(ow);
  g[kPadTop] = static_cast<int32_t>(pt);
  g[kPadLeft] = static_cast<int32_t>(pl);
  const size_t channels = static_cast<size_t>(c) * m;
  p.input.resize(static_cast<size_t>(h) * w * c);
  for (int8_t& v : p.input) v = RandomInt8(rng);
  p.filter.resize(static_cast<size_t>(k) * k * channels);
  for (int8_t& v : p.filter) v = RandomInt8(rng);
  p.bias.resize(channels);
  for (int32_t& b : p.bias) b = static_cast<int32_t>(rng() % 200001) - 100000;
  const size_t rc = g[kPerChannel] ? channels : 1;
  p.multiplier.resize(rc);
  p.shift.resize(rc);
  p.scale.resize(rc);
  for (size_t i = 0; i < rc; ++i) {
    const double d = std::ldexp(1.0 / 3000.0, static_cast<int>(rng() % 5) - 2) * (1.0 + (rng() % 1000) / 1000.0);
    const QuantizedMultiplier q = QuantizeMultiplier(d, static_cast<Profile>(profile));
    p.multiplier[i] = q.multiplier;
    p.shift[i] = q.shift;
    p.scale[i] = static_cast<float>(d);
  }
  return p;
}

}  // namespace

QINT8_TEST(dwconv_inventory_and_dispatch) {
  const std::vector<DwconvKernel>& kernels = DwconvKernels();
  CHECK(!kernels.empty());
  CHECK_EQ(kernels.front().isa, kIsaScalar);
  CHECK_EQ(DwconvKernelFor(kIsaScalar).isa, kIsaScalar);
  for (const DwconvKernel& k : kernels) {
    // Every lane order is a permutation of the tile's channels.
    std::vector<int> seen(k.ct, 0);
    for (size_t s = 0; s < k.ct; ++s) {
      const size_t c = k.slot_channel(s);
      CHECK(c < k.ct);
      if (c < k.ct) ++seen[c];
    }
    for (size_t c = 0; c < k.ct; ++c) CHECK_EQ(seen[c], 1);
    CHECK(std::string(k.name).find("qs8-dwconv-") == 0);
    CHECK(std::string(k.name).find(IsaName(k.isa)) != std::string::npos);
  }
  // The SIMD families this build compiled have a kernel of their own (so the SIMD path is what the tests run).
  const std::vector<Isa> compiled = CompiledIsas();
  for (Isa isa : compiled) {
    if (isa == kIsaAvx2 || isa == kIsaAvx512Vnni || isa == kIsaNeon) CHECK_EQ(DwconvKernelFor(isa).isa, isa);
  }
  if (std::find(compiled.begin(), compiled.end(), kIsaAvxVnni) != compiled.end()) {
    CHECK_EQ(DwconvKernelFor(kIsaAvxVnni).isa, kIsaAvx2);
  }
  for (Isa isa : {kIsaNeonDot, kIsaNeonI8mm}) {
    const Isa got = DwconvKernelFor(isa).isa;
    CHECK(got == kIsaNeon || got == kIsaScalar);
  }
}

QINT8_TEST(dwconv_every_kernel_matches_reference_on_random_geometry) { RandomTrials(20251127, 700, Options{}); }

QINT8_TEST(dwconv_every_kernel_matches_reference_on_small_images) {
  // Tiny images: kernels larger than the input, everything padding, 1-pixel rows and columns.
  RandomTrials(7, 400, Options{4, 40, 4});
}

QINT8_TEST(dwconv_every_kernel_matches_reference_on_layers) {
  std::mt19937 rng(99);
  struct L {
    int h, w, c, m, k, stride, dilation;
    bool same;
  };
  const L layers[] = {
      {20, 23, 32, 1, 3, 1, 1, true},  {21, 19, 128, 1, 3, 2, 1, true}, {9, 12, 67, 1, 5, 1, 1, true},
      {13, 13, 33, 1, 5, 2, 1, true},  {11, 10, 40, 2, 3, 1, 1, true},  {8, 9, 17, 3, 3, 2, 1, false},
      {15, 14, 65, 1, 3, 1, 2, true},  {12, 16, 96, 1, 7, 1, 1, true},  {7, 7, 1, 4, 3, 1, 1, true},
      {30, 30, 24, 1, 3, 3, 1, false}, {6, 40, 64, 1, 5, 1, 2, true},   {17, 17, 31, 1, 1, 1, 1, true},
  };
  for (const DwconvKernel* kernel : RunnableKernels()) {
    for (const L& l : layers) {
      for (int profile = 0; profile < 3; ++profile) {
        const Problem p = Layer(rng, l.h, l.w, l.c, l.m, l.k, l.stride, l.dilation, l.same, profile);
        for (size_t threads : {size_t{1}, size_t{2}, size_t{3}, size_t{4}}) CheckProblem(*kernel, p, threads);
      }
    }
  }
}

namespace {

// The variations the stride-2 tests share, by trial: explicit pads (negative ones included; output sizes within the
// padded image) one trial in 5, and three images one in 4, with a fresh input for them.
void VaryStrideTwo(std::mt19937& rng, int trial, Problem* p) {
  using namespace conv_field;
  if (trial % 5 == 4) {
    p->g[kPadTop] = static_cast<int32_t>(rng() % 4) - 1;
    p->g[kPadLeft] = static_cast<int32_t>(rng() % 4) - 1;
    p->g[kOutputHeight] = 1 + static_cast<int32_t>(rng() % 5);
    p->g[kOutputWidth] = 1 + static_cast<int32_t>(rng() % 5);
  }
  p->g[kBatches] = trial % 4 == 1 ? 3 : 1;
  p->input.resize(static_cast<size_t>(p->g[kBatches]) * p->g[kInputHeight] * p->g[kInputWidth] * p->g[kInputChannels]);
  for (int8_t& v : p->input) v = RandomInt8(rng);
}

}  // namespace

QINT8_TEST(dwconv_pair_mode_matches_reference) {
  // Stride-2 layers, which kernels with pack_row_pairs run from row pairs of 2x2 quads (each packing the next
  // output row's new pair while computing): filters 2..5 (odd ones leave a half-empty quad row and column), even
  // and odd images, pads on either side (SAME, VALID, explicit, negative), a lone last tile, copy mode (depth
  // multiplier 2), several images and threads (a task's first row, and the last row of an image, pack nothing ahead).
  using namespace conv_field;
  std::mt19937 rng(2026);
  size_t pair_runs = 0;
  for (const DwconvKernel* kernel : RunnableKernels()) {
    for (int trial = 0; trial < 120; ++trial) {
      const int k = 2 + trial % 4;
      const int channels[] = {1, 31, 32, 33, 64, 65, 96, 128, 160};
      const int c = channels[trial % 9];
      const int m = trial % 7 == 3 ? 2 : 1;
      const int h = 1 + static_cast<int>(rng() % 13), w = 1 + static_cast<int>(rng() % 13);
      Problem p = Layer(rng, h, w, c, m, k, 2, 1, trial % 3 != 0, static_cast<int>(trial % 3));
      if (p.g[kOutputHeight] <= 0 || p.g[kOutputWidth] <= 0) continue;
      VaryStrideTwo(rng, trial, &p);
      const int batches = p.g[kBatches];
      PackedDwconvWeights shape_only;
      shape_only.kernel = kernel;
      shape_only.channels = static_cast<size_t>(c * m);
      shape_only.kh = shape_only.kw = static_cast<size_t>(k);
      const DwconvShape shape{batches, h, w, c, m, p.g[kOutputHeight], p.g[kOutputWidth], 2, 2, 1, 1,
                              p.g[kPadTop], p.g[kPadLeft]};
      if (DwconvUsesRowPairs(shape_only, shape)) ++pair_runs;
      for (size_t threads : {size_t{1}, size_t{2}, size_t{3}}) {
        if (!CheckProblem(*kernel, p, threads)) break;
      }
    }
  }
  // On a CPU that runs a kernel with pair mode, the loop above ran it.
  bool any_pairs = false;
  for (const DwconvKernel* kernel : RunnableKernels()) any_pairs = any_pairs || kernel->pack_row_pairs != nullptr;
  if (any_pairs) CHECK(pair_runs > 100);
}

QINT8_TEST(dwconv_phase_mode_matches_reference) {
  // Phase mode: stride-2 pair mode over input that starts 16, 32 or 48 bytes past a 64-byte line (channels a
  // multiple of 64, odd KW), so the windows start that many channels early and window 0 reads the column before.
  // Filters 3x3 and 4x3 (phase mode's), and 5x5, 3x5, 2x3 (pair mode without it); every padding kind, which moves
  // the edge pixels; images of one column; several images and threads; every profile; each phase and 0 as the
  // control. Under ASan nothing around the input may be read. Asserts that phase mode ran.
  using namespace conv_field;
  std::mt19937 rng(4242);
  size_t phase_runs = 0;
  bool any_phase_mode = false;
  for (const DwconvKernel* kernel : RunnableKernels()) {
    any_phase_mode = any_phase_mode || kernel->pack_phase_windows != nullptr;
    for (int trial = 0; trial < 90; ++trial) {
      const int kernels[][2] = {{3, 3}, {4, 3}, {3, 3}, {5, 5}, {3, 5}, {2, 3}};
      const int kh = kernels[trial % 6][0], kw = kernels[trial % 6][1];
      const int c = 64 * (1 + trial % 3);
      const int h = 1 + static_cast<int>(rng() % 12), w = 1 + static_cast<int>(rng() % 12);
      Problem p = Layer(rng, h, w, c, 1, kw, 2, 1, trial % 4 != 0, static_cast<int>(trial % 3));
      int64_t oh = 0, pt = 0;
      const bool same = trial % 4 != 0;
      if (!Pad(h, kh, 2, 1, same, &oh, &pt) || p.g[kOutputWidth] <= 0) continue;
      p.g[kFilterHeight] = kh;
      p.g[kOutputHeight] = static_cast<int32_t>(oh);
      p.g[kPadTop] = static_cast<int32_t>(pt);
      p.filter.resize(static_cast<size_t>(kh) * kw * c);
      for (int8_t& v : p.filter) v = RandomInt8(rng);
      VaryStrideTwo(rng, trial, &p);  // explicit pads move the edge pixels of phase mode, or remove them
      const int batches = p.g[kBatches];
      if (trial % 9 == 0) {  // tflite-ref with right shifts beyond 22 bits on some channels: not a fast window
        for (size_t i = 0; i < p.shift.size(); ++i) p.shift[i] = i % 5 == 2 ? -23 - static_cast<int32_t>(i % 7) : -9;
        for (int32_t& b : p.bias) b = static_cast<int32_t>(rng() % 2000001) - 1000000;
      }
      PackedDwconvWeights packed;
      PackDwconvWeights(*kernel, p.filter.data(), static_cast<size_t>(kh), static_cast<size_t>(kw),
                        static_cast<size_t>(c), p.bias.data(), 0, nullptr, nullptr, nullptr, false, &packed);
      const DwconvShape shape{batches, h, w, c, 1, p.g[kOutputHeight], p.g[kOutputWidth], 2, 2, 1, 1, p.g[kPadTop],
                              p.g[kPadLeft]};
      for (size_t phase : {size_t{16}, size_t{32}, size_t{48}, size_t{0}}) {
        const PhasedBytes input(p.input, phase);
        if (phase != 0 && DwconvUsesInputPhase(packed, shape, input.data())) ++phase_runs;
        CHECK(phase == 0 ? !DwconvUsesInputPhase(packed, shape, input.data()) : true);
        for (size_t threads : {size_t{1}, size_t{2}, size_t{3}}) {
          if (!CheckProblem(*kernel, p, threads, input.data())) break;
        }
      }
    }
  }
  // On a CPU that runs a kernel with phase mode, the loop above ran it for every eligible case.
  if (any_phase_mode) CHECK(phase_runs > 100);
}

QINT8_TEST(dwconv_requantization_of_chosen_accumulators) {
  // A 1x1 filter of zeros makes acc = bias exactly: every profile on extreme and tie accumulators, including
  // left shifts (wrapping), multiplier 0 and 2^31 - 1, shift -31, zero-point saturation at both ends, and tiles of
  // right shifts only (1 to 22 bits).
  using namespace conv_field;
  const int32_t accs[] = {0, 1, -1, 2, -2, 3, -3, 127, -128, 255, -256, 1 << 20, -(1 << 20), (1 << 30) + 1,
                          -(1 << 30) - 1, kMax32, kMin32, kMax32 - 1, kMin32 + 1, 0x40000000, -0x40000000,
                          12345678, -12345678, 0x7FFF, -0x8000, 0x8000, -0x8001};
  const int32_t multipliers[] = {0, 1, 1 << 30, (1 << 30) + 1, kMax32, 1518500250, 1073741823};
  const int32_t shifts[] = {-31, -30, -16, -8, -2, -1, 0, 1, 2, 8, 30};
  const float scales[] = {0.0f, 1.0f, 0.5f, 0.25f, 1.0f / 3, 3.0e-10f, 7.5f, 1.0e9f, 2.0f, 1.5f, 1.0e-3f};
  const size_t na = sizeof(accs) / sizeof(accs[0]);
  const size_t channels = 77;  // crosses tiles of every kernel
  for (const DwconvKernel* kernel : RunnableKernels()) {
    for (int profile = 0; profile < 3; ++profile) {
      for (int zp : {-128, 0, 127}) {
        for (size_t variant = 0; variant < 11; ++variant) {
          Problem p;
          int32_t* g = p.g;
          g[kBatches] = 1;
          g[kInputHeight] = g[kInputWidth] = 2;
          g[kInputChannels] = static_cast<int32_t>(channels);
          g[kDepthMultiplier] = 1;
          g[kOutputChannels] = static_cast<int32_t>(channels);
          g[kOutputHeight] = g[kOutputWidth] = 2;
          g[kFilterHeight] = g[kFilterWidth] = 1;
          g[kFilterChannels] = 1;
          g[kStrideHeight] = g[kStrideWidth] = g[kDilationHeight] = g[kDilationWidth] = 1;
          g[kInputOffset] = 5;
          g[kOutputOffset] = zp;
          g[kActivationMin] = variant % 2 ? -100 : -128;
          g[kActivationMax] = variant % 2 ? 90 : 127;
          g[kProfile] = profile;
          g[kPerChannel] = 1;
          p.input.assign(4 * channels, 3);
          p.filter.assign(channels, 0);
          p.bias.resize(channels);
          p.multiplier.resize(channels);
          p.shift.resize(channels);
          p.scale.resize(channels);
          for (size_t c = 0; c < channels; ++c) {
            p.bias[c] = accs[(c + variant * 5) % na];
            p.multiplier[c] = multipliers[(c / na + c + variant) % 7];
            p.shift[c] = shifts[(c * 3 + variant) % 11];
            if (variant >= 4 && p.shift[c] > 0) p.shift[c] = -p.shift[c];  // tiles without any left shift
            // Tiles whose every shift lies in [-22, -1] (the AVX-512 kernel's fast tiles: zero point folded into the
            // rounding constant, halves joined by a blend), extremes of that range included.
            static const int32_t kFastShifts[] = {-22, -21, -17, -8, -2, -1};
            if (variant >= 6) p.shift[c] = kFastShifts[(c * 5 + variant) % 6];
            // ... and tiles just outside them: right shifts with a few shift-0 channels.
            static const int32_t kNearFastShifts[] = {0, -1, -7, -22};
            if (variant >= 9) p.shift[c] = kNearFastShifts[(c + variant) % 4];
            p.scale[c] = scales[(c + variant) % 11];
          }
          CheckProblem(*kernel, p, 1);
        }
      }
    }
  }
}

QINT8_TEST(dwconv_fast_entry_refusals_and_batches) {
  using namespace conv_field;
  std::mt19937 rng(5);
  Problem p;
  while (!RandomProblem(rng, Options{}, &p) || p.g[kFilterWidth] < 2) {
  }
  const Requantization requant{p.multiplier.data(), p.shift.data(), p.scale.data()};
  const ByteTensor input{reinterpret_cast<const uint8_t*>(p.input.data()), true};
  const ByteTensor filter{reinterpret_cast<const uint8_t*>(p.filter.data()), true};
  const size_t out_elems = static_cast<size_t>(p.g[kBatches]) * p.g[kOutputHeight] * p.g[kOutputWidth] * p.g[kOutputChannels];
  std::vector<uint8_t> out(out_elems + 1, kGuard);
  const Isa isa = BestIsa();
  auto refused = [&](int field, int32_t value) {
    int32_t g[kCount];
    std::memcpy(g, p.g, sizeof(g));
    g[field] = value;
    const bool ok = DepthwiseConv2DFast(input, filter, p.bias.data(), requant, g, out.data(), isa, 1);
    return !ok;
  };
  CHECK(refused(kFilterOffset, 3));
  CHECK(refused(kOutputOffset, 128));
  CHECK(refused(kOutputOffset, -129));
  CHECK(refused(kInputOffset, -128));  // z_in = 128 is not a byte
  CHECK(refused(kActivationMax, 128));
  CHECK(refused(kDilationWidth, 1 << 28));  // rows too large to materialise: the reference's job
  const ByteTensor uint8_input{input.data, false};
  CHECK(!DepthwiseConv2DFast(uint8_input, filter, p.bias.data(), requant, p.g, out.data(), isa, 1));
  for (uint8_t b : out) CHECK_EQ(b, kGuard);  // refusals write nothing
  // Batches of several images, thread counts beyond the pool.
  for (const DwconvKernel* kernel : RunnableKernels()) {
    for (int batches : {3, 5}) {
      Problem q = Layer(rng, 9, 11, 37, 1, 3, 1, 1, true, 0);
      q.g[kBatches] = batches;
      q.input.resize(static_cast<size_t>(batches) * 9 * 11 * 37);
      for (int8_t& v : q.input) v = RandomInt8(rng);
      for (size_t threads : {size_t{1}, size_t{2}, size_t{4}, size_t{64}}) CheckProblem(*kernel, q, threads);
    }
  }
}
