// FULLY_CONNECTED reference kernel (spec 5.4): [Batches, Depth] x [Units, Depth]^T with int32 accumulation.
// Either requantizes into bytes or hands back the raw accumulators (the GEMM form).
#include <cstddef>
#include <cstdint>

#include "qint8/ops.h"

namespace qint8 {
namespace {

struct FcShape {
  int64_t batches, depth, units;
  uint32_t input_offset, filter_offset;
  int32_t output_offset, act_min, act_max;
  Profile profile;
  bool per_channel;

  static FcShape FromGeometry(const int32_t* g) {
    using namespace fc_field;
    return FcShape{g[kBatches], g[kDepth], g[kUnits], static_cast<uint32_t>(g[kInputOffset]),
                   static_cast<uint32_t>(g[kFilterOffset]), g[kOutputOffset], g[kActivationMin], g[kActivationMax],
                   static_cast<Profile>(g[kProfile]), g[kPerChannel] != 0};
  }
};

// sum_d (w[d] + filter_offset) * (x[d] + input_offset) + bias, modulo 2^32.
template <typename In, typename Filter>
int32_t DotAccumulator(const In* x, const Filter* w, int64_t depth, uint32_t input_offset, uint32_t filter_offset,
                       int32_t bias) {
  uint32_t acc = 0;
  for (int64_t d = 0; d < depth; ++d) {
    const uint32_t xv = static_cast<uint32_t>(static_cast<int32_t>(x[d])) + input_offset;
    const uint32_t wv = static_cast<uint32_t>(static_cast<int32_t>(w[d])) + filter_offset;
    acc += xv * wv;
  }
  return static_cast<int32_t>(acc + static_cast<uint32_t>(bias));
}

// Calls store(b, u, acc) for every (batch, unit), in row-major output order.
template <typename In, typename Filter, typename Store>
void ForEachAccumulator(const In* input, const Filter* weights, const int32_t* bias, const FcShape& s, Store store) {
  for (int64_t b = 0; b < s.batches; ++b) {
    const In* x = input + b * s.depth;
    for (int64_t u = 0; u < s.units; ++u) {
      const int32_t unit_bias = bias != nullptr ? bias[u] : 0;
      store(b, u, DotAccumulator(x, weights + u * s.depth, s.depth, s.input_offset, s.filter_offset, unit_bias));
    }
  }
}

// Resolves the operand types of both tensors, then runs ForEachAccumulator.
template <typename Store>
void Dispatch(ByteTensor input, ByteTensor weights, const int32_t* bias, const FcShape& s, Store store) {
  const int8_t* input_s8 = reinterpret_cast<const int8_t*>(input.data);
  const int8_t* weights_s8 = reinterpret_cast<const int8_t*>(weights.data);
  if (input.is_signed && weights.is_signed) {
    ForEachAccumulator(input_s8, weights_s8, bias, s, store);
  } else if (input.is_signed) {
    ForEachAccumulator(input_s8, weights.data, bias, s, store);
  } else if (weights.is_signed) {
    ForEachAccumulator(input.data, weights_s8, bias, s, store);
  } else {
    ForEachAccumulator(input.data, weights.data, bias, s, store);
  }
}

}  // namespace

void FullyConnected(ByteTensor input, ByteTensor weights, const int32_t* bias, const Requantization& requant,
                    const int32_t* geometry, uint8_t* out) {
  const FcShape s = FcShape::FromGeometry(geometry);
  if (s.batches == 0 || s.units == 0) return;
  Dispatch(input, weights, bias, s, [&](int64_t b, int64_t u, int32_t acc) {
    const size_t channel = s.per_channel ? static_cast<size_t>(u) : 0;
    out[b * s.units + u] =
        static_cast<uint8_t>(RequantizeAccumulator(acc, requant, channel, s.profile, s.output_offset, s.act_min, s.act_max));
  });
}

void FullyConnectedAccumulators(ByteTensor input, ByteTensor weights, const int32_t* bias, const int32_t* geometry,
                                int32_t* out) {
  const FcShape s = FcShape::FromGeometry(geometry);
  if (s.batches == 0 || s.units == 0) return;
  Dispatch(input, weights, bias, s, [&](int64_t b, int64_t u, int32_t acc) { out[b * s.units + u] = acc; });
}

}  // namespace qint8
