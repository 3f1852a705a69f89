// quantizationError on known values: float and quantized (int8/uint8, per-tensor and per-axis) candidates.
import { quantizationError } from '../../lib/float';
import type { QTensor } from '../../lib/types';
import { ft } from './helpers';

describe('quantizationError', () => {
  const reference = ft([2, 2], [1, -2, 3, 0]);

  it('float candidate: max, mean and SQNR = 10·log10(Σref² / Σ(ref - x)²)', () => {
    const e = quantizationError(reference, ft([2, 2], [1, -1.5, 3.5, 0]));
    expect(e.maxAbsError).toBe(0.5);
    expect(e.meanAbsError).toBe(0.25);
    expect(e.sqnr).toBeCloseTo(10 * Math.log10(14 / 0.5), 12); // 14.4715...
  });

  it('an exact int8 tensor gives zero error and infinite SQNR', () => {
    const q: QTensor = { dtype: 'int8', shape: [2, 2], data: Int8Array.from([3, -3, 7, 1]), scale: 0.5, zeroPoint: 1 };
    expect(quantizationError(reference, q)).toEqual({ maxAbsError: 0, meanAbsError: 0, sqnr: Infinity });
  });

  it('dequantizes uint8 and per-axis tensors before comparing', () => {
    const u: QTensor = { dtype: 'uint8', shape: [4], data: Uint8Array.from([130, 124, 134, 128]), scale: 0.5, zeroPoint: 128 };
    const eu = quantizationError(ft([4], [1, -2, 3, 0]), u); // dequantized [1, -2, 3, 0]
    expect(eu.maxAbsError).toBe(0);
    // per-axis along axis 1: column scales [0.5, 0.25] → [1, -2.25, 3, 0] vs [1, -2, 3, 0]
    const p: QTensor = { dtype: 'int8', shape: [2, 2], data: Int8Array.from([2, -9, 6, 0]), scale: [0.5, 0.25], zeroPoint: [0, 0], axis: 1 };
    const ep = quantizationError(reference, p);
    expect(ep.maxAbsError).toBe(0.25);
    expect(ep.meanAbsError).toBe(0.0625);
    expect(ep.sqnr).toBeCloseTo(10 * Math.log10(14 / 0.0625), 12);
  });

  it('all-zero reference: -Infinity SQNR when not matched; empty tensors are exact', () => {
    expect(quantizationError(ft([2], [0, 0]), ft([2], [0, 1])).sqnr).toBe(-Infinity);
    expect(quantizationError(ft([0], []), ft([0], []))).toEqual({ maxAbsError: 0, meanAbsError: 0, sqnr: Infinity });
  });
});
