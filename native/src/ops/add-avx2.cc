// ADD runs of int8 or uint8 with AVX2, 32 elements per step, bit-identical to the reference Add: each input in the
// split form (vpmaddwd, qint8/add.h), the output rounding as high dwords of exact 64-bit sums (AVX2 has no 64-bit
// arithmetic shift), saturating packs for the zero point and clamp. Compiled with the avx2 family's flags only.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "add-kernels.h"

#define QINT8_ADD_INLINE inline __attribute__((always_inline))

namespace qint8 {
namespace {

// 8 codes (the bytes at p) widened to int32 lanes.
template <bool kSigned>
QINT8_ADD_INLINE __m256i LoadCodes(const uint8_t* p) {
  const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return kSigned ? _mm256_cvtepi8_epi32(bytes) : _mm256_cvtepu8_epi32(bytes);
}

// One input's split form (AddScaledInputSplit), 8 lanes: vpaddd, vpmaddwd + vpaddd (the inner numerator, its sign
// term from the high word of c), vpsravd, vpmulld, vpaddd, and vpsravd by the outer shift when there is one.
struct SplitInputX8 {
  __m256i offset, low_sign, round, high, inner_shift, outer_shift;

  static SplitInputX8 Load(const AddSplitInput& s) {
    return SplitInputX8{_mm256_set1_epi32(s.offset),      _mm256_set1_epi32(s.low_sign),
                        _mm256_set1_epi32(s.round),       _mm256_set1_epi32(s.high),
                        _mm256_set1_epi32(s.inner_shift), _mm256_set1_epi32(s.outer_shift)};
  }
  // kOuter: some input of the call has T > 15 (a non-zero outer shift).
  template <bool kOuter>
  QINT8_ADD_INLINE __m256i Apply(__m256i q) const {
    const __m256i c = _mm256_add_epi32(q, offset);
    const __m256i inner = _mm256_add_epi32(_mm256_madd_epi16(c, low_sign), round);
    const __m256i y = _mm256_add_epi32(_mm256_srav_epi32(inner, inner_shift), _mm256_mullo_epi32(c, high));
    return kOuter ? _mm256_srav_epi32(y, outer_shift) : y;
  }
};

// The output requantization of 8 raw sums in the high-dword form (AddOutputHigh, AddRequantizeSumHigh): vpmuludq of
// the even lanes and, after vpsrlq 32, of the odd ones by 2M, vpaddq 2K, the high dwords gathered (vpshufd of the
// even sums blended into the odd ones), 2M + [r > 0] taken off the lanes of negative sums (vpsrad 31, vpand,
// vpsubd), then vpsravd by r (kRight: shift < 0). Else (shift >= 0) the sums are first shifted left (vpsllvd).
template <bool kRight>
struct OutputX8 {
  __m256i multiplier2, round2, fix, left, right;

  static OutputX8 Load(const AddOutputHigh& h) {
    return OutputX8{_mm256_set1_epi32(static_cast<int32_t>(h.multiplier2)),
                    _mm256_set1_epi64x(static_cast<int64_t>(h.round2)), _mm256_set1_epi32(static_cast<int32_t>(h.fix)),
                    _mm256_set1_epi32(h.left), _mm256_set1_epi32(h.right)};
  }
  QINT8_ADD_INLINE __m256i Apply(__m256i sum) const {
    const __m256i x = kRight ? sum : _mm256_sllv_epi32(sum, left);
    const __m256i odd = _mm256_srli_epi64(x, 32);
    const __m256i even_w = _mm256_add_epi64(_mm256_mul_epu32(x, multiplier2), round2);
    const __m256i odd_w = _mm256_add_epi64(_mm256_mul_epu32(odd, multiplier2), round2);
    const __m256i high = _mm256_blend_epi32(_mm256_shuffle_epi32(even_w, _MM_SHUFFLE(3, 3, 1, 1)), odd_w, 0xAA);
    const __m256i y = _mm256_sub_epi32(high, _mm256_and_si256(_mm256_srai_epi32(x, 31), fix));
    return kRight ? _mm256_srav_epi32(y, right) : y;
  }
};

// Zero point, clamp and store of 4 x 8 requantized lanes (split_form_exact guarantees the saturating steps equal the
// reference's 64-bit sum and clamp): vpackssdw, vpaddsw, vpacksswb / vpackuswb, byte max / min. The packs leave
// 128-bit lane L holding lanes 4L..4L+3 of y0, y1, y2, y3; vpermd puts them back in order.
template <bool kSigned>
struct NarrowX32 {
  __m256i zero_point, act_min, act_max, order;

  static NarrowX32 Load(const AddOutputParams& o) {
    return NarrowX32{_mm256_set1_epi16(static_cast<int16_t>(o.zero_point)),
                     _mm256_set1_epi8(static_cast<char>(o.act_min)), _mm256_set1_epi8(static_cast<char>(o.act_max)),
                     _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)};
  }
  QINT8_ADD_INLINE void Store(uint8_t* out, __m256i y0, __m256i y1, __m256i y2, __m256i y3) const {
    const __m256i w01 = _mm256_adds_epi16(_mm256_packs_epi32(y0, y1), zero_point);
    const __m256i w23 = _mm256_adds_epi16(_mm256_packs_epi32(y2, y3), zero_point);
    __m256i bytes;
    if (kSigned) {
      bytes = _mm256_min_epi8(_mm256_max_epi8(_mm256_packs_epi16(w01, w23), act_min), act_max);
    } else {
      bytes = _mm256_min_epu8(_mm256_max_epu8(_mm256_packus_epi16(w01, w23), act_min), act_max);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permutevar8x32_epi32(bytes, order));
  }
};

// kBroadcast: b is one value, b_scaled (vaddc); else b is a run like a (vadd).
template <bool kSigned, bool kOuter, bool kRight, bool kBroadcast>
void AddRun(size_t n, const uint8_t* a, const uint8_t* b, int32_t b_scaled, uint8_t* out, const AddRunParams& p) {
  const SplitInputX8 in_a = SplitInputX8::Load(p.split_a), in_b = SplitInputX8::Load(p.split_b);
  const __m256i b_value = _mm256_set1_epi32(b_scaled);
  const OutputX8<kRight> requant = OutputX8<kRight>::Load(p.out_high);
  const NarrowX32<kSigned> narrow = NarrowX32<kSigned>::Load(p.out);
  // 32 elements from a (and b) to out.
  auto step = [&](const uint8_t* sa, const uint8_t* sb, uint8_t* dst) {
    __m256i y[4];
    for (size_t j = 0; j < 4; ++j) {
      const __m256i scaled_a = in_a.template Apply<kOuter>(LoadCodes<kSigned>(sa + 8 * j));
      const __m256i scaled_b = kBroadcast ? b_value : in_b.template Apply<kOuter>(LoadCodes<kSigned>(sb + 8 * j));
      y[j] = requant.Apply(_mm256_add_epi32(scaled_a, scaled_b));
    }
    narrow.Store(dst, y[0], y[1], y[2], y[3]);
  };
  for (; n >= 32; n -= 32) {
    step(a, b, out);
    a += 32;
    if (!kBroadcast) b += 32;
    out += 32;
  }
  if (n != 0) {  // the last 1..31 elements through 32-byte copies
    uint8_t tail_a[32] = {}, tail_b[32] = {}, tail_out[32];
    std::memcpy(tail_a, a, n);
    if (!kBroadcast) std::memcpy(tail_b, b, n);
    step(tail_a, tail_b, tail_out);
    std::memcpy(out, tail_out, n);
  }
}

// The instantiation for the call (ForSplitForm, add-kernels.h).
template <bool kSigned, bool kBroadcast>
void Dispatch(size_t n, const uint8_t* a, const uint8_t* b, int32_t b_scaled, uint8_t* out, const AddRunParams& p) {
  ForSplitForm<kBroadcast>(p, [&](auto outer, auto right) {
    AddRun<kSigned, decltype(outer)::value, decltype(right)::value, kBroadcast>(n, a, b, b_scaled, out, p);
  });
}

}  // namespace

QINT8_ADD_DEFINE_KERNELS(avx2, x32)

}  // namespace qint8
