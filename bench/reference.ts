// A plain JS reference of TFLite's int8 FULLY_CONNECTED in the 'tflite-ref' profile (per-tensor weights),
// written independently of lib/ from the integer semantics, for the bench's cheap correctness check.

/** QuantizeMultiplier: d = M × 2^(shift − 31) with M a Q31 mantissa in [2^30, 2^31). */
export function quantizeMultiplierRef(d: number): { multiplier: number; shift: number } {
  if (d === 0) return { multiplier: 0, shift: 0 };
  // frexp: d = f × 2^e, f in [0.5, 1)
  let e = Math.floor(Math.log2(d)) + 1;
  let f = d / 2 ** e;
  if (f >= 1) {
    f /= 2;
    e += 1;
  } else if (f < 0.5) {
    f *= 2;
    e -= 1;
  }
  let m = Math.round(f * 2 ** 31); // exact product; positive, so round half up = away from zero
  if (m === 2 ** 31) {
    m = 2 ** 30;
    e += 1;
  }
  if (e < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: m, shift: e };
}

/** MultiplyByQuantizedMultiplier with double rounding: RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x·2^l, M), r). */
export function multiplyByQuantizedMultiplierRef(x: number, multiplier: number, shift: number): number {
  const left = Math.max(shift, 0);
  const right = Math.max(-shift, 0);
  const a = BigInt((x * 2 ** left) | 0);
  const b = BigInt(multiplier);
  if (a === -(2n ** 31n) && b === -(2n ** 31n)) return 2 ** 31 - 1;
  // floor((a·b + 2^30) / 2^31): round half toward +inf
  const high = Number((a * b + 2n ** 30n) >> 31n);
  const mask = 2 ** right - 1;
  const remainder = right === 0 ? 0 : Number(BigInt(high) & BigInt(mask));
  const threshold = Math.floor(mask / 2) + (high < 0 ? 1 : 0);
  return Math.floor(high / 2 ** right) + (remainder > threshold ? 1 : 0);
}

export interface FullyConnectedRefParams {
  M: number;
  K: number;
  N: number;
  /** int8 codes [M, K]. */
  x: Int8Array;
  /** int8 weights [N, K], zero point 0. */
  weights: Int8Array;
  bias: Int32Array | null;
  inputScale: number;
  inputZeroPoint: number;
  weightScale: number;
  outputScale: number;
  outputZeroPoint: number;
}

/** int8 output codes [M, N], activation NONE. */
export function fullyConnectedRef(p: FullyConnectedRefParams): Int8Array {
  const f = Math.fround;
  // per-tensor FULLY_CONNECTED: the scale product is rounded to float32 first, then divided in double
  const d = f(f(p.inputScale) * f(p.weightScale)) / f(p.outputScale);
  const { multiplier, shift } = quantizeMultiplierRef(d);
  const out = new Int8Array(p.M * p.N);
  for (let m = 0; m < p.M; m++) {
    for (let n = 0; n < p.N; n++) {
      let acc = 0;
      for (let k = 0; k < p.K; k++) acc += p.weights[n * p.K + k] * (p.x[m * p.K + k] - p.inputZeroPoint);
      if (p.bias) acc += p.bias[n];
      const v = multiplyByQuantizedMultiplierRef(acc | 0, multiplier, shift) + p.outputZeroPoint;
      out[m * p.N + n] = Math.min(127, Math.max(-128, v));
    }
  }
  return out;
}
