// The C++ core API of qint8's operators (scalar reference kernels now, SIMD paths later).
// Every call takes raw arrays and the "geometry" fields below (mirrored by lib/ops/geometry.ts);
// callers have validated shapes, lengths and ranges. Kernels never see float scales except the
// float32 requantization scale of the xnnpack-fp32 profile.
#ifndef QINT8_OPS_H_
#define QINT8_OPS_H_

#include <cstddef>
#include <cstdint>

#include "qint8/fixedpoint.h"
#include "qint8/isa.h"

namespace qint8 {

namespace conv_field {
enum : int {
  kBatches = 0, kInputHeight, kInputWidth, kInputChannels,
  kOutputHeight, kOutputWidth, kOutputChannels,
  kFilterHeight, kFilterWidth, kFilterChannels,
  kStrideHeight, kStrideWidth, kDilationHeight, kDilationWidth,
  kPadTop, kPadLeft,
  kInputOffset, kFilterOffset, kOutputOffset,
  kActivationMin, kActivationMax,
  kProfile, kDepthMultiplier, kPerChannel,
  kCount,
};
}  // namespace conv_field

namespace fc_field {
enum : int {
  kBatches = 0, kDepth, kUnits,
  kInputOffset, kFilterOffset, kOutputOffset,
  kActivationMin, kActivationMax,
  kProfile, kPerChannel,
  kCount,
};
}  // namespace fc_field

namespace pool_field {
enum : int {
  kBatches = 0, kInputHeight, kInputWidth, kChannels,
  kOutputHeight, kOutputWidth,
  kFilterHeight, kFilterWidth, kStrideHeight, kStrideWidth,
  kPadTop, kPadLeft,
  kActivationMin, kActivationMax,
  kCount,
};
}  // namespace pool_field

constexpr int kAddRank = 6;
namespace add_field {
enum : int {
  kOutputShape = 0,
  kStridesA = 6,
  kStridesB = 12,
  kInputOffsetA = 18, kInputOffsetB, kOutputOffset,
  kLeftShift,
  kMultiplierA, kShiftA, kMultiplierB, kShiftB, kOutputMultiplier, kOutputShift,
  kActivationMin, kActivationMax,
  kCount,
};
}  // namespace add_field

namespace softmax_field {
enum : int {
  kRows = 0, kDepth,
  kInputMultiplier, kInputLeftShift, kDiffMin,
  kCount,
};
}  // namespace softmax_field

// Per-output-channel requantization: Q31 multiplier and shift (fixed-point profiles) or the float32
// scale (xnnpack-fp32). Length OutputChannels when per-channel, else 1.
struct Requantization {
  const int32_t* multiplier;
  const int32_t* shift;
  const float* scale;
};

// A byte tensor: int8 or uint8 data, told apart by is_signed.
struct ByteTensor {
  const uint8_t* data;
  bool is_signed;
  int32_t at(size_t i) const { return is_signed ? static_cast<int8_t>(data[i]) : data[i]; }
};

// One int32 accumulator requantized as the profile does it, then shifted by the output zero point and
// clamped to [act_min, act_max]. The zero point is added in 64 bits, so the clamp saturates, never wraps.
// Requires 0 <= channel < channel count, and for the fixed-point profiles -31 <= shift <= 30.
inline int32_t RequantizeAccumulator(int32_t acc, const Requantization& requant, size_t channel, Profile profile,
                                     int32_t output_offset, int32_t act_min, int32_t act_max) {
  int32_t scaled;
  if (profile == kProfileXnnpackFp32) {
    scaled = MultiplyByFloatScale(acc, requant.scale[channel]);
  } else if (profile == kProfileTfliteSingle) {
    scaled = MultiplyByQuantizedMultiplierSingle(acc, requant.multiplier[channel], requant.shift[channel]);
  } else {
    scaled = MultiplyByQuantizedMultiplierDouble(acc, requant.multiplier[channel], requant.shift[channel]);
  }
  const int64_t shifted = static_cast<int64_t>(scaled) + output_offset;
  if (shifted < act_min) return act_min;
  if (shifted > act_max) return act_max;
  return static_cast<int32_t>(shifted);
}

// The CONV_2D / DEPTHWISE_CONV_2D geometry decoded into 64-bit integers, so that index arithmetic on
// validated geometries never overflows. Offsets are kept modulo 2^32 for wrapping accumulation.
struct ConvParams {
  int64_t batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, filter_c;
  int64_t stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  uint32_t input_offset, filter_offset;
  int32_t output_offset, act_min, act_max;
  Profile profile;
  int64_t depth_multiplier;
  bool per_channel;

  static ConvParams FromGeometry(const int32_t* g) {
    using namespace conv_field;
    return ConvParams{g[kBatches], g[kInputHeight], g[kInputWidth], g[kInputChannels], g[kOutputHeight],
                      g[kOutputWidth], g[kOutputChannels], g[kFilterHeight], g[kFilterWidth], g[kFilterChannels],
                      g[kStrideHeight], g[kStrideWidth], g[kDilationHeight], g[kDilationWidth], g[kPadTop],
                      g[kPadLeft], static_cast<uint32_t>(g[kInputOffset]), static_cast<uint32_t>(g[kFilterOffset]),
                      g[kOutputOffset], g[kActivationMin], g[kActivationMax], static_cast<Profile>(g[kProfile]),
                      g[kDepthMultiplier], g[kPerChannel] != 0};
  }
  bool EmptyOutput() const { return batches == 0 || out_h == 0 || out_w == 0 || out_c == 0; }
};

// The operators. `geometry` holds the op's *_field::kCount entries. Byte outputs receive the low byte of
// each clamped value (the caller keeps [ActivationMin, ActivationMax] inside the output's dtype). Integer
// sums wrap modulo 2^32 as two's complement (TFLite leaves int32 overflow undefined). Each writes every
// output element exactly once and nothing else; inputs and outputs must not overlap.

// CONV_2D (spec 5.2): input NHWC [N, H, W, Cin], filter [Cout, KH, KW, Cf] with groups G = Cin / Cf,
// bias [Cout] or null, out NHWC [N, OH, OW, Cout]. acc = sum (w + FilterOffset) * (x + InputOffset) over
// in-image taps, + bias, then RequantizeAccumulator. Requires Cf >= 1, Cin % Cf == 0 and Cout % G == 0.
void Conv2D(ByteTensor input, ByteTensor filter, const int32_t* bias, const Requantization& requant,
            const int32_t* geometry, uint8_t* out);

// DEPTHWISE_CONV_2D (spec 5.3): filter [1, KH, KW, Cout] with Cout = Cin * DepthMultiplier; output
// channel oc reads input channel oc / DepthMultiplier. FilterChannels is 1.
void DepthwiseConv2D(ByteTensor input, ByteTensor filter, const int32_t* bias, const Requantization& requant,
                     const int32_t* geometry, uint8_t* out);

// FULLY_CONNECTED (spec 5.4): input [Batches, Depth], weights [Units, Depth], bias [Units] or null.
// FullyConnected requantizes into bytes; FullyConnectedAccumulators stores the raw int32 sums (bias
// included; no requantization, zero point or clamp).
void FullyConnected(ByteTensor input, ByteTensor weights, const int32_t* bias, const Requantization& requant,
                    const int32_t* geometry, uint8_t* out);
void FullyConnectedAccumulators(ByteTensor input, ByteTensor weights, const int32_t* bias, const int32_t* geometry,
                                int32_t* out);

// MAX_POOL_2D / AVERAGE_POOL_2D (TFLite reference kernels): NHWC in and out with one scale and zero point.
// A window covers the in-image taps of [o*stride - pad, o*stride - pad + filter) on each axis. Max pool
// takes their maximum; average pool sums them exactly and divides by their count, rounding half away from
// zero; both then clamp. Requires every output window to hold at least one in-image tap.
void MaxPool2D(ByteTensor input, const int32_t* geometry, uint8_t* out);
void AveragePool2D(ByteTensor input, const int32_t* geometry, uint8_t* out);

// ADD (TFLite int8/uint8 reference, always double rounding): out = clamp(MBQM(MBQM((a + offA) << LeftShift,
// MA, SA) + MBQM((b + offB) << LeftShift, MB, SB), MO, SO) + OutputOffset). The output index space has
// kAddRank dimensions (OutputShape); a and b are read at the dot product of the index with StridesA/B.
void Add(ByteTensor a, ByteTensor b, const int32_t* geometry, uint8_t* out);
// The same ADD, bit for bit, on `isa`'s SIMD kernels (qint8/add.h) where they apply: the output is cut into runs
// that are contiguous in both inputs or broadcast one value of an input; the rest runs the reference above.
void Add(ByteTensor a, ByteTensor b, const int32_t* geometry, uint8_t* out, Isa isa);

// SOFTMAX int8 -> int8 (scale 1/256, zero point -128) over each row of [Rows, Depth]: TFLite's
// reference_ops::Softmax with gemmlowp's fixed-point exp (Q5.26 input, Q12.19 sum). Requires
// InputMultiplier >= 0, 0 <= InputLeftShift <= 31, DiffMin <= 0 and max(DiffMin, -255) << InputLeftShift
// to fit in int32 (PreprocessSoftmaxScaling's parameters always do).
void Softmax(const int8_t* input, const int32_t* geometry, int8_t* out);

}  // namespace qint8

#endif  // QINT8_OPS_H_
