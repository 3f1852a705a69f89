// Small builders and comparisons shared by the float-operator tests (test/float).
import type { FTensor } from '../../lib/types';

/** An FTensor from a shape and plain numbers (row-major). */
export function ft(shape: number[], values: ArrayLike<number>): FTensor {
  return { shape, data: Float32Array.from(values) };
}

/** 0, 1, 2, ... as an FTensor of `shape`, each value + `offset`. */
export function iota(shape: number[], offset = 0): FTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return ft(shape, Array.from({ length: n }, (_, i) => i + offset));
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random FTensor with values uniform in [-1, 1). */
export function randomTensor(shape: number[], next: () => number): FTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return ft(shape, Array.from({ length: n }, () => next() * 2 - 1));
}

/** Element-wise |actual - expected| <= tol, with the index of the first mismatch in the failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}
