// Every public function of qint8 as a fuzz Spec: an arbitrary of small valid calls (recipes of shapes, dtypes,
// parameters and options; the data comes from a seed) and the call. See harness.ts for what is checked.
import fc from 'fast-check';
import * as q from '../../../lib/index';
import type { QTensor } from '../../../lib/types';
import type { Spec } from './harness';

// --- data -----------------------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
function bytes(dtype: 'int8' | 'uint8', n: number, seed: number): Int8Array | Uint8Array {
  const r = rng(seed);
  const a = dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(r() * 256) - (dtype === 'int8' ? 128 : 0);
  return a;
}
function floats(n: number, seed: number, span = 4): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() - 0.5) * span);
}
function int32s(n: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor((r() - 0.5) * 2000));
}
const zpFor = (dtype: 'int8' | 'uint8', r: () => number) => (dtype === 'int8' ? Math.floor(r() * 40) - 20 : 100 + Math.floor(r() * 56));

// --- arbitraries of recipe pieces ----------------------------------------------------------------------

const seedArb = fc.integer({ min: 1, max: 2 ** 31 - 1 });
const dtypeArb = fc.constantFrom('int8' as const, 'uint8' as const);
const profileArb = fc.option(fc.constantFrom('tflite-ref' as const, 'tflite-single' as const, 'xnnpack-fp32' as const), { nil: undefined });
const activationArb = fc.option(fc.constantFrom('NONE' as const, 'RELU' as const, 'RELU6' as const, 'RELU_N1_TO_1' as const), { nil: undefined });
const paddingArb = fc.constantFrom('SAME' as const, 'VALID' as const);
const pairArb = (max: number) => fc.tuple(fc.integer({ min: 1, max }), fc.integer({ min: 1, max }));
const shapeArb = (minRank: number, maxRank: number, maxDim = 4) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

/** Drops undefined fields (an absent option, not one set to undefined). */
function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function qtensor(dtype: 'int8' | 'uint8', shape: number[], seed: number, scale = 0.05): QTensor {
  return { dtype, shape, data: bytes(dtype, numel(shape), seed), scale, zeroPoint: zpFor(dtype, rng(seed + 1)) };
}

// Options (absent = default) and the optional axis of quantization parameters; a tensor's dtype is required.
const OPT_KEYS = ['opts', 'strides', 'dilations', 'padding', 'activation', 'profile', 'rounding', 'symmetric', 'narrowRange', 'depthMultiplier', 'axis', 'opts.dtype'];

// --- conv / depthwise / pool geometry --------------------------------------------------------------------

interface ConvRecipe {
  seed: number; dtype: 'int8' | 'uint8'; n: number; h: number; w: number; cin: number; cout: number; groups: number;
  kh: number; kw: number; strides: [number, number]; dilations: [number, number]; padding: 'SAME' | 'VALID';
  activation?: string; profile?: string; perChannel: boolean; bias: boolean; explicit: boolean;
}
const convArb: fc.Arbitrary<ConvRecipe> = fc.record({
  seed: seedArb, dtype: dtypeArb, n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 6 }), w: fc.integer({ min: 1, max: 6 }),
  cin: fc.integer({ min: 1, max: 4 }), cout: fc.integer({ min: 1, max: 4 }), groups: fc.constantFrom(1, 1, 2),
  kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }), strides: pairArb(2), dilations: pairArb(2),
  padding: paddingArb, activation: activationArb, profile: profileArb, perChannel: fc.boolean(), bias: fc.boolean(), explicit: fc.boolean(),
}).map((r) => {
  const x = { ...r };
  if (x.groups > 1) { x.cin *= x.groups; x.cout *= x.groups; if (x.dtype === 'uint8') x.groups = 1; }
  if (x.padding === 'VALID') { x.h = Math.max(x.h, (x.kh - 1) * x.dilations[0] + 1); x.w = Math.max(x.w, (x.kw - 1) * x.dilations[1] + 1); }
  if (x.dtype === 'uint8') x.perChannel = false;
  return x;
});

function convArgs(r: ConvRecipe, depthwise: boolean) {
  const g = rng(r.seed + 7);
  const input = qtensor(r.dtype, [r.n, r.h, r.w, r.cin], r.seed, 0.02 + g() * 0.05);
  const m = Math.max(1, Math.round(r.cout / r.cin));
  const outC = depthwise ? r.cin * m : r.cout;
  const fshape = depthwise ? [1, r.kh, r.kw, outC] : [r.cout, r.kh, r.kw, r.cin / r.groups];
  const filter: QTensor = { dtype: r.dtype, shape: fshape, data: bytes(r.dtype, numel(fshape), r.seed + 2), scale: 0.01 + g() * 0.02, zeroPoint: r.dtype === 'int8' ? 0 : 120 };
  if (r.perChannel) {
    filter.scale = Array.from({ length: outC }, () => 0.005 + g() * 0.02);
    filter.zeroPoint = new Array(outC).fill(0);
    filter.axis = depthwise ? 3 : 0;
  }
  const bias = r.bias ? int32s(outC, r.seed + 3) : null;
  const output = { scale: 0.1 + g() * 0.5, zeroPoint: zpFor(r.dtype, g) };
  const opts = compact({ strides: r.strides, dilations: r.dilations, padding: r.padding, activation: r.activation, profile: r.profile,
    ...(depthwise && r.explicit ? { depthMultiplier: m } : {}) } as Record<string, unknown>);
  return { input, filter, bias, output, opts };
}

interface PoolRecipe { seed: number; dtype: 'int8' | 'uint8'; shape: number[]; filter: [number, number]; strides: [number, number]; padding: 'SAME' | 'VALID'; activation?: string; defaults: boolean }
const poolArb: fc.Arbitrary<PoolRecipe> = fc.record({
  seed: seedArb, dtype: dtypeArb, shape: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 })).map((t) => [...t]),
  filter: pairArb(3), strides: pairArb(2), padding: paddingArb, activation: activationArb, defaults: fc.boolean(),
}).map((r) => {
  const x = { ...r, shape: r.shape.slice() };
  if (x.padding === 'VALID' || x.defaults) { x.shape[1] = Math.max(x.shape[1], x.filter[0]); x.shape[2] = Math.max(x.shape[2], x.filter[1]); }
  return x;
});
const poolArgs = (r: PoolRecipe) => [qtensor(r.dtype, r.shape, r.seed),
  r.defaults ? { filter: r.filter } : compact({ filter: r.filter, strides: r.strides, padding: r.padding, activation: r.activation } as Record<string, unknown>)];

interface FcRecipe { seed: number; dtype: 'int8' | 'uint8'; lead: number[]; k: number; units: number; perChannel: boolean; bias: boolean; raw: boolean; activation?: string; profile?: string }
const fcArb: fc.Arbitrary<FcRecipe> = fc.record({
  seed: seedArb, dtype: dtypeArb, lead: shapeArb(1, 3, 5), k: fc.integer({ min: 1, max: 9 }), units: fc.integer({ min: 1, max: 7 }),
  perChannel: fc.boolean(), bias: fc.boolean(), raw: fc.boolean(), activation: activationArb, profile: profileArb,
}).map((r) => ({ ...r, perChannel: r.dtype === 'int8' && r.perChannel }));
function fcArgs(r: FcRecipe) {
  const g = rng(r.seed + 5);
  const input = qtensor(r.dtype, [...r.lead, r.k], r.seed, 0.02 + g() * 0.05);
  const weights: QTensor = { dtype: r.dtype, shape: [r.units, r.k], data: bytes(r.dtype, r.units * r.k, r.seed + 2), scale: 0.01 + g() * 0.02, zeroPoint: r.dtype === 'int8' ? 0 : 130 };
  if (r.perChannel) {
    weights.scale = Array.from({ length: r.units }, () => 0.005 + g() * 0.02);
    weights.zeroPoint = new Array(r.units).fill(0);
    weights.axis = 0;
  }
  const bias = r.bias ? int32s(r.units, r.seed + 3) : null;
  const output = r.raw ? null : { scale: 0.1 + g() * 0.5, zeroPoint: zpFor(r.dtype, g) };
  const opts = compact({ activation: r.raw ? undefined : r.activation, profile: r.profile } as Record<string, unknown>);
  return { input, weights, bias, output, opts };
}

interface AddRecipe { seed: number; dtype: 'int8' | 'uint8'; shape: number[]; mask: boolean[]; swap: boolean; activation?: string }
const addArb: fc.Arbitrary<AddRecipe> = fc.record({
  seed: seedArb, dtype: dtypeArb, shape: shapeArb(1, 4, 4), mask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), swap: fc.boolean(), activation: activationArb,
});
function addArgs(r: AddRecipe) {
  const g = rng(r.seed + 9);
  const a = qtensor(r.dtype, r.shape, r.seed, 0.02 + g() * 0.1);
  const b = qtensor(r.dtype, r.shape.map((d, i) => (r.mask[i] ? 1 : d)), r.seed + 1, 0.02 + g() * 0.1);
  return [r.swap ? b : a, r.swap ? a : b, { scale: 0.05 + g() * 0.2, zeroPoint: zpFor(r.dtype, g) }, compact({ activation: r.activation } as Record<string, unknown>)];
}

interface SoftmaxRecipe { seed: number; shape: number[]; beta?: number; scale: number }
const softmaxArb: fc.Arbitrary<SoftmaxRecipe> = fc.record({
  seed: seedArb, shape: shapeArb(1, 3, 6), beta: fc.option(fc.double({ min: 0.1, max: 4, noNaN: true }), { nil: undefined }), scale: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
});
const softmaxArgs = (r: SoftmaxRecipe) => [qtensor('int8', r.shape, r.seed, r.scale), compact({ beta: r.beta } as Record<string, unknown>)];

// --- float tensors ------------------------------------------------------------------------------------

interface FloatRecipe { seed: number; shape: number[] }
const ftensor = (r: FloatRecipe) => ({ shape: r.shape, data: floats(numel(r.shape), r.seed) });

// --- specs -----------------------------------------------------------------------------------------------

const opSpecs = (name: string, sync: (...a: unknown[]) => unknown, asyncFn: (...a: unknown[]) => unknown,
  argNames: string[], arb: fc.Arbitrary<unknown>, make: (r: never) => unknown[], extra: Partial<Spec> = {}): Spec => ({
  name, prefixes: [`${name}:`, `${name}Async:`], argNames, arb, make,
  call: (a) => sync(...a), asyncCall: (a) => asyncFn(...a), optional: [...OPT_KEYS, 'bias'], nullable: ['bias'], ...extra,
});

/** The stateless integer operators with their async twins. */
export function operatorSpecs(): Spec[] {
  const f = q as unknown as Record<string, (...a: unknown[]) => unknown>;
  return [
    opSpecs('conv2d', f.conv2d, f.conv2dAsync, ['input', 'filter', 'bias', 'output', 'opts'], convArb,
      ((r: ConvRecipe) => { const a = convArgs(r, false); return [a.input, a.filter, a.bias, a.output, a.opts]; }) as (r: never) => unknown[]),
    opSpecs('depthwiseConv2d', f.depthwiseConv2d, f.depthwiseConv2dAsync, ['input', 'filter', 'bias', 'output', 'opts'], convArb,
      ((r: ConvRecipe) => { const a = convArgs(r, true); return [a.input, a.filter, a.bias, a.output, a.opts]; }) as (r: never) => unknown[]),
    opSpecs('fullyConnected', f.fullyConnected, f.fullyConnectedAsync, ['input', 'weights', 'bias', 'output', 'opts'], fcArb,
      ((r: FcRecipe) => { const a = fcArgs(r); return [a.input, a.weights, a.bias, a.output, a.opts]; }) as (r: never) => unknown[],
      { nullable: ['bias', 'output'] }),
    opSpecs('maxPool2d', f.maxPool2d, f.maxPool2dAsync, ['input', 'opts'], poolArb, poolArgs as (r: never) => unknown[], { optional: OPT_KEYS.filter((k) => k !== 'opts') }),
    opSpecs('averagePool2d', f.averagePool2d, f.averagePool2dAsync, ['input', 'opts'], poolArb, poolArgs as (r: never) => unknown[], { optional: OPT_KEYS.filter((k) => k !== 'opts') }),
    opSpecs('add', f.add, f.addAsync, ['a', 'b', 'output', 'opts'], addArb, addArgs as (r: never) => unknown[]),
    opSpecs('softmax', f.softmax, f.softmaxAsync, ['input', 'opts'], softmaxArb, softmaxArgs as (r: never) => unknown[], { optional: [...OPT_KEYS, 'beta'] }),
  ];
}

/** Prepared operators: create (the parameter object), and run / runAsync (input, shape, out). */
export function preparedSpecs(): Spec[] {
  type Kind = 'conv' | 'dw' | 'fc';
  const create = (kind: Kind, p: unknown) =>
    (kind === 'conv' ? q.createConv2d(p as never) : kind === 'dw' ? q.createDepthwiseConv2d(p as never) : q.createFullyConnected(p as never));
  const name = (kind: Kind) => (kind === 'conv' ? 'conv2d' : kind === 'dw' ? 'depthwiseConv2d' : 'fullyConnected');
  const params = (kind: Kind, r: ConvRecipe | FcRecipe) => {
    if (kind === 'fc') {
      const a = fcArgs(r as FcRecipe);
      return { p: { weights: a.weights, bias: a.bias, input: { scale: a.input.scale, zeroPoint: a.input.zeroPoint }, output: a.output, ...a.opts }, input: a.input, rawShape: undefined as number[] | undefined };
    }
    const a = convArgs(r as ConvRecipe, kind === 'dw');
    return { p: { filter: a.filter, bias: a.bias, input: { scale: a.input.scale, zeroPoint: a.input.zeroPoint }, output: a.output, ...a.opts }, input: a.input, rawShape: a.input.shape as number[] };
  };
  const specs: Spec[] = [];
  for (const kind of ['conv', 'dw', 'fc'] as Kind[]) {
    const creator = kind === 'conv' ? 'createConv2d' : kind === 'dw' ? 'createDepthwiseConv2d' : 'createFullyConnected';
    const arb = (kind === 'fc' ? fcArb : convArb) as fc.Arbitrary<ConvRecipe | FcRecipe>;
    specs.push({
      // create, then one run on a valid input (whose errors name the run: a changed option can make it unfit)
      name: creator, prefixes: [`${creator}:`, `${name(kind)}.run:`], argNames: ['p'], arb,
      make: ((r: ConvRecipe | FcRecipe) => [params(kind, r).p]) as (r: never) => unknown[],
      call: (a) => {
        const op = create(kind, a[0]);
        const x = params(kind, recipeOf.get(a) as ConvRecipe | FcRecipe).input;
        try { return op.run(x); } finally { op.dispose(); }
      },
      optional: [...OPT_KEYS, 'bias'], nullable: kind === 'fc' ? ['bias', 'output'] : ['bias'],
    });
    // run / runAsync: on a QTensor, or on raw codes with an explicit shape (conv) or none (fc), into a fresh or caller-owned out
    for (const variant of ['tensor', 'raw', 'raw+out'] as const) {
      const runName = `${name(kind)}.run`;
      specs.push({
        name: `${runName} (${variant})`, prefixes: [`${runName}:`, `${runName}Async:`], argNames: ['x', 'shape', 'out'], arb,
        make: ((r: ConvRecipe | FcRecipe) => {
          const { input, rawShape } = params(kind, r);
          if (variant === 'tensor') return [input];
          const args: unknown[] = [input.data, rawShape];
          if (variant === 'raw+out') {
            const op = create(kind, params(kind, r).p);
            const probe = op.run(input) as { data?: ArrayBufferView } | Int32Array;
            op.dispose();
            const n = ArrayBuffer.isView(probe) ? (probe as Int32Array).length : ((probe as { data: ArrayBufferView }).data as Int8Array).length;
            const ctor = ArrayBuffer.isView(probe) ? Int32Array : input.dtype === 'int8' ? Int8Array : Uint8Array;
            args.push(new ctor(n).fill(0x5a));
          }
          return args;
        }) as (r: never) => unknown[],
        call: (a) => withOp(kind, a, (op) => op.run(a[0] as never, a[1] as never, a[2] as never)),
        // disposed right after runAsync returns: in-flight runs keep the packed weights
        asyncCall: (a) => withOp(kind, a, (op) => op.runAsync(a[0] as never, a[1] as never, a[2] as never)),
        kinds: { x: variant === 'tensor' ? 'object' : 'freeBytes', shape: 'shape', out: 'tensorData' },
        optional: kind === 'fc' ? ['shape', 'out'] : ['out'], outKeys: ['out'],
      });
    }
  }
  // run specs create their operator from the unmutated recipe
  function withOp(kind: Kind, a: unknown[], f: (op: ReturnType<typeof create>) => unknown): unknown {
    const op = create(kind, params(kind, recipeOf.get(a) as ConvRecipe | FcRecipe).p);
    try { return f(op); } finally { op.dispose(); }
  }
  return specs;
}

/** The recipe each argument list was made from (the prepared run specs re-create their operator from it). */
export const recipeOf = new WeakMap<unknown[], unknown>();

/** Quantization math, observers, batch-norm folding, quantization error, setThreads. */
export function mathSpecs(): Spec[] {
  const chooseOpts = fc.option(fc.record({ dtype: fc.option(dtypeArb, { nil: undefined }), symmetric: fc.option(fc.boolean(), { nil: undefined }), narrowRange: fc.option(fc.boolean(), { nil: undefined }) }).map((o) => compact(o as Record<string, unknown>)), { nil: undefined });
  const floatTensorArb = fc.record({ seed: seedArb, shape: shapeArb(1, 4, 4) });
  const paramsFor = (dtype: 'int8' | 'uint8', shape: number[], seed: number, perAxis: number | null) => {
    const r = rng(seed);
    if (perAxis === null) return { scale: 0.01 + r() * 0.2, zeroPoint: zpFor(dtype, r) };
    return { scale: Array.from({ length: shape[perAxis] }, () => 0.01 + r() * 0.2), zeroPoint: Array.from({ length: shape[perAxis] }, () => zpFor(dtype, r)), axis: perAxis };
  };
  const qArb = fc.record({ seed: seedArb, dtype: dtypeArb, shape: shapeArb(1, 4, 4), perAxis: fc.boolean() });
  const qOf = (r: { seed: number; dtype: 'int8' | 'uint8'; shape: number[]; perAxis: boolean }) =>
    ({ dtype: r.dtype, shape: r.shape, data: bytes(r.dtype, numel(r.shape), r.seed), ...paramsFor(r.dtype, r.shape, r.seed + 1, r.perAxis ? r.shape.length - 1 : null) });
  const observerOpts = fc.record({ axis: fc.option(fc.constant(1), { nil: undefined }) }).map((o) => compact(o as Record<string, unknown>));
  const observerSpecs = (cls: 'MinMaxObserver' | 'MovingAverageMinMaxObserver' | 'HistogramObserver'): Spec[] => {
    const Ctor = q[cls] as unknown as new (o?: unknown) => { observe: (x: unknown) => void; quantParams: (o?: unknown) => unknown };
    const extraOpts = cls === 'MovingAverageMinMaxObserver' ? fc.record({ momentum: fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: undefined }) })
      : cls === 'HistogramObserver' ? fc.record({ bins: fc.option(fc.integer({ min: 16, max: 256 }), { nil: undefined }), method: fc.option(fc.constantFrom('percentile', 'mse'), { nil: undefined }), percentile: fc.option(fc.double({ min: 90, max: 100, noNaN: true }), { nil: undefined }) })
        : fc.constant({});
    const arb = fc.record({ opts: fc.tuple(observerOpts, extraOpts).map(([a, b]) => compact({ ...a, ...b } as Record<string, unknown>)), seed: seedArb, shape: shapeArb(2, 3, 4), bare: fc.boolean(), qopts: chooseOpts });
    type R = { opts: Record<string, unknown>; seed: number; shape: number[]; bare: boolean; qopts: unknown };
    const xOf = (r: R) => (r.bare && r.opts.axis === undefined ? floats(numel(r.shape), r.seed) : ftensor(r));
    const base = { optional: [...OPT_KEYS, 'momentum', 'bins', 'method', 'percentile'], nanInvalid: true, kinds: { x: 'freeFloats' } as Spec['kinds'] };
    return [
      { ...base, name: cls, argNames: ['opts'], arb, make: ((r: R) => [r.opts]) as (r: never) => unknown[],
        call: (a) => { const o = new Ctor(a[0]); const r = recipeOf.get(a) as R; o.observe(xOf(r)); o.observe(xOf({ ...r, seed: r.seed + 1 })); return o.quantParams(); } },
      { ...base, name: `${cls}.observe`, argNames: ['x'], arb, make: ((r: R) => [xOf(r)]) as (r: never) => unknown[],
        call: (a) => { const r = recipeOf.get(a) as R; const o = new Ctor(r.opts); o.observe(xOf({ ...r, seed: r.seed + 1 })); o.observe(a[0]); return o.quantParams(); } },
      { ...base, name: `${cls}.quantParams`, argNames: ['opts'], arb, make: ((r: R) => [r.qopts]) as (r: never) => unknown[],
        call: (a) => { const r = recipeOf.get(a) as R; const o = new Ctor(r.opts); o.observe(xOf(r)); return o.quantParams(a[0]); } },
    ];
  };
  return [
    { name: 'chooseQuantParams', argNames: ['min', 'max', 'opts'], arb: fc.record({ a: fc.double({ min: -1e6, max: 1e6, noNaN: true }), b: fc.double({ min: -1e6, max: 1e6, noNaN: true }), opts: chooseOpts }),
      make: ((r: { a: number; b: number; opts: unknown }) => [Math.min(r.a, r.b), Math.max(r.a, r.b), r.opts]) as (r: never) => unknown[],
      call: (a) => q.chooseQuantParams(a[0] as number, a[1] as number, a[2] as never), kinds: { min: 'finite', max: 'finite' }, optional: OPT_KEYS },
    { name: 'choosePerAxisQuantParams', argNames: ['x', 'axis', 'opts'], arb: fc.record({ t: floatTensorArb, axis: fc.integer({ min: -4, max: 3 }), opts: chooseOpts }),
      make: ((r: { t: FloatRecipe; axis: number; opts: unknown }) => [ftensor(r.t), ((r.axis % r.t.shape.length) + r.t.shape.length) % r.t.shape.length - (r.axis < 0 ? r.t.shape.length : 0), r.opts]) as (r: never) => unknown[],
      call: (a) => q.choosePerAxisQuantParams(a[0] as never, a[1] as number, a[2] as never), kinds: { axis: 'axisArg' }, optional: OPT_KEYS.filter((k) => k !== 'axis'), nanInvalid: true },
    { name: 'quantize', argNames: ['x', 'params', 'opts'], arb: fc.record({ t: floatTensorArb, dtype: dtypeArb, perAxis: fc.boolean(), rounding: fc.option(fc.constantFrom('away', 'even'), { nil: undefined }), explicitDtype: fc.boolean() }),
      make: ((r: { t: FloatRecipe; dtype: 'int8' | 'uint8'; perAxis: boolean; rounding?: string; explicitDtype: boolean }) =>
        [ftensor(r.t), paramsFor(r.dtype, r.t.shape, r.t.seed + 2, r.perAxis ? 0 : null), compact({ dtype: r.dtype === 'int8' && !r.explicitDtype ? undefined : r.dtype, rounding: r.rounding } as Record<string, unknown>)]) as (r: never) => unknown[],
      call: (a) => q.quantize(a[0] as never, a[1] as never, a[2] as never), optional: OPT_KEYS },
    { name: 'dequantize', argNames: ['t'], arb: qArb, make: ((r: Parameters<typeof qOf>[0]) => [qOf(r)]) as (r: never) => unknown[],
      call: (a) => q.dequantize(a[0] as never), optional: ['axis'] },
    { name: 'requantize', argNames: ['t', 'params', 'opts'], arb: fc.record({ t: qArb, dtype: dtypeArb, profile: profileArb }),
      make: ((r: { t: Parameters<typeof qOf>[0]; dtype: 'int8' | 'uint8'; profile?: string }) => [qOf(r.t), paramsFor(r.dtype, r.t.shape, r.t.seed + 5, null), compact({ dtype: r.dtype, profile: r.profile } as Record<string, unknown>)]) as (r: never) => unknown[],
      call: (a) => q.requantize(a[0] as never, a[1] as never, a[2] as never), optional: OPT_KEYS },
    { name: 'quantizeMultiplier', argNames: ['real', 'profile'], arb: fc.record({ real: fc.double({ min: 1e-6, max: 1e4, noNaN: true }), profile: profileArb }),
      make: ((r: { real: number; profile?: string }) => [r.real, r.profile]) as (r: never) => unknown[],
      call: (a) => q.quantizeMultiplier(a[0] as number, a[1] as never), kinds: { real: 'finite', profile: 'enum' }, optional: ['profile'] },
    { name: 'multiplyByQuantizedMultiplier', argNames: ['x', 'multiplier', 'shift', 'profile'],
      arb: fc.oneof(
        fc.record({ x: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), m: fc.integer({ min: 0, max: 2 ** 31 - 1 }), s: fc.integer({ min: -31, max: 30 }), p: fc.constantFrom('tflite-ref', 'tflite-single') }),
        fc.record({ x: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), m: fc.double({ min: 1e-4, max: 10, noNaN: true }), s: fc.constant(0), p: fc.constant('xnnpack-fp32') }),
        fc.record({ x: fc.bigInt({ min: -(2n ** 47n) + 1n, max: 2n ** 47n - 1n }), m: fc.integer({ min: 0, max: 2 ** 31 - 1 }), s: fc.integer({ min: -31, max: 7 }), p: fc.constant('tflite-ref') })),
      make: ((r: { x: number | bigint; m: number; s: number; p: string }) => [r.x, r.m, r.s, r.p]) as (r: never) => unknown[],
      call: (a) => q.multiplyByQuantizedMultiplier(a[0] as number, a[1] as number, a[2] as number, a[3] as never),
      kinds: { multiplier: 'multiplier', shift: 'shift', profile: 'enum' }, optional: ['profile'] },
    { name: 'foldBatchNorm', argNames: ['p'], arb: fc.record({ seed: seedArb, shape: shapeArb(2, 4, 4), axis: fc.integer({ min: 0, max: 3 }), bias: fc.boolean(), epsilon: fc.double({ min: 0, max: 0.1, noNaN: true }) }),
      make: ((r: { seed: number; shape: number[]; axis: number; bias: boolean; epsilon: number }) => {
        const axis = r.axis % r.shape.length;
        const c = r.shape[axis];
        const pos = (s: number) => floats(c, s).map((v) => Math.abs(v) + 0.1);
        return [compact({ weights: ftensor(r), bias: r.bias ? floats(c, r.seed + 1) : undefined, gamma: floats(c, r.seed + 2), beta: floats(c, r.seed + 3), mean: floats(c, r.seed + 4), variance: pos(r.seed + 5), epsilon: r.epsilon, axis } as Record<string, unknown>)];
      }) as (r: never) => unknown[],
      call: (a) => q.foldBatchNorm(a[0] as never), kinds: { axis: 'axisArg', bias: 'vector' }, optional: ['bias'], nullable: ['bias'], nanInvalid: true },
    ...observerSpecs('MinMaxObserver'), ...observerSpecs('MovingAverageMinMaxObserver'), ...observerSpecs('HistogramObserver'),
    { name: 'quantizationError', argNames: ['reference', 'quantized'], arb: fc.record({ t: qArb, float: fc.boolean() }),
      make: ((r: { t: Parameters<typeof qOf>[0]; float: boolean }) => {
        const t = qOf(r.t);
        return [ftensor({ seed: r.t.seed + 3, shape: r.t.shape }), r.float ? ftensor({ seed: r.t.seed + 4, shape: r.t.shape }) : t];
      }) as (r: never) => unknown[],
      call: (a) => q.quantizationError(a[0] as never, a[1] as never), kinds: { reference: 'object', quantized: 'object' }, optional: ['axis'] },
    { name: 'setThreads', argNames: ['n'], arb: fc.integer({ min: 1, max: 64 }), make: ((n: number) => [n]) as (r: never) => unknown[],
      call: (a) => { q.setThreads(a[0] as number); const t = q.backend().threads; q.setThreads(1024); return t > 0; }, kinds: { n: 'threads' } },
  ];
}

/** float.* */
export function floatSpecs(): Spec[] {
  const F = q.float as unknown as Record<string, (...a: unknown[]) => unknown>;
  const fconv = (depthwise: boolean) => ((r: ConvRecipe) => {
    const a = convArgs(r, depthwise);
    const m = a.filter.shape[depthwise ? 3 : 0];
    const opts = compact({ ...a.opts, profile: undefined } as Record<string, unknown>);
    return [{ shape: a.input.shape, data: floats(numel(a.input.shape), r.seed) }, { shape: a.filter.shape, data: floats(numel(a.filter.shape), r.seed + 1, 1) },
      r.bias ? floats(m, r.seed + 2) : null, opts];
  }) as (r: never) => unknown[];
  const base = { optional: OPT_KEYS, nullable: ['bias'] };
  return [
    { ...base, name: 'float.conv2d', argNames: ['x', 'filter', 'bias', 'opts'], arb: convArb, make: fconv(false), call: (a) => F.conv2d(...a), kinds: { filter: 'object' } },
    { ...base, name: 'float.depthwiseConv2d', argNames: ['x', 'filter', 'bias', 'opts'], arb: convArb, make: fconv(true), call: (a) => F.depthwiseConv2d(...a), kinds: { filter: 'object' } },
    { ...base, name: 'float.fullyConnected', argNames: ['x', 'weights', 'bias', 'opts'], arb: fcArb,
      make: ((r: FcRecipe) => [{ shape: [...r.lead, r.k], data: floats(numel(r.lead) * r.k, r.seed) }, { shape: [r.units, r.k], data: floats(r.units * r.k, r.seed + 1) },
        r.bias ? floats(r.units, r.seed + 2) : null, compact({ activation: r.activation } as Record<string, unknown>)]) as (r: never) => unknown[],
      call: (a) => F.fullyConnected(...a) },
    { ...base, name: 'float.maxPool2d', argNames: ['x', 'opts'], arb: poolArb, optional: OPT_KEYS.filter((k) => k !== 'opts'),
      make: ((r: PoolRecipe) => { const [t, o] = poolArgs(r); return [{ shape: (t as QTensor).shape, data: floats(numel((t as QTensor).shape), r.seed) }, o]; }) as (r: never) => unknown[],
      call: (a) => F.maxPool2d(...a), kinds: { filter: 'pair' } },
    { ...base, name: 'float.averagePool2d', argNames: ['x', 'opts'], arb: poolArb, optional: OPT_KEYS.filter((k) => k !== 'opts'),
      make: ((r: PoolRecipe) => { const [t, o] = poolArgs(r); return [{ shape: (t as QTensor).shape, data: floats(numel((t as QTensor).shape), r.seed) }, o]; }) as (r: never) => unknown[],
      call: (a) => F.averagePool2d(...a), kinds: { filter: 'pair' } },
    { ...base, name: 'float.add', argNames: ['a', 'b', 'opts'], arb: addArb,
      make: ((r: AddRecipe) => { const [a, b, , o] = addArgs(r) as QTensor[]; return [{ shape: a.shape, data: floats(numel(a.shape), r.seed) }, { shape: b.shape, data: floats(numel(b.shape), r.seed + 1) }, o]; }) as (r: never) => unknown[],
      call: (a) => F.add(...a) },
    { ...base, name: 'float.softmax', argNames: ['x', 'opts'], arb: softmaxArb, optional: [...OPT_KEYS, 'beta'],
      make: ((r: SoftmaxRecipe) => [{ shape: r.shape, data: floats(numel(r.shape), r.seed) }, compact({ beta: r.beta } as Record<string, unknown>)]) as (r: never) => unknown[],
      call: (a) => F.softmax(...a) },
  ];
}
