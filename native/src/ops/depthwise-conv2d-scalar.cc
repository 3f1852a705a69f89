// DEPTHWISE_CONV_2D reference kernel (spec 5.3): output channel oc = ic * M + m filters input channel ic
// alone. The scalar oracle for every faster depthwise path; int8 and uint8 operands alike.
#include <cstddef>
#include <cstdint>

#include "qint8/ops.h"

namespace qint8 {
namespace {

// The accumulator of output channel oc (reading input channel ic) at (n, oy, ox), bias included, modulo 2^32.
template <typename In, typename Filter>
int32_t DepthwiseAccumulator(const In* input, const Filter* filter, const int32_t* bias, const ConvParams& s,
                             int64_t n, int64_t oy, int64_t ox, int64_t ic, int64_t oc) {
  const int64_t iy0 = oy * s.stride_h - s.pad_top;
  const int64_t ix0 = ox * s.stride_w - s.pad_left;
  uint32_t acc = 0;
  for (int64_t ky = 0; ky < s.k_h; ++ky) {
    const int64_t iy = iy0 + s.dilation_h * ky;
    if (iy < 0 || iy >= s.in_h) continue;  // a skipped tap equals padding with q = z_in
    for (int64_t kx = 0; kx < s.k_w; ++kx) {
      const int64_t ix = ix0 + s.dilation_w * kx;
      if (ix < 0 || ix >= s.in_w) continue;
      const int32_t x = input[((n * s.in_h + iy) * s.in_w + ix) * s.in_c + ic];
      const int32_t w = filter[(ky * s.k_w + kx) * s.out_c + oc];
      acc += (static_cast<uint32_t>(x) + s.input_offset) * (static_cast<uint32_t>(w) + s.filter_offset);
    }
  }
  if (bias != nullptr) acc += static_cast<uint32_t>(bias[oc]);
  return static_cast<int32_t>(acc);
}

template <typename In, typename Filter>
void DepthwiseTyped(const In* input, const Filter* filter, const int32_t* bias, const Requantization& requant,
                    const ConvParams& s, uint8_t* out) {
  const int64_t multiplier = s.depth_multiplier;
  for (int64_t n = 0; n < s.batches; ++n) {
    for (int64_t oy = 0; oy < s.out_h; ++oy) {
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        uint8_t* pixel = out + ((n * s.out_h + oy) * s.out_w + ox) * s.out_c;
        for (int64_t oc = 0; oc < s.out_c; ++oc) {
          const int32_t acc = DepthwiseAccumulator(input, filter, bias, s, n, oy, ox, oc / multiplier, oc);
          const size_t channel = s.per_channel ? static_cast<size_t>(oc) : 0;
          pixel[oc] = static_cast<uint8_t>(
              RequantizeAccumulator(acc, requant, channel, s.profile, s.output_offset, s.act_min, s.act_max));
        }
      }
    }
  }
}

template <typename In>
void DepthwiseWithInput(const In* input, ByteTensor filter, const int32_t* bias, const Requantization& requant,
                        const ConvParams& s, uint8_t* out) {
  if (filter.is_signed) {
    DepthwiseTyped(input, reinterpret_cast<const int8_t*>(filter.data), bias, requant, s, out);
  } else {
    DepthwiseTyped(input, filter.data, bias, requant, s, out);
  }
}

}  // namespace

void DepthwiseConv2D(ByteTensor input, ByteTensor filter, const int32_t* bias, const Requantization& requant,
                     const int32_t* geometry, uint8_t* out) {
  const ConvParams s = ConvParams::FromGeometry(geometry);
  if (s.EmptyOutput()) return;
  if (input.is_signed) {
    DepthwiseWithInput(reinterpret_cast<const int8_t*>(input.data), filter, bias, requant, s, out);
  } else {
    DepthwiseWithInput(input.data, filter, bias, requant, s, out);
  }
}

}  // namespace qint8
