// SOFTMAX int8 -> int8 reference kernel: TFLite/TFLM reference_ops::Softmax with gemmlowp fixed point
// (differences scaled to Q5.26, exp in Q0, sum of exps in Q12.19, reciprocal via Newton-Raphson).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "qint8/gemmlowp.h"
#include "qint8/ops.h"

namespace qint8 {
namespace {

constexpr int kScaledDiffIntegerBits = 5;     // exp's input: Q5.26
constexpr int kAccumulationIntegerBits = 12;  // sum of exps: Q12.19

struct SoftmaxParams {
  int64_t rows, depth;
  int32_t input_multiplier;
  int input_left_shift;
  int32_t diff_min;

  static SoftmaxParams FromGeometry(const int32_t* g) {
    using namespace softmax_field;
    return SoftmaxParams{g[kRows], g[kDepth], g[kInputMultiplier], g[kInputLeftShift], g[kDiffMin]};
  }
};

// exp(beta * scale * diff) in Q0 for a difference diff = x - max(row) >= diff_min.
int32_t ExpOfDiff(int32_t diff, const SoftmaxParams& p) {
  const int32_t scaled_diff =
      gemmlowp::MultiplyByQuantizedMultiplierGreaterThanOne(diff, p.input_multiplier, p.input_left_shift);
  return gemmlowp::ExpOnNegativeValues<kScaledDiffIntegerBits>(scaled_diff);
}

void SoftmaxRow(const int8_t* x, const SoftmaxParams& p, int8_t* out) {
  int32_t max = -128;
  for (int64_t c = 0; c < p.depth; ++c) max = std::max<int32_t>(max, x[c]);

  // Q12.19; saturates at INT32_MAX where TFLite's plain int32 sum would overflow (4096+ equal entries).
  int32_t sum_of_exps = 0;
  for (int64_t c = 0; c < p.depth; ++c) {
    const int32_t diff = x[c] - max;
    if (diff >= p.diff_min) {
      const int32_t exp_q12 = gemmlowp::Rescale(ExpOfDiff(diff, p), 0, kAccumulationIntegerBits);
      sum_of_exps = gemmlowp::SaturatingAdd(sum_of_exps, exp_q12);
    }
  }

  // The row maximum contributes exp(0) = 1, so sum_of_exps >= 2^19 > 0.
  int num_bits_over_unit = 0;
  const int32_t shifted_scale = gemmlowp::GetReciprocal(sum_of_exps, kAccumulationIntegerBits, &num_bits_over_unit);
  // Exponents above 31 (sums of 512 and more) round every output to 0; see RoundingDivideByPOTAnyExponent.
  const int exponent = num_bits_over_unit + 31 - 8;

  for (int64_t c = 0; c < p.depth; ++c) {
    const int32_t diff = x[c] - max;
    if (diff < p.diff_min) {
      out[c] = -128;
      continue;
    }
    const int32_t probability = gemmlowp::FixedMul(shifted_scale, ExpOfDiff(diff, p));  // Q0
    const int32_t unsaturated = gemmlowp::RoundingDivideByPOTAnyExponent(probability, exponent);
    out[c] = static_cast<int8_t>(std::min<int32_t>(std::max<int32_t>(unsaturated - 128, -128), 127));
  }
}

}  // namespace

void Softmax(const int8_t* input, const int32_t* geometry, int8_t* out) {
  const SoftmaxParams p = SoftmaxParams::FromGeometry(geometry);
  if (p.depth == 0) return;
  for (int64_t r = 0; r < p.rows; ++r) SoftmaxRow(input + r * p.depth, p, out + r * p.depth);
}

}  // namespace qint8
