// Pure-TypeScript twins of native/include/qint8/fixedpoint.h, exact for every int32 input.
// 64-bit products are formed from 16-bit limbs so that every intermediate double is an exact integer.

// Math's functions bound once: hot loops then avoid a global lookup per call (costly in vm contexts such as jest).
const { abs: mathAbs, floor: mathFloor, fround: mathFround, round: mathRound, sign: mathSign, trunc: mathTrunc } = Math;

const TWO_16 = 65536;
const TWO_31 = 2147483648;
const TWO_32 = 4294967296;
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** a*b as an exact pair: hi * 2^32 + lo with lo in [0, 2^32). Inputs are int32. */
function mul64(a: number, b: number, out: Float64Array): void {
  const ah = a >> 16;
  const al = a & 0xffff;
  const bh = b >> 16;
  const bl = b & 0xffff;
  const t = (ah * bl + al * bh) * TWO_16 + al * bl; // |t| < 2^50: exact
  const carry = mathFloor(t / TWO_32);
  out[0] = ah * bh + carry;
  out[1] = t - carry * TWO_32;
}
const scratch = new Float64Array(2);

/**
 * SaturatingRoundingDoublingHighMul(a, b): floor((a*b + 2^30) / 2^31), half rounded toward +infinity.
 * The one overflow case, a == b == INT32_MIN, saturates to INT32_MAX. Equals ARM SQRDMULH.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ah = a >> 16;
  const al = a & 0xffff;
  const bh = b >> 16;
  const bl = b & 0xffff;
  // a*b = ah*bh*2^32 + mid*2^16 + al*bl; the part below 2^32 stays exact (< 2^50).
  const low = (ah * bl + al * bh) * TWO_16 + al * bl + 1073741824;
  return (2 * ah * bh + mathFloor(low / TWO_31)) | 0;
}

/** RoundingDivideByPOT(x, n), 0 <= n <= 31: x / 2^n rounded half away from zero. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = exponent === 0 ? 0 : 0xffffffff >>> (32 - exponent);
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** tflite-ref MultiplyByQuantizedMultiplier: RDBPOT(SRDHM(x << max(shift,0), M), max(-shift,0)); the left shift wraps. */
export function multiplyByQuantizedMultiplierDouble(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x << left, multiplier), right);
}

/** tflite-single MultiplyByQuantizedMultiplier: (x*M + 2^(30-shift)) >> (31-shift) in int64, wrapped to int32. */
export function multiplyByQuantizedMultiplierSingle(x: number, multiplier: number, shift: number): number {
  const totalShift = 31 - shift; // 1..62
  mul64(x, multiplier, scratch);
  let hi = scratch[0];
  let lo = scratch[1];
  // add the rounding term 2^(totalShift-1)
  if (totalShift - 1 < 32) {
    lo += 2 ** (totalShift - 1);
    if (lo >= TWO_32) {
      lo -= TWO_32;
      hi += 1;
    }
  } else {
    hi += 2 ** (totalShift - 33);
  }
  if (totalShift >= 32) return mathFloor(hi / 2 ** (totalShift - 32)) | 0;
  // floor((hi*2^32 + lo) / 2^ts) mod 2^32 = (hi mod 2^ts) * 2^(32-ts) + floor(lo / 2^ts)
  const p = 2 ** totalShift;
  const hiMod = ((hi % p) + p) % p;
  return (hiMod * 2 ** (32 - totalShift) + mathFloor(lo / p)) | 0;
}

/** Round half away from zero (C std::round), exact for every double. */
export function roundHalfAway(v: number): number {
  const t = mathTrunc(v);
  return (mathAbs(v - t) >= 0.5 ? t + mathSign(v) : t) + 0; // + 0 turns -0 into 0
}

/** Round half to even (IEEE default, cvtps2dq / vcvtnq), exact for every double. */
export function roundHalfEven(v: number): number {
  const r = mathRound(v); // half toward +infinity
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** xnnpack-fp32: round_half_even(f32(f32(x) * scale)) saturated to int32; scale is a float32. */
export function multiplyByFloatScale(x: number, scale: number): number {
  const y = mathFround(mathFround(x) * scale);
  if (!(y > -TWO_31)) return INT32_MIN;
  if (y >= TWO_31) return INT32_MAX;
  return roundHalfEven(y) | 0;
}

/**
 * The int64-input overload (TFLite 16x8 paths, same in both rounding builds): the multiplier is reduced to
 * 16 bits, then one rounding half up by 2^(15-shift). |x| < 2^47, shift in [-31, 7]; wrapped to int32.
 */
export function multiplyByQuantizedMultiplierInt64(x: bigint, multiplier: number, shift: number): number {
  const reduced = multiplier < 0x7fff0000 ? (multiplier + 32768) >> 16 : 0x7fff;
  const totalShift = BigInt(15 - shift);
  const rounded = x * BigInt(reduced) + (1n << (totalShift - 1n));
  return Number(BigInt.asIntN(32, rounded >> totalShift));
}

/** TFLite QuantizeMultiplier(d) for a finite d: [multiplier, shift] with d ~= multiplier * 2^(shift-31). */
export function quantizeMultiplier(d: number, single: boolean): [number, number] {
  if (d === 0) return [0, 0];
  let [fraction, exponent] = frexp(d);
  let fixed = roundHalfAway(fraction * TWO_31);
  if (fixed === TWO_31) {
    fixed /= 2;
    exponent += 1;
  }
  if (exponent < -31) {
    exponent = 0;
    fixed = 0;
  }
  if (single && exponent > 30) {
    exponent = 30;
    fixed = INT32_MAX;
  }
  return [fixed, exponent];
}

const frexpView = new DataView(new ArrayBuffer(8));

/** C frexp for a finite non-zero double: [f, e] with d = f * 2^e and |f| in [0.5, 1). */
export function frexp(d: number): [number, number] {
  frexpView.setFloat64(0, d);
  let biased = (frexpView.getUint16(0) >>> 4) & 0x7ff;
  let scaled = d;
  let bias = 0;
  if (biased === 0) {
    // subnormal: scale into the normal range first (exact)
    scaled = d * 2 ** 64;
    bias = 64;
    frexpView.setFloat64(0, scaled);
    biased = (frexpView.getUint16(0) >>> 4) & 0x7ff;
  }
  const e = biased - 1022;
  return [scaled * 2 ** -e, e - bias]; // 2^-e is exact even where 2^e would overflow
}
