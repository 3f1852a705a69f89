// The SIMD GEMM behind fullyConnected and createFullyConnected, under every kernel family this CPU runs
// (forced per environment with setIsa), equals the pure-TypeScript reference bit for bit: M, N, K from 1 to 67,
// per-channel and per-tensor weights, every profile and activation, 1 and 2 threads, async and sync.
import * as q from '../../lib/index';
import type { Activation, Profile, QTensor } from '../../lib/types';
import { loaded } from '../../lib/binding';
import { jsKernels, nativeKernels, onBackend } from '../helpers/backends';
import { ACTIVATIONS, firstDifference, Gen, PROFILES } from '../helpers/ops';

const native = loaded.native;
const usable = native ? native.info().usableIsas : [];
const edge = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 67];

interface Layer {
  x: QTensor;
  weights: QTensor;
  bias: Int32Array | null;
  output: { scale: number; zeroPoint: number };
  activation: Activation;
  profile: Profile;
}

function layer(g: Gen, m: number, n: number, k: number): Layer {
  const perChannel = g.int(0, 1) === 1;
  const w = g.int8(n * k);
  if (g.int(0, 5) === 0) w.fill(-128); // the -128 x -128 pair, where vpmaddubsw would saturate
  const x = g.int8(m * k);
  if (g.int(0, 5) === 0) x.fill(-128);
  return {
    x: { dtype: 'int8', shape: [m, k], data: x, scale: g.scale(0.005, 0.1), zeroPoint: g.int(-128, 127) },
    weights: perChannel
      ? { dtype: 'int8', shape: [n, k], data: w, scale: g.scales(n, 0.001, 0.05), zeroPoint: new Array<number>(n).fill(0), axis: 0 }
      : { dtype: 'int8', shape: [n, k], data: w, scale: g.scale(0.001, 0.05), zeroPoint: 0 },
    bias: g.int(0, 3) === 0 ? null : g.int32(n, -(1 << 20), 1 << 20),
    output: { scale: g.scale(0.01, 0.5), zeroPoint: g.int(-128, 127) },
    activation: g.pick(ACTIVATIONS),
    profile: g.pick(PROFILES),
  };
}

const reference = (l: Layer): QTensor =>
  onBackend(jsKernels, () => q.fullyConnected(l.x, l.weights, l.bias, l.output, { activation: l.activation, profile: l.profile }));

(native && nativeKernels ? describe : describe.skip)('SIMD GEMM equals the reference', () => {
  afterAll(() => {
    native!.setIsa(usable[usable.length - 1]);
    q.setThreads(64);
  });

  for (const isa of usable) {
    it(`${isa}: prepared and stateless FC over edge shapes, 1 and 2 threads`, async () => {
      native!.setIsa(isa);
      const g = new Gen(isa.length * 7919);
      for (let trial = 0; trial < 160; trial++) {
        const l = layer(g, g.pick(edge), g.pick(edge), g.pick(edge));
        const expected = reference(l).data;
        q.setThreads(trial % 2 === 0 ? 1 : 2);
        const op = onBackend(nativeKernels!, () => q.createFullyConnected({
          weights: l.weights, bias: l.bias, input: { scale: l.x.scale, zeroPoint: l.x.zeroPoint }, output: l.output, activation: l.activation, profile: l.profile,
        }));
        const out = new Int8Array(expected.length);
        onBackend(nativeKernels!, () => op.run(l.x.data as Int8Array, undefined, out));
        expect(firstDifference(out, expected)).toBeNull();
        const viaAsync = await onBackend(nativeKernels!, () => op.runAsync(l.x));
        expect(firstDifference(viaAsync.data, expected)).toBeNull();
        const stateless = onBackend(nativeKernels!, () => q.fullyConnected(l.x, l.weights, l.bias, l.output, { activation: l.activation, profile: l.profile }));
        expect(firstDifference(stateless.data, expected)).toBeNull();
        op.dispose();
      }
    });
  }

  it('packs for the SIMD kernel of the best family (proves the SIMD path runs)', () => {
    const best = usable[usable.length - 1];
    native!.setIsa(best);
    const geometry = new Int32Array(10);
    geometry[2] = 4; // Units
    geometry[1] = 4; // Depth
    geometry[6] = -128;
    geometry[7] = 127;
    const op = native!.createFullyConnected(new Int8Array(16), null, Int32Array.of(1 << 30), Int32Array.of(0), Float32Array.of(1), geometry);
    const token: Record<string, string> = { 'neon-i8mm': 'neoni8mm', 'neon-dotprod': 'neondot' }; // kernel names use file tokens
    expect(op.kernel()).toContain(token[best] ?? best);
    op.dispose();
    expect(op.kernel()).toBeNull();
    expect(() => op.run(new Int8Array(4), 1, new Int8Array(4))).toThrow(/disposed/);
  });
});
