// The native operator kernels equal the pure-TypeScript ones, bit for bit, over a generated grid: shapes 1-17,
// strides 1-3, dilations 1-2, both paddings, every activation and profile, groups, depth multipliers, uint8,
// raw FC accumulators, broadcasting, wrapping accumulators. Runs only when the addon loaded with its operators.
import type { Kernels } from '../../lib/kernels';
import * as q from '../../lib/index';
import type { Padding, QTensor } from '../../lib/types';
import { jsKernels, nativeKernels, onBackend } from '../helpers/backends';
import { ACTIVATIONS, firstDifference, Gen, missingOps, PADDINGS, PROFILES } from '../helpers/ops';

type Call = () => QTensor | Int32Array;

/** A generated case: its description and the public-API call to run on each backend. */
interface GridCase {
  title: string;
  call: Call;
}

function sameOnBoth(native: Kernels, c: GridCase): void {
  const fromJs = onBackend(jsKernels, c.call);
  const fromNative = onBackend(native, c.call);
  const data = (r: QTensor | Int32Array): ArrayLike<number> => (r instanceof Int32Array ? r : r.data);
  expect(firstDifference(data(fromNative), data(fromJs))).toBeNull();
  if (!(fromJs instanceof Int32Array) && !(fromNative instanceof Int32Array)) expect(fromNative.shape).toEqual(fromJs.shape);
}

/** Accumulator extras: usually a plain bias, sometimes none, sometimes one that makes int32 accumulation wrap. */
function biasFor(g: Gen, channels: number): Int32Array | null {
  const kind = g.int(0, 9);
  if (kind === 0) return null;
  if (kind === 1) return g.int32(channels, 2147483647 - 20000, 2147483647); // wraps when the taps add up positive
  if (kind === 2) return g.int32(channels, -(1 << 24), 1 << 24);
  return g.int32(channels, -20000, 20000);
}

/** Codes: mostly uniform, sometimes all at the extremes (saturation). */
function codes(g: Gen, dtype: 'int8' | 'uint8', n: number): Int8Array | Uint8Array {
  const extreme = g.int(0, 7) === 0;
  if (dtype === 'uint8') {
    const a = g.uint8(n);
    if (extreme) a.forEach((_, i) => (a[i] = g.pick([0, 255])));
    return a;
  }
  const a = g.int8(n);
  if (extreme) a.forEach((_, i) => (a[i] = g.pick([-128, 127])));
  return a;
}

function activationTensor(g: Gen, dtype: 'int8' | 'uint8', shape: number[]): QTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const zeroPoint = dtype === 'int8' ? g.int(-128, 127) : g.int(0, 255);
  return { dtype, shape, data: codes(g, dtype, n), scale: g.scale(0.002, 0.2), zeroPoint };
}

/** Weights: int8 symmetric per-channel along `axis` or per-tensor; uint8 per-tensor with any zero point. */
function weightTensor(g: Gen, dtype: 'int8' | 'uint8', shape: number[], axis: number): QTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'uint8') return { dtype, shape, data: codes(g, dtype, n), scale: g.scale(0.001, 0.05), zeroPoint: g.int(0, 255) };
  const data = codes(g, dtype, n) as Int8Array;
  if (g.int(0, 2) === 0) return { dtype, shape, data, scale: g.scale(0.001, 0.05), zeroPoint: 0 };
  const channels = shape[axis];
  return { dtype, shape, data, scale: g.scales(channels, 0.0005, 0.05), zeroPoint: new Array<number>(channels).fill(0), axis };
}

/**
 * Output parameters giving a real multiplier s_in * s_w / s_out usually in [1e-4, 0.5], sometimes in [1, 64]
 * (positive shift; below XNNPACK's limit of 256).
 */
function outputParams(g: Gen, dtype: 'int8' | 'uint8', input: QTensor, weights: QTensor): { scale: number; zeroPoint: number } {
  const weightScale = typeof weights.scale === 'number' ? weights.scale : Math.max(...Array.from(weights.scale));
  const multiplier = g.int(0, 5) === 0 ? g.scale(1, 64) : g.scale(1e-4, 0.5);
  const scale = Math.fround(((input.scale as number) * weightScale) / multiplier);
  return { scale, zeroPoint: dtype === 'int8' ? g.int(-128, 127) : g.int(0, 255) };
}

/** A spatial size for a window of extent `eff`: any size for SAME, at least eff (capped at 17) for VALID. */
function spatial(g: Gen, padding: Padding, eff: number): number {
  return padding === 'SAME' ? g.int(1, 17) : g.int(Math.min(eff, 17), 17);
}

function convCases(depthwise: boolean): GridCase[] {
  const g = new Gen(depthwise ? 4242 : 2424);
  const cases: GridCase[] = [];
  for (const profile of PROFILES) {
    for (const activation of ACTIVATIONS) {
      for (const padding of PADDINGS) {
        for (let stride = 1; stride <= 3; stride++) {
          for (let dilation = 1; dilation <= 2; dilation++) {
            const dtype = g.int(0, 4) === 0 ? 'uint8' : 'int8';
            const kH = g.int(1, 5);
            const kW = g.int(1, 5);
            const effH = (kH - 1) * dilation + 1;
            const effW = (kW - 1) * dilation + 1;
            if (padding === 'VALID' && (effH > 17 || effW > 17)) continue;
            const strides: [number, number] = [stride, g.int(1, 3)];
            const dilations: [number, number] = [dilation, g.int(1, 2)];
            const effW2 = (kW - 1) * dilations[1] + 1;
            const inH = spatial(g, padding, effH);
            const inW = padding === 'VALID' && effW2 > 17 ? 17 : spatial(g, padding, effW2);
            if (padding === 'VALID' && inW < effW2) continue;
            const batches = g.int(1, 2);
            let inC: number;
            let filterShape: number[];
            let title: string;
            let depthMultiplier = 1;
            if (depthwise) {
              inC = g.int(1, 4);
              depthMultiplier = g.int(1, 4);
              filterShape = [1, kH, kW, inC * depthMultiplier];
              title = `M ${depthMultiplier}`;
            } else {
              const groups = g.int(1, 3);
              const filterC = g.int(1, 4);
              inC = groups * filterC;
              filterShape = [groups * g.int(1, 3), kH, kW, filterC];
              title = `groups ${groups}`;
            }
            const input = activationTensor(g, dtype, [batches, inH, inW, inC]);
            const filter = weightTensor(g, dtype, filterShape, depthwise ? 3 : 0);
            const outC = depthwise ? filterShape[3] : filterShape[0];
            const bias = biasFor(g, outC);
            const output = outputParams(g, dtype, input, filter);
            const opts = { strides, dilations, padding, activation, profile, ...(depthwise ? { depthMultiplier } : {}) };
            cases.push({
              title: `${profile} ${activation} ${padding} strides ${strides} dilations ${dilations} ${dtype} in ${input.shape} filter ${filterShape} ${title}`,
              call: depthwise
                ? () => q.depthwiseConv2d(input, filter, bias, output, opts)
                : () => q.conv2d(input, filter, bias, output, opts),
            });
          }
        }
      }
    }
  }
  return cases;
}

function fcCases(): GridCase[] {
  const g = new Gen(777);
  const cases: GridCase[] = [];
  for (const profile of PROFILES) {
    for (const activation of ACTIVATIONS) {
      for (let i = 0; i < 8; i++) {
        const dtype = g.int(0, 4) === 0 ? 'uint8' : 'int8';
        const depth = g.int(1, 40);
        const units = g.int(1, 17);
        const batches = g.int(1, 17);
        const rank = g.int(1, 4);
        const shape = rank === 1 ? [batches * depth] : rank === 2 ? [batches, depth] : rank === 3 ? [1, batches, depth] : [batches, 1, 1, depth];
        const input = activationTensor(g, dtype, shape);
        const weights = weightTensor(g, dtype, [units, depth], 0);
        const bias = biasFor(g, units);
        const raw = i === 0 && activation === 'NONE';
        const output = outputParams(g, dtype, input, weights);
        cases.push({
          title: `${profile} ${activation} ${dtype} input ${shape} weights ${[units, depth]}${raw ? ' raw' : ''}`,
          call: raw ? () => q.fullyConnected(input, weights, bias, null, { profile })
            : () => q.fullyConnected(input, weights, bias, output, { activation, profile }),
        });
      }
    }
  }
  return cases;
}

function poolCases(max: boolean): GridCase[] {
  const g = new Gen(max ? 99 : 98);
  const cases: GridCase[] = [];
  for (const activation of ACTIVATIONS) {
    for (const padding of PADDINGS) {
      for (let stride = 1; stride <= 3; stride++) {
        for (let i = 0; i < 3; i++) {
          const dtype = g.int(0, 4) === 0 ? 'uint8' : 'int8';
          const filter: [number, number] = [g.int(1, 5), g.int(1, 5)];
          const shape = [g.int(1, 2), spatial(g, padding, filter[0]), spatial(g, padding, filter[1]), g.int(1, 6)];
          const input = activationTensor(g, dtype, shape);
          const opts = { filter, strides: [stride, g.int(1, 3)] as [number, number], padding, activation };
          cases.push({
            title: `${activation} ${padding} ${dtype} input ${shape} filter ${filter} strides ${opts.strides}`,
            call: max ? () => q.maxPool2d(input, opts) : () => q.averagePool2d(input, opts),
          });
        }
      }
    }
  }
  return cases;
}

function addCases(): GridCase[] {
  const g = new Gen(55);
  const cases: GridCase[] = [];
  for (const activation of ACTIVATIONS) {
    for (let i = 0; i < 12; i++) {
      const dtype = g.int(0, 4) === 0 ? 'uint8' : 'int8';
      const rank = g.int(1, 6);
      const full = Array.from({ length: rank }, () => g.int(1, rank > 4 ? 3 : 6));
      const shapeA = full.map((d) => (g.int(0, 3) === 0 ? 1 : d));
      const shapeB = full.slice(g.int(0, rank - 1)).map((d) => (g.int(0, 2) === 0 ? 1 : d));
      const [a, b] = g.int(0, 1) === 0 ? [shapeA, shapeB] : [shapeB, shapeA];
      const ta = activationTensor(g, dtype, a);
      const tb = activationTensor(g, dtype, b);
      const output = { scale: g.scale(0.005, 0.5), zeroPoint: dtype === 'int8' ? g.int(-128, 127) : g.int(0, 255) };
      cases.push({ title: `${activation} ${dtype} ${a} + ${b}`, call: () => q.add(ta, tb, output, { activation }) });
    }
  }
  return cases;
}

function softmaxCases(): GridCase[] {
  const g = new Gen(31);
  const cases: GridCase[] = [];
  for (const beta of [0.5, 1, 2, 0.1, 7.3]) {
    for (let i = 0; i < 8; i++) {
      const shape = g.int(0, 1) === 0 ? [g.int(1, 5), g.int(1, 40)] : [g.int(1, 3), g.int(1, 3), g.int(1, 17)];
      const input = activationTensor(g, 'int8', shape);
      input.scale = g.scale(0.001, 2);
      cases.push({ title: `beta ${beta} input ${shape} scale ${input.scale}`, call: () => q.softmax(input, { beta }) });
    }
  }
  return cases;
}

const GRIDS: Array<[string, () => GridCase[]]> = [
  ['conv2d', () => convCases(false)],
  ['depthwiseConv2d', () => convCases(true)],
  ['fullyConnected', fcCases],
  ['maxPool2d', () => poolCases(true)],
  ['averagePool2d', () => poolCases(false)],
  ['add', addCases],
  ['softmax', softmaxCases],
];

const missing = nativeKernels === null ? null : missingOps(nativeKernels);
if (nativeKernels === null || (missing !== null && missing.length > 0)) {
  const why = nativeKernels === null ? 'the native addon is not loaded' : `the native addon lacks ${(missing as string[]).join(', ')}`;
  // jest prints no titles (and no console output) for a fully skipped file: say it on stderr
  process.stderr.write(`native operators equal the JS operators: skipped, ${why}\n`);
  describe.skip(`native operators equal the JS operators (skipped: ${why})`, () => {
    it('needs the native operator kernels', () => undefined);
  });
} else {
  const native = nativeKernels;
  describe('native operators equal the JS operators', () => {
    for (const [op, make] of GRIDS) {
      describe(op, () => {
        const cases = make();
        it(`generates cases (${cases.length})`, () => expect(cases.length).toBeGreaterThan(20));
        for (const c of cases) it(c.title, () => sameOnBoth(native, c));
      });
    }
  });
}
