// The C++ core API of qint8's quantization math: multipliers, quantize, dequantize, requantize.
// Plain types only; callers (the N-API glue, the native tests) have validated every argument.
#ifndef QINT8_QUANT_H_
#define QINT8_QUANT_H_

#include <cstddef>
#include <cstdint>

#include "qint8/fixedpoint.h"
#include "qint8/isa.h"

namespace qint8 {

// A real multiplier d >= 0 as TFLite's QuantizeMultiplier returns it: d ~= multiplier * 2^(shift-31),
// multiplier in [2^30, 2^31) or 0, positive shift = left shift.
struct QuantizedMultiplier {
  int32_t multiplier;
  int32_t shift;
};

// TFLite's QuantizeMultiplier(d) for the fixed-point profiles (spec section 3): frexp, round half away
// from zero to 31 bits, renormalise 2^31, flush below 2^-32 to (0, 0); tflite-single also saturates
// shifts above 30 to (2^31-1, 30). Requires d finite and >= 0.
QuantizedMultiplier QuantizeMultiplier(double d, Profile profile);

// The integer MultiplyByQuantizedMultiplier of a profile (tflite-ref: double rounding,
// tflite-single: single rounding). Requires -31 <= shift <= 30 and multiplier >= 0.
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift, Profile profile) {
  return profile == kProfileTfliteSingle ? MultiplyByQuantizedMultiplierSingle(x, multiplier, shift)
                                         : MultiplyByQuantizedMultiplierDouble(x, multiplier, shift);
}

// A tensor walked as [outer, axis, inner]: per-axis parameters are indexed by the middle coordinate.
// Per-tensor data is outer = axis = 1 (parameter arrays of length 1 then).
struct AxisLayout {
  size_t outer;
  size_t axis;
  size_t inner;
};

enum Rounding : int32_t { kRoundHalfAway = 0, kRoundHalfEven = 1 };

// QUANTIZE: q = clamp(round(x /f32 scale) + zero_point, qmin, qmax), stored as the low byte of q
// (int8 or uint8 two's complement). Out-of-range values and +-Inf saturate; NaN becomes zero_point.
// Returns the number of NaN inputs met. `isa` picks the kernel family (every family gives the same bits).
size_t Quantize(const float* x, const float* scale, const int32_t* zero_point, AxisLayout layout,
                int32_t qmin, int32_t qmax, Rounding rounding, Isa isa, uint8_t* out);

// DEQUANTIZE: f = f32(scale * (q - zero_point)) (a single rounding of an exact product).
void DequantizeInt8(const int8_t* q, const float* scale, const int32_t* zero_point, AxisLayout layout, float* out);
void DequantizeUint8(const uint8_t* q, const float* scale, const int32_t* zero_point, AxisLayout layout, float* out);

// Requantization of one channel: the integer multiplier of the fixed-point profiles or the float32
// scale of xnnpack-fp32, plus the zero points on each side.
struct RequantizeChannel {
  int32_t multiplier;
  int32_t shift;
  float scale;
  int32_t input_zero_point;
  int32_t output_zero_point;
};

// REQUANTIZE: q' = clamp(MBQM(q - z_in) + z_out, qmin, qmax) per channel, for int8 or uint8 on each
// side (in_signed / out stored as low byte). The addition of z_out saturates instead of wrapping.
void Requantize(const uint8_t* q, bool in_signed, const RequantizeChannel* channels, AxisLayout layout,
                Profile profile, int32_t qmin, int32_t qmax, uint8_t* out);

}  // namespace qint8

#endif  // QINT8_QUANT_H_
