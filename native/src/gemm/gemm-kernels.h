// Declarations of every GEMM microkernel, weight-packing and LHS-packing function of native/src/gemm (the one
// inventory that lists them, and says which were compiled, is gemm-config.cc), plus the output-clamp constants
// every SIMD epilogue shares. Plain C++ only: safe to include from baseline and ISA translation units.
#ifndef QINT8_SRC_GEMM_GEMM_KERNELS_H_
#define QINT8_SRC_GEMM_GEMM_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "qint8/gemm.h"

namespace qint8 {

namespace {

// The output stage's zero point and clamp as three int32 for the SIMD kernels: for every int32 y,
//   clamp(y, lo, hi) + zero_point  ==  clamp(y + output_zero_point (exact), activation_min, activation_max)
// with no wrap in the int32 addition. Normally lo = act_min - zp and hi = act_max - zp, saturated to int32
// (saturating one side keeps the identity: the sum then cannot leave [act_min, act_max] on that side); when
// the whole interval lies outside int32 every output is the same bound, encoded as lo = hi = 0, zero_point = it.
struct OutputClampParams {
  int32_t lo, hi, zero_point;
};
inline OutputClampParams MakeOutputClamp(const GemmOutput& output) {
  const int64_t zp = output.output_zero_point;
  const int64_t lo = static_cast<int64_t>(output.activation_min) - zp;
  const int64_t hi = static_cast<int64_t>(output.activation_max) - zp;
  const int64_t min32 = INT32_MIN, max32 = INT32_MAX;
  if (lo > max32) return OutputClampParams{0, 0, output.activation_min};  // y + zp < act_min for every y
  if (hi < min32) return OutputClampParams{0, 0, output.activation_max};  // y + zp > act_max for every y
  return OutputClampParams{static_cast<int32_t>(lo < min32 ? min32 : lo), static_cast<int32_t>(hi > max32 ? max32 : hi),
                           output.output_zero_point};
}

}  // namespace

#define QINT8_GEMM_UKERNEL(name)                                                                                 \
  void name(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride, const uint8_t* panel, int8_t* c, \
            size_t c_stride, const GemmOutput& output)
#define QINT8_IGEMM_UKERNEL(name)                                                                                 \
  void name(size_t m, size_t n, size_t segments, size_t segment_k, const uint8_t* const* a, const uint8_t* panel, \
            int8_t* c, size_t c_stride, const GemmOutput& output)
#define QINT8_GEMM_PACK_LHS(name)                                                                               \
  void name(size_t m, size_t mr_block, size_t k, size_t k_padded, const int8_t* a, size_t a_stride, void* dst)

// Weight packing shared by every kernel whose panel order is [k / KR][NR][KR] (qs8-packw-scalar.cc).
void qs8_packw_gemm_c2(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst);
void qs8_packw_gemm_c4(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst);

// The tflite-ref output constants of the AVX-512 kernels (requant-avx512.h, DoubleRoundingAvx512), derived at
// packing time in plain C++: per 16 channels kDoubleRoundingVectorsX16 vectors of 64 bytes (DoubleRoundingVector).
enum DoubleRoundingVector : size_t { kDrMulOdd, kDrRoundEven, kDrRoundOdd, kDrSignEven, kDrSignOdd, kDrCountEven,
                                     kDrCountOdd, kDoubleRoundingVectorsX16 };
void qs8_packx_double_rounding_x16(const uint8_t* panel, size_t nr, uint8_t* extra);

// Scalar (baseline): reads A directly.
QINT8_GEMM_UKERNEL(qs8_gemm_4x4c4_minmax_scalar);
QINT8_GEMM_UKERNEL(qs8_gemm_1x4c4_minmax_scalar);

// AVX2: A widened to int16 rows by the pack_lhs; vpmovsxbw + vpmaddwd.
QINT8_GEMM_UKERNEL(qs8_gemm_6x16c2_minmax_avx2);
QINT8_GEMM_UKERNEL(qs8_gemm_1x16c2_minmax_avx2);
QINT8_GEMM_PACK_LHS(qs8_packa_x16_avx2);

// AVX-VNNI (VEX vpdpbusd, ymm): A flipped to uint8 rows by the pack_lhs.
QINT8_GEMM_UKERNEL(qs8_gemm_6x16c4_minmax_avxvnni);
QINT8_GEMM_UKERNEL(qs8_gemm_1x16c4_minmax_avxvnni);
QINT8_GEMM_PACK_LHS(qs8_packa_xor80_avxvnni);
QINT8_IGEMM_UKERNEL(qs8_igemm_6x16c4_minmax_avxvnni);

// AVX-512 VNNI (EVEX vpdpbusd, zmm): A flipped to uint8 rows by the pack_lhs.
QINT8_GEMM_UKERNEL(qs8_gemm_6x64c4_minmax_avx512vnni);
QINT8_GEMM_UKERNEL(qs8_gemm_1x64c4_minmax_avx512vnni);
QINT8_GEMM_PACK_LHS(qs8_packa_xor80_avx512vnni);
QINT8_IGEMM_UKERNEL(qs8_igemm_6x64c4_minmax_avx512vnni);

// Test twin: the AVX-VNNI kernel source compiled with EVEX encodings (AVX-512 VL + VNNI), so that a CPU with
// AVX-512 VNNI but no AVX-VNNI still runs every line of it except the instruction encoding.
QINT8_GEMM_UKERNEL(qs8_gemm_6x16c4_minmax_avxvnni_evex);
QINT8_GEMM_UKERNEL(qs8_gemm_1x16c4_minmax_avxvnni_evex);
QINT8_GEMM_PACK_LHS(qs8_packa_xor80_avxvnni_evex);
QINT8_IGEMM_UKERNEL(qs8_igemm_6x16c4_minmax_avxvnni_evex);

}  // namespace qint8

#endif  // QINT8_SRC_GEMM_GEMM_KERNELS_H_
