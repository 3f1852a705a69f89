// depthwiseConv2d and createDepthwiseConv2d under every kernel family this CPU runs (forced with setIsa) equal the
// TypeScript reference bit for bit: images 1-17, channels 1-67, multipliers 1-4, filters 1x1-7x7 and larger, strides
// 1-3, dilations 1-2, SAME/VALID, per-channel/per-tensor, every profile and activation, 1-2 threads, sync and async;
// stride-2 layers on input at each 16-byte offset of its buffer.
import * as q from '../../lib/index';
import type { Activation, Padding, Profile, QTensor } from '../../lib/types';
import { loaded } from '../../lib/binding';
import { ConvField } from '../../lib/ops/geometry';
import { jsKernels, nativeKernels, onBackend } from '../helpers/backends';
import { ACTIVATIONS, firstDifference, Gen, PROFILES } from '../helpers/ops';

const native = loaded.native;
const usable = native ? native.info().usableIsas : [];
const channelEdges = [1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 67];
const kernelSizes = [1, 2, 3, 3, 3, 4, 5, 5, 7];

interface Layer {
  x: QTensor;
  filter: QTensor;
  bias: Int32Array | null;
  output: { scale: number; zeroPoint: number };
  opts: { strides: [number, number]; dilations: [number, number]; padding: Padding; activation: Activation; profile: Profile; depthMultiplier?: number };
}

function layer(g: Gen): Layer {
  const h = g.int(1, 17);
  const w = g.int(1, 17);
  const c = g.pick(channelEdges);
  const m = g.int(0, 3) === 0 ? g.int(1, 4) : 1;
  let kh = g.pick(kernelSizes);
  let kw = g.int(0, 3) === 0 ? g.pick(kernelSizes) : kh;
  if (g.int(0, 9) === 0) kh = h + g.int(1, 2); // taller than the image (SAME only)
  if (g.int(0, 9) === 0) kw = w + g.int(1, 2);
  const strides: [number, number] = [g.int(1, 3), g.int(1, 3)];
  const dilations: [number, number] = [g.int(0, 3) === 0 ? 2 : 1, g.int(0, 3) === 0 ? 2 : 1];
  const fitsValid = h >= (kh - 1) * dilations[0] + 1 && w >= (kw - 1) * dilations[1] + 1;
  const padding: Padding = fitsValid && g.int(0, 2) === 0 ? 'VALID' : 'SAME';
  const batches = g.int(0, 5) === 0 ? 2 : 1;
  const cout = c * m;
  const perChannel = g.int(0, 3) !== 0;
  const wdata = g.int8(kh * kw * cout);
  if (g.int(0, 7) === 0) wdata.fill(-128); // the -128 x -128 pair, where vpmaddubsw would saturate
  const xdata = g.int8(batches * h * w * c);
  if (g.int(0, 7) === 0) xdata.fill(-128);
  const zIn = g.int(0, 3) === 0 ? g.pick([-128, 127]) : g.int(-128, 127);
  const zOut = g.int(0, 3) === 0 ? g.pick([-128, 127]) : g.int(-128, 127);
  return {
    x: { dtype: 'int8', shape: [batches, h, w, c], data: xdata, scale: g.scale(0.005, 0.1), zeroPoint: zIn },
    filter: perChannel
      ? { dtype: 'int8', shape: [1, kh, kw, cout], data: wdata, scale: g.scales(cout, 0.001, 0.05), zeroPoint: new Array<number>(cout).fill(0), axis: 3 }
      : { dtype: 'int8', shape: [1, kh, kw, cout], data: wdata, scale: g.scale(0.001, 0.05), zeroPoint: 0 },
    bias: g.int(0, 3) === 0 ? null : g.int32(cout, -(1 << 20), 1 << 20),
    output: { scale: g.scale(0.005, 0.3), zeroPoint: zOut },
    opts: {
      strides, dilations, padding, activation: g.pick(ACTIVATIONS), profile: g.pick(PROFILES),
      ...(m > 1 || g.int(0, 1) === 0 ? { depthMultiplier: m } : {}),
    },
  };
}

const reference = (l: Layer): QTensor => onBackend(jsKernels, () => q.depthwiseConv2d(l.x, l.filter, l.bias, l.output, l.opts));

(native && nativeKernels ? describe : describe.skip)('SIMD depthwise convolution equals the reference', () => {
  afterAll(() => {
    native!.setIsa(usable[usable.length - 1]);
    q.setThreads(64);
  });

  for (const isa of usable) {
    it(`${isa}: prepared and stateless depthwiseConv2d over edge shapes, 1 and 2 threads, sync and async`, async () => {
      native!.setIsa(isa);
      const g = new Gen(isa.length * 7907 + 3);
      for (let trial = 0; trial < 90; trial++) {
        const l = layer(g);
        const expected = reference(l).data;
        q.setThreads(trial % 2 === 0 ? 1 : 2);
        const op = onBackend(nativeKernels!, () => q.createDepthwiseConv2d({
          filter: l.filter, bias: l.bias, input: { scale: l.x.scale, zeroPoint: l.x.zeroPoint }, output: l.output, ...l.opts,
        }));
        const out = new Int8Array(expected.length);
        onBackend(nativeKernels!, () => op.run(l.x.data as Int8Array, l.x.shape, out));
        expect(firstDifference(out, expected)).toBeNull();
        const viaAsync = await onBackend(nativeKernels!, () => op.runAsync(l.x));
        expect(firstDifference(viaAsync.data, expected)).toBeNull();
        const stateless = onBackend(nativeKernels!, () => q.depthwiseConv2d(l.x, l.filter, l.bias, l.output, l.opts));
        expect(firstDifference(stateless.data, expected)).toBeNull();
        const statelessAsync = await onBackend(nativeKernels!, () => q.depthwiseConv2dAsync(l.x, l.filter, l.bias, l.output, l.opts));
        expect(firstDifference(statelessAsync.data, expected)).toBeNull();
        op.dispose();
      }
    });
  }

  for (const isa of usable) {
    it(`${isa}: stride 2 at every 16-byte offset of the input buffer (phase mode) equals the reference`, async () => {
      native!.setIsa(isa);
      const g = new Gen(isa.length * 131 + 17);
      for (let trial = 0; trial < 24; trial++) {
        const l = layer(g);
        const [kh, kw] = g.pick([[3, 3], [4, 3], [3, 3], [5, 5], [3, 5]]); // phase mode: KW 3, KH 3 or 4
        const c = g.pick([64, 128, 192]);
        const [batches, h, w] = [g.int(1, 2), g.int(1, 15), g.int(1, 15)];
        const filter: QTensor = {
          dtype: 'int8', shape: [1, kh, kw, c], data: g.int8(kh * kw * c), scale: g.scales(c, 0.001, 0.05),
          zeroPoint: new Array<number>(c).fill(0), axis: 3,
        };
        const padding: Padding = h >= kh && w >= kw && trial % 3 === 0 ? 'VALID' : 'SAME';
        const pair: [number, number] = [2, 2];
        const opts = { ...l.opts, strides: pair, dilations: [1, 1] as [number, number], padding, depthMultiplier: 1 };
        const bias = g.int32(c, -(1 << 20), 1 << 20);
        const x: QTensor = { ...l.x, shape: [batches, h, w, c], data: g.int8(batches * h * w * c) };
        const expected = onBackend(jsKernels, () => q.depthwiseConv2d(x, filter, bias, l.output, opts)).data;
        q.setThreads(trial % 2 === 0 ? 1 : 2);
        const input = { scale: x.scale, zeroPoint: x.zeroPoint };
        const op = onBackend(nativeKernels!, () => q.createDepthwiseConv2d({ filter, bias, input, output: l.output,
          ...opts }));
        const buffer = new ArrayBuffer(x.data.length + 64);
        for (const offset of [0, 16, 32, 48]) {
          const data = new Int8Array(buffer, offset, x.data.length);
          data.set(x.data as Int8Array);
          const out = new Int8Array(expected.length);
          onBackend(nativeKernels!, () => op.run(data, x.shape, out));
          expect(firstDifference(out, expected)).toBeNull();
          const stateless = onBackend(nativeKernels!, () => q.depthwiseConv2d({ ...x, data }, filter, bias, l.output,
            opts));
          expect(firstDifference(stateless.data, expected)).toBeNull();
          const viaAsync = await onBackend(nativeKernels!, () => op.runAsync({ ...x, data }));
          expect(firstDifference(viaAsync.data, expected)).toBeNull();
        }
        op.dispose();
      }
    });
  }

  it('packs for the SIMD kernel of the best family (proves the SIMD path runs)', () => {
    const best = usable[usable.length - 1];
    native!.setIsa(best);
    const g = new Int32Array(ConvField.Count);
    g[ConvField.InputChannels] = 4;
    g[ConvField.OutputChannels] = 4;
    g[ConvField.FilterHeight] = 3;
    g[ConvField.FilterWidth] = 3;
    g[ConvField.FilterChannels] = 1;
    g[ConvField.StrideHeight] = g[ConvField.StrideWidth] = g[ConvField.DilationHeight] = g[ConvField.DilationWidth] = 1;
    g[ConvField.DepthMultiplier] = 1;
    g[ConvField.ActivationMin] = -128;
    g[ConvField.ActivationMax] = 127;
    const op = native!.createDepthwiseConv2d(new Int8Array(36), null, Int32Array.of(1 << 30), Int32Array.of(-1), Float32Array.of(1), g);
    // best is e.g. neon-i8mm, whose depthwise kernel is the Neon one: the kernel name carries the family it runs
    const family = best.startsWith('neon') ? 'neon' : best === 'avxvnni' ? 'avx2' : best;
    expect(op.kernel()).toContain(family);
    // one 3x3 image of zeros: every output is the requantized bias 0 (-1 shift of 0 is 0)
    const run = Int32Array.from(g);
    run[ConvField.Batches] = 1;
    run[ConvField.InputHeight] = run[ConvField.InputWidth] = 3;
    run[ConvField.OutputHeight] = run[ConvField.OutputWidth] = 1;
    const out = new Int8Array(4).fill(9);
    op.run(new Int8Array(36), run, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
    const mismatched = Int32Array.from(run);
    mismatched[ConvField.OutputOffset] = 3;
    expect(() => op.run(new Int8Array(36), mismatched, out)).toThrow(/does not match/);
    op.dispose();
    expect(op.kernel()).toBeNull();
    expect(() => op.run(new Int8Array(36), run, out)).toThrow(/disposed/);
  });
});
