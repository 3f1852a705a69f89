// CONV_2D reference kernel (spec 5.2): direct NHWC loops over output pixels, channels and in-image taps.
// The scalar oracle every faster conv path must match bit for bit; int8 and uint8 operands alike.
#include <cstdint>

#include "conv-taps.h"
#include "qint8/ops.h"

namespace qint8 {
namespace {

// Sum over one tap's channel run of (w + filter_offset) * (x + input_offset), modulo 2^32.
template <typename In, typename Filter>
uint32_t TapSum(const In* x, const Filter* w, int64_t channels, uint32_t input_offset, uint32_t filter_offset) {
  uint32_t sum = 0;
  for (int64_t c = 0; c < channels; ++c) {
    const uint32_t xv = static_cast<uint32_t>(static_cast<int32_t>(x[c])) + input_offset;
    const uint32_t wv = static_cast<uint32_t>(static_cast<int32_t>(w[c])) + filter_offset;
    sum += xv * wv;
  }
  return sum;
}

// Output channel oc of group oc / filters_per_group reads that group's filter_c input channels at every tap.
template <typename In, typename Filter>
void Conv2DTyped(const In* input, const Filter* filter, const int32_t* bias, const Requantization& requant,
                 const ConvParams& s, uint8_t* out) {
  const int64_t filters_per_group = s.out_c / (s.in_c / s.filter_c);
  RequantizeEachOutput(s, requant, out, [&](int64_t n, int64_t oy, int64_t ox, int64_t oc) {
    const int64_t group = oc / filters_per_group;
    return TapAccumulator(s, bias, oy, ox, oc, [&](int64_t iy, int64_t ix, int64_t ky, int64_t kx) {
      const In* x = input + ((n * s.in_h + iy) * s.in_w + ix) * s.in_c + group * s.filter_c;
      const Filter* w = filter + ((oc * s.k_h + ky) * s.k_w + kx) * s.filter_c;
      return TapSum(x, w, s.filter_c, s.input_offset, s.filter_offset);
    });
  });
}

}  // namespace

void Conv2D(ByteTensor input, ByteTensor filter, const int32_t* bias, const Requantization& requant,
            const int32_t* geometry, uint8_t* out) {
  const ConvParams s = ConvParams::FromGeometry(geometry);
  if (s.EmptyOutput()) return;
  WithOperandTypes(input, filter, [&](const auto* in, const auto* w) { Conv2DTyped(in, w, bias, requant, s, out); });
}

}  // namespace qint8
