// Native GEMM micro-benchmark: GOPS (2*M*N*K per second) of RunGemm for every inventory kernel this CPU runs,
// over the shapes, 1 and 2 threads; medians of repeated timed samples (the machine may be shared).
// Usage: qint8_gemm_bench [--kernel SUBSTR] [--threads 1,2] [--profile ref|single|fp32] [--samples N] [--cold]
//        [--shape MxKxN]...   (--cold rotates through packed weight copies larger than the LLC)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "qint8/gemm.h"
#include "qint8/quant.h"
#include "qint8/threadpool.h"

using namespace qint8;

namespace {

struct Shape {
  size_t m, k, n;
};

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<size_t> ParseList(const char* text) {
  std::vector<size_t> out;
  for (const char* p = text; *p != '\0';) {
    out.push_back(std::strtoul(p, const_cast<char**>(&p), 10));
    if (*p == ',') ++p;
  }
  return out;
}

bool IsUsable(Isa isa) {
  const std::vector<Isa> usable = UsableIsas();
  return std::find(usable.begin(), usable.end(), isa) != usable.end();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Shape> shapes;
  std::vector<size_t> thread_counts = {1, 2};
  std::string filter;
  Profile profile = kProfileTfliteRef;
  size_t samples = 11;
  bool cold = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--kernel") {
      filter = value;
      ++i;
    } else if (arg == "--threads") {
      thread_counts = ParseList(value);
      ++i;
    } else if (arg == "--samples") {
      samples = std::max<size_t>(1, std::strtoul(value, nullptr, 10));
      ++i;
    } else if (arg == "--profile") {
      const std::string p = value;
      profile = p == "single" ? kProfileTfliteSingle : p == "fp32" ? kProfileXnnpackFp32 : kProfileTfliteRef;
      ++i;
    } else if (arg == "--shape") {
      Shape s{};
      if (std::sscanf(value, "%zux%zux%zu", &s.m, &s.k, &s.n) == 3) shapes.push_back(s);
      ++i;
    } else if (arg == "--cold") {
      cold = true;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (shapes.empty()) {
    shapes = {{1, 1024, 1024}, {64, 256, 256}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {49, 1024, 1024}};
  }
  const char* profile_names[] = {"tflite-ref", "tflite-single", "xnnpack-fp32"};
  std::printf("# qint8 GEMM bench: profile %s, per-channel requant, %s weights, median of %zu samples, pool size %zu\n",
              profile_names[profile], cold ? "cold (rotated > LLC)" : "warm (same packed weights)", samples,
              ThreadPoolSize());
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {  // the machine may be shared: say how busy it was
    char load[128] = {0};
    if (std::fgets(load, sizeof(load), f) != nullptr) std::printf("# load average at start: %s", load);
    std::fclose(f);
  }
  std::printf("%-40s %5s %5s %5s %3s %10s %8s %8s %8s\n", "kernel", "M", "K", "N", "thr", "median_ms", "GOPS",
              "min", "max");

  std::mt19937 rng(42);
  for (const GemmKernel& kernel : GemmKernelsForTesting()) {
    if (!filter.empty() && std::string(kernel.name).find(filter) == std::string::npos) continue;
    if (!IsUsable(kernel.isa)) {
      std::printf("%-40s skipped: %s not supported by this CPU\n", kernel.name, IsaName(kernel.isa));
      continue;
    }
    for (const Shape& s : shapes) {
      std::vector<int8_t> a(s.m * s.k), w(s.n * s.k), c(s.m * s.n);
      for (int8_t& v : a) v = static_cast<int8_t>(rng());
      for (int8_t& v : w) v = static_cast<int8_t>(rng());
      std::vector<int32_t> bias(s.n), multiplier(s.n), shift(s.n);
      std::vector<float> scale(s.n);
      for (size_t j = 0; j < s.n; ++j) {
        bias[j] = static_cast<int32_t>(rng() % 20001) - 10000;
        const double d = 0.0005 * (1.0 + (rng() % 100) / 100.0);
        const QuantizedMultiplier q = QuantizeMultiplier(d, profile);
        multiplier[j] = q.multiplier;
        shift[j] = q.shift;
        scale[j] = static_cast<float>(d);
      }
      // Cold: enough packed copies to exceed a 32 MiB LLC twice, used round robin.
      const size_t weight_bytes = s.n * s.k;
      const size_t copies = cold ? std::max<size_t>(1, (64u << 20) / std::max<size_t>(weight_bytes, 1) + 1) : 1;
      std::vector<PackedGemmWeights> packed(copies);
      for (PackedGemmWeights& p : packed) {
        PackGemmWeights(kernel, w.data(), s.n, s.k, bias.data(), -3, multiplier.data(), shift.data(), scale.data(),
                        true, &p);
      }
      const GemmOutput output{profile, 5, -128, 127};
      const double ops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
      for (size_t threads : thread_counts) {
        size_t next = 0;
        auto run = [&] {
          RunGemm(packed[next], s.m, a.data(), s.k, c.data(), s.n, output, threads);
          next = (next + 1) % copies;
        };
        // Calibrate: iterations per sample so that one sample lasts >= 20 ms (at least one run).
        double t0 = Now();
        run();
        const double once = std::max(Now() - t0, 1e-7);
        const size_t iterations = std::max<size_t>(1, static_cast<size_t>(0.02 / once));
        for (size_t i = 0; i < std::min<size_t>(iterations, 3); ++i) run();  // warm up
        std::vector<double> times;
        const size_t n_samples = once > 0.5 ? std::min<size_t>(samples, 3) : samples;
        for (size_t sample = 0; sample < n_samples; ++sample) {
          t0 = Now();
          for (size_t i = 0; i < iterations; ++i) run();
          times.push_back((Now() - t0) / static_cast<double>(iterations));
        }
        std::sort(times.begin(), times.end());
        const double median = times[times.size() / 2];
        std::printf("%-40s %5zu %5zu %5zu %3zu %10.4f %8.1f %8.1f %8.1f\n", kernel.name, s.m, s.k, s.n, threads,
                    median * 1e3, ops / median * 1e-9, ops / times.back() * 1e-9, ops / times.front() * 1e-9);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
