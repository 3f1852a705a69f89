// Property tests of the fixed-point functions against an exact BigInt model, on every backend, with the
// edge values biased in: INT32_MIN/MAX, ties of both signs, every shift.
import fc from 'fast-check';
import { multiplyByQuantizedMultiplier } from '../../lib';
import { roundingDivideByPOT, saturatingRoundingDoublingHighMul } from '../../lib/js/fixedpoint';
import { BACKENDS, onBackend } from '../helpers/backends';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const wrap32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
};

/** SRDHM: floor((a*b + 2^30) / 2^31), saturating the one overflow. */
function srdhmModel(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  return Number(floorDiv(BigInt(a) * BigInt(b) + (1n << 30n), 1n << 31n));
}
/** x / 2^n rounded half away from zero. */
function rdbpotModel(x: number, n: number): number {
  const d = 1n << BigInt(n);
  const m = BigInt(Math.abs(x));
  const q = (2n * m + d) / (2n * d);
  return Number(x < 0 ? -q : q);
}
function doubleModel(x: number, m: number, shift: number): number {
  const shifted = wrap32(BigInt(x) << BigInt(Math.max(shift, 0)));
  return rdbpotModel(srdhmModel(shifted, m), Math.max(-shift, 0));
}
function singleModel(x: number, m: number, shift: number): number {
  const total = BigInt(31 - shift);
  return wrap32(floorDiv(BigInt(x) * BigInt(m) + (1n << (total - 1n)), 1n << total));
}

const int32 = fc.oneof(
  fc.integer({ min: INT32_MIN, max: INT32_MAX }),
  fc.constantFrom(INT32_MIN, INT32_MIN + 1, -65536, -32769, -32768, -2, -1, 0, 1, 2, 32767, 65536, INT32_MAX - 1, INT32_MAX),
  fc.integer({ min: -300000, max: 300000 }),
);
const multiplier = fc.oneof(fc.integer({ min: 1 << 30, max: INT32_MAX }), fc.constantFrom(0, 1 << 30, INT32_MAX, INT32_MIN), fc.integer({ min: INT32_MIN, max: -(1 << 30) }));
const runs = { numRuns: 20000 };

describe('SaturatingRoundingDoublingHighMul (TypeScript) equals the BigInt model', () => {
  it('for all int32 pairs', () => {
    fc.assert(fc.property(int32, int32, (a, b) => saturatingRoundingDoublingHighMul(a, b) === srdhmModel(a, b)), runs);
  });
  it('at INT32_MIN and at ties of both signs', () => {
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    expect(saturatingRoundingDoublingHighMul(1, 1 << 30)).toBe(1); // +0.5 -> 1
    expect(saturatingRoundingDoublingHighMul(-1, 1 << 30)).toBe(0); // -0.5 -> 0
    expect(saturatingRoundingDoublingHighMul(-3, 1 << 30)).toBe(-1); // -1.5 -> -1
  });
});

describe('RoundingDivideByPOT (TypeScript) equals the BigInt model', () => {
  it('for every exponent', () => {
    fc.assert(fc.property(int32, fc.integer({ min: 0, max: 31 }), (x, n) => roundingDivideByPOT(x, n) === rdbpotModel(x, n)), runs);
  });
  it('at ties of both signs', () => {
    expect([roundingDivideByPOT(5, 1), roundingDivideByPOT(-5, 1), roundingDivideByPOT(6, 2), roundingDivideByPOT(-6, 2)]).toEqual([3, -3, 2, -2]);
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
  });
});

for (const [name, kernels] of BACKENDS) {
  describe(`multiplyByQuantizedMultiplier (${name}) equals the BigInt model`, () => {
    it('tflite-ref (double rounding), including left shifts that wrap', () => {
      onBackend(kernels, () => fc.assert(fc.property(int32, multiplier, fc.integer({ min: -31, max: 30 }),
        (x, m, s) => multiplyByQuantizedMultiplier(x, m, s, 'tflite-ref') === doubleModel(x, m, s)), runs));
    });
    it('tflite-single (single rounding)', () => {
      onBackend(kernels, () => fc.assert(fc.property(int32, multiplier, fc.integer({ min: -31, max: 30 }),
        (x, m, s) => multiplyByQuantizedMultiplier(x, m, s, 'tflite-single') === singleModel(x, m, s)), runs));
    });
    it('the spec 4.5 table (M = 2^30, shift -1)', () => {
      onBackend(kernels, () => {
        const row = (p: 'tflite-ref' | 'tflite-single') => [1, -2, -3, 2].map((x) => multiplyByQuantizedMultiplier(x, 1 << 30, -1, p));
        expect(row('tflite-ref')).toEqual([1, -1, -1, 1]);
        expect(row('tflite-single')).toEqual([0, 0, -1, 1]);
      });
    });
    it('xnnpack-fp32 rounds f32(x)*scale half to even', () => {
      onBackend(kernels, () => {
        expect([5, 7, -5, -7, 3].map((x) => multiplyByQuantizedMultiplier(x, 0.5, 0, 'xnnpack-fp32'))).toEqual([2, 4, -2, -4, 2]);
        fc.assert(fc.property(fc.integer({ min: -(2 ** 24), max: 2 ** 24 }), fc.float({ min: Math.fround(1e-6), max: 100, noNaN: true }), (x, s) => {
          const y = Math.fround(x * Math.fround(s));
          const r = Math.round(y);
          const even = r - y === 0.5 && r % 2 !== 0 ? r - 1 : r;
          return multiplyByQuantizedMultiplier(x, s, 0, 'xnnpack-fp32') === even + 0;
        }), { numRuns: 5000 });
      });
    });
  });
}
