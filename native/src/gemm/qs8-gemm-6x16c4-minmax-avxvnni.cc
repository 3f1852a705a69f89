// AVX-VNNI GEMM kernels (VEX vpdpbusd on ymm): 6x16c4 GEMM, 1x16c4 GEMV and the uint8 LHS packer, from the
// shared source qs8-gemm-6x16c4-vnni-ymm.h (preconditions there). Compiled with -mavx2 -mavxvnni, dispatched
// only where cpuid reports AVX-VNNI (CPUs with AVX-512 VNNI alone raise SIGILL on the VEX form).
#include "qs8-gemm-6x16c4-vnni-ymm.h"

namespace qint8 {
namespace {

struct DotVex {
  static QINT8_INLINE __m256i Run(__m256i acc, __m256i a_u8, __m256i w_s8) {
    return _mm256_dpbusd_avx_epi32(acc, a_u8, w_s8);
  }
};

}  // namespace

void qs8_packa_xor80_avxvnni(size_t m, size_t mr_block, size_t k, size_t k_padded, const int8_t* a, size_t a_stride,
                             void* dst) {
  PackLhsXor80Ymm(m, mr_block, k, k_padded, a, a_stride, dst);
}

void qs8_gemm_6x16c4_minmax_avxvnni(size_t m, size_t n, size_t k, const int8_t* a, size_t /*a_stride*/,
                                    const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  Gemm6x16c4VnniYmmBlock<DotVex>(m, n, k, a, panel, c, c_stride, output);
}

QINT8_IGEMM_UKERNEL(qs8_igemm_6x16c4_minmax_avxvnni) {
  Gemm6x16c4VnniYmm<DotVex>(m, n, segments, segment_k, a, panel, c, c_stride, output);
}

void qs8_gemm_1x16c4_minmax_avxvnni(size_t /*m*/, size_t n, size_t k, const int8_t* a, size_t /*a_stride*/,
                                    const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  Gemv1x16c4VnniYmm<DotVex>(n, k, a, panel, c, c_stride, output);
}

}  // namespace qint8
