// ADD reference kernel (TFLite int8/uint8 reference_ops, double rounding): both inputs are moved to a
// common scale with 20 bits of headroom, summed, and requantized; broadcasting by per-dimension strides.
#include <cstddef>
#include <cstdint>

#include "qint8/ops.h"

namespace qint8 {
namespace {

struct AddParams {
  int32_t input_offset_a, input_offset_b, output_offset;
  int left_shift;
  int32_t multiplier_a, shift_a, multiplier_b, shift_b, output_multiplier, output_shift;
  int32_t act_min, act_max;

  static AddParams FromGeometry(const int32_t* g) {
    using namespace add_field;
    return AddParams{g[kInputOffsetA], g[kInputOffsetB], g[kOutputOffset],    g[kLeftShift],
                     g[kMultiplierA],  g[kShiftA],       g[kMultiplierB],     g[kShiftB],
                     g[kOutputMultiplier], g[kOutputShift], g[kActivationMin], g[kActivationMax]};
  }
};

// One input moved to the common scale: MBQM((q + offset) * 2^left_shift, M, shift), sums wrapping mod 2^32.
int32_t ScaleInput(int32_t q, int32_t offset, int left_shift, int32_t multiplier, int32_t shift) {
  const uint32_t value = static_cast<uint32_t>(q) + static_cast<uint32_t>(offset);
  const int32_t shifted = static_cast<int32_t>(value << left_shift);
  return MultiplyByQuantizedMultiplierDouble(shifted, multiplier, shift);
}

// The requantization of a raw sum of scaled inputs: AddPair's second half.
int32_t AddOutput(int32_t scaled_a, int32_t scaled_b, const AddParams& p) {
  const int32_t raw_sum = static_cast<int32_t>(static_cast<uint32_t>(scaled_a) + static_cast<uint32_t>(scaled_b));
  const int64_t raw_output =
      static_cast<int64_t>(MultiplyByQuantizedMultiplierDouble(raw_sum, p.output_multiplier, p.output_shift)) +
      p.output_offset;
  if (raw_output < p.act_min) return p.act_min;
  if (raw_output > p.act_max) return p.act_max;
  return static_cast<int32_t>(raw_output);
}

// TFLite's AddFunc for one pair of quantized values.
int32_t AddPair(int32_t a, int32_t b, const AddParams& p) {
  const int32_t scaled_a = ScaleInput(a, p.input_offset_a, p.left_shift, p.multiplier_a, p.shift_a);
  const int32_t scaled_b = ScaleInput(b, p.input_offset_b, p.left_shift, p.multiplier_b, p.shift_b);
  return AddOutput(scaled_a, scaled_b, p);
}

// Each input's scaled value depends only on its code: from this many output elements on, the 256 scaled
// values of each input are tabulated once and each element costs one requantization instead of three.
constexpr int64_t kMinElementsForTables = 1024;

// The scaled values of every code of one input, indexed by the code's byte.
struct ScaledInputTable {
  int32_t value[256];
  template <typename T>
  void Fill(int32_t offset, int left_shift, int32_t multiplier, int32_t shift) {
    for (int byte = 0; byte < 256; ++byte) {
      const int32_t code = static_cast<int32_t>(static_cast<T>(static_cast<uint8_t>(byte)));
      value[byte] = ScaleInput(code, offset, left_shift, multiplier, shift);
    }
  }
  int32_t operator[](uint8_t byte) const { return value[byte]; }
};

// Walks the kAddRank-dimensional output index space in row-major order, tracking each input's element
// offset (the dot product of the index with its strides); `pair(a_offset, b_offset)` gives one output.
template <typename Pair>
void WalkBroadcast(const int32_t* g, Pair pair, uint8_t* out) {
  int64_t shape[kAddRank], stride_a[kAddRank], stride_b[kAddRank];
  bool contiguous = true;  // both inputs have the output's own strides: no broadcasting at all
  int64_t expected = 1;
  for (int d = kAddRank - 1; d >= 0; --d) {
    shape[d] = g[add_field::kOutputShape + d];
    stride_a[d] = g[add_field::kStridesA + d];
    stride_b[d] = g[add_field::kStridesB + d];
    if (shape[d] != 1 && (stride_a[d] != expected || stride_b[d] != expected)) contiguous = false;
    expected *= shape[d];
  }
  if (contiguous) {
    for (int64_t i = 0; i < expected; ++i) out[i] = static_cast<uint8_t>(pair(i, i));
    return;
  }
  int64_t index[kAddRank] = {0, 0, 0, 0, 0, 0};
  int64_t offset_a = 0, offset_b = 0;
  for (int64_t i = 0;; ++i) {
    out[i] = static_cast<uint8_t>(pair(offset_a, offset_b));
    int d = kAddRank - 1;
    for (; d >= 0; --d) {  // increment the index like an odometer
      offset_a += stride_a[d];
      offset_b += stride_b[d];
      if (++index[d] < shape[d]) break;
      offset_a -= stride_a[d] * shape[d];
      offset_b -= stride_b[d] * shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

template <typename A, typename B>
void AddTyped(const A* a, const B* b, const int32_t* g, const AddParams& p, uint8_t* out) {
  int64_t elements = 1;
  for (int d = 0; d < kAddRank; ++d) elements *= g[add_field::kOutputShape + d];
  if (elements < kMinElementsForTables) {
    WalkBroadcast(g, [&](int64_t i, int64_t j) { return AddPair(a[i], b[j], p); }, out);
    return;
  }
  ScaledInputTable table_a, table_b;
  table_a.Fill<A>(p.input_offset_a, p.left_shift, p.multiplier_a, p.shift_a);
  table_b.Fill<B>(p.input_offset_b, p.left_shift, p.multiplier_b, p.shift_b);
  WalkBroadcast(g, [&](int64_t i, int64_t j) {
    return AddOutput(table_a[static_cast<uint8_t>(a[i])], table_b[static_cast<uint8_t>(b[j])], p);
  }, out);
}

template <typename A>
void AddWithA(const A* a, ByteTensor b, const int32_t* g, const AddParams& p, uint8_t* out) {
  if (b.is_signed) {
    AddTyped(a, reinterpret_cast<const int8_t*>(b.data), g, p, out);
  } else {
    AddTyped(a, b.data, g, p, out);
  }
}

}  // namespace

void Add(ByteTensor a, ByteTensor b, const int32_t* geometry, uint8_t* out) {
  for (int d = 0; d < kAddRank; ++d) {
    if (geometry[add_field::kOutputShape + d] == 0) return;
  }
  const AddParams p = AddParams::FromGeometry(geometry);
  if (a.is_signed) {
    AddWithA(reinterpret_cast<const int8_t*>(a.data), b, geometry, p, out);
  } else {
    AddWithA(a.data, b, geometry, p, out);
  }
}

}  // namespace qint8
