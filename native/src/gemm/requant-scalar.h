// The GEMM output stage for one accumulator in plain C++ (fixedpoint.h arithmetic): the scalar kernel's
// epilogue and the oracle's. Baseline translation units only.
#ifndef QINT8_SRC_GEMM_REQUANT_SCALAR_H_
#define QINT8_SRC_GEMM_REQUANT_SCALAR_H_

#include <cstdint>

#include "qint8/fixedpoint.h"
#include "qint8/gemm.h"

namespace qint8 {
namespace {

// clamp(requant_profile(acc) + zero_point, activation_min, activation_max); the sum is taken in 64 bits,
// so it saturates instead of wrapping.
inline int8_t GemmOutputStageScalar(int32_t acc, int32_t multiplier, int32_t shift, float scale,
                                    const GemmOutput& output) {
  int32_t scaled;
  switch (output.profile) {
    case kProfileXnnpackFp32:
      scaled = MultiplyByFloatScale(acc, scale);
      break;
    case kProfileTfliteSingle:
      scaled = MultiplyByQuantizedMultiplierSingle(acc, multiplier, shift);
      break;
    default:
      scaled = MultiplyByQuantizedMultiplierDouble(acc, multiplier, shift);
      break;
  }
  int64_t y = static_cast<int64_t>(scaled) + output.output_zero_point;
  y = y < output.activation_min ? output.activation_min : y;
  y = y > output.activation_max ? output.activation_max : y;
  return static_cast<int8_t>(y);
}

}  // namespace
}  // namespace qint8

#endif  // QINT8_SRC_GEMM_REQUANT_SCALAR_H_
