// Test helpers for the operators: golden op cases turned into public-API calls, and a seeded generator of
// random tensors and layer parameters for the backend-equivalence grids.
import type { Activation, Padding, Profile, QTensor } from '../../lib/types';
import * as q from '../../lib/index';
import type { Kernels } from '../../lib/kernels';
import { BACKENDS } from './backends';
import { decodeInt32, decodeInt8 } from './golden';

export interface GoldenTensor {
  dtype: 'int8';
  shape: number[];
  scale: number;
  zero_point: number;
  data_b64: string;
}

export interface GoldenFilter {
  dtype: 'int8';
  shape: number[];
  scales: number[];
  zero_points: number[];
  quantized_dimension: number;
  data_b64: string;
}

export interface GoldenCase {
  name: string;
  input: GoldenTensor;
  input2?: GoldenTensor;
  filter?: GoldenFilter;
  bias?: { data_b64: string } | null;
  params: Record<string, string | number | boolean>;
  output: GoldenTensor;
}

export interface GoldenOpFile {
  op: string;
  cases: GoldenCase[];
}

/** The golden files of ops/ and the public function each one exercises. */
export const GOLDEN_OPS = ['conv2d', 'depthwise_conv2d', 'fully_connected', 'max_pool2d', 'average_pool2d', 'add', 'softmax'] as const;
export type GoldenOp = (typeof GOLDEN_OPS)[number];

export function goldenTensor(t: GoldenTensor): QTensor {
  return { dtype: 'int8', shape: t.shape, data: decodeInt8(t.data_b64), scale: t.scale, zeroPoint: t.zero_point };
}

export function goldenFilter(f: GoldenFilter): QTensor {
  const perChannel = f.scales.length > 1;
  return {
    dtype: 'int8', shape: f.shape, data: decodeInt8(f.data_b64),
    scale: perChannel ? f.scales : f.scales[0], zeroPoint: perChannel ? f.zero_points : f.zero_points[0],
    ...(perChannel ? { axis: f.quantized_dimension } : {}),
  };
}

function pair(params: Record<string, unknown>, name: string): [number, number] {
  return [params[`${name}_h`] as number, params[`${name}_w`] as number];
}

/** A golden case as one public-API call: sync or async, on the active kernels. */
export function goldenCall(op: GoldenOp, c: GoldenCase, profile: Profile, async: boolean): QTensor | Promise<QTensor> {
  const input = goldenTensor(c.input);
  const output = { scale: c.output.scale, zeroPoint: c.output.zero_point };
  const bias = c.bias ? decodeInt32(c.bias.data_b64) : null;
  const p = c.params;
  const activation = p.activation as Activation;
  const padding = p.padding as Padding;
  switch (op) {
    case 'conv2d': {
      const opts = { strides: pair(p, 'stride'), dilations: pair(p, 'dilation'), padding, activation, profile };
      const filter = goldenFilter(c.filter as GoldenFilter);
      return async ? q.conv2dAsync(input, filter, bias, output, opts) : q.conv2d(input, filter, bias, output, opts);
    }
    case 'depthwise_conv2d': {
      const opts = { strides: pair(p, 'stride'), dilations: pair(p, 'dilation'), padding, activation, profile, depthMultiplier: p.depth_multiplier as number };
      const filter = goldenFilter(c.filter as GoldenFilter);
      return async ? q.depthwiseConv2dAsync(input, filter, bias, output, opts) : q.depthwiseConv2d(input, filter, bias, output, opts);
    }
    case 'fully_connected': {
      const weights = goldenFilter(c.filter as GoldenFilter);
      return async ? q.fullyConnectedAsync(input, weights, bias, output, { activation, profile })
        : q.fullyConnected(input, weights, bias, output, { activation, profile });
    }
    case 'max_pool2d':
    case 'average_pool2d': {
      const opts = { filter: pair(p, 'filter'), strides: pair(p, 'stride'), padding, activation };
      if (op === 'max_pool2d') return async ? q.maxPool2dAsync(input, opts) : q.maxPool2d(input, opts);
      return async ? q.averagePool2dAsync(input, opts) : q.averagePool2d(input, opts);
    }
    case 'add': {
      const b = goldenTensor(c.input2 as GoldenTensor);
      return async ? q.addAsync(input, b, output, { activation }) : q.add(input, b, output, { activation });
    }
    case 'softmax':
      return async ? q.softmaxAsync(input, { beta: p.beta as number }) : q.softmax(input, { beta: p.beta as number });
  }
}

/** Index and values of the first difference of two arrays, for readable failures. */
export function firstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  let count = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  return first < 0 ? null : `${count} of ${actual.length} differ; first at ${first}: ${actual[first]}, expected ${expected[first]}`;
}

/** mulberry32: a small seeded generator (uniform in [0, 1)). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = rng(seed);
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
  /** A float32 scale, log-uniform in [lo, hi]. */
  scale(lo: number, hi: number): number {
    return Math.fround(Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo))));
  }
  int8(n: number, lo = -128, hi = 127): Int8Array {
    const a = new Int8Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }
  uint8(n: number): Uint8Array {
    const a = new Uint8Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(0, 255);
    return a;
  }
  int32(n: number, lo: number, hi: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }
  scales(n: number, lo: number, hi: number): number[] {
    return Array.from({ length: n }, () => this.scale(lo, hi));
  }
}

export { PROFILES } from '../../lib/types';
export { ACTIVATIONS, PADDINGS } from '../../lib/ops/common';

/** The operator kernels of binding.d.ts ("Operators"). */
export const OP_KERNELS = [
  'conv2d', 'conv2dAsync', 'depthwiseConv2d', 'depthwiseConv2dAsync', 'fullyConnected', 'fullyConnectedAsync',
  'maxPool2d', 'maxPool2dAsync', 'averagePool2d', 'averagePool2dAsync', 'add', 'addAsync', 'softmax', 'softmaxAsync',
] as const;

/** The operator kernels a backend lacks (the native addon may be built before its operators land). */
export function missingOps(k: Kernels): string[] {
  const table = k as unknown as Record<string, unknown>;
  return OP_KERNELS.filter((name) => typeof table[name] !== 'function');
}

/**
 * Runs `body` in a describe block per backend of BACKENDS; a backend without the operator kernels gets a
 * skipped block whose title says so (test/ops/native-ops.test.ts fails for it).
 */
export function describeOpBackends(title: string, body: (name: string, k: Kernels) => void): void {
  for (const [name, k] of BACKENDS) {
    const missing = missingOps(k);
    if (missing.length > 0) {
      describe.skip(`${title} [${name}] (skipped: the ${name} backend lacks ${missing.join(', ')})`, () => {
        it('needs the operator kernels', () => undefined);
      });
    } else {
      describe(`${title} [${name}]`, () => body(name, k));
    }
  }
}

/** One small call of each operator, sync and async, for the async and prepared suites. */
export interface SampleCase {
  name: string;
  sync: () => QTensor | Int32Array;
  async: () => Promise<QTensor | Int32Array>;
}

/** Deterministic small cases of every public operator (both conv paddings, per-channel and uint8 weights, raw FC). */
export function sampleCases(seed = 1): SampleCase[] {
  const g = new Gen(seed);
  const t = (shape: number[], dtype: 'int8' | 'uint8' = 'int8'): QTensor => ({
    dtype, shape, data: dtype === 'int8' ? g.int8(shape.reduce((a, b) => a * b, 1)) : g.uint8(shape.reduce((a, b) => a * b, 1)),
    scale: g.scale(0.01, 0.1), zeroPoint: dtype === 'int8' ? g.int(-20, 20) : g.int(100, 150),
  });
  const perChannel = (shape: number[], axis: number): QTensor => ({
    dtype: 'int8', shape, data: g.int8(shape.reduce((a, b) => a * b, 1), -127, 127),
    scale: g.scales(shape[axis], 0.002, 0.02), zeroPoint: new Array<number>(shape[axis]).fill(0), axis,
  });
  const out = { scale: 0.05, zeroPoint: -3 };
  const x = t([2, 7, 6, 4]);
  const convFilter = perChannel([6, 3, 2, 2], 0);
  const convBias = g.int32(6, -3000, 3000);
  const convOpts = { strides: [2, 1] as [number, number], dilations: [1, 2] as [number, number], padding: 'SAME' as const, activation: 'RELU6' as const };
  const dwFilter = perChannel([1, 3, 3, 8], 3);
  const dwBias = g.int32(8, -3000, 3000);
  const dwOpts = { padding: 'VALID' as const, depthMultiplier: 2, profile: 'tflite-single' as const };
  const xu = t([1, 5, 5, 3], 'uint8');
  const filterU: QTensor = { dtype: 'uint8', shape: [2, 2, 2, 3], data: g.uint8(24), scale: 0.01, zeroPoint: 131 };
  const fcIn = t([3, 2, 10]);
  const fcW = perChannel([5, 10], 0);
  const fcBias = g.int32(5, -1000, 1000);
  const fcW1: QTensor = { dtype: 'int8', shape: [5, 10], data: g.int8(50, -127, 127), scale: 0.01, zeroPoint: 0 };
  const poolOpts = { filter: [3, 2] as [number, number], strides: [2, 2] as [number, number], padding: 'SAME' as const, activation: 'RELU' as const };
  const a = t([2, 1, 3, 4]);
  const b = t([3, 1, 1]);
  const s = t([3, 17]);
  return [
    { name: 'conv2d', sync: () => q.conv2d(x, convFilter, convBias, out, convOpts), async: () => q.conv2dAsync(x, convFilter, convBias, out, convOpts) },
    {
      name: 'conv2d uint8 xnnpack-fp32',
      sync: () => q.conv2d(xu, filterU, null, { scale: 0.07, zeroPoint: 120 }, { profile: 'xnnpack-fp32' }),
      async: () => q.conv2dAsync(xu, filterU, null, { scale: 0.07, zeroPoint: 120 }, { profile: 'xnnpack-fp32' }),
    },
    { name: 'depthwiseConv2d', sync: () => q.depthwiseConv2d(x, dwFilter, dwBias, out, dwOpts), async: () => q.depthwiseConv2dAsync(x, dwFilter, dwBias, out, dwOpts) },
    { name: 'fullyConnected', sync: () => q.fullyConnected(fcIn, fcW, fcBias, out), async: () => q.fullyConnectedAsync(fcIn, fcW, fcBias, out) },
    {
      name: 'fullyConnected per-tensor xnnpack-fp32',
      sync: () => q.fullyConnected(fcIn, fcW1, fcBias, out, { profile: 'xnnpack-fp32', activation: 'RELU' }),
      async: () => q.fullyConnectedAsync(fcIn, fcW1, fcBias, out, { profile: 'xnnpack-fp32', activation: 'RELU' }),
    },
    { name: 'fullyConnected raw', sync: () => q.fullyConnected(fcIn, fcW, fcBias, null), async: () => q.fullyConnectedAsync(fcIn, fcW, fcBias, null) },
    { name: 'maxPool2d', sync: () => q.maxPool2d(x, poolOpts), async: () => q.maxPool2dAsync(x, poolOpts) },
    { name: 'averagePool2d', sync: () => q.averagePool2d(x, poolOpts), async: () => q.averagePool2dAsync(x, poolOpts) },
    { name: 'add', sync: () => q.add(a, b, out, { activation: 'RELU' }), async: () => q.addAsync(a, b, out, { activation: 'RELU' }) },
    { name: 'softmax', sync: () => q.softmax(s, { beta: 0.5 }), async: () => q.softmaxAsync(s, { beta: 0.5 }) },
  ];
}

/** The codes of an operator result (a QTensor's data, or the raw accumulators). */
export function resultData(r: QTensor | Int32Array): ArrayLike<number> {
  return r instanceof Int32Array ? r : r.data;
}

/** Asserts that `call` throws exactly this error class and message. */
export function expectThrows(call: () => unknown, errorClass: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, message: string): void {
  let thrown: unknown = null;
  try {
    call();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(errorClass);
  expect((thrown as Error).constructor).toBe(errorClass);
  expect((thrown as Error).message).toBe(message);
}

/** Asserts that `pending` rejects with exactly this error class and message. */
export async function expectRejects(pending: Promise<unknown>, errorClass: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  message: string): Promise<void> {
  const thrown = await pending.then(() => null, (err: unknown) => err);
  expect(thrown).toBeInstanceOf(errorClass);
  expect((thrown as Error).constructor).toBe(errorClass);
  expect((thrown as Error).message).toBe(message);
}
