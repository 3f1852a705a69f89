// ADD runs of int8 or uint8 with AArch64 Advanced SIMD, 16 elements per step, bit-identical to the reference Add
// for every parameter it accepts: the reference's own operations lane by lane (wrapping adds and shifts, SQRDMULH,
// gemmlowp's rounding shift, fixedpoint-neon.h), then the zero point and clamp. Compiled with the neon family's flags.
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "add-kernels.h"
#include "qint8/fixedpoint-neon.h"

#define QINT8_ADD_INLINE inline __attribute__((always_inline))

namespace qint8 {
namespace {

// 16 codes (the bytes at p) widened to four int32x4.
struct Codes {
  int32x4_t v[4];
};
template <bool kSigned>
QINT8_ADD_INLINE Codes LoadCodes(const uint8_t* p) {
  int16x8_t lo, hi;
  if (kSigned) {
    const int8x16_t bytes = vld1q_s8(reinterpret_cast<const int8_t*>(p));
    lo = vmovl_s8(vget_low_s8(bytes));
    hi = vmovl_high_s8(bytes);
  } else {
    const uint8x16_t bytes = vld1q_u8(p);
    lo = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(bytes)));
    hi = vreinterpretq_s16_u16(vmovl_high_u8(bytes));
  }
  return Codes{{vmovl_s16(vget_low_s16(lo)), vmovl_high_s16(lo), vmovl_s16(vget_low_s16(hi)), vmovl_high_s16(hi)}};
}

// MultiplyByQuantizedMultiplierDouble with one (multiplier, shift) for all lanes: SSHL (wraps), SQRDMULH (the
// scalar SRDHM exactly, saturation included), RoundingDivideByPOT.
struct RequantX4 {
  int32x4_t multiplier, left, neg_right;

  static RequantX4 Load(int32_t multiplier, int32_t shift) {
    return RequantX4{vdupq_n_s32(multiplier), vdupq_n_s32(shift > 0 ? shift : 0), vdupq_n_s32(shift < 0 ? shift : 0)};
  }
  QINT8_ADD_INLINE int32x4_t Apply(int32x4_t x) const {
    const int32x4_t high = neon::SaturatingRoundingDoublingHighMul(vshlq_s32(x, left), multiplier);
    return neon::RoundingDivideByPOT(high, neg_right);
  }
};

// One input's scaling (AddScaledInput): (q + offset) << LeftShift, both wrapping, then its requantization.
struct InputX4 {
  int32x4_t offset, left_shift;
  RequantX4 requant;

  static InputX4 Load(const AddInputParams& in, int32_t left_shift) {
    return InputX4{vdupq_n_s32(in.offset), vdupq_n_s32(left_shift), RequantX4::Load(in.multiplier, in.shift)};
  }
  QINT8_ADD_INLINE int32x4_t Apply(int32x4_t q) const {
    return requant.Apply(vshlq_s32(vaddq_s32(q, offset), left_shift));
  }
};

// clamp(y + zero point, act_min, act_max) as clamp(y, clamp_lo, clamp_hi) + zero point (never overflows), then the
// low byte of each lane (XTN twice), 16 lanes.
struct NarrowX16 {
  int32x4_t lo, hi, zero_point;

  static NarrowX16 Load(const AddOutputParams& o) {
    return NarrowX16{vdupq_n_s32(o.clamp_lo), vdupq_n_s32(o.clamp_hi), vdupq_n_s32(o.zero_point)};
  }
  QINT8_ADD_INLINE int16x4_t Clamp(int32x4_t y) const {
    return vmovn_s32(vaddq_s32(vminq_s32(vmaxq_s32(y, lo), hi), zero_point));
  }
  QINT8_ADD_INLINE void Store(uint8_t* out, const int32x4_t (&y)[4]) const {
    const int16x8_t w01 = vcombine_s16(Clamp(y[0]), Clamp(y[1]));
    const int16x8_t w23 = vcombine_s16(Clamp(y[2]), Clamp(y[3]));
    vst1q_u8(out, vreinterpretq_u8_s8(vcombine_s8(vmovn_s16(w01), vmovn_s16(w23))));
  }
};

// kBroadcast: b is one value, b_scaled (vaddc); else b is a run like a (vadd).
template <bool kSigned, bool kBroadcast>
void AddRun(size_t n, const uint8_t* a, const uint8_t* b, int32_t b_scaled, uint8_t* out, const AddRunParams& p) {
  const InputX4 in_a = InputX4::Load(p.a, p.left_shift), in_b = InputX4::Load(p.b, p.left_shift);
  const RequantX4 requant = RequantX4::Load(p.out.multiplier, p.out.shift);
  const NarrowX16 narrow = NarrowX16::Load(p.out);
  const int32x4_t b_value = vdupq_n_s32(b_scaled);
  // 16 elements from a (and b) to out.
  auto step = [&](const uint8_t* sa, const uint8_t* sb, uint8_t* dst) {
    const Codes qa = LoadCodes<kSigned>(sa);
    Codes qb{};
    if (!kBroadcast) qb = LoadCodes<kSigned>(sb);
    int32x4_t y[4];
    for (int j = 0; j < 4; ++j) {
      const int32x4_t scaled_b = kBroadcast ? b_value : in_b.Apply(qb.v[j]);
      y[j] = requant.Apply(vaddq_s32(in_a.Apply(qa.v[j]), scaled_b));
    }
    narrow.Store(dst, y);
  };
  for (; n >= 16; n -= 16) {
    step(a, b, out);
    a += 16;
    if (!kBroadcast) b += 16;
    out += 16;
  }
  if (n != 0) {  // the last 1..15 elements through 16-byte copies
    uint8_t tail_a[16] = {}, tail_b[16] = {}, tail_out[16];
    std::memcpy(tail_a, a, n);
    if (!kBroadcast) std::memcpy(tail_b, b, n);
    step(tail_a, tail_b, tail_out);
    std::memcpy(out, tail_out, n);
  }
}

}  // namespace

void qs8_vadd_x16_minmax_neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out, const AddRunParams& p) {
  AddRun<true, false>(n, a, b, 0, out, p);
}
void qs8_vaddc_x16_minmax_neon(size_t n, const uint8_t* a, int32_t b_scaled, uint8_t* out, const AddRunParams& p) {
  AddRun<true, true>(n, a, nullptr, b_scaled, out, p);
}
void qu8_vadd_x16_minmax_neon(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out, const AddRunParams& p) {
  AddRun<false, false>(n, a, b, 0, out, p);
}
void qu8_vaddc_x16_minmax_neon(size_t n, const uint8_t* a, int32_t b_scaled, uint8_t* out, const AddRunParams& p) {
  AddRun<false, true>(n, a, nullptr, b_scaled, out, p);
}

}  // namespace qint8
