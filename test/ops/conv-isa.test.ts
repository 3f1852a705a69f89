// The fast CONV_2D behind createConv2d (and conv2d once the stateless glue routes to it), under every kernel family
// this CPU runs (forced per environment with setIsa), equals the pure-TypeScript reference bit for bit: batches,
// image sizes, channels from 1 to 67, groups, kernels larger than the image, strides, dilations, SAME/VALID,
// per-channel and per-tensor weights, every profile and activation, extreme zero points, 1 and 2 threads, sync and async.
import * as q from '../../lib/index';
import type { Activation, Padding, Profile, QTensor } from '../../lib/types';
import { loaded } from '../../lib/binding';
import { jsKernels, nativeKernels, onBackend } from '../helpers/backends';
import { ACTIVATIONS, firstDifference, Gen, PROFILES } from '../helpers/ops';

const native = loaded.native;
const usable = native ? native.info().usableIsas : [];
const channelEdges = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 67];

interface ConvLayer {
  x: QTensor;
  filter: QTensor;
  bias: Int32Array | null;
  output: { scale: number; zeroPoint: number };
  opts: { strides: [number, number]; dilations: [number, number]; padding: Padding; activation: Activation; profile: Profile };
}

function layer(g: Gen): ConvLayer {
  const groups = g.pick([1, 1, 1, 2, 3]);
  let cf = Math.max(1, Math.min(g.pick(channelEdges), Math.floor(67 / groups)));
  let perGroup = Math.max(1, Math.min(g.pick(channelEdges), Math.floor(67 / groups)));
  const n = g.int(1, 2);
  let h = g.int(1, 12);
  let w = g.int(1, 12);
  const kh = g.int(0, 7) === 0 ? h + g.int(1, 2) : g.int(1, 5); // sometimes larger than the image
  const kw = g.int(0, 7) === 0 ? w + g.int(1, 2) : g.int(1, 5);
  const strides: [number, number] = [g.int(1, 3), g.int(1, 3)];
  const dilations: [number, number] = [g.int(1, 2), g.int(1, 2)];
  const fits = h >= (kh - 1) * dilations[0] + 1 && w >= (kw - 1) * dilations[1] + 1;
  const padding: Padding = fits && g.int(0, 1) === 0 ? 'VALID' : 'SAME';
  // keep the JS reference quick: at most ~1.5M multiply-accumulates per layer
  while (n * h * w * groups * perGroup * kh * kw * cf > 1.5e6) {
    if (cf > 8) cf = Math.ceil(cf / 2);
    else if (perGroup > 8) perGroup = Math.ceil(perGroup / 2);
    else if (h > 1 && h >= (kh - 1) * dilations[0] + 2) h--;
    else if (w > 1 && w >= (kw - 1) * dilations[1] + 2) w--;
    else break;
  }
  const cin = groups * cf;
  const cout = groups * perGroup;
  const perChannel = g.int(0, 2) !== 0;
  const data = g.int8(cout * kh * kw * cf, -127, 127);
  if (g.int(0, 7) === 0) data.fill(-128); // the -128 x -128 pair
  const x = g.int8(n * h * w * cin);
  if (g.int(0, 7) === 0) x.fill(-128);
  const inputZeroPoint = g.pick([-128, 127, 0, g.int(-128, 127)]);
  const inputScale = g.scale(0.005, 0.05);
  const outputScale = g.scale(0.005, 0.05);
  // |acc| ~ sqrt(K) * 100 * 74: this scale puts most outputs within ~50 steps of the output zero point
  const filterScale = (50 * outputScale) / (7400 * inputScale * Math.sqrt(kh * kw * cf));
  return {
    x: { dtype: 'int8', shape: [n, h, w, cin], data: x, scale: inputScale, zeroPoint: inputZeroPoint },
    filter: perChannel
      ? { dtype: 'int8', shape: [cout, kh, kw, cf], data, scale: g.scales(cout, filterScale / 2, filterScale * 2), zeroPoint: new Array<number>(cout).fill(0), axis: 0 }
      : { dtype: 'int8', shape: [cout, kh, kw, cf], data, scale: g.scale(filterScale / 2, filterScale * 2), zeroPoint: 0 },
    bias: g.int(0, 3) === 0 ? null : g.int32(cout, -(1 << 16), 1 << 16),
    output: { scale: outputScale, zeroPoint: g.int(0, 4) === 0 ? g.pick([-128, 127]) : g.int(-100, 100) },
    opts: { strides, dilations, padding, activation: g.pick(ACTIVATIONS), profile: g.pick(PROFILES) },
  };
}

const reference = (l: ConvLayer): QTensor => onBackend(jsKernels, () => q.conv2d(l.x, l.filter, l.bias, l.output, l.opts));

function prepare(l: ConvLayer): q.PreparedOp {
  return q.createConv2d({
    filter: l.filter, bias: l.bias, input: { scale: l.x.scale, zeroPoint: l.x.zeroPoint }, output: l.output, ...l.opts,
  });
}

(native && nativeKernels ? describe : describe.skip)('fast CONV_2D equals the reference', () => {
  afterAll(() => {
    native!.setIsa(usable[usable.length - 1]);
    q.setThreads(64);
  });

  for (const isa of usable) {
    it(`${isa}: prepared and stateless conv2d over random layers, 1 and 2 threads, sync and async`, async () => {
      native!.setIsa(isa);
      const g = new Gen(isa.length * 104729 + 17);
      for (let trial = 0; trial < 60; trial++) {
        const l = layer(g);
        const expected = reference(l).data;
        q.setThreads(trial % 2 === 0 ? 1 : 2);
        const op = onBackend(nativeKernels!, () => prepare(l));
        const out = new Int8Array(expected.length);
        onBackend(nativeKernels!, () => op.run(l.x.data as Int8Array, l.x.shape, out));
        expect(firstDifference(out, expected)).toBeNull();
        const viaAsync = await onBackend(nativeKernels!, () => op.runAsync(l.x));
        expect(firstDifference(viaAsync.data, expected)).toBeNull();
        const stateless = onBackend(nativeKernels!, () => q.conv2d(l.x, l.filter, l.bias, l.output, l.opts));
        expect(firstDifference(stateless.data, expected)).toBeNull();
        const statelessAsync = await onBackend(nativeKernels!, () => q.conv2dAsync(l.x, l.filter, l.bias, l.output, l.opts));
        expect(firstDifference(statelessAsync.data, expected)).toBeNull();
        op.dispose();
      }
    });
  }

  it('one prepared conv runs inputs of several sizes and group counts (packed lazily per group count)', async () => {
    native!.setIsa(usable[usable.length - 1]);
    const g = new Gen(5);
    const filter: QTensor = { dtype: 'int8', shape: [12, 3, 3, 4], data: g.int8(12 * 9 * 4, -127, 127), scale: 0.01, zeroPoint: 0 };
    const params = { filter, bias: g.int32(12, -1000, 1000), input: { scale: 0.02, zeroPoint: -7 }, output: { scale: 0.05, zeroPoint: 3 }, padding: 'SAME' as const };
    const op = onBackend(nativeKernels!, () => q.createConv2d(params));
    for (const shape of [[1, 9, 7, 4], [2, 5, 11, 4], [1, 6, 6, 8], [1, 1, 1, 12], [1, 4, 3, 4]]) {
      const x: QTensor = { dtype: 'int8', shape, data: g.int8(shape.reduce((a, b) => a * b)), scale: 0.02, zeroPoint: -7 };
      const expected = onBackend(jsKernels, () => q.conv2d(x, filter, params.bias, params.output, { padding: 'SAME' })).data;
      expect(firstDifference(onBackend(nativeKernels!, () => op.run(x)).data, expected)).toBeNull();
      expect(firstDifference((await onBackend(nativeKernels!, () => op.runAsync(x))).data, expected)).toBeNull();
    }
    op.dispose();
    expect(() => op.run(new Int8Array(36), [1, 3, 3, 4])).toThrow(/disposed/);
  });

  it('createConv2d packs int8 layers for the native conv, and a dispose during an async run is safe', async () => {
    native!.setIsa(usable[usable.length - 1]);
    const spy = jest.spyOn(native!, 'createConv2d');
    try {
      const g = new Gen(11);
      const l = layer(g);
      const op = onBackend(nativeKernels!, () => prepare(l));
      expect(spy).toHaveBeenCalledTimes(1);
      const pending = onBackend(nativeKernels!, () => op.runAsync(l.x));
      op.dispose();
      expect(firstDifference((await pending).data, reference(l).data)).toBeNull();
      // uint8 layers keep the reference kernel
      const u8 = onBackend(nativeKernels!, () => q.createConv2d({
        filter: { dtype: 'uint8', shape: [2, 1, 1, 3], data: new Uint8Array(6).fill(130), scale: 0.01, zeroPoint: 128 },
        bias: null, input: { scale: 0.02, zeroPoint: 128 }, output: { scale: 0.05, zeroPoint: 128 },
      }));
      expect(spy).toHaveBeenCalledTimes(1);
      u8.dispose();
    } finally {
      spy.mockRestore();
    }
  });

  it('the native prepared conv reports its SIMD kernel and refuses a geometry of another layer', () => {
    const best = usable[usable.length - 1];
    native!.setIsa(best);
    const geometry = new Int32Array(24);
    // ConvField: Cin 4, Cout 8, a 3x3x4 filter, strides and dilations 1, clamp [-128, 127], per-tensor
    geometry[3] = 4; geometry[6] = 8; geometry[7] = 3; geometry[8] = 3; geometry[9] = 4;
    geometry[10] = 1; geometry[11] = 1; geometry[12] = 1; geometry[13] = 1;
    geometry[19] = -128; geometry[20] = 127; geometry[22] = 1;
    const op = native!.createConv2d(new Int8Array(8 * 9 * 4), null, Int32Array.of(1 << 30), Int32Array.of(0), Float32Array.of(1), geometry);
    const token: Record<string, string> = { 'neon-i8mm': 'neoni8mm', 'neon-dotprod': 'neondot' }; // kernel names use file tokens
    expect(op.kernel()).toContain(token[best] ?? best);
    const run = Int32Array.from(geometry);
    run[0] = 1; run[1] = 3; run[2] = 3; run[4] = 1; run[5] = 1; // N, H, W, OH, OW: a 3x3 VALID conv
    const out = new Int8Array(8);
    op.run(new Int8Array(36), run, out);
    const other = Int32Array.from(run);
    other[10] = 2; // another stride
    expect(() => op.run(new Int8Array(36), other, out)).toThrow(/does not match/);
    op.dispose();
    expect(op.kernel()).toBeNull();
    expect(() => op.run(new Int8Array(36), run, out)).toThrow(/disposed/);
  });
});
