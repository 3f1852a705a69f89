// Native tests of the int8 GEMM: every inventory kernel this CPU can run (and the twins of the ones it cannot)
// against the naive GemmReference, bit for bit, over shapes, strides, tails, zero points, profiles, clamps and
// thread counts, with guard bytes around C; the requantization on chosen accumulators; the thread pool.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "fixtures.h"
#include "qint8/gemm.h"
#include "qint8/quant.h"
#include "qint8/threadpool.h"

using namespace qint8;
using namespace qint8_test;

namespace {

// The kernels this CPU runs: the inventory plus test twins, filtered by UsableIsas(). Logs the ones skipped.
std::vector<const GemmKernel*> RunnableKernels() { return qint8_test::RunnableKernels(GemmKernelsForTesting()); }

// One GEMM problem with everything random but its shape.
struct Problem {
  size_t m = 1, n = 1, k = 1;
  size_t a_stride = 1, c_stride = 1;
  std::vector<int8_t> a, w;
  std::vector<int32_t> bias, multiplier, shift;
  std::vector<float> scale;
  bool per_channel = true;
  bool has_bias = true;
  int32_t input_zero_point = 0;
  GemmOutput output{kProfileTfliteRef, 0, -128, 127};
};

// Requantization parameters for p's K and profile (RandomRequantization: realistic or wild).
void RandomRequant(std::mt19937& rng, Problem* p, size_t channels) {
  const double typical = 5500.0 * std::sqrt(static_cast<double>(std::max<size_t>(p->k, 1))) + 1.0;  // |acc| of a dot
  RandomRequantization(rng, channels, typical, p->output.profile, &p->multiplier, &p->shift, &p->scale);
}

Problem RandomProblem(std::mt19937& rng, size_t m, size_t n, size_t k) {
  Problem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a_stride = k + (rng() % 2 == 0 ? 0 : 1 + 2 * (rng() % 5));  // packed or odd extra
  p.c_stride = n + (rng() % 2 == 0 ? 0 : 1 + 2 * (rng() % 5));
  // Exact sizes (the last row ends at column k): an AddressSanitizer build catches any over-read of A or W.
  p.a.resize(std::max<size_t>(1, (m - 1) * p.a_stride + k));
  for (int8_t& v : p.a) v = RandomInt8(rng);
  if (rng() % 10 == 0) std::fill(p.a.begin(), p.a.end(), static_cast<int8_t>(-128));
  p.w.resize(std::max<size_t>(1, n * k));
  for (int8_t& v : p.w) v = RandomInt8(rng);
  if (rng() % 10 == 0) std::fill(p.w.begin(), p.w.end(), static_cast<int8_t>(-128));
  p.has_bias = rng() % 8 != 0;
  p.bias.resize(n);
  for (int32_t& b : p.bias) {
    b = rng() % 8 == 0 ? static_cast<int32_t>(rng()) : static_cast<int32_t>(rng() % 200001) - 100000;
  }
  p.input_zero_point = static_cast<int32_t>(rng() % 256) - 128;
  p.per_channel = rng() % 4 != 0;
  p.output.profile = static_cast<Profile>(rng() % 3);
  switch (rng() % 10) {
    case 0: p.output.output_zero_point = rng() % 2 ? kMax32 : kMin32; break;
    case 1: p.output.output_zero_point = static_cast<int32_t>(rng()); break;
    default: p.output.output_zero_point = static_cast<int32_t>(rng() % 256) - 128; break;
  }
  if (rng() % 3 == 0) {
    p.output.activation_min = -128;
    p.output.activation_max = 127;
  } else {
    int32_t lo = static_cast<int32_t>(rng() % 256) - 128, hi = static_cast<int32_t>(rng() % 256) - 128;
    if (lo > hi) std::swap(lo, hi);
    p.output.activation_min = lo;
    p.output.activation_max = hi;
  }
  RandomRequant(rng, &p, p.per_channel ? n : 1);
  return p;
}

std::string Describe(const GemmKernel& kernel, const Problem& p, size_t threads) {
  char text[320];
  std::snprintf(text, sizeof(text),
                "%s: M=%zu N=%zu K=%zu a_stride=%zu c_stride=%zu profile=%d zin=%d zout=%d clamp=[%d,%d] "
                "per_channel=%d bias=%d threads=%zu",
                kernel.name, p.m, p.n, p.k, p.a_stride, p.c_stride, static_cast<int>(p.output.profile),
                p.input_zero_point, p.output.output_zero_point, p.output.activation_min, p.output.activation_max,
                p.per_channel ? 1 : 0, p.has_bias ? 1 : 0, threads);
  return text;
}

// Runs `kernel` on p with `threads` and compares with GemmReference, every byte of C and its guards.
// Returns an empty string when equal, else a description of the first mismatch. Touches no shared state.
std::string CompareWithReference(const GemmKernel& kernel, const Problem& p, size_t threads) {
  const int32_t* bias = p.has_bias ? p.bias.data() : nullptr;
  const size_t c_bytes = (p.m - 1) * p.c_stride + p.n;
  std::vector<int8_t> expected = GuardedBuffer<int8_t>(c_bytes), got = GuardedBuffer<int8_t>(c_bytes);
  GemmReference(p.m, p.n, p.k, p.a.data(), p.a_stride, p.w.data(), bias, p.input_zero_point, p.multiplier.data(),
                p.shift.data(), p.scale.data(), p.per_channel, expected.data() + kGuardBytes, p.c_stride, p.output);
  PackedGemmWeights packed;
  PackGemmWeights(kernel, p.w.data(), p.n, p.k, bias, p.input_zero_point, p.multiplier.data(), p.shift.data(),
                  p.scale.data(), p.per_channel, &packed);
  RunGemm(packed, p.m, p.a.data(), p.a_stride, got.data() + kGuardBytes, p.c_stride, p.output, threads);
  const size_t i = FirstDifference(got, expected);
  if (i == got.size()) return std::string();
  const std::string where = GuardedPlace(i, c_bytes, [&](size_t e) {
    char text[96];
    std::snprintf(text, sizeof(text), "C[%zu][%zu]", e / p.c_stride, e % p.c_stride);
    return std::string(text);
  });
  char text[160];
  std::snprintf(text, sizeof(text), "mismatch at %s: got %d, expected %d\n  ", where.c_str(), got[i], expected[i]);
  return text + Describe(kernel, p, threads);
}

// CompareWithReference, reporting a mismatch as a failed check.
bool CheckProblem(const GemmKernel& kernel, const Problem& p, size_t threads) {
  const std::string error = CompareWithReference(kernel, p, threads);
  if (error.empty()) return true;
  std::fprintf(stderr, "  %s\n", error.c_str());
  ++qint8_test::Failures();
  return false;
}

}  // namespace

QINT8_TEST(gemm_reference_matches_spec_worked_example) {
  // spec 5.4: x = [20, -10, 100, -128], w = [127, -64, 3, 0], z_in = -10, bias 1000 -> acc 5140 -> 10, + z_out 5.
  const int8_t a[] = {20, -10, 100, -128};
  const int8_t w[] = {127, -64, 3, 0};
  const int32_t bias = 1000;
  const int32_t multiplier = 1099511562, shift = -8;
  const float scale = 0.0019999998807907f;
  int8_t c = 0;
  GemmReference(1, 1, 4, a, 4, w, &bias, -10, &multiplier, &shift, &scale, false, &c, 1,
                GemmOutput{kProfileTfliteRef, 5, -128, 127});
  CHECK_EQ(c, 15);
  for (const GemmKernel* kernel : RunnableKernels()) {
    PackedGemmWeights packed;
    PackGemmWeights(*kernel, w, 1, 4, &bias, -10, &multiplier, &shift, &scale, false, &packed);
    int8_t out = 0;
    RunGemm(packed, 1, a, 4, &out, 1, GemmOutput{kProfileTfliteRef, 5, -128, 127}, 1);
    CHECK_EQ(out, 15);
  }
}

QINT8_TEST(gemm_inventory_and_dispatch) {
  const std::vector<GemmKernel>& kernels = GemmKernels();
  CHECK(!kernels.empty());
  CHECK(kernels.front().isa == kIsaScalar);
  for (const GemmKernel& kernel : kernels) {
    CHECK(kernel.mr >= 1 && kernel.nr >= 1 && kernel.kr >= 1);
    CHECK(kernel.gemm != nullptr && kernel.gemv != nullptr && kernel.pack != nullptr);
    CHECK((kernel.pack_lhs == nullptr) == (kernel.lhs_element_bytes == 0));
    CHECK(&GemmKernelFor(kernel.isa) == &kernel);
  }
  // Every compiled SIMD family has a kernel, and the best usable ISA dispatches to a kernel it can run.
  for (Isa isa : CompiledIsas()) {
    if (isa == kIsaAvxVnni || isa == kIsaAvx2 || isa == kIsaAvx512Vnni) CHECK(GemmKernelFor(isa).isa == isa);
  }
  CHECK(IsUsable(GemmKernelFor(BestIsa()).isa));
  // x86 fallbacks never cross from one VNNI flavour to the other.
  const Isa avxvnni = GemmKernelFor(kIsaAvxVnni).isa;
  CHECK(avxvnni == kIsaAvxVnni || avxvnni == kIsaAvx2 || avxvnni == kIsaScalar);
  std::printf("     gemm kernels:");
  for (const GemmKernel& kernel : GemmKernelsForTesting()) std::printf(" %s%s", kernel.name, IsUsable(kernel.isa) ? "" : "(skipped)");
  std::printf("\n     best: %s\n", GemmKernelFor(BestIsa()).name);
}

QINT8_TEST(gemm_every_kernel_matches_reference_on_tail_shapes) {
  // Every K in [0, 67], against M and N around the kernel's MR and NR (below, equal, above, several tiles);
  // M = 1 takes the gemv, a last tile of at most MR/3 rows the gemv per row, the rest the MR-row kernel.
  // N also hits each quarter of the panel (kernels that skip the 16-channel vectors a narrow panel leaves empty).
  for (const GemmKernel* kernel : RunnableKernels()) {
    std::mt19937 rng(1234);
    const size_t mr = kernel->mr, nr = kernel->nr;
    const std::vector<size_t> ms = {1, 2, mr - 1 > 0 ? mr - 1 : 1, mr, mr + 1, 2 * mr + 1, 67};
    const std::vector<size_t> ns = {1, nr - 1 > 0 ? nr - 1 : 1, nr, nr + 1, 2 * nr + 3, 67, nr / 4 + 1, nr / 2,
                                    3 * nr / 4 - 1 > 0 ? 3 * nr / 4 - 1 : 1};
    size_t runs = 0, failures = 0;
    for (size_t k = 0; k <= 67; ++k) {
      for (size_t m : ms) {
        for (size_t n : ns) {
          if (m < 1 || m > std::max<size_t>(67, 2 * mr + 1) || n < 1 || n > std::max<size_t>(67, 2 * nr + 3)) continue;
          const Problem p = RandomProblem(rng, m, n, k);
          const size_t threads = 1 + runs % 4;
          if (!CheckProblem(*kernel, p, threads) && ++failures >= 5) break;
          ++runs;
        }
        if (failures >= 5) break;
      }
      if (failures >= 5) break;
    }
    std::printf("     %s: %zu tail-shape problems\n", kernel->name, runs);
  }
}

QINT8_TEST(gemm_every_kernel_matches_reference_on_random_shapes) {
  for (const GemmKernel* kernel : RunnableKernels()) {
    std::mt19937 rng(99);
    size_t failures = 0;
    for (int i = 0; i < 1500 && failures < 5; ++i) {
      const size_t m = 1 + rng() % 67, n = 1 + rng() % 67, k = 1 + rng() % 67;
      const Problem p = RandomProblem(rng, m, n, k);
      if (!CheckProblem(*kernel, p, 1 + rng() % 4)) ++failures;
    }
  }
}

QINT8_TEST(gemm_larger_shapes_and_thread_counts) {
  // Several panel blocks and row blocks, long K (int32 wrap of sums), 1-4 threads.
  const size_t shapes[][3] = {{130, 200, 300}, {1, 1000, 517}, {97, 96, 1024}, {7, 333, 2049}, {256, 64, 64}};
  for (const GemmKernel* kernel : RunnableKernels()) {
    std::mt19937 rng(5);
    for (const auto& s : shapes) {
      for (size_t threads = 1; threads <= 4; ++threads) {
        const Problem p = RandomProblem(rng, s[0], s[1], s[2]);
        CheckProblem(*kernel, p, threads);
      }
    }
  }
}

QINT8_TEST(gemm_requantization_of_chosen_accumulators) {
  // K = 0 makes the accumulator equal the bias exactly, so the kernels' SIMD output stages see chosen int32
  // values: extremes, rounding ties of every shift, with random multipliers, shifts and scales per channel.
  std::mt19937 rng(77);
  std::vector<int32_t> values = {kMin32, kMin32 + 1, -(1 << 30), -65536, -3, -2, -1, 0, 1, 2, 3, 65536, 1 << 30,
                                 kMax32 - 1, kMax32};
  for (int s = 1; s <= 31; ++s) {
    const int64_t half = int64_t{1} << (s - 1);
    for (int64_t v : {half, -half, 3 * half, -3 * half, half - 1, -half + 1, half + 1, -half - 1}) {
      if (v >= kMin32 && v <= kMax32) values.push_back(static_cast<int32_t>(v));
    }
  }
  const size_t n = values.size() * 3;
  for (const GemmKernel* kernel : RunnableKernels()) {
    for (int profile = 0; profile < 3; ++profile) {
      for (int round = 0; round < 20; ++round) {
        Problem p;
        p.m = 1 + round % 3;
        p.n = n;
        p.k = 0;
        p.a_stride = 1;
        p.c_stride = n + 1;
        p.a.assign(p.m, 0);
        p.w.assign(1, 0);
        p.bias.resize(n);
        for (size_t j = 0; j < n; ++j) p.bias[j] = j < values.size() ? values[j] : static_cast<int32_t>(rng());
        p.input_zero_point = static_cast<int32_t>(rng() % 256) - 128;
        p.output.profile = static_cast<Profile>(profile);
        p.output.output_zero_point = round % 5 == 0 ? static_cast<int32_t>(rng()) : static_cast<int32_t>(rng() % 256) - 128;
        p.output.activation_min = round % 2 == 0 ? -128 : -100;
        p.output.activation_max = round % 2 == 0 ? 127 : 90;
        p.per_channel = true;
        p.k = 1;  // RandomRequant's "realistic" scale needs k; the wild branch ignores it
        RandomRequant(rng, &p, n);
        p.k = 0;
        // Make the ties land: for some channels use multiplier 2^30 (x 0.5) with small shifts.
        for (size_t j = 0; j < n; j += 4) {
          p.multiplier[j] = 1 << 30;
          p.shift[j] = -static_cast<int32_t>(rng() % 32);
          p.scale[j] = std::ldexp(1.0f, -static_cast<int>(rng() % 24));
        }
        CheckProblem(*kernel, p, 1);
      }
    }
  }
}

QINT8_TEST(gemm_concurrent_callers_share_the_pool) {
  // Several threads (stand-ins for Node worker environments) run GEMMs at once: the one that wins the pool uses
  // it, the others run inline; every result must still equal the reference, with no deadlock.
  const GemmKernel& kernel = GemmKernelFor(BestIsa());
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&kernel, &failures, t] {
      std::mt19937 rng(1000 + t);
      for (int i = 0; i < 40; ++i) {
        const Problem p = RandomProblem(rng, 1 + rng() % 80, 1 + rng() % 150, 1 + rng() % 200);
        const std::string error = CompareWithReference(kernel, p, 1 + rng() % 4);
        if (!error.empty() && failures.fetch_add(1) == 0) std::fprintf(stderr, "  %s\n", error.c_str());
      }
    });
  }
  for (std::thread& t : callers) t.join();
  CHECK_EQ(failures.load(), 0);
}

QINT8_TEST(thread_pool_runs_every_task_once) {
  CHECK(ThreadPoolSize() >= 1);
  for (size_t threads : {0, 1, 2, 3, 4, 8}) {
    for (size_t tasks : {0, 1, 2, 3, 7, 64, 1000}) {
      std::vector<std::atomic<int>> hits(tasks);
      for (auto& h : hits) h.store(0);
      ParallelFor(tasks, threads, [&](size_t t) { hits[t].fetch_add(1); });
      for (size_t t = 0; t < tasks; ++t) CHECK_EQ(hits[t].load(), 1);
    }
  }
  // A ParallelFor inside a task runs inline instead of waiting on the pool it is part of.
  std::atomic<size_t> inner{0};
  ParallelFor(8, 0, [&](size_t) { ParallelFor(5, 0, [&](size_t) { inner.fetch_add(1); }); });
  CHECK_EQ(inner.load(), 40u);
}
