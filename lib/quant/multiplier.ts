// QuantizeMultiplier and MultiplyByQuantizedMultiplier for each profile (spec sections 3 and 4).
import type { Profile } from '../types';
import { kernels } from '../kernels';
import { finiteArg, integerArg, rangeError, typeError } from '../validate';
import { profileArg, profileId } from './profile';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A real multiplier as integer requantization parameters: real ~= multiplier * 2^(shift - 31). */
export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/**
 * TFLite's QuantizeMultiplier(real): multiplier in [2^30, 2^31) (or 0) and shift, with positive shift a left shift.
 * tflite-ref and tflite-single differ only above 2^30, where tflite-single saturates to (2^31-1, 30).
 * For xnnpack-fp32 the multiplier is the float32 scale itself and shift is 0.
 */
export function quantizeMultiplier(real: number, profile?: Profile): QuantizedMultiplier {
  const fn = 'quantizeMultiplier';
  const d = finiteArg(fn, 'real', real);
  const p = profileArg(fn, 'profile', profile);
  if (p === 'xnnpack-fp32') return { multiplier: Math.fround(d), shift: 0 };
  const [multiplier, shift] = kernels().quantizeMultiplier(d, profileId(p));
  return { multiplier, shift };
}

/**
 * MultiplyByQuantizedMultiplier(x, multiplier, shift) of a profile.
 * - tflite-ref: RoundingDivideByPOT(SRDHM(x << max(shift,0), multiplier), max(-shift,0)) (double rounding).
 * - tflite-single: (x*multiplier + 2^(30-shift)) >> (31-shift) (single rounding, half up).
 * - xnnpack-fp32: multiplier is a float32 scale, shift must be 0: round_half_even(f32(x) * scale).
 * A bigint x selects TFLite's int64 overload (|x| < 2^47, shift in [-31, 7]).
 */
export function multiplyByQuantizedMultiplier(x: number | bigint, multiplier: number, shift: number, profile?: Profile): number {
  const fn = 'multiplyByQuantizedMultiplier';
  const p = profileArg(fn, 'profile', profile);
  if (typeof x === 'bigint') {
    if (p === 'xnnpack-fp32') throw typeError(fn, 'x', 'a number (int32) for xnnpack-fp32', x);
    if (x <= -(1n << 47n) || x >= 1n << 47n) throw rangeError(fn, 'x', 'a bigint with |x| < 2^47', x);
    const m = integerArg(fn, 'multiplier', multiplier, 0, INT32_MAX);
    const s = integerArg(fn, 'shift', shift, -31, 7);
    return kernels().multiplyByQuantizedMultiplierInt64(x, m, s);
  }
  if (typeof x !== 'number') throw typeError(fn, 'x', 'a number (int32) or a bigint', x);
  const xi = integerArg(fn, 'x', x, INT32_MIN, INT32_MAX);
  if (p === 'xnnpack-fp32') {
    const scale = finiteArg(fn, 'multiplier', multiplier);
    integerArg(fn, 'shift', shift, 0, 0);
    return kernels().multiplyByFloatScale(xi, Math.fround(scale));
  }
  const m = integerArg(fn, 'multiplier', multiplier, INT32_MIN, INT32_MAX);
  const s = integerArg(fn, 'shift', shift, -31, 30);
  return kernels().multiplyByQuantizedMultiplier(xi, m, s, profileId(p));
}
