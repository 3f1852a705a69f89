// The GEMM kernel inventory: one list (what this binary compiled) drives dispatch, the native tests and the
// benches. Adding a kernel = its file(s) + one line here. Baseline code: no ISA flags, no intrinsics.
#include <vector>

#include "gemm/gemm-kernels.h"
#include "qint8/gemm.h"
#if QINT8_HAVE_NEON || QINT8_HAVE_NEONDOT || QINT8_HAVE_NEONI8MM
#include "qint8/gemm-neon.h"
#endif

namespace qint8 {
namespace {

// The AVX-512 kernels' extra constants: 64 channels = 4 blocks of 16.
constexpr size_t kExtraBytesAvx512 = 4 * kDoubleRoundingVectorsX16 * 64;

std::vector<GemmKernel> CompiledKernels() {
  std::vector<GemmKernel> v;
  //          isa             name                                   gemv name                              mr nr kr flip  gemm                                 gemv                                pack               pack_lhs                     lhs bytes
  v.push_back({kIsaScalar,    "qs8-gemm-4x4c4-minmax-scalar",        "qs8-gemm-1x4c4-minmax-scalar",        4, 4, 4, false, qs8_gemm_4x4c4_minmax_scalar,       qs8_gemm_1x4c4_minmax_scalar,       qs8_packw_gemm_c4, nullptr,                     0});
#if QINT8_HAVE_AVX2
  v.push_back({kIsaAvx2,      "qs8-gemm-6x16c2-minmax-avx2",         "qs8-gemm-1x16c2-minmax-avx2",         6, 16, 2, false, qs8_gemm_6x16c2_minmax_avx2,       qs8_gemm_1x16c2_minmax_avx2,        qs8_packw_gemm_c2, qs8_packa_x16_avx2,          2});
#endif
#if QINT8_HAVE_AVXVNNI
  v.push_back({kIsaAvxVnni,   "qs8-gemm-6x16c4-minmax-avxvnni",      "qs8-gemm-1x16c4-minmax-avxvnni",      6, 16, 4, true,  qs8_gemm_6x16c4_minmax_avxvnni,    qs8_gemm_1x16c4_minmax_avxvnni,     qs8_packw_gemm_c4, qs8_packa_xor80_avxvnni,     1,
                 nullptr, 0, qs8_igemm_6x16c4_minmax_avxvnni});
#endif
#if QINT8_HAVE_AVX512VNNI
  v.push_back({kIsaAvx512Vnni, "qs8-gemm-6x64c4-minmax-avx512vnni",  "qs8-gemm-1x64c4-minmax-avx512vnni",   6, 64, 4, true,  qs8_gemm_6x64c4_minmax_avx512vnni, qs8_gemm_1x64c4_minmax_avx512vnni,  qs8_packw_gemm_c4, qs8_packa_xor80_avx512vnni,  1,
                 qs8_packx_double_rounding_x16, kExtraBytesAvx512, qs8_igemm_6x64c4_minmax_avx512vnni});
#endif
  // AArch64: the entries are defined next to their kernels (qint8/gemm-neon.h).
#if QINT8_HAVE_NEON
  v.push_back(GemmKernelNeon());
#endif
#if QINT8_HAVE_NEONDOT
  v.push_back(GemmKernelNeonDot());
#endif
#if QINT8_HAVE_NEONI8MM
  v.push_back(GemmKernelNeonI8mm());
#endif
  return v;
}

}  // namespace

// The lists are never destroyed: packed weights point into them, and a GEMM still running on another thread
// (a Node worker) while the process exits must not meet a destroyed static.
const std::vector<GemmKernel>& GemmKernels() {
  static const std::vector<GemmKernel>* const kernels = new std::vector<GemmKernel>(CompiledKernels());
  return *kernels;
}

const GemmKernel& GemmKernelFor(Isa isa) { return KernelForIsa(GemmKernels(), isa); }

const std::vector<GemmKernel>& GemmKernelsForTesting() {
  static const std::vector<GemmKernel>* const kernels = [] {
    auto* v = new std::vector<GemmKernel>(CompiledKernels());
#if QINT8_HAVE_AVX512VNNI
    // The AVX-VNNI kernel's source with EVEX encodings: runs wherever AVX-512 VNNI does.
    v->push_back({kIsaAvx512Vnni, "qs8-gemm-6x16c4-minmax-avxvnni[evex]", "qs8-gemm-1x16c4-minmax-avxvnni[evex]", 6, 16,
                 4, true, qs8_gemm_6x16c4_minmax_avxvnni_evex, qs8_gemm_1x16c4_minmax_avxvnni_evex, qs8_packw_gemm_c4,
                 qs8_packa_xor80_avxvnni_evex, 1, nullptr, 0, qs8_igemm_6x16c4_minmax_avxvnni_evex});
#endif
    return v;
  }();
  return *kernels;
}

}  // namespace qint8
