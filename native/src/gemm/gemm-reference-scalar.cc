// The GEMM oracle (GemmReference): TFLite's FULLY_CONNECTED loop on unpacked weights, no zero-point folding,
// no packing, scalar requantization. Never optimised; tests and benches compare every kernel against it.
#include "qint8/gemm.h"
#include "requant-scalar.h"

namespace qint8 {

void GemmReference(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride, const int8_t* w,
                   const int32_t* bias, int32_t input_zero_point, const int32_t* multiplier, const int32_t* shift,
                   const float* scale, bool per_channel, int8_t* c, size_t c_stride, const GemmOutput& output) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      // sum_k (A - z_in) * W + bias, modulo 2^32 as TFLite's int32 accumulator (spec 5.4)
      uint32_t acc = bias != nullptr ? static_cast<uint32_t>(bias[j]) : 0u;
      for (size_t kk = 0; kk < k; ++kk) {
        const int32_t x = static_cast<int32_t>(a[i * a_stride + kk]) - input_zero_point;
        acc += static_cast<uint32_t>(x) * static_cast<uint32_t>(static_cast<int32_t>(w[j * k + kk]));
      }
      const size_t ch = per_channel ? j : 0;
      c[i * c_stride + j] = GemmOutputStageScalar(static_cast<int32_t>(acc), multiplier != nullptr ? multiplier[ch] : 0,
                                                  shift != nullptr ? shift[ch] : 0, scale != nullptr ? scale[ch] : 0.0f,
                                                  output);
    }
  }
}

}  // namespace qint8
