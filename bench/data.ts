// Deterministic test data for the benchmarks (the same seed gives the same tensors on every machine),
// and the uint8 twins of int8 codes that onnxruntime's fast path takes.

/** xorshift32: a small, fast, deterministic generator; returns uniform integers in [lo, hi]. */
function generator(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return (lo, hi) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return lo + (s % (hi - lo + 1));
  };
}

export function randomInt8(n: number, seed: number, lo = -128, hi = 127): Int8Array {
  const next = generator(seed);
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = next(lo, hi);
  return out;
}

export function randomInt32(n: number, seed: number, lo: number, hi: number): Int32Array {
  const next = generator(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = next(lo, hi);
  return out;
}

/** The uint8 codes of the same real values: q_u8 = q_i8 + 128 (zero point + 128 as well). */
export function toUint8Codes(x: Int8Array): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] + 128;
  return out;
}
