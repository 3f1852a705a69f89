// The TRANSPOSE and MEAN kernels called directly, on every path they choose: word-wise interleave (2, 3, 4 planes)
// and its byte fallback (unaligned arrays, counts not a multiple of 4), merged dimensions with block copies; MEAN's
// 16-bit-lane sums (rows beyond 256, odd word columns), element sums, any axes, the output table and the direct
// requantization. Each equals a naive loop byte for byte.
import * as q from '../../lib/index';
import { mean, planMean, planTranspose, transpose } from '../../lib/tflite/kernels';
import { firstDifference, Gen } from '../helpers/ops';

const g = new Gen(5150);
const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** An Int8Array of `values` whose byteOffset is `offset` bytes past a 64-byte boundary. */
function placed(values: Int8Array, offset: number): Int8Array {
  const view = new Int8Array(new ArrayBuffer(values.length + 64), offset, values.length);
  view.set(values);
  return view;
}

function naiveTranspose(data: Int8Array, shape: number[], perm: number[]): Int8Array {
  const outShape = perm.map((p) => shape[p]);
  const out = new Int8Array(data.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let rest = o;
    for (let d = shape.length - 1; d >= 0; d--) {
      index[perm[d]] = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
    }
    let i = 0;
    for (let d = 0; d < shape.length; d++) i = i * shape[d] + index[d];
    out[o] = data[i];
  }
  return out;
}

describe('TRANSPOSE kernel', () => {
  const cases: Array<{ shape: number[]; perm: number[] }> = [
    // NCHW -> NHWC interleaves: 3, 4, 2 planes; counts a multiple of 4 (word path) or not (bytes); outer > 1
    { shape: [1, 3, 8, 6], perm: [0, 2, 3, 1] }, { shape: [1, 3, 5, 7], perm: [0, 2, 3, 1] }, { shape: [2, 4, 4, 3], perm: [0, 2, 3, 1] },
    { shape: [3, 2, 12], perm: [0, 2, 1] }, { shape: [4, 2, 2, 1], perm: [0, 2, 3, 1] }, { shape: [2, 3, 2, 2], perm: [0, 2, 3, 1] },
    // merged dimensions: inner runs copied as blocks (short and >= 32 elements), identity, extent-1 dimensions
    { shape: [2, 3, 5], perm: [1, 0, 2] }, { shape: [3, 4, 40], perm: [1, 0, 2] }, { shape: [2, 3, 4, 5], perm: [0, 1, 2, 3] },
    { shape: [2, 1, 3, 4, 1, 6], perm: [2, 0, 1, 3, 5, 4] }, { shape: [5, 2, 3, 7], perm: [2, 3, 0, 1] },
    // scattered writes: NHWC -> NCHW, rank 2 and 6
    { shape: [1, 6, 5, 16], perm: [0, 3, 1, 2] }, { shape: [9, 7], perm: [1, 0] }, { shape: [2, 1, 3, 2, 4, 3], perm: [5, 3, 1, 0, 4, 2] },
  ];
  it.each(cases.map((c) => [`[${c.shape}] perm [${c.perm}]`, c] as const))('%s', (_title, c) => {
    const plan = planTranspose(c.shape, c.perm);
    const data = g.int8(numel(c.shape));
    const expected = naiveTranspose(data, c.shape, c.perm);
    for (const [inOffset, outOffset] of [[0, 0], [1, 0], [0, 2], [3, 1]]) {
      const out = placed(new Int8Array(data.length).fill(99), outOffset);
      transpose(plan, placed(data, inOffset), out);
      expect(firstDifference(out, expected)).toBeNull();
    }
  });
});

/** MEAN as TFLite Micro computes it, with the public helpers: sums, the count folded into the multiplier, clamp. */
function naiveMean(data: Int8Array, shape: number[], axes: number[], inZp: number, outZp: number, ratio: number, single: boolean): Int8Array {
  const profile = single ? 'tflite-single' : 'tflite-ref';
  const { multiplier, shift } = q.quantizeMultiplier(ratio, profile);
  const count = axes.reduce((p, a) => p * shape[a], 1);
  const n = Math.min(31 - Math.clz32(count), 32, 31 + shift);
  const folded = Number((BigInt(multiplier) << BigInt(n)) / BigInt(count));
  const outStrides: number[] = [];
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    outStrides[d] = axes.includes(d) ? 0 : stride;
    if (!axes.includes(d)) stride *= shape[d];
  }
  const sums = new Array<number>(stride).fill(0);
  for (let i = 0; i < data.length; i++) {
    let rest = i;
    let o = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      o += (rest % shape[d]) * outStrides[d];
      rest = Math.floor(rest / shape[d]);
    }
    sums[o] += data[i];
  }
  return Int8Array.from(sums, (s) => Math.max(-128, Math.min(127, q.multiplyByQuantizedMultiplier(s - inZp * count, folded, shift - n, profile) + outZp)));
}

describe('MEAN kernel', () => {
  const cases: Array<{ shape: number[]; axes: number[] }> = [
    { shape: [1, 7, 7, 64], axes: [1, 2] },    // mobilenet's global pool: word lanes, table
    { shape: [2, 5, 3, 12], axes: [1, 2] },    // outer > 1, 3 word columns (an odd one left over)
    { shape: [2, 300, 8], axes: [1] },         // rows beyond 256 (two lane chunks), no table (count 300)
    { shape: [1, 4, 4, 6], axes: [1, 2] },     // inner not a multiple of 4: element sums
    { shape: [3, 4, 5], axes: [0, 2] },        // axes not consecutive
    { shape: [6, 10], axes: [0, 1] },          // everything to one value
  ];
  const params: Array<[inZp: number, outZp: number, ratio: number]> = [[-9, -9, 1], [3, -6, 2.5], [100, -100, 0.37], [-128, 127, 0.004]];
  it.each(cases.map((c) => [`[${c.shape}] over [${c.axes}]`, c] as const))('%s', (_title, c) => {
    for (const [inZp, outZp, ratio] of params) {
      for (const single of [false, true]) {
        const { multiplier, shift } = q.quantizeMultiplier(ratio, single ? 'tflite-single' : 'tflite-ref');
        const plan = planMean(c.shape, c.axes, inZp, outZp, multiplier, shift, single);
        const data = g.int8(numel(c.shape));
        const expected = naiveMean(data, c.shape, c.axes, inZp, outZp, ratio, single);
        for (const offset of [0, 1]) {
          const out = new Int8Array(expected.length).fill(99);
          mean(plan, placed(data, offset), out);
          expect(firstDifference(out, expected)).toBeNull();
        }
      }
    }
  });

  it('sums every code at the extremes exactly (the 16-bit lanes do not carry)', () => {
    for (const value of [-128, 127]) {
      const shape = [1, 256, 1, 8];
      const { multiplier, shift } = q.quantizeMultiplier(1);
      const plan = planMean(shape, [1, 2], 0, 0, multiplier, shift, false);
      const out = new Int8Array(8);
      mean(plan, placed(new Int8Array(numel(shape)).fill(value), 0), out);
      expect(Array.from(out)).toEqual(new Array<number>(8).fill(value));
    }
  });
});
