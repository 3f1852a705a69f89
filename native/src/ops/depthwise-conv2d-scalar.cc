// DEPTHWISE_CONV_2D reference kernel (spec 5.3): output channel oc = ic * M + m filters input channel ic
// alone. The scalar oracle for every faster depthwise path; int8 and uint8 operands alike.
#include <cstdint>

#include "conv-taps.h"
#include "qint8/ops.h"

namespace qint8 {
namespace {

// Output channel oc reads input channel ic = oc / M at every tap: one product per tap.
template <typename In, typename Filter>
void DepthwiseTyped(const In* input, const Filter* filter, const int32_t* bias, const Requantization& requant,
                    const ConvParams& s, uint8_t* out) {
  const int64_t multiplier = s.depth_multiplier;
  RequantizeEachOutput(s, requant, out, [&](int64_t n, int64_t oy, int64_t ox, int64_t oc) {
    const int64_t ic = oc / multiplier;
    return TapAccumulator(s, bias, oy, ox, oc, [&](int64_t iy, int64_t ix, int64_t ky, int64_t kx) {
      const int32_t x = input[((n * s.in_h + iy) * s.in_w + ix) * s.in_c + ic];
      const int32_t w = filter[(ky * s.k_w + kx) * s.out_c + oc];
      return (static_cast<uint32_t>(x) + s.input_offset) * (static_cast<uint32_t>(w) + s.filter_offset);
    });
  });
}

}  // namespace

void DepthwiseConv2D(ByteTensor input, ByteTensor filter, const int32_t* bias, const Requantization& requant,
                     const int32_t* geometry, uint8_t* out) {
  const ConvParams s = ConvParams::FromGeometry(geometry);
  if (s.EmptyOutput()) return;
  WithOperandTypes(input, filter, [&](const auto* in, const auto* w) { DepthwiseTyped(in, w, bias, requant, s, out); });
}

}  // namespace qint8
