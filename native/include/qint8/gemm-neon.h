// The AArch64 Advanced SIMD GEMM kernels (native/src/gemm/qs8-gemm-*-neon*.cc) as inventory entries, for the
// kernel inventory to list under #if QINT8_HAVE_NEON / _NEONDOT / _NEONI8MM. Each honours gemm.h's contract,
// reads A rows directly (no pack_lhs) and is bit-identical to GemmReference() for every profile.
#ifndef QINT8_GEMM_NEON_H_
#define QINT8_GEMM_NEON_H_

#include <cstddef>
#include <cstdint>

#include "qint8/gemm.h"

namespace qint8 {

// Plain Neon (any AArch64 CPU): SMULL int8 x int8 -> int16 products, SADALP pairwise into int32. Exact for every
// int8 pair, -128 * -128 included (one product per int16 lane before widening; no SMLAL pair sums).
// gemm qs8-gemm-2x8c8-minmax-mull-neon, gemv qs8-gemm-1x8c8-minmax-mull-neon, panels [K/8][8][8].
const GemmKernel& GemmKernelNeon();

// FEAT_DotProd (Cortex-A55/A76+, Neoverse N1+): SDOT by lane, 4 rows x 16 channels.
// gemm qs8-gemm-4x16c4-minmax-neondot, gemv qs8-gemm-1x16c4-minmax-neondot, panels [K/4][16][4].
const GemmKernel& GemmKernelNeonDot();

// FEAT_I8MM (Cortex-A510/A710+, Neoverse V1/N2+): SMMLA 2x8 by 8x2 blocks, row pairs x channel pairs.
// gemm qs8-gemm-4x16c8-minmax-neoni8mm, gemv qs8-gemm-1x16c8-minmax-neoni8mm, panels [K/8][16][8].
const GemmKernel& GemmKernelNeonI8mm();

// The raw functions behind those entries (GemmMicrokernelFn / GemmPackWeightsFn signatures).
void qs8_gemm_2x8c8_minmax_mull_neon(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                     const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output);
void qs8_gemm_1x8c8_minmax_mull_neon(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                     const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output);
void qs8_gemm_4x16c4_minmax_neondot(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                    const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output);
void qs8_gemm_1x16c4_minmax_neondot(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                    const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output);
void qs8_gemm_4x16c8_minmax_neoni8mm(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                     const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output);
void qs8_gemm_1x16c8_minmax_neoni8mm(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride,
                                     const uint8_t* panel, int8_t* c, size_t c_stride, const GemmOutput& output);
// [K/KR][NR][KR] weight order (channel j of k-block b at bytes [(b * NR + j) * KR, +KR)), zero-padded.
void qs8_packw_gemm_c4_neon(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst);
void qs8_packw_gemm_c8_neon(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst);

}  // namespace qint8

#endif  // QINT8_GEMM_NEON_H_
