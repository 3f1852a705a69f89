// add and addAsync under every kernel family this CPU runs (forced with setIsa) equal the TypeScript reference bit
// for bit: edge lengths, scalar, per-channel and any numpy broadcast up to rank 6, int8 and uint8, scales up to 2^12
// apart, extreme zero points, every activation; every family equals native scalar on MobileNetV2's residual shapes.
import * as q from '../../lib/index';
import type { Activation, QTensor } from '../../lib/types';
import { loaded } from '../../lib/binding';
import { jsKernels, nativeKernels, onBackend } from '../helpers/backends';
import { ACTIVATIONS, firstDifference, Gen } from '../helpers/ops';

const native = loaded.native;
const usable = native ? native.info().usableIsas : [];
const edgeLengths = [0, 1, 2, 7, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 95, 127, 128, 129, 255, 1001, 4099];

type Dtype = 'int8' | 'uint8';

interface AddCase {
  a: QTensor;
  b: QTensor;
  output: { scale: number; zeroPoint: number };
  activation: Activation;
}

function zeroPoint(g: Gen, dtype: Dtype): number {
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
  return g.int(0, 3) === 0 ? g.pick([lo, hi]) : g.int(lo, hi);
}

function tensor(g: Gen, dtype: Dtype, shape: number[], scale: number): QTensor {
  const n = shape.reduce((x, y) => x * y, 1);
  const data = dtype === 'int8' ? g.int8(n) : g.uint8(n);
  if (n > 4 && g.int(0, 7) === 0) data.fill(dtype === 'int8' ? -128 : 255, 0, n >> 2); // a run of an extreme code
  return { dtype, shape, data, scale, zeroPoint: zeroPoint(g, dtype) };
}

/** Shapes of a and b: same, scalar b, per-channel b or a, or any numpy broadcast, of rank 1 to 6. */
function shapes(g: Gen): [number[], number[]] {
  const pattern = g.int(0, 4);
  if (pattern === 0) {
    const n = g.pick(edgeLengths);
    return g.int(0, 1) === 0 ? [[n], [n]] : [[1, 1, n], [1, 1, n]];
  }
  const rank = g.int(1, 6);
  const shape = Array.from({ length: rank }, (_, d) => (d === rank - 1 ? g.pick(edgeLengths.slice(1, 14)) : g.int(1, 6)));
  switch (pattern) {
    case 1: return [shape, g.int(0, 1) === 0 ? [1] : []];
    case 2: return [shape, [shape[rank - 1]]];
    case 3: return [[shape[rank - 1]], shape];
    default: {
      const a = shape.map((s) => (g.int(0, 3) === 0 ? 1 : s));
      const b = shape.map((s, d) => (a[d] !== 1 && g.int(0, 3) === 0 ? 1 : s));
      return [a, b.slice(g.int(0, rank - 1))];
    }
  }
}

function addCase(g: Gen): AddCase {
  const dtype: Dtype = g.int(0, 2) === 0 ? 'uint8' : 'int8';
  const [shapeA, shapeB] = shapes(g);
  const scaleA = g.scale(0.001, 0.1);
  const scaleB = Math.fround(scaleA * 2 ** (g.int(0, 3) === 0 ? g.int(-12, 12) : g.int(-3, 3) + g.int(0, 99) / 100));
  const scaleOut = g.scale(2 * Math.max(scaleA, scaleB) / 16, 2 * Math.max(scaleA, scaleB) * 8);
  return {
    a: tensor(g, dtype, shapeA, scaleA),
    b: tensor(g, dtype, shapeB, scaleB),
    output: { scale: scaleOut, zeroPoint: zeroPoint(g, dtype) },
    activation: g.pick(ACTIVATIONS),
  };
}

const reference = (c: AddCase): QTensor => onBackend(jsKernels, () => q.add(c.a, c.b, c.output, { activation: c.activation }));

(native && nativeKernels ? describe : describe.skip)('SIMD ADD equals the reference', () => {
  afterAll(() => {
    native!.setIsa(usable[usable.length - 1]);
  });

  for (const isa of usable) {
    it(`${isa}: add and addAsync over edge lengths and broadcasts, int8 and uint8`, async () => {
      native!.setIsa(isa);
      const g = new Gen(isa.length * 7933 + 11);
      for (let trial = 0; trial < 250; trial++) {
        const c = addCase(g);
        const expected = reference(c);
        const got = onBackend(nativeKernels!, () => q.add(c.a, c.b, c.output, { activation: c.activation }));
        expect(got.shape).toEqual(expected.shape);
        expect(firstDifference(got.data, expected.data)).toBeNull();
        if (trial % 5 === 0) {
          const viaAsync = await onBackend(nativeKernels!, () => q.addAsync(c.a, c.b, c.output, { activation: c.activation }));
          expect(firstDifference(viaAsync.data, expected.data)).toBeNull();
        }
      }
    });
  }

  it('every family equals the native scalar kernels on the MobileNetV2 residual shapes', () => {
    const g = new Gen(2718);
    for (const [h, c] of [[56, 24], [28, 32], [14, 64], [14, 96], [7, 160]]) {
      for (const dtype of ['int8', 'uint8'] as const) {
        const a = tensor(g, dtype, [1, h, h, c], g.scale(0.01, 0.2));
        const b = tensor(g, dtype, [1, h, h, c], g.scale(0.01, 0.2));
        const output = { scale: g.scale(0.02, 0.4), zeroPoint: zeroPoint(g, dtype) };
        const run = (isa: string): QTensor => {
          native!.setIsa(isa);
          return onBackend(nativeKernels!, () => q.add(a, b, output));
        };
        const scalar = run('scalar');
        expect(firstDifference(scalar.data, reference({ a, b, output, activation: 'NONE' }).data)).toBeNull();
        for (const isa of usable) expect(firstDifference(run(isa).data, scalar.data)).toBeNull();
      }
    }
  });
});
