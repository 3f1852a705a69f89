// Native tests of the Neon GEMM microkernels (gemm-neon.h) against a naive reference, bit-exactly: every tile shape
// m <= MR, n <= NR, k = 0..67, prime strides, all three profiles, extreme data and parameters, and tiled GEMMs over
// M, N, K in 1..67. arm64 only; a family the CPU lacks is skipped (scripts/test-arm64.js runs all three via qemu).
#if defined(__aarch64__) && !defined(_MSC_VER)

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "check.h"
#include "qint8/fixedpoint.h"
#include "qint8/gemm-neon.h"
#include "qint8/gemm.h"

using namespace qint8;

namespace {

constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

// A buffer whose last byte sits just before an inaccessible page: a kernel reading A past the last row's k bytes
// faults instead of passing silently.
class GuardedBytes {
 public:
  explicit GuardedBytes(size_t size) : size_(size) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t data_pages = (size + page - 1) / page;
    mapped_ = (data_pages + 1) * page;
    void* base = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    base_ = static_cast<uint8_t*>(base);
    mprotect(base_ + data_pages * page, page, PROT_NONE);
    data_ = reinterpret_cast<int8_t*>(base_ + data_pages * page - size);
  }
  ~GuardedBytes() { munmap(base_, mapped_); }
  GuardedBytes(const GuardedBytes&) = delete;
  GuardedBytes& operator=(const GuardedBytes&) = delete;
  int8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  size_t mapped_;
  uint8_t* base_;
  int8_t* data_;
};

struct Channels {
  std::vector<int32_t> bias, multiplier, shift;
  std::vector<float> scale;
};

// Per-channel parameters over the whole accepted range, with the interesting corners over-represented.
Channels RandomChannels(std::mt19937& rng, size_t n, size_t k) {
  Channels ch;
  std::uniform_int_distribution<int32_t> small(-20000, 20000);
  std::uniform_int_distribution<int32_t> q31(1 << 30, kInt32Max);
  std::uniform_int_distribution<int32_t> realistic_shift(-9, 9);
  std::uniform_int_distribution<int32_t> any_shift(-31, 30);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (size_t j = 0; j < n; ++j) {
    const uint32_t pick = rng() % 32;
    ch.bias.push_back(pick == 0 ? kInt32Max - static_cast<int32_t>(rng() % 4096)     // wraps when the sums go up
                      : pick == 1 ? kInt32Min + static_cast<int32_t>(rng() % 4096)
                      : pick == 2 ? static_cast<int32_t>(rng())
                      : pick == 3 ? 0
                                  : small(rng));
    const uint32_t pm = rng() % 16;
    ch.multiplier.push_back(pm == 0 ? 0 : pm == 1 ? (1 << 30) : pm == 2 ? kInt32Max : q31(rng));
    const uint32_t ps = rng() % 20;
    // Keep most outputs off the clamp: scale ~ 2^-(log2 of the accumulator spread).
    const int32_t spread = static_cast<int32_t>(std::log2(128.0 * 128.0 * std::sqrt(static_cast<double>(k) + 1.0)));
    ch.shift.push_back(ps == 0 ? -31 : ps == 1 ? 30 : ps == 2 ? 0 : ps < 6 ? any_shift(rng)
                       : std::max(-31, std::min(30, 7 - spread + realistic_shift(rng) / 3)));
    const uint32_t pf = rng() % 24;
    ch.scale.push_back(pf == 0 ? 0.5f                                   // exact ties: round half to even
                       : pf == 1 ? 1e12f                                // saturation
                       : pf == 2 ? 0.0f
                       : pf == 3 ? std::numeric_limits<float>::infinity()  // 0 * inf = NaN -> INT32_MIN
                       : pf == 4 ? 1.0f
                                 : std::ldexp(1.0f + unit(rng), 7 - spread - static_cast<int>(rng() % 6)));
  }
  return ch;
}

void FillCodes(std::mt19937& rng, int8_t* p, size_t n, int mode) {
  for (size_t i = 0; i < n; ++i) {
    switch (mode) {
      case 0: p[i] = -128; break;                                     // -128 * -128 everywhere
      case 1: p[i] = (rng() & 1) ? 127 : -128; break;
      case 2: p[i] = 0; break;                                        // acc == bias (NaN from 0 * inf scale)
      default: p[i] = static_cast<int8_t>(rng()); break;
    }
  }
}

GemmOutput RandomOutput(std::mt19937& rng, Profile profile) {
  GemmOutput out{profile, 0, -128, 127};
  const uint32_t pz = rng() % 16;
  out.output_zero_point = pz == 0 ? kInt32Max : pz == 1 ? kInt32Min : static_cast<int32_t>(rng() % 256) - 128;
  if (rng() % 2) {
    int32_t lo = static_cast<int32_t>(rng() % 256) - 128, hi = static_cast<int32_t>(rng() % 256) - 128;
    if (lo > hi) std::swap(lo, hi);
    out.activation_min = lo;
    out.activation_max = hi;
  }
  return out;
}

// The oracle for one output: int32 sum modulo 2^32, the profile's scalar requantization (fixedpoint.h), the zero
// point added in 64 bits, the clamp.
int8_t Reference(const int8_t* a_row, const int8_t* w_row, size_t k, size_t j, const Channels& ch, const GemmOutput& out) {
  uint32_t acc = static_cast<uint32_t>(ch.bias[j]);
  for (size_t kk = 0; kk < k; ++kk) acc += static_cast<uint32_t>(int32_t{a_row[kk]} * int32_t{w_row[kk]});
  const int32_t x = static_cast<int32_t>(acc);
  int32_t scaled;
  switch (out.profile) {
    case kProfileXnnpackFp32: scaled = MultiplyByFloatScale(x, ch.scale[j]); break;
    case kProfileTfliteSingle: scaled = MultiplyByQuantizedMultiplierSingle(x, ch.multiplier[j], ch.shift[j]); break;
    default: scaled = MultiplyByQuantizedMultiplierDouble(x, ch.multiplier[j], ch.shift[j]); break;
  }
  const int64_t shifted = static_cast<int64_t>(scaled) + out.output_zero_point;
  return static_cast<int8_t>(std::min<int64_t>(std::max<int64_t>(shifted, out.activation_min), out.activation_max));
}

// Panels for channels [0, n) of W [n, k] in the kernel's order, headers included (padding channels all zero).
struct Panels {
  GemmPanelLayout layout;
  std::vector<uint8_t> storage;
  uint8_t* base = nullptr;
  const uint8_t* panel(size_t p) const { return base + p * layout.panel_bytes; }
};

void Pack(const GemmKernel& kernel, const int8_t* w, size_t n, size_t k, const Channels& ch, Panels* out) {
  out->layout = MakeGemmPanelLayout(kernel.nr, kernel.kr, k);
  const GemmPanelLayout& l = out->layout;
  const size_t panels = (n + l.nr - 1) / l.nr;
  out->storage.assign(panels * l.panel_bytes + 64, 0xEE);
  out->base = out->storage.data() + (64 - reinterpret_cast<uintptr_t>(out->storage.data()) % 64) % 64;
  for (size_t p = 0; p < panels; ++p) {
    uint8_t* panel = out->base + p * l.panel_bytes;
    std::memset(panel, 0, l.weights_offset());
    int32_t* header = reinterpret_cast<int32_t*>(panel);
    const size_t n_valid = std::min(l.nr, n - p * l.nr);
    for (size_t j = 0; j < n_valid; ++j) {
      const size_t c = p * l.nr + j;
      header[j] = ch.bias[c];
      header[l.nr + j] = ch.multiplier[c];
      header[2 * l.nr + j] = ch.shift[c];
      std::memcpy(&header[3 * l.nr + j], &ch.scale[c], sizeof(float));
    }
    kernel.pack(w + p * l.nr * k, n_valid, k, l.k_padded, l.nr, reinterpret_cast<int8_t*>(panel + l.weights_offset()));
  }
}

constexpr uint8_t kSentinel = 0x5A;

// C [m, n] with row stride c_stride by tiles of the kernel (gemv for single rows when `use_gemv`), compared with
// the oracle; every byte outside the m x n outputs must keep the sentinel. Returns the number of mismatches.
int RunAndCompare(const GemmKernel& kernel, bool use_gemv, size_t m, size_t n, size_t k, size_t a_stride,
                  size_t c_stride, const GuardedBytes& a_buf, const std::vector<int8_t>& w, const Channels& ch,
                  const GemmOutput& out, const Panels& panels) {
  const int8_t* a = const_cast<GuardedBytes&>(a_buf).data();
  std::vector<int8_t> c(m * c_stride + 16, static_cast<int8_t>(kSentinel));
  const size_t mr = use_gemv ? 1 : kernel.mr;
  const GemmMicrokernelFn fn = use_gemv ? kernel.gemv : kernel.gemm;
  for (size_t i = 0; i < m; i += mr) {
    for (size_t p = 0; p * kernel.nr < n; ++p) {
      fn(std::min(mr, m - i), std::min(kernel.nr, n - p * kernel.nr), k, a + i * a_stride, a_stride, panels.panel(p),
         c.data() + i * c_stride + p * kernel.nr, c_stride, out);
    }
  }
  int mismatches = 0;
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < c_stride; ++j) {
      const int8_t expected = j < n ? Reference(a + i * a_stride, w.data() + j * k, k, j, ch, out) : static_cast<int8_t>(kSentinel);
      const int8_t got = c[i * c_stride + j];
      if (got != expected && mismatches++ < 3) {
        std::fprintf(stderr, "  %s%s m=%zu n=%zu k=%zu a_stride=%zu c_stride=%zu profile=%d: C[%zu][%zu] = %d, expected %d\n",
                     use_gemv ? kernel.gemv_name : kernel.name, "", m, n, k, a_stride, c_stride, out.profile, i, j,
                     got, expected);
      }
    }
  }
  for (size_t t = m * c_stride; t < c.size(); ++t) mismatches += c[t] != static_cast<int8_t>(kSentinel);
  return mismatches;
}

// One GEMM of fresh random data and parameters (A in a guarded buffer).
int OneCase(std::mt19937& rng, const GemmKernel& kernel, bool use_gemv, size_t m, size_t n, size_t k, size_t a_pad,
            size_t c_pad, Profile profile) {
  const size_t a_stride = k + a_pad;
  GuardedBytes a(m == 0 ? 1 : (m - 1) * a_stride + k + (k == 0 ? 1 : 0));
  const int mode = static_cast<int>(rng() % 8);
  FillCodes(rng, a.data(), a.size(), mode);
  std::vector<int8_t> w(n * k + 1);
  FillCodes(rng, w.data(), w.size(), mode);
  const Channels ch = RandomChannels(rng, n, k);
  const GemmOutput out = RandomOutput(rng, profile);
  Panels panels;
  Pack(kernel, w.data(), n, k, ch, &panels);
  return RunAndCompare(kernel, use_gemv, m, n, k, a_stride, n + c_pad, a, w, ch, out, panels);
}

const Profile kProfiles[] = {kProfileTfliteRef, kProfileTfliteSingle, kProfileXnnpackFp32};

bool CpuRuns(Isa isa) {
  for (Isa i : CpuIsas()) {
    if (i == isa) return true;
  }
  return false;
}

// Every tile shape and K up to 67 (k % KR and k / 16 in every class), plus tiled GEMMs over M, N, K in 1..67.
void CheckKernel(const GemmKernel& kernel) {
  if (!CpuRuns(kernel.isa)) {
    std::printf("     (skipped %s: this CPU lacks %s)\n", kernel.name, IsaName(kernel.isa));
    return;
  }
  std::mt19937 rng(0x5eed + static_cast<uint32_t>(kernel.isa));
  int failures = 0;
  size_t cases = 0;
  // Single tiles: gemm with every m <= MR, gemv with m = 1; strides with prime padding on some shapes.
  for (int gemv = 0; gemv < 2; ++gemv) {
    const size_t mr = gemv ? 1 : kernel.mr;
    for (size_t m = 1; m <= mr; ++m) {
      for (size_t n = 1; n <= kernel.nr; ++n) {
        for (size_t k = 0; k <= 67; ++k) {
          const Profile profile = kProfiles[(m + n + k) % 3];
          const size_t a_pad = (k + n) % 3 == 0 ? 7 : 0;
          const size_t c_pad = (k + m) % 2 == 0 ? 3 : 0;
          failures += OneCase(rng, kernel, gemv != 0, m, n, k, a_pad, c_pad, profile) != 0;
          ++cases;
        }
      }
    }
  }
  // Every profile on every k for the full tile (channels spread across all lanes).
  for (Profile profile : kProfiles) {
    for (size_t k = 0; k <= 67; ++k) {
      failures += OneCase(rng, kernel, false, kernel.mr, kernel.nr, k, 0, 0, profile) != 0;
      ++cases;
    }
  }
  // Tiled GEMMs: each of M, N, K takes every value in 1..67 (with the other two varying), on several panels.
  for (size_t v = 1; v <= 67; ++v) {
    const size_t m = v, n = 1 + (v * 29) % 67, k = 1 + (v * 41) % 67;
    for (Profile profile : kProfiles) {
      failures += OneCase(rng, kernel, false, m, n, k, v % 5 == 0 ? 11 : 0, v % 4 == 0 ? 5 : 0, profile) != 0;
      failures += OneCase(rng, kernel, true, m, /*n=*/k, /*k=*/n, v % 3 == 0 ? 13 : 0, 0, profile) != 0;
      cases += 2;
    }
  }
  const size_t edge[] = {1, 2, 3, 4, 5, 8, 15, 16, 17, 33, 67};
  for (size_t m : edge) {
    for (size_t n : edge) {
      for (size_t k : edge) {
        failures += OneCase(rng, kernel, false, m, n, k, 0, 0, kProfiles[(m * 7 + n * 3 + k) % 3]) != 0;
        ++cases;
      }
    }
  }
  CHECK_EQ(failures, 0);
  std::printf("     (%s / %s: %zu cases, %d failed)\n", kernel.name, kernel.gemv_name, cases, failures);
}

// The contract fields the driver relies on.
void CheckEntry(const GemmKernel& kernel, Isa isa, size_t mr, size_t nr, size_t kr) {
  CHECK_EQ(kernel.isa, isa);
  CHECK_EQ(kernel.mr, mr);
  CHECK_EQ(kernel.nr, nr);
  CHECK_EQ(kernel.kr, kr);
  CHECK(!kernel.flips_activations);
  CHECK(kernel.gemm != nullptr && kernel.gemv != nullptr && kernel.pack != nullptr);
  CHECK(kernel.pack_lhs == nullptr && kernel.lhs_element_bytes == 0);
}

}  // namespace

QINT8_TEST(gemm_neon_kernel_entries) {
  CheckEntry(GemmKernelNeon(), kIsaNeon, 2, 8, 8);
  CheckEntry(GemmKernelNeonDot(), kIsaNeonDot, 4, 16, 4);
  CheckEntry(GemmKernelNeonI8mm(), kIsaNeonI8mm, 4, 16, 8);
}

QINT8_TEST(gemm_neon_mull_equals_reference) { CheckKernel(GemmKernelNeon()); }
QINT8_TEST(gemm_neondot_equals_reference) { CheckKernel(GemmKernelNeonDot()); }
QINT8_TEST(gemm_neoni8mm_equals_reference) { CheckKernel(GemmKernelNeonI8mm()); }

#endif  // defined(__aarch64__) && !defined(_MSC_VER)
