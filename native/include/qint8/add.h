// The fast ADD: per-call constants in the forms the SIMD kernels use, the kernel inventory, and the driver that
// cuts the output into contiguous runs for them. Every kernel is bit-identical to the reference Add (ops.h); the
// derivations of the 32-bit-lane forms, which the x86 kernels use, are written out below.
#ifndef QINT8_ADD_H_
#define QINT8_ADD_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qint8/fixedpoint.h"
#include "qint8/isa.h"
#include "qint8/ops.h"

namespace qint8 {

// One input's parameters as the reference reads them: scaled(q) = MBQMDouble((q + offset) << LeftShift, M, shift),
// the shifts and the sum wrapping modulo 2^32.
struct AddInputParams {
  int32_t offset;      // InputOffsetA / B (minus the zero point)
  int32_t multiplier;  // M
  int32_t shift;       // in [-31, 30]
};

// One input's scaling in the split form, for 32-bit lanes. With c = q + offset, L = LeftShift + max(shift, 0) and
// r = max(-shift, 0), the 64-bit form of MBQMDouble (the DoubleRounding comment of
// qs8-dwconv-2x32c4-minmax-avx512vnni.cc; 0 <= M < 2^31) is, when c * 2^L does not wrap,
//   scaled = floor((c * M * 2^L + K - [c < 0] * S) / 2^(31 + r)),  K = 2^30 + (r ? 2^(30 + r) : 0), S = r ? 2^31 : 0.
// For L <= 30, K and S are multiples of 2^L, which cancels: with T = 31 + r - L >= 1,
//   scaled = floor((c * M + round - [c < 0] * sign) / 2^T),  round = K / 2^L,  sign = S / 2^L.
// Splitting M = high * 2^T0 + low (T0 = min(T, 15), so low < 2^15) takes the large product out of the floor
// (c * high * 2^T0 is a multiple of 2^T0) and nests the rest (floor(floor(x / 2^a) / 2^b) = floor(x / 2^(a+b))):
//   inner  = c * low + round - [c < 0] * sign
//   scaled = floor((floor(inner / 2^T0) + c * high) / 2^(T - T0)).
// inner is one vpmaddwd (AVX2) or vpdpwssd (AVX-512 VNNI) per lane: a dword c in [-2^15, 2^15) reads as the int16
// pair (c, -[c < 0]), whose dot product with the pair (low, sign) is c * low - [c < 0] * sign. PrepareAddRun checks
// that inner and floor(inner / 2^T0) + c * high fit in int32 for every code, so the lanes never wrap.
struct AddSplitInput {
  int32_t offset;       // c = q + offset
  int32_t low_sign;     // the int16 pair (low, sign) as one dword: low in bits 0-15, sign in bits 16-31
  int32_t round;        // K / 2^L
  int32_t high;         // M >> T0
  int32_t inner_shift;  // T0 in [1, 15]
  int32_t outer_shift;  // T - T0, at most 31 (a larger shift of an int32 gives the same floor)
};

// The output's parameters as the reference reads them: out = clamp(MBQMDouble(sum, M, shift) + zero point, act_min,
// act_max), the zero point added in 64 bits; equivalently clamp(y, clamp_lo, clamp_hi) + zero point in 32 bits.
struct AddOutputParams {
  int32_t multiplier;  // M
  int32_t shift;       // in [-31, 30]
  int32_t zero_point;  // OutputOffset
  int32_t act_min, act_max;
  int32_t clamp_lo, clamp_hi;  // act_min - zero point and act_max - zero point, saturated to int32
};

// The output requantization in the x86 kernels' high-dword form. With x = sum << max(shift, 0) (wrapping),
// r = max(-shift, 0) and p = x * M, the 64-bit form (as above) is y = floor(v / 2^(31 + r)), v = p + K - [x < 0] * S.
// Doubling moves the division to a dword boundary: y = floor(floor(2v / 2^32) / 2^r), 2v = 2p + 2K - [x < 0] * 2^32.
// The unsigned product u(x) * 2M (vpmuludq; u(x) = x + 2^32 * [x < 0], 2M < 2^32) is 2p + [x < 0] * 2M * 2^32, so
// with w = u(x) * 2M + 2K modulo 2^64 and high32(w) its high dword,
//   floor(2v / 2^32) = high32(w) - [x < 0] * (2M + [r > 0])   (modulo 2^32),
// exact as an int32 when |2v| < 2^63: always for shift >= 0 (|p| < 2^62, K = 2^30), and for shift < 0 when
// |sum| <= max_abs_sum, the largest |sum| with |sum| * M + K + 2^31 < 2^62.
struct AddOutputHigh {
  uint32_t multiplier2;  // 2M
  uint64_t round2;       // 2K = 2^31 + (r ? 2^(31 + r) : 0)
  uint32_t fix;          // 2M + [r > 0], taken off the high dword of negative sums
  int32_t left, right;   // max(shift, 0) and r
  int64_t max_abs_sum;   // 2^31 when every int32 sum is exact
};

// Everything a kernel needs for one ADD call, derived once (PrepareAddRun).
struct AddRunParams {
  bool is_signed;  // both inputs int8 (codes -128..127), else both uint8 (0..255)
  int32_t left_shift;
  AddInputParams a, b;
  AddOutputParams out;
  // The x86 kernels' forms. split_form_exact: both inputs' split forms are exact for every code (above), every sum
  // of two scaled codes lies within out_high.max_abs_sum, and the clamp range lies in the inputs' byte type with a
  // zero point that lets the kernels narrow through saturating int16 packs: clamp(sat8(sat16(sat16(y) + zero
  // point))) == clamp(y + zero point) for every int32 y when H - 32766 <= zero point <= Lo + 32767, where
  // [Lo, H] = [-128, 127] or [0, 255].
  bool split_form_exact;
  AddSplitInput split_a, split_b;
  AddOutputHigh out_high;
};

// Fills *p for an ADD geometry (add_field layout) whose inputs are both int8 (is_signed) or both uint8. Always
// succeeds; p->split_form_exact tells whether the x86 kernels may run it.
void PrepareAddRun(const int32_t* geometry, bool is_signed, AddRunParams* p);

// The run kernels: out[i] for i < n (n >= 1), the bytes at a (and b) read as int8 or uint8 by the kernel's type.
// vadd: out[i] = ADD(a[i], b[i]). vaddc: b is one broadcast value whose scaled value (AddScaledInput) is
// b_scaled, so out[i] = requantize(scaled_a(a[i]) + b_scaled); a run whose *first* input is the broadcast one is
// run with the two inputs' parameters swapped (the sum is symmetric). Reads and writes exactly n bytes per array.
using AddVaddFn = void (*)(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out, const AddRunParams& p);
using AddVaddcFn = void (*)(size_t n, const uint8_t* a, int32_t b_scaled, uint8_t* out, const AddRunParams& p);

// One line of the ADD kernel inventory.
struct AddKernel {
  Isa isa;
  const char* name;        // e.g. "qs8-vadd-x64-minmax-avx512vnni": int8, 64 elements per step (and its vaddc twin)
  bool is_signed;          // int8 (qs8) or uint8 (qu8) inputs and clamp range
  bool needs_split_form;   // runs only calls with AddRunParams::split_form_exact
  AddVaddFn vadd;
  AddVaddcFn vaddc;
};

// The kernels this binary compiled (CPU support aside); the scalar reference (ops.h) has no entry.
const std::vector<AddKernel>& AddKernels();
// The kernel `isa` runs for inputs of that signedness (AVX-VNNI runs the AVX2 one, the Arm dot-product families
// the Neon one), or null: the scalar reference.
const AddKernel* AddKernelFor(Isa isa, bool is_signed);

// The kernel Add(a, b, geometry, out, isa) runs, or null when it runs the reference: inputs of different types, no
// kernel for `isa`, parameters outside the kernel's forms, or a broadcast pattern without contiguous runs (both
// inputs contiguous, or one contiguous and the other one value) of at least kAddMinRun elements.
constexpr int64_t kAddMinRun = 16;
const AddKernel* AddFastKernel(ByteTensor a, ByteTensor b, const int32_t* geometry, Isa isa);

namespace {  // internal linkage: baseline and ISA translation units each keep their own copy (fixedpoint.h)

// The reference's scaled value of one code (its ScaleInput): MBQMDouble((q + offset) << left_shift, M, shift).
inline int32_t AddScaledInput(int32_t q, const AddInputParams& in, int32_t left_shift) {
  const uint32_t value = static_cast<uint32_t>(q) + static_cast<uint32_t>(in.offset);
  return MultiplyByQuantizedMultiplierDouble(static_cast<int32_t>(value << left_shift), in.multiplier, in.shift);
}

// The split form of one code, lane by lane as the x86 kernels compute it (AddSplitInput). Returns AddScaledInput(q)
// exactly, for every code of the type, when PrepareAddRun set split_form_exact: it rounds as the reference does (the
// nested floors are the same number), and the checks keep every intermediate within int32. Unsigned arithmetic
// stands for the lanes' modulo-2^32 adds and multiplies.
inline int32_t AddScaledInputSplit(int32_t q, const AddSplitInput& s) {
  const int32_t c = static_cast<int32_t>(static_cast<uint32_t>(q) + static_cast<uint32_t>(s.offset));
  const int32_t low = static_cast<int16_t>(static_cast<uint16_t>(s.low_sign & 0xFFFF));
  const int32_t sign = s.low_sign >> 16;
  const uint32_t inner = static_cast<uint32_t>(c) * static_cast<uint32_t>(low) -
                         (c < 0 ? static_cast<uint32_t>(sign) : 0u) + static_cast<uint32_t>(s.round);
  const uint32_t y = static_cast<uint32_t>(static_cast<int32_t>(inner) >> s.inner_shift) +
                     static_cast<uint32_t>(c) * static_cast<uint32_t>(s.high);
  return static_cast<int32_t>(y) >> s.outer_shift;
}

// The output requantization in the high-dword form (AddOutputHigh), before the zero point and clamp. Returns
// MultiplyByQuantizedMultiplierDouble(sum, M, shift) exactly (SRDHM's half-up, then the shift's half-away-from-zero
// rounding) for |sum| <= o.max_abs_sum; the 64-bit sum and the high dword wrap by design (see AddOutputHigh).
inline int32_t AddRequantizeSumHigh(int32_t sum, const AddOutputHigh& o) {
  const uint32_t x = static_cast<uint32_t>(sum) << o.left;
  const uint64_t w = static_cast<uint64_t>(x) * o.multiplier2 + o.round2;
  const uint32_t high = static_cast<uint32_t>(w >> 32) - (static_cast<int32_t>(x) < 0 ? o.fix : 0u);
  return static_cast<int32_t>(high) >> o.right;
}

}  // namespace

}  // namespace qint8

#endif  // QINT8_ADD_H_
