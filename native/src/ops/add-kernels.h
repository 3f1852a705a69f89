// Declarations of the ADD run kernels, each defined in the translation unit of its ISA (add-<isa>.cc) and listed
// in the inventory of native/src/add.cc only where the build compiled that family (QINT8_HAVE_<ISA>).
#ifndef QINT8_SRC_OPS_ADD_KERNELS_H_
#define QINT8_SRC_OPS_ADD_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "qint8/add.h"

#define QINT8_ADD_KERNELS(isa_suffix, tile)                                                                        \
  void qs8_vadd_##tile##_minmax_##isa_suffix(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out,           \
                                             const AddRunParams& p);                                               \
  void qs8_vaddc_##tile##_minmax_##isa_suffix(size_t n, const uint8_t* a, int32_t b_scaled, uint8_t* out,          \
                                              const AddRunParams& p);                                              \
  void qu8_vadd_##tile##_minmax_##isa_suffix(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out,           \
                                             const AddRunParams& p);                                               \
  void qu8_vaddc_##tile##_minmax_##isa_suffix(size_t n, const uint8_t* a, int32_t b_scaled, uint8_t* out,          \
                                              const AddRunParams& p);

namespace qint8 {

// add-avx2.cc: split form, 32 elements per step (AVX2).
QINT8_ADD_KERNELS(avx2, x32)
// add-avx512vnni.cc: split form, 64 elements per step (AVX-512 BW/DQ + VNNI).
QINT8_ADD_KERNELS(avx512vnni, x64)
// add-neon.cc: the reference's own operations (SQRDMULH, rounding shifts), 16 elements per step.
QINT8_ADD_KERNELS(neon, x16)

}  // namespace qint8

#undef QINT8_ADD_KERNELS

#endif  // QINT8_SRC_OPS_ADD_KERNELS_H_
