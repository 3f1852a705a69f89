// ADD runs of int8 or uint8 with AVX-512 (BW, DQ, VNNI), 64 elements per step, bit-identical to the reference Add:
// each input in the split form (vpdpwssd, qint8/add.h), the output rounding as high dwords of exact 64-bit sums,
// saturating packs for the zero point and clamp. Compiled with the avx512vnni family's flags only.

#include "../x86-intrinsics.h"

#include <cstddef>
#include <cstdint>

#include "add-kernels.h"

#define QINT8_ADD_INLINE inline __attribute__((always_inline))

namespace qint8 {
namespace {

// 16 codes (bytes at p, the lanes of `mask`; the others read as 0) widened to int32 lanes.
template <bool kSigned, bool kMasked>
QINT8_ADD_INLINE __m512i LoadCodes(const uint8_t* p, __mmask16 mask) {
  const __m128i bytes = kMasked ? _mm_maskz_loadu_epi8(mask, p) : _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return kSigned ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes);
}

// One input's split form (AddScaledInputSplit), 16 lanes: vpaddd, vpdpwssd (the inner numerator, its sign term
// from the high word of c), vpsravd, vpmulld, vpaddd, and vpsravd by the outer shift when the call has one (kOuter).
struct SplitInputX16 {
  __m512i offset, low_sign, round, high, inner_shift, outer_shift;

  static SplitInputX16 Load(const AddSplitInput& s) {
    return SplitInputX16{_mm512_set1_epi32(s.offset), _mm512_set1_epi32(s.low_sign), _mm512_set1_epi32(s.round),
                         _mm512_set1_epi32(s.high), _mm512_set1_epi32(s.inner_shift),
                         _mm512_set1_epi32(s.outer_shift)};
  }
  template <bool kOuter>
  QINT8_ADD_INLINE __m512i Apply(__m512i q) const {
    const __m512i c = _mm512_add_epi32(q, offset);
    const __m512i inner = _mm512_dpwssd_epi32(round, c, low_sign);
    const __m512i y = _mm512_add_epi32(_mm512_srav_epi32(inner, inner_shift), _mm512_mullo_epi32(c, high));
    return kOuter ? _mm512_srav_epi32(y, outer_shift) : y;
  }
};

// The high dwords of the even lanes' and the odd lanes' 64-bit sums, in lane order: vpshufd of the even sums
// (dword 2i+1 to 2i) merged under mask into the odd sums, whose high dwords already sit at 2i+1.
QINT8_ADD_INLINE __m512i HighDwords(__m512i even_v, __m512i odd_v) {
  return _mm512_mask_shuffle_epi32(odd_v, 0x5555, even_v, static_cast<_MM_PERM_ENUM>(_MM_SHUFFLE(3, 3, 1, 1)));
}

// The output requantization of 16 raw sums in the high-dword form (AddOutputHigh, AddRequantizeSumHigh): vpmuludq of
// the even lanes and, after vpsrlq 32, of the odd ones by 2M, vpaddq 2K, the high dwords gathered, 2M + [r > 0]
// taken off the lanes of negative sums (vpmovd2m, masked vpsubd), then vpsravd by r (kRight: shift < 0). Else
// (shift >= 0) the sums are first shifted left (vpsllvd).
template <bool kRight>
struct OutputX16 {
  __m512i multiplier2, round2, fix, left, right;

  static OutputX16 Load(const AddOutputHigh& h) {
    return OutputX16{_mm512_set1_epi32(static_cast<int32_t>(h.multiplier2)),
                     _mm512_set1_epi64(static_cast<int64_t>(h.round2)), _mm512_set1_epi32(static_cast<int32_t>(h.fix)),
                     _mm512_set1_epi32(h.left), _mm512_set1_epi32(h.right)};
  }
  QINT8_ADD_INLINE __m512i Apply(__m512i sum) const {
    const __m512i x = kRight ? sum : _mm512_sllv_epi32(sum, left);
    const __m512i odd = _mm512_srli_epi64(x, 32);
    const __m512i even_w = _mm512_add_epi64(_mm512_mul_epu32(x, multiplier2), round2);
    const __m512i odd_w = _mm512_add_epi64(_mm512_mul_epu32(odd, multiplier2), round2);
    const __m512i high = HighDwords(even_w, odd_w);
    const __m512i y = _mm512_mask_sub_epi32(high, _mm512_movepi32_mask(x), high, fix);
    return kRight ? _mm512_srav_epi32(y, right) : y;
  }
};

// Zero point, clamp and store of 4 x 16 requantized lanes (split_form_exact guarantees the saturating steps equal
// the reference's 64-bit sum and clamp): vpackssdw, vpaddsw, vpacksswb / vpackuswb, byte max / min. The packs
// leave 128-bit lane L holding lanes 4L..4L+3 of y0, y1, y2, y3; vpermd puts them back in order.
template <bool kSigned>
struct NarrowX64 {
  __m512i zero_point, act_min, act_max, order;

  static NarrowX64 Load(const AddOutputParams& o) {
    return NarrowX64{_mm512_set1_epi16(static_cast<int16_t>(o.zero_point)),
                     _mm512_set1_epi8(static_cast<char>(o.act_min)), _mm512_set1_epi8(static_cast<char>(o.act_max)),
                     _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)};
  }
  QINT8_ADD_INLINE void Store(uint8_t* out, __mmask64 mask, const __m512i (&y)[4]) const {
    const __m512i w01 = _mm512_adds_epi16(_mm512_packs_epi32(y[0], y[1]), zero_point);
    const __m512i w23 = _mm512_adds_epi16(_mm512_packs_epi32(y[2], y[3]), zero_point);
    __m512i bytes;
    if (kSigned) {
      bytes = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(w01, w23), act_min), act_max);
    } else {
      bytes = _mm512_min_epu8(_mm512_max_epu8(_mm512_packus_epi16(w01, w23), act_min), act_max);
    }
    _mm512_mask_storeu_epi8(out, mask, _mm512_permutexvar_epi32(order, bytes));
  }
};

QINT8_ADD_INLINE __mmask16 QuarterMask(size_t n, size_t j) {
  return n >= 16 * (j + 1) ? __mmask16{0xFFFF} : n > 16 * j ? static_cast<__mmask16>((1u << (n - 16 * j)) - 1) : 0;
}

// 64 elements (kMasked: the first n < 64) from a (and b) to out. kBroadcast: b is one value, b_scaled (vaddc); else
// b is a run like a (vadd).
template <bool kSigned, bool kOuter, bool kRight, bool kBroadcast>
struct Step64 {
  SplitInputX16 in_a, in_b;
  __m512i b_value;
  OutputX16<kRight> requant;
  NarrowX64<kSigned> narrow;

  template <bool kMasked>
  QINT8_ADD_INLINE __m512i Quarter(const uint8_t* a, const uint8_t* b, size_t j, size_t n) const {
    const __mmask16 mask = kMasked ? QuarterMask(n, j) : __mmask16{0xFFFF};
    const __m512i scaled_a = in_a.template Apply<kOuter>(LoadCodes<kSigned, kMasked>(a + 16 * j, mask));
    const __m512i scaled_b =
        kBroadcast ? b_value : in_b.template Apply<kOuter>(LoadCodes<kSigned, kMasked>(b + 16 * j, mask));
    return requant.Apply(_mm512_add_epi32(scaled_a, scaled_b));
  }
  template <bool kMasked>
  QINT8_ADD_INLINE void Run(const uint8_t* a, const uint8_t* b, uint8_t* out, size_t n) const {
    const __m512i y[4] = {Quarter<kMasked>(a, b, 0, n), Quarter<kMasked>(a, b, 1, n), Quarter<kMasked>(a, b, 2, n),
                          Quarter<kMasked>(a, b, 3, n)};
    narrow.Store(out, kMasked ? (__mmask64{1} << n) - 1 : ~__mmask64{0}, y);
  }
};

template <bool kSigned, bool kOuter, bool kRight, bool kBroadcast>
void AddRun(size_t n, const uint8_t* a, const uint8_t* b, int32_t b_scaled, uint8_t* out, const AddRunParams& p) {
  const Step64<kSigned, kOuter, kRight, kBroadcast> step{
      SplitInputX16::Load(p.split_a), SplitInputX16::Load(p.split_b), _mm512_set1_epi32(b_scaled),
      OutputX16<kRight>::Load(p.out_high), NarrowX64<kSigned>::Load(p.out)};
  for (; n >= 64; n -= 64) {
    step.template Run<false>(a, b, out, 64);
    a += 64;
    if (!kBroadcast) b += 64;
    out += 64;
  }
  // The last 1..63 elements: masked loads (the other lanes read 0) and a masked store.
  if (n != 0) step.template Run<true>(a, b, out, n);
}

// The instantiation for the call (ForSplitForm, add-kernels.h).
template <bool kSigned, bool kBroadcast>
void Dispatch(size_t n, const uint8_t* a, const uint8_t* b, int32_t b_scaled, uint8_t* out, const AddRunParams& p) {
  ForSplitForm<kBroadcast>(p, [&](auto outer, auto right) {
    AddRun<kSigned, decltype(outer)::value, decltype(right)::value, kBroadcast>(n, a, b, b_scaled, out, p);
  });
}

}  // namespace

QINT8_ADD_DEFINE_KERNELS(avx512vnni, x64)

}  // namespace qint8
