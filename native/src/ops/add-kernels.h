// Declarations of the ADD run kernels, each defined in the translation unit of its ISA (add-<isa>.cc) and listed
// in the inventory of native/src/add.cc only where the build compiled that family (QINT8_HAVE_<ISA>), and what the
// x86 translation units share: the choice of instantiation (ForSplitForm) and the four entry points.
#ifndef QINT8_SRC_OPS_ADD_KERNELS_H_
#define QINT8_SRC_OPS_ADD_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

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

namespace {

// The instantiation of an x86 split-form AddRun<kSigned, kOuter, kRight, kBroadcast> for a call: kOuter when some
// input needs its outer shift (T > 15), kRight when the output shift is a right shift. run(outer, right) receives
// the two as std::integral_constant. Internal linkage: each ISA's translation unit has its own copy.
template <bool kBroadcast, typename Run>
inline void ForSplitForm(const AddRunParams& p, const Run& run) {
  const bool outer = p.split_a.outer_shift != 0 || (!kBroadcast && p.split_b.outer_shift != 0);
  const bool right = p.out_high.right > 0;
  if (outer) {
    if (right) {
      run(std::true_type{}, std::true_type{});
    } else {
      run(std::true_type{}, std::false_type{});
    }
  } else if (right) {
    run(std::false_type{}, std::true_type{});
  } else {
    run(std::false_type{}, std::false_type{});
  }
}

}  // namespace

}  // namespace qint8

// Defines the four kernels of an ISA's translation unit on its Dispatch<kSigned, kBroadcast>(n, a, b, b_scaled,
// out, p).
#define QINT8_ADD_DEFINE_KERNELS(isa_suffix, tile)                                                                 \
  void qs8_vadd_##tile##_minmax_##isa_suffix(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out,           \
                                             const AddRunParams& p) {                                              \
    Dispatch<true, false>(n, a, b, 0, out, p);                                                                     \
  }                                                                                                                \
  void qs8_vaddc_##tile##_minmax_##isa_suffix(size_t n, const uint8_t* a, int32_t b_scaled, uint8_t* out,          \
                                              const AddRunParams& p) {                                             \
    Dispatch<true, true>(n, a, nullptr, b_scaled, out, p);                                                         \
  }                                                                                                                \
  void qu8_vadd_##tile##_minmax_##isa_suffix(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out,           \
                                             const AddRunParams& p) {                                              \
    Dispatch<false, false>(n, a, b, 0, out, p);                                                                    \
  }                                                                                                                \
  void qu8_vaddc_##tile##_minmax_##isa_suffix(size_t n, const uint8_t* a, int32_t b_scaled, uint8_t* out,          \
                                              const AddRunParams& p) {                                             \
    Dispatch<false, true>(n, a, nullptr, b_scaled, out, p);                                                        \
  }

#undef QINT8_ADD_KERNELS

#endif  // QINT8_SRC_OPS_ADD_KERNELS_H_
