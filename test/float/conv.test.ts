// float.conv2d and float.depthwiseConv2d: hand-computed cases (SAME with odd totals, dilation, stride > kernel,
// groups, depth multiplier 3, activations) and a random grid against an explicitly zero-padded reference.
import { float } from '../../lib/float';
import type { FTensor } from '../../lib/types';
import { expectClose, ft, iota, randomTensor, rng } from './helpers';

describe('float.conv2d', () => {
  it('SAME with an odd total pads the extra row and column after (3x3 input, 2x2 kernel)', () => {
    const x = iota([1, 3, 3, 1], 1); // 1..9
    const y = float.conv2d(x, ft([1, 2, 2, 1], [1, 1, 1, 1]), null, { padding: 'SAME' });
    expect(y.shape).toEqual([1, 3, 3, 1]);
    expect(Array.from(y.data)).toEqual([12, 16, 9, 24, 28, 15, 15, 17, 9]);
  });

  it('SAME, in 7, k 4: pad 1 before and 2 after', () => {
    const y = float.conv2d(iota([1, 1, 7, 1], 1), ft([1, 1, 4, 1], [1, 1, 1, 1]), null, { padding: 'SAME' });
    expect(y.shape).toEqual([1, 1, 7, 1]);
    expect(Array.from(y.data)).toEqual([6, 10, 14, 18, 22, 18, 13]);
  });

  it('dilation 2 (in 5, k 3): SAME pads 2 and 2, VALID keeps one output', () => {
    const x = iota([1, 1, 5, 1], 1);
    const w = ft([1, 1, 3, 1], [1, 10, 100]);
    const same = float.conv2d(x, w, null, { padding: 'SAME', dilations: [1, 2] });
    expect(Array.from(same.data)).toEqual([310, 420, 531, 42, 53]);
    const valid = float.conv2d(x, w, null, { dilations: [1, 2] });
    expect(valid.shape).toEqual([1, 1, 1, 1]);
    expect(Array.from(valid.data)).toEqual([531]);
  });

  it('stride larger than the kernel skips inputs; SAME pads the last window after', () => {
    const x = iota([1, 1, 7, 1], 1);
    const v = float.conv2d(x, ft([1, 1, 1, 1], [2]), null, { strides: [1, 3] });
    expect(v.shape).toEqual([1, 1, 3, 1]);
    expect(Array.from(v.data)).toEqual([2, 8, 14]);
    const s = float.conv2d(x, ft([1, 1, 2, 1], [1, 1]), null, { strides: [1, 3], padding: 'SAME' });
    expect(Array.from(s.data)).toEqual([3, 9, 7]);
  });

  it('groups = Cin / filter Cin: each group of filters reads its own channels; bias then activation', () => {
    const x = ft([1, 1, 1, 4], [1, 2, 3, 4]);
    const w = ft([4, 1, 1, 2], [1, 1, 1, -1, 1, 1, 2, 0]); // 2 groups, 2 filters each
    const b = Float32Array.from([0.5, 0, 0, -1]);
    expect(Array.from(float.conv2d(x, w, b).data)).toEqual([3.5, -1, 7, 5]);
    expect(Array.from(float.conv2d(x, w, b, { activation: 'RELU' }).data)).toEqual([3.5, 0, 7, 5]);
  });

  it('multi-channel VALID with stride 2 and every activation', () => {
    // x [1,2,3,2], one 2x2 filter over 2 channels, stride [1,2]: outputs at columns 0 only (trunc((3-2+2)/2) = 1).
    const x = ft([1, 2, 3, 2], [1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6]);
    const w = ft([1, 2, 2, 2], [1, 0, 0, 1, 1, 1, 0.5, 0.5]);
    // taps: (0,0)·[1,0] = 1; (0,1)·[0,1] = -2; (1,0)·[1,1] = 0; (1,1)·[.5,.5] = 0  → 1 - 2 = -1
    expect(Array.from(float.conv2d(x, w, null, { strides: [1, 2] }).data)).toEqual([-1]);
    const big = Float32Array.of(10);
    expect(Array.from(float.conv2d(x, w, big, { strides: [1, 2], activation: 'RELU6' }).data)).toEqual([6]);
    expect(Array.from(float.conv2d(x, w, big, { strides: [1, 2], activation: 'RELU_N1_TO_1' }).data)).toEqual([1]);
    expect(Array.from(float.conv2d(x, w, Float32Array.of(-5), { strides: [1, 2], activation: 'RELU_N1_TO_1' }).data)).toEqual([-1]);
  });

  it('VALID with the input smaller than the filter but a zero output gives an empty tensor', () => {
    const y = float.conv2d(iota([1, 1, 2, 1]), ft([1, 1, 3, 1], [1, 1, 1]), null);
    expect(y.shape).toEqual([1, 1, 0, 1]);
    expect(y.data.length).toBe(0);
  });

  it('does not modify its inputs and returns float32', () => {
    const x = iota([1, 2, 2, 1]);
    const copy = Float32Array.from(x.data);
    const y = float.conv2d(x, ft([1, 1, 1, 1], [1 / 3]), null);
    expect(x.data).toEqual(copy);
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(y.data[1]).toBe(Math.fround(1 / 3));
  });
});

describe('float.depthwiseConv2d', () => {
  it('depth multiplier 3: output channel ic*3 + m reads input channel ic', () => {
    const x = ft([1, 1, 2, 2], [1, 2, 3, 4]);
    const w = ft([1, 1, 2, 6], [1, 2, 3, 4, 5, 6, 1, 1, 1, -1, -1, -1]);
    const b = Float32Array.from([1, 0, 0, 0, 0, -10]);
    const y = float.depthwiseConv2d(x, w, b, { depthMultiplier: 3 });
    expect(y.shape).toEqual([1, 1, 1, 6]);
    expect(Array.from(y.data)).toEqual([5, 5, 6, 4, 6, -2]);
    expect(Array.from(float.depthwiseConv2d(x, w, b, { activation: 'RELU6' }).data)).toEqual([5, 5, 6, 4, 6, 0]);
  });

  it('SAME with stride 2 and dilation 2 on two channels', () => {
    // x [1,1,5,2]: channel 0 = 1..5, channel 1 = 10..50; k 2, dilation 2, stride 2: out ceil(5/2) = 3,
    // total = (3-1)*2 + 3 - 5 = 2, pad 1 before: taps at ix = 2*ox - 1 and 2*ox + 1.
    const x = ft([1, 1, 5, 2], [1, 10, 2, 20, 3, 30, 4, 40, 5, 50]);
    const w = ft([1, 1, 2, 2], [1, 1, 100, -1]);
    const y = float.depthwiseConv2d(x, w, null, { padding: 'SAME', strides: [2, 2], dilations: [2, 2] });
    expect(y.shape).toEqual([1, 1, 3, 2]);
    // ox 0: taps -1 (out), 1 → [100*2, -20]; ox 1: taps 1, 3 → [2 + 400, 20 - 40]; ox 2: taps 3, 5 (out) → [4, 40]
    expect(Array.from(y.data)).toEqual([200, -20, 402, -20, 4, 40]);
  });
});

/** Conv from the definition: zero-pad explicitly (floor(total/2) before), then a VALID loop. */
function referenceConv(x: FTensor, w: FTensor, bias: Float32Array | null, stride: [number, number], dil: [number, number],
  same: boolean, depthwise: boolean): { shape: number[]; data: number[] } {
  const [N, H, W, C] = x.shape;
  const [kh, kw] = [w.shape[1], w.shape[2]];
  const cout = depthwise ? w.shape[3] : w.shape[0];
  const cf = depthwise ? 1 : w.shape[3];
  const eh = (kh - 1) * dil[0] + 1;
  const ew = (kw - 1) * dil[1] + 1;
  const oh = same ? Math.ceil(H / stride[0]) : Math.floor((H - eh) / stride[0]) + 1;
  const ow = same ? Math.ceil(W / stride[1]) : Math.floor((W - ew) / stride[1]) + 1;
  const pt = same ? Math.floor(Math.max(0, (oh - 1) * stride[0] + eh - H) / 2) : 0;
  const pl = same ? Math.floor(Math.max(0, (ow - 1) * stride[1] + ew - W) / 2) : 0;
  const at = (n: number, y: number, xx: number, c: number): number =>
    y < 0 || y >= H || xx < 0 || xx >= W ? 0 : x.data[((n * H + y) * W + xx) * C + c];
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    for (let oc = 0; oc < cout; oc++) {
      let s = bias ? bias[oc] : 0;
      for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const y = oy * stride[0] - pt + ky * dil[0];
        const xx = ox * stride[1] - pl + kx * dil[1];
        if (depthwise) {
          s += at(n, y, xx, Math.floor(oc / (cout / C))) * w.data[(ky * kw + kx) * cout + oc];
        } else {
          const g = Math.floor(oc / (cout / (C / cf)));
          for (let ic = 0; ic < cf; ic++) s += at(n, y, xx, g * cf + ic) * w.data[((oc * kh + ky) * kw + kx) * cf + ic];
        }
      }
      out.push(s);
    }
  }
  return { shape: [N, oh, ow, cout], data: out };
}

describe('conv against an explicitly padded reference', () => {
  const next = rng(12345);
  const grid: Array<{ hw: [number, number]; k: [number, number]; s: [number, number]; d: [number, number]; same: boolean }> = [
    { hw: [5, 7], k: [3, 3], s: [1, 1], d: [1, 1], same: true },
    { hw: [6, 5], k: [2, 4], s: [2, 3], d: [1, 1], same: true },
    { hw: [7, 8], k: [3, 2], s: [2, 1], d: [2, 3], same: true },
    { hw: [7, 8], k: [3, 2], s: [2, 1], d: [2, 3], same: false },
    { hw: [4, 9], k: [1, 3], s: [3, 4], d: [1, 2], same: false },
    { hw: [2, 3], k: [4, 4], s: [1, 1], d: [1, 1], same: true }, // kernel larger than the input
  ];
  it.each(grid)('conv2d groups 1 and 2, depthwise M 1 and 3: %j', ({ hw, k, s, d, same }) => {
    const x = randomTensor([2, hw[0], hw[1], 4], next);
    const padding = same ? 'SAME' : 'VALID';
    for (const groups of [1, 2]) {
      const w = randomTensor([6, k[0], k[1], 4 / groups], next);
      const b = randomTensor([6], next).data;
      const ref = referenceConv(x, w, b, s, d, same, false);
      const y = float.conv2d(x, w, b, { strides: s, dilations: d, padding });
      expect(y.shape).toEqual(ref.shape);
      expectClose(y.data, ref.data, 1e-5);
    }
    for (const m of [1, 3]) {
      const w = randomTensor([1, k[0], k[1], 4 * m], next);
      const ref = referenceConv(x, w, null, s, d, same, true);
      const y = float.depthwiseConv2d(x, w, null, { strides: s, dilations: d, padding, depthMultiplier: m });
      expect(y.shape).toEqual(ref.shape);
      expectClose(y.data, ref.data, 1e-5);
    }
  });
});
