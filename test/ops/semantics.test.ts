// TFLite semantics pinned by hand-checked examples and identities (spec sections 5.1-5.4), on every backend:
// the FC worked example, zero-point padding, in-bounds-only pooling, int32 wrap, ADD identity, softmax of a flat row.
import * as q from '../../lib/index';
import type { QTensor } from '../../lib/types';
import { onBackend } from '../helpers/backends';
import { describeOpBackends, firstDifference, Gen } from '../helpers/ops';

function int8(shape: number[], data: number[] | Int8Array, scale: number, zeroPoint: number): QTensor {
  return { dtype: 'int8', shape, data: Int8Array.from(data), scale, zeroPoint };
}

describeOpBackends('operator semantics', (_name, k) => {
  const run = <T>(fn: () => T): T => onBackend(k, fn);

  it('spec 5.4 worked example: accumulator 5140, output 15', () => {
    const x = int8([1, 4], [20, -10, 100, -128], 0.02, -10);
    const w = int8([1, 4], [127, -64, 3, 0], 0.005, 0);
    const bias = Int32Array.of(1000);
    expect(Array.from(run(() => q.fullyConnected(x, w, bias, null)))).toEqual([5140]);
    expect(Array.from(run(() => q.fullyConnected(x, w, bias, { scale: 0.05, zeroPoint: 5 })).data)).toEqual([15]);
  });

  it('int32 accumulation wraps in two\'s complement', () => {
    const x = int8([1, 2], [100, 100], 0.1, 0);
    const w = int8([1, 2], [100, 100], 0.1, 0);
    const bias = Int32Array.of(2147483647 - 10000);
    expect(Array.from(run(() => q.fullyConnected(x, w, bias, null)))).toEqual([(2147483647 - 10000 + 20000) | 0]);
  });

  it('SAME padding equals VALID on an input padded with the zero point (spec 5.2 step 3)', () => {
    const g = new Gen(8);
    const zIn = 17;
    const x = int8([1, 5, 6, 3], g.int8(90), 0.05, zIn);
    const filter = { ...int8([4, 3, 4, 3], g.int8(144, -127, 127), 0.01, 0) };
    const out = { scale: 0.1, zeroPoint: -3 };
    const same = run(() => q.conv2d(x, filter, null, out, { padding: 'SAME' }));
    // SAME: out 5x6; height total 2 (1 before, 1 after), width total 3 (1 before, 2 after)
    const padded = new Int8Array(1 * 7 * 9 * 3).fill(zIn);
    for (let y = 0; y < 5; y++) for (let xx = 0; xx < 6; xx++) for (let c = 0; c < 3; c++) padded[((y + 1) * 9 + xx + 1) * 3 + c] = x.data[(y * 6 + xx) * 3 + c];
    const valid = run(() => q.conv2d({ ...x, shape: [1, 7, 9, 3], data: padded }, filter, null, out, { padding: 'VALID' }));
    expect(same.shape).toEqual([1, 5, 6, 4]);
    expect(firstDifference(same.data, valid.data)).toBeNull();
  });

  it('depthwise with multiplier 1 equals a conv with one group per channel', () => {
    const g = new Gen(9);
    const x = int8([2, 6, 5, 3], g.int8(180), 0.03, 4);
    const dwData = g.int8(2 * 3 * 3, -127, 127); // [1, 2, 3, C=3]
    const convData = new Int8Array(18); // [C=3, 2, 3, 1]
    for (let t = 0; t < 6; t++) for (let c = 0; c < 3; c++) convData[c * 6 + t] = dwData[t * 3 + c];
    const scales = [0.01, 0.02, 0.005];
    const bias = Int32Array.of(100, -200, 300);
    const out = { scale: 0.04, zeroPoint: 2 };
    const opts = { strides: [2, 1] as [number, number], padding: 'SAME' as const, activation: 'RELU' as const };
    const dw = run(() => q.depthwiseConv2d(x, { dtype: 'int8', shape: [1, 2, 3, 3], data: dwData, scale: scales, zeroPoint: [0, 0, 0], axis: 3 }, bias, out, opts));
    const conv = run(() => q.conv2d(x, { dtype: 'int8', shape: [3, 2, 3, 1], data: convData, scale: scales, zeroPoint: [0, 0, 0], axis: 0 }, bias, out, opts));
    expect(firstDifference(dw.data, conv.data)).toBeNull();
  });

  it('average pool divides by the in-bounds taps and rounds half away from zero', () => {
    expect(Array.from(run(() => q.averagePool2d(int8([1, 1, 2, 1], [-1, -2], 0.1, 0), { filter: [1, 2] })).data)).toEqual([-2]);
    expect(Array.from(run(() => q.averagePool2d(int8([1, 1, 2, 1], [1, 2], 0.1, 0), { filter: [1, 2] })).data)).toEqual([2]);
    const flat = int8([1, 2, 2, 1], [10, 10, 10, 10], 0.1, -128);
    expect(Array.from(run(() => q.averagePool2d(flat, { filter: [3, 3], padding: 'SAME' })).data)).toEqual([10, 10, 10, 10]);
  });

  it('max pool never takes a padded position', () => {
    const low = int8([1, 2, 2, 1], [-128, -128, -128, -128], 0.1, 0);
    expect(Array.from(run(() => q.maxPool2d(low, { filter: [3, 3], padding: 'SAME' })).data)).toEqual([-128, -128, -128, -128]);
  });

  it('ADD of a zero tensor with the output parameters of a is the identity', () => {
    const g = new Gen(10);
    const a = int8([2, 3, 4], g.int8(24), 0.07, -9);
    const zero = int8([4], [-9, -9, -9, -9], 0.07, -9);
    expect(firstDifference(run(() => q.add(a, zero, { scale: 0.07, zeroPoint: -9 })).data, a.data)).toBeNull();
  });

  it('softmax of a flat row gives 1/depth', () => {
    const flat = int8([2, 4], [5, 5, 5, 5, -3, -3, -3, -3], 0.1, 0);
    expect(Array.from(run(() => q.softmax(flat)).data)).toEqual([-64, -64, -64, -64, -64, -64, -64, -64]);
  });
});
