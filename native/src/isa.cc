// CPU feature detection (cpuid/xgetbv on x86, HWCAP on arm64 Linux) and the list of compiled families.
#include "qint8/isa.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define QINT8_X86 1
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#define QINT8_ARM64_LINUX 1
#endif

namespace qint8 {
namespace {

const char* const kIsaNames[kIsaCount] = {"scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neon-dotprod", "neon-i8mm"};

#if QINT8_X86
uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

}  // namespace

const char* IsaName(Isa isa) { return isa >= 0 && isa < kIsaCount ? kIsaNames[isa] : "unknown"; }

bool IsaFromName(const std::string& name, Isa* isa) {
  for (int32_t i = 0; i < kIsaCount; ++i) {
    if (name == kIsaNames[i]) {
      *isa = static_cast<Isa>(i);
      return true;
    }
  }
  return false;
}

static std::vector<Isa> DetectCpuIsas() {
  std::vector<Isa> isas{kIsaScalar};
#if QINT8_X86
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return isas;
  const bool osxsave = (ecx >> 27) & 1;
  const bool avx = (ecx >> 28) & 1;
  const bool fma = (ecx >> 12) & 1;
  if (!osxsave || !avx) return isas;
  const uint64_t xcr0 = ReadXcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;
  const bool zmm_state = (xcr0 & 0xE6) == 0xE6;
  if (!ymm_state || __get_cpuid_max(0, nullptr) < 7) return isas;
  unsigned a7, b7, c7, d7;
  __cpuid_count(7, 0, a7, b7, c7, d7);
  unsigned a71 = 0, b71 = 0, c71 = 0, d71 = 0;
  __cpuid_count(7, 1, a71, b71, c71, d71);
  const bool avx2 = (b7 >> 5) & 1;
  const bool avx512f = (b7 >> 16) & 1, avx512dq = (b7 >> 17) & 1, avx512bw = (b7 >> 30) & 1, avx512vl = (b7 >> 31) & 1;
  const bool avx512vnni = (c7 >> 11) & 1;
  const bool avxvnni = (a71 >> 4) & 1;
  if (avx2 && fma) isas.push_back(kIsaAvx2);
  if (avx2 && fma && avxvnni) isas.push_back(kIsaAvxVnni);
  if (avx2 && fma && zmm_state && avx512f && avx512dq && avx512bw && avx512vl && avx512vnni) isas.push_back(kIsaAvx512Vnni);
#elif QINT8_ARM64_LINUX
  isas.push_back(kIsaNeon);  // Advanced SIMD is mandatory on AArch64
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  const bool dotprod = (hwcap >> 20) & 1;  // HWCAP_ASIMDDP
  const bool i8mm = (hwcap2 >> 13) & 1;    // HWCAP2_I8MM
  if (dotprod) isas.push_back(kIsaNeonDot);
  if (dotprod && i8mm) isas.push_back(kIsaNeonI8mm);
#elif defined(__aarch64__)
  isas.push_back(kIsaNeon);
#endif
  return isas;
}

// cpuid traps to the hypervisor on virtual machines (microseconds per call) and the answer cannot change while the
// process runs: detect once, thread-safely (static initialisation), and hand out copies.
std::vector<Isa> CpuIsas() {
  static const std::vector<Isa> detected = DetectCpuIsas();
  return detected;
}

std::vector<Isa> CompiledIsas() {
  std::vector<Isa> isas{kIsaScalar};
#if QINT8_HAVE_AVX2
  isas.push_back(kIsaAvx2);
#endif
#if QINT8_HAVE_AVXVNNI
  isas.push_back(kIsaAvxVnni);
#endif
#if QINT8_HAVE_AVX512VNNI
  isas.push_back(kIsaAvx512Vnni);
#endif
#if QINT8_HAVE_NEON
  isas.push_back(kIsaNeon);
#endif
#if QINT8_HAVE_NEONDOT
  isas.push_back(kIsaNeonDot);
#endif
#if QINT8_HAVE_NEONI8MM
  isas.push_back(kIsaNeonI8mm);
#endif
  return isas;
}

std::vector<Isa> UsableIsas() {
  const std::vector<Isa> cpu = CpuIsas();
  std::vector<Isa> usable;
  for (Isa isa : CompiledIsas()) {
    if (std::find(cpu.begin(), cpu.end(), isa) != cpu.end()) usable.push_back(isa);
  }
  std::sort(usable.begin(), usable.end());
  return usable;
}

Isa BestIsa() { return UsableIsas().back(); }

Isa FallbackIsaOf(Isa isa) {
  switch (isa) {
    case kIsaAvx512Vnni:
    case kIsaAvxVnni:
      return kIsaAvx2;
    case kIsaNeonI8mm:
      return kIsaNeonDot;
    case kIsaNeonDot:
      return kIsaNeon;
    default:
      return kIsaScalar;
  }
}

}  // namespace qint8
