// Scalar quantize / dequantize / requantize loops over [outer, axis, inner] tensors.
// Written branch-free so the compiler vectorises them without ISA flags; they are also the oracle.
#include <algorithm>
#include <cmath>

#include "qint8/quant.h"
#include "quantize-element.h"

namespace qint8 {
namespace {

// n <= 2^30 elements sharing (scale, zero point); the NaN count fits the 32-bit counter that vectorises.
template <Rounding kRounding>
int32_t QuantizeChunkScalar(const float* x, int32_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                      uint8_t* out) {
  const float lo = static_cast<float>(qmin - zero_point);
  const float hi = static_cast<float>(qmax - zero_point);
  int32_t nans = 0;
  for (int32_t i = 0; i < n; ++i) out[i] = QuantizeElement<kRounding>(x[i] / scale, lo, hi, zero_point, nans);
  return nans;
}

// A row whose i-th element has channel i's parameters (per-axis along the innermost dimension).
template <Rounding kRounding>
int32_t QuantizeRowPerChannel(const float* x, int32_t n, const float* scale, const int32_t* zero_point, int32_t qmin,
                              int32_t qmax, uint8_t* out) {
  int32_t nans = 0;
  for (int32_t i = 0; i < n; ++i) {
    const float lo = static_cast<float>(qmin - zero_point[i]);
    const float hi = static_cast<float>(qmax - zero_point[i]);
    out[i] = QuantizeElement<kRounding>(x[i] / scale[i], lo, hi, zero_point[i], nans);
  }
  return nans;
}

constexpr size_t kChunk = size_t{1} << 30;

// The kernel for runs of one channel: the ISA's when compiled and chosen, else the scalar loop.
template <Rounding kRounding>
QuantizeChunkFn SelectQuantizeChunk(Isa isa) {
#if QINT8_HAVE_AVX2
  if (isa == kIsaAvx2 || isa == kIsaAvxVnni || isa == kIsaAvx512Vnni) {
    return kRounding == kRoundHalfEven ? QuantizeChunkEvenAvx2 : QuantizeChunkAwayAvx2;
  }
#endif
#if QINT8_HAVE_NEON
  // The dot-product and matrix-multiply families run the plain Neon quantize kernel (it is all they need).
  if (isa == kIsaNeon || isa == kIsaNeonDot || isa == kIsaNeonI8mm) {
    return kRounding == kRoundHalfEven ? QuantizeChunkEvenNeon : QuantizeChunkAwayNeon;
  }
#endif
  (void)isa;
  return QuantizeChunkScalar<kRounding>;
}

template <Rounding kRounding>
size_t QuantizeLayout(const float* x, const float* scale, const int32_t* zero_point, AxisLayout layout, int32_t qmin,
                      int32_t qmax, Isa isa, uint8_t* out) {
  size_t nans = 0;
  if (layout.inner == 1 && layout.axis > 1 && layout.axis <= kChunk) {
    const int32_t n = static_cast<int32_t>(layout.axis);
    for (size_t o = 0; o < layout.outer; ++o) {
      nans += static_cast<size_t>(QuantizeRowPerChannel<kRounding>(x + o * n, n, scale, zero_point, qmin, qmax, out + o * n));
    }
    return nans;
  }
  const QuantizeChunkFn chunk = SelectQuantizeChunk<kRounding>(isa);
  for (size_t o = 0; o < layout.outer; ++o) {
    for (size_t a = 0; a < layout.axis; ++a) {
      const size_t base = (o * layout.axis + a) * layout.inner;
      for (size_t start = 0; start < layout.inner; start += kChunk) {
        const int32_t count = static_cast<int32_t>(std::min(layout.inner - start, kChunk));
        nans += static_cast<size_t>(
            chunk(x + base + start, count, scale[a], zero_point[a], qmin, qmax, out + base + start));
      }
    }
  }
  return nans;
}

template <typename T>
void DequantizeLayout(const T* q, const float* scale, const int32_t* zero_point, AxisLayout layout, float* out) {
  for (size_t o = 0; o < layout.outer; ++o) {
    for (size_t a = 0; a < layout.axis; ++a) {
      const float s = scale[a];
      const int32_t z = zero_point[a];
      const size_t base = (o * layout.axis + a) * layout.inner;
      // q - z is an exact small integer, so the float32 product is the single rounding of s*(q-z).
      for (size_t i = 0; i < layout.inner; ++i) out[base + i] = s * static_cast<float>(q[base + i] - z);
    }
  }
}

}  // namespace

size_t Quantize(const float* x, const float* scale, const int32_t* zero_point, AxisLayout layout, int32_t qmin,
                int32_t qmax, Rounding rounding, Isa isa, uint8_t* out) {
  return rounding == kRoundHalfEven ? QuantizeLayout<kRoundHalfEven>(x, scale, zero_point, layout, qmin, qmax, isa, out)
                                    : QuantizeLayout<kRoundHalfAway>(x, scale, zero_point, layout, qmin, qmax, isa, out);
}

void DequantizeInt8(const int8_t* q, const float* scale, const int32_t* zero_point, AxisLayout layout, float* out) {
  DequantizeLayout(q, scale, zero_point, layout, out);
}

void DequantizeUint8(const uint8_t* q, const float* scale, const int32_t* zero_point, AxisLayout layout, float* out) {
  DequantizeLayout(q, scale, zero_point, layout, out);
}

void Requantize(const uint8_t* q, bool in_signed, const RequantizeChannel* channels, AxisLayout layout, Profile profile,
                int32_t qmin, int32_t qmax, uint8_t* out) {
  for (size_t o = 0; o < layout.outer; ++o) {
    for (size_t a = 0; a < layout.axis; ++a) {
      const RequantizeChannel& c = channels[a];
      const size_t base = (o * layout.axis + a) * layout.inner;
      for (size_t i = 0; i < layout.inner; ++i) {
        const int32_t value = in_signed ? static_cast<int32_t>(static_cast<int8_t>(q[base + i]))
                                        : static_cast<int32_t>(q[base + i]);
        const int32_t x = value - c.input_zero_point;
        const int32_t scaled = profile == kProfileXnnpackFp32
                                   ? MultiplyByFloatScale(x, c.scale)
                                   : MultiplyByQuantizedMultiplier(x, c.multiplier, c.shift, profile);
        const int64_t shifted = static_cast<int64_t>(scaled) + c.output_zero_point;
        out[base + i] = static_cast<uint8_t>(static_cast<int32_t>(std::min<int64_t>(std::max<int64_t>(shifted, qmin), qmax)));
      }
    }
  }
}

}  // namespace qint8
