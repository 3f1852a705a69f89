// float.fullyConnected, float.maxPool2d / averagePool2d, float.add and float.softmax: hand-computed cases
// (FC with a rank-4 input, in-bounds-only averaging, broadcasting up to rank 6, softmax rows and beta).
import { float } from '../../lib/float';
import { expectClose, ft, iota, randomTensor, rng } from './helpers';

describe('float.fullyConnected', () => {
  it('flattens a rank-4 input to [numel/K, K]', () => {
    const x = iota([2, 1, 2, 2], 1); // rows [1,2] [3,4] [5,6] [7,8] for K = 2
    const w = ft([3, 2], [1, 0, 0, 1, 1, 1]);
    const y = float.fullyConnected(x, w, Float32Array.from([0, 0, -10]));
    expect(y.shape).toEqual([4, 3]);
    expect(Array.from(y.data)).toEqual([1, 2, -7, 3, 4, -3, 5, 6, 1, 7, 8, 5]);
    const k4 = float.fullyConnected(x, ft([1, 4], [1, 1, 1, 1]), null);
    expect(k4.shape).toEqual([2, 1]);
    expect(Array.from(k4.data)).toEqual([10, 26]);
  });

  it('applies the fused activation after the bias', () => {
    const x = ft([1, 3], [1, 2, 3]);
    const w = ft([4, 3], [1, 1, 1, -1, -1, -1, 0.1, 0, 0, 0, 0, -0.5]);
    expectClose(float.fullyConnected(x, w, null, { activation: 'RELU' }).data, [6, 0, 0.1, 0]);
    expectClose(float.fullyConnected(x, w, null, { activation: 'RELU6' }).data, [6, 0, 0.1, 0]);
    expectClose(float.fullyConnected(x, w, Float32Array.from([1, 0, 0, 0]), { activation: 'RELU6' }).data, [6, 0, 0.1, 0]);
    expectClose(float.fullyConnected(x, w, null, { activation: 'RELU_N1_TO_1' }).data, [1, -1, 0.1, -1]);
  });
});

describe('float.maxPool2d and float.averagePool2d', () => {
  const x = iota([1, 3, 3, 1], 1); // 1..9

  it('2x2 stride 2 SAME: the odd padding goes after; the average counts in-bounds taps only', () => {
    const opts = { filter: [2, 2] as [number, number], strides: [2, 2] as [number, number], padding: 'SAME' as const };
    const mx = float.maxPool2d(x, opts);
    expect(mx.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(mx.data)).toEqual([5, 6, 8, 9]);
    expect(Array.from(float.averagePool2d(x, opts).data)).toEqual([3, 4.5, 7.5, 9]);
  });

  it('3x3 stride 1 SAME pads 1 on each side; VALID gives the one full window', () => {
    const avg = float.averagePool2d(x, { filter: [3, 3], padding: 'SAME' });
    expect(Array.from(avg.data)).toEqual([3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7]);
    const valid = float.averagePool2d(x, { filter: [3, 3] });
    expect(valid.shape).toEqual([1, 1, 1, 1]);
    expect(Array.from(valid.data)).toEqual([5]);
  });

  it('max over negative values (no implicit zero padding) and per-channel', () => {
    const neg = ft([1, 2, 2, 2], [-5, 1, -3, 2, -4, 3, -6, 4]);
    const mx = float.maxPool2d(neg, { filter: [3, 3], padding: 'SAME' });
    expect(mx.shape).toEqual([1, 2, 2, 2]);
    expect(Array.from(mx.data)).toEqual([-3, 4, -3, 4, -3, 4, -3, 4]);
  });

  it('stride larger than the filter and fused activations', () => {
    const row = ft([1, 1, 7, 1], [-3, 9, 2, 8, -1, 7, 0.5]);
    const mx = float.maxPool2d(row, { filter: [1, 2], strides: [1, 3] });
    expect(Array.from(mx.data)).toEqual([9, 8]); // trunc((7 - 2 + 3) / 3) = 2 windows: [0,1], [3,4]
    expect(Array.from(float.maxPool2d(row, { filter: [1, 2], strides: [1, 3], activation: 'RELU6' }).data)).toEqual([6, 6]);
    const av = float.averagePool2d(row, { filter: [1, 1], strides: [1, 3], activation: 'RELU' });
    expect(Array.from(av.data)).toEqual([0, 8, 0.5]);
    const n1 = float.averagePool2d(row, { filter: [1, 1], strides: [1, 3], activation: 'RELU_N1_TO_1' });
    expect(Array.from(n1.data)).toEqual([-1, 1, 0.5]);
  });
});

describe('float.add', () => {
  it('same shapes, and a trailing vector broadcast over rows', () => {
    expect(Array.from(float.add(ft([2], [1, 2]), ft([2], [0.5, -2])).data)).toEqual([1.5, 0]);
    const y = float.add(iota([2, 3], 1), ft([3], [10, 20, 30]));
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data)).toEqual([11, 22, 33, 14, 25, 36]);
  });

  it('both sides broadcast ([2,1] + [1,3]) and a rank-0 scalar', () => {
    const y = float.add(ft([2, 1], [1, 2]), ft([1, 3], [10, 20, 30]));
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data)).toEqual([11, 21, 31, 12, 22, 32]);
    const s = float.add(ft([], [100]), iota([2, 2]));
    expect(s.shape).toEqual([2, 2]);
    expect(Array.from(s.data)).toEqual([100, 101, 102, 103]);
  });

  it('rank 6 against a numpy-style reference', () => {
    const next = rng(7);
    const a = randomTensor([2, 1, 3, 1, 2, 1], next);
    const b = randomTensor([1, 4, 3, 2, 1, 3], next);
    const y = float.add(a, b);
    expect(y.shape).toEqual([2, 4, 3, 2, 2, 3]);
    const expected: number[] = [];
    for (let i0 = 0; i0 < 2; i0++) for (let i1 = 0; i1 < 4; i1++) for (let i2 = 0; i2 < 3; i2++)
      for (let i3 = 0; i3 < 2; i3++) for (let i4 = 0; i4 < 2; i4++) for (let i5 = 0; i5 < 3; i5++) {
        const av = a.data[((i0 * 3 + i2) * 2 + i4)];
        const bv = b.data[(((i1 * 3 + i2) * 2 + i3) * 3 + i5)];
        expected.push(Math.fround(av + bv));
      }
    expect(Array.from(y.data)).toEqual(expected);
  });

  it('fused activations', () => {
    const a = ft([4], [-2, 0.5, 3, 10]);
    const z = ft([1], [0]);
    expect(Array.from(float.add(a, z, { activation: 'RELU' }).data)).toEqual([0, 0.5, 3, 10]);
    expect(Array.from(float.add(a, z, { activation: 'RELU6' }).data)).toEqual([0, 0.5, 3, 6]);
    expect(Array.from(float.add(a, z, { activation: 'RELU_N1_TO_1' }).data)).toEqual([-1, 0.5, 1, 1]);
  });

  it('zero-size dimensions broadcast against 1', () => {
    const y = float.add(ft([0, 3], []), ft([1, 3], [1, 2, 3]));
    expect(y.shape).toEqual([0, 3]);
    expect(y.data.length).toBe(0);
  });
});

describe('float.softmax', () => {
  it('rows sum to 1 and large inputs do not overflow', () => {
    const y = float.softmax(ft([3, 3], [1, 2, 3, 1000, 1001, 1002, -1e30, 0, -1e30]));
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const sum = e[0] + e[1] + e[2];
    expectClose(y.data.subarray(0, 3), e.map((v) => v / sum), 1e-7);
    expectClose(y.data.subarray(3, 6), e.map((v) => v / sum), 1e-7);
    expect(Array.from(y.data.subarray(6))).toEqual([0, 1, 0]);
    for (let r = 0; r < 3; r++) expect(y.data[3 * r] + y.data[3 * r + 1] + y.data[3 * r + 2]).toBeCloseTo(1, 6);
  });

  it('beta scales the logits', () => {
    const y = float.softmax(ft([1, 2], [0, 2]), { beta: 0.5 });
    expectClose(y.data, [Math.exp(-1) / (1 + Math.exp(-1)), 1 / (1 + Math.exp(-1))], 1e-7);
    const sharp = float.softmax(ft([2], [0, 2]), { beta: 2 });
    expectClose(sharp.data, [1 / (1 + Math.exp(4)), Math.exp(4) / (1 + Math.exp(4))], 1e-7);
  });

  it('runs over the last axis of any rank; a one-element row is 1', () => {
    const y = float.softmax(ft([2, 1, 2], [0, 0, 5, 5]));
    expect(y.shape).toEqual([2, 1, 2]);
    expect(Array.from(y.data)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(float.softmax(ft([3, 1], [-7, 0, 7])).data)).toEqual([1, 1, 1]);
    expect(float.softmax(ft([2, 0], [])).data.length).toBe(0);
  });
});
