// The loops the reference CONV_2D and DEPTHWISE_CONV_2D kernels share (conv2d-scalar.cc, depthwise-conv2d-scalar.cc):
// the int8/uint8 operand dispatch, the NHWC output walk with its requantization, and the in-image taps of one output.
// Each kernel supplies only its own tap sum. Internal linkage, like the ISA headers: no copy ever merges across TUs.
#ifndef QINT8_SRC_OPS_CONV_TAPS_H_
#define QINT8_SRC_OPS_CONV_TAPS_H_

#include <cstddef>
#include <cstdint>

#include "qint8/ops.h"

namespace qint8 {
namespace {

// Calls typed(input, filter) with each tensor's data as const int8_t* (is_signed) or const uint8_t*.
template <typename Typed>
void WithOperandTypes(ByteTensor input, ByteTensor filter, Typed&& typed) {
  const auto with_filter = [&](const auto* in) {
    if (filter.is_signed) {
      typed(in, reinterpret_cast<const int8_t*>(filter.data));
    } else {
      typed(in, filter.data);
    }
  };
  if (input.is_signed) {
    with_filter(reinterpret_cast<const int8_t*>(input.data));
  } else {
    with_filter(input.data);
  }
}

// Writes every output of the NHWC tensor `out`: out[n, oy, ox, oc] = the requantized accumulator(n, oy, ox, oc),
// in that loop order (oc innermost).
template <typename Accumulator>
void RequantizeEachOutput(const ConvParams& s, const Requantization& requant, uint8_t* out, Accumulator&& accumulator) {
  for (int64_t n = 0; n < s.batches; ++n) {
    for (int64_t oy = 0; oy < s.out_h; ++oy) {
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        uint8_t* pixel = out + ((n * s.out_h + oy) * s.out_w + ox) * s.out_c;
        for (int64_t oc = 0; oc < s.out_c; ++oc) {
          const int32_t acc = accumulator(n, oy, ox, oc);
          const size_t channel = s.per_channel ? static_cast<size_t>(oc) : 0;
          pixel[oc] = static_cast<uint8_t>(
              RequantizeAccumulator(acc, requant, channel, s.profile, s.output_offset, s.act_min, s.act_max));
        }
      }
    }
  }
}

// The accumulator of output channel oc at output pixel (oy, ox), bias included, modulo 2^32: the sum of
// tap_sum(iy, ix, ky, kx) (a uint32 sum of (w + filter_offset) * (x + input_offset) products) over the taps (ky, kx)
// whose input pixel (iy, ix) lies inside the image, then bias[oc] when bias is not null.
template <typename TapSum>
int32_t TapAccumulator(const ConvParams& s, const int32_t* bias, int64_t oy, int64_t ox, int64_t oc, TapSum&& tap_sum) {
  const int64_t iy0 = oy * s.stride_h - s.pad_top;
  const int64_t ix0 = ox * s.stride_w - s.pad_left;
  uint32_t acc = 0;
  for (int64_t ky = 0; ky < s.k_h; ++ky) {
    const int64_t iy = iy0 + s.dilation_h * ky;
    if (iy < 0 || iy >= s.in_h) continue;  // a skipped tap equals padding with q = z_in
    for (int64_t kx = 0; kx < s.k_w; ++kx) {
      const int64_t ix = ix0 + s.dilation_w * kx;
      if (ix < 0 || ix >= s.in_w) continue;
      acc += tap_sum(iy, ix, ky, kx);
    }
  }
  if (bias != nullptr) acc += static_cast<uint32_t>(bias[oc]);
  return static_cast<int32_t>(acc);
}

}  // namespace
}  // namespace qint8

#endif  // QINT8_SRC_OPS_CONV_TAPS_H_
