// One element of QUANTIZE, shared by the scalar loops and the SIMD kernels' tails (header-only, no ISA flags).
#ifndef QINT8_SRC_QUANT_QUANTIZE_ELEMENT_H_
#define QINT8_SRC_QUANT_QUANTIZE_ELEMENT_H_

#include <cstdint>

#include "qint8/quant.h"

namespace qint8 {

// One element: v = x / scale already divided in float32. Clamping to the integer bounds [lo, hi]
// (= [qmin - z, qmax - z]) before rounding equals rounding then clamping (the bounds are integers and
// rounding is monotonic), and keeps |v| <= 2^10, small enough for the exact tricks below.
namespace {  // internal linkage: scalar and ISA translation units each keep their own copy

template <Rounding kRounding>
inline uint8_t QuantizeElement(float v, float lo, float hi, int32_t zero_point, int32_t& nans) {
  const int32_t is_nan = v != v;
  nans += is_nan;
  v = is_nan ? 0.0f : v;  // NaN quantizes to the zero point
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  int32_t r;
  if (kRounding == kRoundHalfEven) {
    r = static_cast<int32_t>((v + 12582912.0f) - 12582912.0f);  // +- 1.5 * 2^23 rounds half to even
  } else {
    const int32_t t = static_cast<int32_t>(v);     // truncation toward zero
    const float frac = v - static_cast<float>(t);  // exact (Sterbenz)
    r = t + static_cast<int32_t>(frac >= 0.5f) - static_cast<int32_t>(frac <= -0.5f);
  }
  return static_cast<uint8_t>(r + zero_point);
}

}  // namespace

// A run of elements sharing (scale, zero point), n <= 2^30: the signature of every ISA's quantize kernel.
// Returns the number of NaN inputs.
using QuantizeChunkFn = int32_t (*)(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin,
                                    int32_t qmax, uint8_t* out);

// Defined in quantize-avx2.cc, compiled only where the AVX2 family is (QINT8_HAVE_AVX2).
int32_t QuantizeChunkAwayAvx2(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                              uint8_t* out);
int32_t QuantizeChunkEvenAvx2(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                              uint8_t* out);

// Defined in quantize-neon.cc, compiled only where the Neon family is (QINT8_HAVE_NEON, arm64).
int32_t QuantizeChunkAwayNeon(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                              uint8_t* out);
int32_t QuantizeChunkEvenNeon(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                              uint8_t* out);

}  // namespace qint8

#endif  // QINT8_SRC_QUANT_QUANTIZE_ELEMENT_H_
