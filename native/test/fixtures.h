// Fixtures shared by the native kernel tests (gemm.cc, dwconv.cc, conv.cc, ops-*.cc): the int32 extremes, guarded
// output buffers and the naming of a mismatch in them, the kernels this CPU runs, random int8 data and random
// requantization parameters. Random draws are part of each test's seed: change one and every stream shifts.
#ifndef QINT8_TEST_FIXTURES_H_
#define QINT8_TEST_FIXTURES_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "qint8/fixedpoint.h"
#include "qint8/isa.h"
#include "qint8/quant.h"

namespace qint8_test {

constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();

// A guarded buffer holds an output of `elems` elements at data() + kGuardBytes, with kGuardBytes more after it;
// every byte starts as kGuard, so a kernel writing outside its output changes a guard.
constexpr uint8_t kGuard = 0xA5;
constexpr size_t kGuardBytes = 67;

template <typename Byte>
std::vector<Byte> GuardedBuffer(size_t elems) {
  return std::vector<Byte>(elems + 2 * kGuardBytes, static_cast<Byte>(kGuard));
}

// The first index at which `got` differs from `expected` (same size), or got.size() when they are equal.
template <typename Byte>
size_t FirstDifference(const std::vector<Byte>& got, const std::vector<Byte>& expected) {
  size_t i = 0;
  while (i < got.size() && got[i] == expected[i]) ++i;
  return i;
}

// Names index i of a buffer with `guard_bytes` guards on each side of an output of `elems` elements:
// inside(e) for output element e, else "guard byte <i - guard_bytes>" (negative: before the output).
template <typename Inside>
std::string GuardedPlace(size_t i, size_t elems, Inside&& inside, size_t guard_bytes = kGuardBytes) {
  if (i >= guard_bytes && i < guard_bytes + elems) return inside(i - guard_bytes);
  char text[64];
  std::snprintf(text, sizeof(text), "guard byte %td", static_cast<ptrdiff_t>(i) - static_cast<ptrdiff_t>(guard_bytes));
  return text;
}

// Whether this binary compiled the family and this CPU runs it.
inline bool IsUsable(qint8::Isa isa) {
  const std::vector<qint8::Isa> usable = qint8::UsableIsas();
  return std::find(usable.begin(), usable.end(), isa) != usable.end();
}

// The entries of a kernel inventory (structs with `isa` and `name`) this CPU runs; logs the ones skipped unless
// told not to (callers that ask once per trial).
template <typename Kernel>
std::vector<const Kernel*> RunnableKernels(const std::vector<Kernel>& inventory, bool log_skipped = true) {
  std::vector<const Kernel*> kernels;
  for (const Kernel& kernel : inventory) {
    if (IsUsable(kernel.isa)) {
      kernels.push_back(&kernel);
    } else if (log_skipped) {
      std::printf("     skip %s (%s not supported by this CPU)\n", kernel.name, qint8::IsaName(kernel.isa));
    }
  }
  return kernels;
}

// A random int8 with extra weight on the extremes, -128 above all (the -128 * -128 pair and the sign-extension edge).
inline int8_t RandomInt8(std::mt19937& rng) {
  switch (rng() % 16) {
    case 0:
      return -128;
    case 1:
      return 127;
    default:
      return static_cast<int8_t>(static_cast<int32_t>(rng() % 256) - 128);
  }
}

// `channels` requantization parameters, two draws in three "realistic" (d near 64 / typical_acc, typical_acc the
// usual |accumulator|: most outputs inside the clamp), else wild (any multiplier, any shift in [-31, 30] with
// wrapping left shifts, any scale) to exercise wrap, saturation and rounding extremes.
inline void RandomRequantization(std::mt19937& rng, size_t channels, double typical_acc, qint8::Profile profile,
                                 std::vector<int32_t>* multiplier, std::vector<int32_t>* shift,
                                 std::vector<float>* scale) {
  const bool realistic = rng() % 3 != 0;
  multiplier->resize(channels);
  shift->resize(channels);
  scale->resize(channels);
  for (size_t i = 0; i < channels; ++i) {
    if (realistic) {
      const double d = std::ldexp(64.0 / typical_acc, static_cast<int>(rng() % 7) - 3) * (1.0 + (rng() % 1000) / 1000.0);
      const qint8::QuantizedMultiplier q = qint8::QuantizeMultiplier(d, profile);
      (*multiplier)[i] = q.multiplier;
      (*shift)[i] = q.shift;
      (*scale)[i] = static_cast<float>(d);
    } else {
      switch (rng() % 6) {
        case 0: (*multiplier)[i] = 0; break;
        case 1: (*multiplier)[i] = kMax32; break;
        case 2: (*multiplier)[i] = 1 << 30; break;
        default: (*multiplier)[i] = static_cast<int32_t>(rng() & 0x7FFFFFFF); break;
      }
      (*shift)[i] = static_cast<int32_t>(rng() % 62) - 31;
      const float magnitude = std::ldexp(1.0f + (rng() % 4096) / 4096.0f, static_cast<int>(rng() % 80) - 50);
      (*scale)[i] = rng() % 8 == 0 ? 0.0f : magnitude;
    }
  }
}

// The bytes of an int8 output as int values (CHECK_EQ operands that read as numbers).
inline std::vector<int32_t> Int8Values(const std::vector<uint8_t>& out) {
  std::vector<int32_t> values;
  for (uint8_t v : out) values.push_back(static_cast<int8_t>(v));
  return values;
}

}  // namespace qint8_test

#endif  // QINT8_TEST_FIXTURES_H_
