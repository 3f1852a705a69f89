// Native tests of the fast ADD: the split and high-dword forms equal the reference arithmetic; every ADD kernel this
// CPU runs equals the reference Add bit for bit (edge lengths, all code pairs, both types, guard bytes); the driver
// equals it over broadcasts, and dispatch picks the SIMD kernel where it applies.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "qint8/add.h"
#include "qint8/ops.h"
#include "qint8/quant.h"

using namespace qint8;
namespace af = qint8::add_field;

namespace {

constexpr uint8_t kGuard = 0xA5;
constexpr size_t kGuardBytes = 67;
const size_t kEdgeLengths[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 95, 127, 128, 129, 191, 255, 1000, 4099};

bool IsUsable(Isa isa) {
  const std::vector<Isa> usable = UsableIsas();
  return std::find(usable.begin(), usable.end(), isa) != usable.end();
}

// The kernels this CPU runs; logs the ones skipped.
std::vector<const AddKernel*> RunnableKernels() {
  std::vector<const AddKernel*> kernels;
  for (const AddKernel& k : AddKernels()) {
    if (IsUsable(k.isa)) {
      kernels.push_back(&k);
    } else {
      std::printf("     skip %s (%s not supported by this CPU)\n", k.name, IsaName(k.isa));
    }
  }
  return kernels;
}

int32_t CodeMin(bool is_signed) { return is_signed ? -128 : 0; }
int32_t CodeMax(bool is_signed) { return is_signed ? 127 : 255; }

// An ADD geometry for a 1-D output of n elements: b contiguous, or broadcast (one element) when b_broadcast.
std::vector<int32_t> LinearGeometry(int64_t n, bool b_broadcast) {
  std::vector<int32_t> g(af::kCount, 0);
  for (int d = 0; d < kAddRank; ++d) g[af::kOutputShape + d] = 1;
  g[af::kOutputShape + kAddRank - 1] = static_cast<int32_t>(n);
  g[af::kStridesA + kAddRank - 1] = 1;
  g[af::kStridesB + kAddRank - 1] = b_broadcast ? 0 : 1;
  return g;
}

// TFLite's Prepare for ADD (add.cc): left shift 20, inputs rescaled to twice the larger input scale, output
// multiplier below one; zero points and a clamp drawn from the type's range (sometimes at its ends).
void TfliteParams(std::mt19937& rng, bool is_signed, std::vector<int32_t>* g) {
  std::uniform_real_distribution<double> log_scale(std::log(1e-4), std::log(1.0));
  const double sa = std::exp(log_scale(rng));
  // the other input's scale: mostly within a factor 8, sometimes up to 2^12 apart (large right shifts)
  const double spread = (rng() % 4 == 0) ? 12.0 : 3.0;
  const double sb = sa * std::exp2(std::uniform_real_distribution<double>(-spread, spread)(rng));
  const double twice_max = 2 * std::max(sa, sb);
  double so = twice_max * std::exp2(std::uniform_real_distribution<double>(-4.0, 3.0)(rng));
  const QuantizedMultiplier ma = QuantizeMultiplier(sa / twice_max, kProfileTfliteRef);
  const QuantizedMultiplier mb = QuantizeMultiplier(sb / twice_max, kProfileTfliteRef);
  const QuantizedMultiplier mo = QuantizeMultiplier(twice_max / (std::exp2(20) * so), kProfileTfliteRef);
  const int32_t lo = CodeMin(is_signed), hi = CodeMax(is_signed);
  auto zero_point = [&]() {
    const uint32_t pick = rng() % 8;
    return pick == 0 ? lo : pick == 1 ? hi : lo + static_cast<int32_t>(rng() % 256);
  };
  std::vector<int32_t>& f = *g;
  f[af::kInputOffsetA] = -zero_point();
  f[af::kInputOffsetB] = -zero_point();
  f[af::kOutputOffset] = zero_point();
  f[af::kLeftShift] = 20;
  f[af::kMultiplierA] = ma.multiplier, f[af::kShiftA] = std::max(ma.shift, -31);
  f[af::kMultiplierB] = mb.multiplier, f[af::kShiftB] = std::max(mb.shift, -31);
  f[af::kOutputMultiplier] = mo.multiplier, f[af::kOutputShift] = std::max(mo.shift, -31);
  int32_t act_min = lo, act_max = hi;
  switch (rng() % 4) {
    case 0: act_min = f[af::kOutputOffset]; break;  // RELU
    case 1: act_min = lo + static_cast<int32_t>(rng() % 100), act_max = hi - static_cast<int32_t>(rng() % 100); break;
    default: break;
  }
  f[af::kActivationMin] = act_min, f[af::kActivationMax] = std::max(act_min, act_max);
}

// Any parameters the native glue accepts: multipliers in [0, 2^31) (with the extremes) and sometimes negative (the
// reference still defines a result, which the Neon kernels reproduce and the x86 ones decline), shifts in [-31, 30],
// left shifts 0..31, offsets up to +-600 (sometimes huge), zero points anywhere in a wide range.
void RandomParams(std::mt19937& rng, bool is_signed, std::vector<int32_t>* g) {
  std::vector<int32_t>& f = *g;
  auto multiplier = [&]() {
    switch (rng() % 7) {
      case 0: return int32_t{0};
      case 6: return rng() % 2 ? std::numeric_limits<int32_t>::min() : -static_cast<int32_t>(rng() >> 1);  // Neon only
      case 1: return std::numeric_limits<int32_t>::max();
      case 2: return int32_t{1} << 30;
      default: return static_cast<int32_t>(rng() >> 1);
    }
  };
  auto shift = [&]() {
    switch (rng() % 5) {
      case 0: return int32_t{0};
      case 1: return -static_cast<int32_t>(rng() % 32);
      case 2: return static_cast<int32_t>(rng() % 31);
      default: return -static_cast<int32_t>(rng() % 24);
    }
  };
  auto offset = [&]() {
    return rng() % 16 == 0 ? static_cast<int32_t>(rng()) : static_cast<int32_t>(rng() % 1201) - 600;
  };
  f[af::kInputOffsetA] = offset();
  f[af::kInputOffsetB] = offset();
  f[af::kOutputOffset] = rng() % 8 == 0 ? static_cast<int32_t>(rng() % 70001) - 35000 : static_cast<int32_t>(rng() % 401) - 200;
  f[af::kLeftShift] = rng() % 2 == 0 ? 20 : static_cast<int32_t>(rng() % 32);
  f[af::kMultiplierA] = multiplier(), f[af::kShiftA] = shift();
  f[af::kMultiplierB] = multiplier(), f[af::kShiftB] = shift();
  f[af::kOutputMultiplier] = multiplier(), f[af::kOutputShift] = shift();
  const int32_t lo = CodeMin(is_signed), hi = CodeMax(is_signed);
  int32_t act_min = lo + static_cast<int32_t>(rng() % 256), act_max = lo + static_cast<int32_t>(rng() % 256);
  if (rng() % 2 == 0) act_min = lo, act_max = hi;
  f[af::kActivationMin] = std::min(act_min, act_max), f[af::kActivationMax] = std::max(act_min, act_max);
}

// Random codes, with runs of the extremes.
std::vector<uint8_t> RandomCodes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng());
  if (n > 4 && rng() % 4 == 0) std::fill(v.begin(), v.begin() + n / 4, static_cast<uint8_t>(rng() % 2 ? 0x80 : 0x7F));
  return v;
}

// Runs the kernel (vadd, or vaddc when b_broadcast) on n elements into a guarded buffer and compares with the
// reference Add of the same geometry; false when anything differs (reports the first difference).
bool CheckKernel(const AddKernel& k, const std::vector<int32_t>& g, const AddRunParams& p, const std::vector<uint8_t>& a,
                 const std::vector<uint8_t>& b, bool b_broadcast, const char* what) {
  const size_t n = a.size();
  std::vector<uint8_t> expected(n), got(n + 2 * kGuardBytes, kGuard);
  Add(ByteTensor{a.data(), k.is_signed}, ByteTensor{b.data(), k.is_signed}, g.data(), expected.data());
  uint8_t* out = got.data() + kGuardBytes;
  if (b_broadcast) {
    const int32_t code = ByteTensor{b.data(), k.is_signed}.at(0);
    k.vaddc(n, a.data(), AddScaledInput(code, p.b, p.left_shift), out, p);
  } else {
    k.vadd(n, a.data(), b.data(), out, p);
  }
  for (size_t i = 0; i < kGuardBytes; ++i) {
    if (got[i] != kGuard || got[kGuardBytes + n + i] != kGuard) {
      std::fprintf(stderr, "  %s (%s, n=%zu): wrote outside the output\n", k.name, what, n);
      return false;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (out[i] != expected[i]) {
      std::fprintf(stderr, "  %s (%s, n=%zu%s): out[%zu] = %d, expected %d (a=%d b=%d)\n", k.name, what, n,
                   b_broadcast ? ", vaddc" : "", i, out[i], expected[i], a[i], b[b_broadcast ? 0 : i]);
      return false;
    }
  }
  return true;
}

}  // namespace

// The split form of each input equals the reference's scaled value for every code whenever PrepareAddRun calls it
// exact, and it is exact for every TFLite-like parameter set (left shift 20) with scales within 2^8 of each other.
QINT8_TEST(add_split_form_equals_reference_scaling) {
  std::mt19937 rng(2024);
  int exact_random = 0, tflite = 0;
  for (int trial = 0; trial < 6000; ++trial) {
    const bool is_signed = trial % 2 == 0;
    const bool like_tflite = trial % 3 != 0;
    std::vector<int32_t> g = LinearGeometry(1, false);
    if (like_tflite) TfliteParams(rng, is_signed, &g); else RandomParams(rng, is_signed, &g);
    AddRunParams p;
    PrepareAddRun(g.data(), is_signed, &p);
    if (like_tflite && p.a.shift >= -9 && p.b.shift >= -9) {
      CHECK(p.split_form_exact);
      ++tflite;
    }
    if (!p.split_form_exact) continue;
    exact_random += like_tflite ? 0 : 1;
    for (int32_t q = CodeMin(is_signed); q <= CodeMax(is_signed); ++q) {
      CHECK_EQ(AddScaledInputSplit(q, p.split_a), AddScaledInput(q, p.a, p.left_shift));
      CHECK_EQ(AddScaledInputSplit(q, p.split_b), AddScaledInput(q, p.b, p.left_shift));
    }
  }
  CHECK(exact_random > 100);  // the random parameters exercise the split form too, not only TFLite's
  CHECK(tflite > 1000);
}

// The high-dword form of the output requantization equals MultiplyByQuantizedMultiplierDouble for every shift in
// [-31, 30], multipliers 0..2^31-1 and sums up to its max_abs_sum (every int32 for shift >= 0): the ends, ties,
// random; and max_abs_sum covers the sums of TFLite-like calls.
QINT8_TEST(add_output_high_dword_form_equals_reference) {
  std::mt19937 rng(77);
  const int32_t kMax = std::numeric_limits<int32_t>::max();
  for (int32_t shift = -31; shift <= 30; ++shift) {
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<int32_t> g = LinearGeometry(1, false);
      g[af::kOutputMultiplier] = trial == 0 ? kMax : trial == 1 ? 0 : trial == 2 ? 1 << 30 : static_cast<int32_t>(rng() >> 1);
      g[af::kOutputShift] = shift;
      AddRunParams p;
      PrepareAddRun(g.data(), true, &p);
      const AddOutputHigh& h = p.out_high;
      if (shift >= 0) CHECK_EQ(h.max_abs_sum, int64_t{1} << 31);
      const int64_t bound = h.max_abs_sum;  // at most 2^31
      const int32_t r = shift < 0 ? -shift : 0;
      const int64_t tie = r > 0 ? (int64_t{1} << (r - 1)) : 0;  // SRDHM results at a rounding tie of the shift
      const int64_t sums[] = {0, 1, -1, bound, -bound, bound - 1, 1 - bound, tie, -tie, kMax, -(int64_t{1} << 31),
                              static_cast<int32_t>(rng()), static_cast<int32_t>(rng()) >> (rng() % 31),
                              int64_t{static_cast<int32_t>(rng()) >> 8} * 257};
      for (int64_t sum : sums) {
        if (std::abs(sum) > bound || sum > kMax) continue;
        const int32_t s = static_cast<int32_t>(sum);
        CHECK_EQ(AddRequantizeSumHigh(s, h), MultiplyByQuantizedMultiplierDouble(s, g[af::kOutputMultiplier], shift));
      }
    }
  }
  for (int trial = 0; trial < 2000; ++trial) {  // the sums of TFLite's ADD fit the form
    std::vector<int32_t> g = LinearGeometry(1, false);
    TfliteParams(rng, trial % 2 == 0, &g);
    AddRunParams p;
    PrepareAddRun(g.data(), trial % 2 == 0, &p);
    CHECK(p.out_high.max_abs_sum >= int64_t{1} << 30);
  }
}

// Every runnable kernel equals the reference over edge lengths, vadd and vaddc, TFLite-like and random parameters.
QINT8_TEST(add_kernels_equal_reference_over_lengths) {
  std::mt19937 rng(99);
  for (const AddKernel* k : RunnableKernels()) {
    int checked = 0;
    for (int trial = 0; trial < 400; ++trial) {
      const size_t n = trial < 23 ? kEdgeLengths[trial] : kEdgeLengths[rng() % 23] + (rng() % 3 == 0 ? rng() % 300 : 0);
      const bool b_broadcast = trial % 4 == 3;
      std::vector<int32_t> g = LinearGeometry(static_cast<int64_t>(n), b_broadcast);
      if (trial % 3 == 2) RandomParams(rng, k->is_signed, &g); else TfliteParams(rng, k->is_signed, &g);
      AddRunParams p;
      PrepareAddRun(g.data(), k->is_signed, &p);
      if (k->needs_split_form && !p.split_form_exact) continue;
      const std::vector<uint8_t> a = RandomCodes(rng, n), b = RandomCodes(rng, b_broadcast ? 1 : n);
      if (!CheckKernel(*k, g, p, a, b, b_broadcast, trial % 3 == 2 ? "random params" : "tflite params")) {
        CHECK(false);
        break;
      }
      ++checked;
    }
    CHECK(checked > 200);
  }
}

// Every runnable kernel over all 65536 (a, b) code pairs, for parameter sets that stress the rounding: equal and
// unequal scales, r = 0 inputs, output shift 0 and left shifts, clamps narrower than the type, and the broadcast
// vaddc over every code of a for every code of b.
QINT8_TEST(add_kernels_equal_reference_over_all_code_pairs) {
  std::mt19937 rng(5);
  for (const AddKernel* k : RunnableKernels()) {
    int checked = 0;
    for (int trial = 0; trial < 24; ++trial) {
      std::vector<int32_t> g = LinearGeometry(65536, false);
      if (trial < 16) TfliteParams(rng, k->is_signed, &g); else RandomParams(rng, k->is_signed, &g);
      if (trial == 0) {  // equal scales: the exact integer sum
        g[af::kMultiplierA] = g[af::kMultiplierB] = g[af::kOutputMultiplier] = 1 << 30;
        g[af::kShiftA] = g[af::kShiftB] = 0, g[af::kOutputShift] = -18;
      }
      if (trial == 1) g[af::kOutputShift] = 0;  // SRDHM alone at the output
      if (trial == 2) g[af::kOutputShift] = 3, g[af::kShiftA] = 1;  // left shifts
      AddRunParams p;
      PrepareAddRun(g.data(), k->is_signed, &p);
      if (k->needs_split_form && !p.split_form_exact) continue;
      std::vector<uint8_t> a(65536), b(65536);
      for (size_t i = 0; i < 65536; ++i) a[i] = static_cast<uint8_t>(i), b[i] = static_cast<uint8_t>(i >> 8);
      if (!CheckKernel(*k, g, p, a, b, false, "all pairs")) {
        CHECK(false);
        break;
      }
      std::vector<uint8_t> a256(256);
      for (size_t i = 0; i < 256; ++i) a256[i] = static_cast<uint8_t>(i);
      const std::vector<int32_t> gc = [&] {
        std::vector<int32_t> c = g;
        c[af::kOutputShape + kAddRank - 1] = 256;
        c[af::kStridesB + kAddRank - 1] = 0;
        return c;
      }();
      for (int code = 0; code < 256; ++code) {
        if (!CheckKernel(*k, gc, p, a256, std::vector<uint8_t>{static_cast<uint8_t>(code)}, true, "all pairs")) {
          CHECK(false);
          break;
        }
      }
      ++checked;
    }
    CHECK(checked >= 16);
  }
}

// The driver: Add(..., isa) equals the reference for every usable ISA over random broadcast shapes of rank <= 6
// (same shape, scalar, per-channel vector, outer sums, strided broadcasts), both types, TFLite-like and random
// parameters (those outside a kernel's forms run the reference).
QINT8_TEST(add_driver_equals_reference_over_broadcasts) {
  std::mt19937 rng(31337);
  for (Isa isa : UsableIsas()) {
    for (int trial = 0; trial < 300; ++trial) {
      const bool is_signed = trial % 2 == 0;
      int32_t shape_a[kAddRank], shape_b[kAddRank];
      const int pattern = trial % 5;
      for (int d = 0; d < kAddRank; ++d) {
        const int32_t size = d < 2 ? 1 + static_cast<int32_t>(rng() % 2) : 1 + static_cast<int32_t>(rng() % 20);
        shape_a[d] = shape_b[d] = size;
        if (pattern == 1) shape_b[d] = 1;                                         // scalar b
        if (pattern == 2 && d < kAddRank - 1) shape_b[d] = 1;                     // per-channel vector b
        if (pattern == 3 && d < kAddRank - 1) shape_a[d] = 1;                     // per-channel vector a
        if (pattern == 4 && rng() % 3 == 0) (rng() % 2 ? shape_a : shape_b)[d] = 1;  // anything numpy allows
      }
      std::vector<int32_t> g(af::kCount, 0);
      int64_t stride_a = 1, stride_b = 1, count_a = 1, count_b = 1, count = 1;
      for (int d = kAddRank - 1; d >= 0; --d) {
        g[af::kOutputShape + d] = std::max(shape_a[d], shape_b[d]);
        g[af::kStridesA + d] = shape_a[d] == 1 ? 0 : static_cast<int32_t>(stride_a);
        g[af::kStridesB + d] = shape_b[d] == 1 ? 0 : static_cast<int32_t>(stride_b);
        stride_a *= shape_a[d], stride_b *= shape_b[d];
        count_a *= shape_a[d], count_b *= shape_b[d], count *= g[af::kOutputShape + d];
      }
      if (count > 300000) continue;
      if (trial % 3 == 2) RandomParams(rng, is_signed, &g); else TfliteParams(rng, is_signed, &g);
      const std::vector<uint8_t> a = RandomCodes(rng, static_cast<size_t>(count_a));
      const std::vector<uint8_t> b = RandomCodes(rng, static_cast<size_t>(count_b));
      std::vector<uint8_t> expected(static_cast<size_t>(count)), got(static_cast<size_t>(count) + kGuardBytes, kGuard);
      Add(ByteTensor{a.data(), is_signed}, ByteTensor{b.data(), is_signed}, g.data(), expected.data());
      Add(ByteTensor{a.data(), is_signed}, ByteTensor{b.data(), is_signed}, g.data(), got.data(), isa);
      bool same = std::equal(expected.begin(), expected.end(), got.begin());
      for (size_t i = 0; i < kGuardBytes; ++i) same = same && got[static_cast<size_t>(count) + i] == kGuard;
      if (!same) {
        std::fprintf(stderr, "  %s: broadcast pattern %d, %lld elements differ from the reference\n", IsaName(isa),
                     pattern, static_cast<long long>(count));
        CHECK(false);
        break;
      }
    }
  }
}

// Dispatch: the best ISA runs its SIMD kernel on the MobileNet shapes (same shape, scalar and per-channel
// broadcasts), and declines what the kernels do not cover (mixed types, short runs, parameters outside the form).
QINT8_TEST(add_dispatch_runs_simd_where_it_applies) {
  for (const AddKernel& k : AddKernels()) {
    CHECK(std::string(k.name).find(IsaName(k.isa)) != std::string::npos);
    CHECK(std::string(k.name).find(k.is_signed ? "qs8-" : "qu8-") == 0);
  }
  CHECK(AddKernelFor(kIsaScalar, true) == nullptr);
  const Isa best = BestIsa();
  const AddKernel* expected = AddKernelFor(best, true);
  if (best != kIsaScalar) {
    CHECK(expected != nullptr);
  }
  if (expected == nullptr) {
    std::printf("     (no ADD SIMD kernel for %s)\n", IsaName(best));
    return;
  }
  std::printf("     %s runs %s\n", IsaName(best), expected->name);
  std::vector<int32_t> g(af::kCount, 0);
  const int32_t shape[kAddRank] = {1, 1, 1, 56, 56, 24};
  for (int d = 0; d < kAddRank; ++d) g[af::kOutputShape + d] = shape[d];
  for (int d = kAddRank - 1, stride = 1; d >= 0; --d) {
    g[af::kStridesA + d] = g[af::kStridesB + d] = shape[d] == 1 ? 0 : stride;
    stride *= shape[d];
  }
  std::mt19937 rng(8);
  TfliteParams(rng, true, &g);
  g[af::kShiftA] = g[af::kShiftB] = -1;
  const uint8_t byte = 0;
  const ByteTensor s8{&byte, true}, u8{&byte, false};
  CHECK(AddFastKernel(s8, s8, g.data(), best) == expected);
  std::vector<int32_t> g_u8 = g;
  TfliteParams(rng, false, &g_u8);
  g_u8[af::kShiftA] = g_u8[af::kShiftB] = -1;
  CHECK(AddFastKernel(u8, u8, g_u8.data(), best) == AddKernelFor(best, false));
  CHECK(AddFastKernel(s8, u8, g.data(), best) == nullptr);
  CHECK(AddFastKernel(s8, s8, g.data(), kIsaScalar) == nullptr);
  std::vector<int32_t> scalar_b = g, vector_b = g, short_runs = g, negative = g;
  for (int d = 0; d < kAddRank; ++d) scalar_b[af::kStridesB + d] = 0;
  for (int d = 0; d < kAddRank - 1; ++d) vector_b[af::kStridesB + d] = 0;
  CHECK(AddFastKernel(s8, s8, scalar_b.data(), best) == expected);
  CHECK(AddFastKernel(s8, s8, vector_b.data(), best) == expected);
  // [56, 56, 8] of a + [56, 1, 8] of b: runs of 8 elements
  short_runs[af::kOutputShape + 5] = 8;
  short_runs[af::kStridesA + 4] = 8, short_runs[af::kStridesA + 3] = 56 * 8;
  short_runs[af::kStridesB + 4] = 0, short_runs[af::kStridesB + 3] = 8;
  CHECK(AddFastKernel(s8, s8, short_runs.data(), best) == nullptr);
  negative[af::kMultiplierA] = -5;
  if (expected->needs_split_form) {
    CHECK(AddFastKernel(s8, s8, negative.data(), best) == nullptr);
  }
}
