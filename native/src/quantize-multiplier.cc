// QuantizeMultiplier: a real multiplier as TFLite's (Q31 mantissa, power-of-two shift) pair.
// This is the single place where a float scale becomes integer requantization parameters.
#include <cmath>

#include "qint8/quant.h"

namespace qint8 {

QuantizedMultiplier QuantizeMultiplier(double d, Profile profile) {
  if (d == 0.0) return {0, 0};
  int exponent = 0;
  const double fraction = std::frexp(d, &exponent);  // d = fraction * 2^exponent, |fraction| in [0.5, 1)
  // fraction * 2^31 is exact; std::round is round half away from zero, as TfLiteRound.
  int64_t fixed = static_cast<int64_t>(std::round(fraction * 2147483648.0));
  if (fixed == (int64_t{1} << 31)) {
    fixed /= 2;
    ++exponent;
  }
  if (exponent < -31) {  // every bit would be shifted out: flush to zero
    exponent = 0;
    fixed = 0;
  }
  if (profile == kProfileTfliteSingle && exponent > 30) {  // single rounding cannot shift left past 30
    exponent = 30;
    fixed = (int64_t{1} << 31) - 1;
  }
  return {static_cast<int32_t>(fixed), exponent};
}

}  // namespace qint8
