// Prepared operators: weights checked and copied, multipliers derived once at creation; run() only checks
// the input (and a caller-owned output array) and calls the kernel. A disposed operator throws.
import type { ByteArray, NativePreparedConv2D, NativePreparedDepthwiseConv2D, NativePreparedFullyConnected } from '../../binding';
import { loaded } from '../binding';
import { ConvField, FcField } from './geometry';
import type { Kernels } from '../kernels';
import { kernels, nativeKernels } from '../kernels';
import type { Activation, ConvPadding, Profile, QDType, QTensor, QuantParams } from '../types';
import { checkQTensor } from '../quant/params';
import { numel, rangeError, shapeArg, shapeText, typeError } from '../validate';
import { activationParams, checkElementCount, perTensorParamsArg, plainObjectArg, rejectOnThrow, resultTensor, TensorParams } from './common';
import { ConvPlan, convGeometry, convLayerGeometry, planCheckedConv, runConvKernel, runConvKernelAsync } from './conv';
import { allocateFcOutput, FcPlan, fcGeometry, fcResult, planCheckedFc, runFcKernel, runFcKernelAsync } from './fully-connected';

/** An operator with its weights packed once. `Result` is a QTensor, or an Int32Array for a raw fully-connected layer. */
export interface PreparedOp<Result = QTensor> {
  /**
   * Runs on a QTensor (whose scale and zero point must be the prepared input's) or on raw codes with `shape`.
   * `out`, when given, receives the result and must have exactly its length (Int32Array for raw accumulators).
   */
  run(x: QTensor | Int8Array | Uint8Array, shape?: readonly number[], out?: Int8Array | Uint8Array | Int32Array): Result;
  /** run off the event loop; bad input rejects. */
  runAsync(x: QTensor | Int8Array | Uint8Array, shape?: readonly number[], out?: Int8Array | Uint8Array | Int32Array): Promise<Result>;
  /** Releases the packed weights; run and runAsync throw afterwards. */
  dispose(): void;
}

export interface PreparedConvParams {
  filter: QTensor;
  bias: Int32Array | null;
  /** The input's quantization (per-tensor); its dtype is the filter's. */
  input: QuantParams;
  output: { scale: number; zeroPoint: number };
  strides?: [number, number];
  dilations?: [number, number];
  /** 'SAME', 'VALID' (default) or explicit [[top, bottom], [left, right]], as ConvOptions.padding. */
  padding?: ConvPadding;
  activation?: Activation;
  profile?: Profile;
}

export interface PreparedDepthwiseConvParams extends PreparedConvParams {
  depthMultiplier?: number;
}

export interface PreparedFullyConnectedParams<Output extends { scale: number; zeroPoint: number } | null = { scale: number; zeroPoint: number } | null> {
  weights: QTensor;
  bias: Int32Array | null;
  input: QuantParams;
  /** null: run returns the raw int32 accumulators. */
  output: Output;
  activation?: Activation;
  profile?: Profile;
}

/** A checked run input: its codes and their shape. */
interface CheckedRun {
  data: ByteArray;
  shape: readonly number[];
}

/** What differs between prepared operators: how an input shape becomes geometry, and the kernel calls. */
interface Runner<Result> {
  /** Checks an input shape against the weights (messages name `fn` and the input "x"). */
  geometry(fn: string, shape: readonly number[]): { geometry: Int32Array; outShape: number[] };
  allocate(n: number): ByteArray | Int32Array;
  result(outShape: readonly number[], out: ByteArray | Int32Array): Result;
  run(k: Kernels, x: ByteArray, geometry: Int32Array, out: ByteArray | Int32Array): void;
  runAsync(k: Kernels, x: ByteArray, geometry: Int32Array, out: ByteArray | Int32Array): Promise<void>;
  /** The shape of a raw input when none is given, or null when it is required. */
  defaultShape(length: number): readonly number[] | null;
  /** The typed array the output must be. */
  outType: Int8ArrayConstructor | Uint8ArrayConstructor | Int32ArrayConstructor;
}

/** Checks x (QTensor or raw codes of the prepared dtype) against the prepared input parameters. */
function checkRunInput(fn: string, dtype: QDType, input: TensorParams, x: unknown, shape: unknown, defaultShape: (n: number) => readonly number[] | null): CheckedRun {
  const codes = dtype === 'int8' ? Int8Array : Uint8Array;
  if (ArrayBuffer.isView(x)) {
    if (!(x instanceof codes)) throw typeError(fn, 'x', `a QTensor or an ${codes.name} (the prepared dtype is '${dtype}')`, x);
    const given = shape === undefined ? defaultShape(x.length) : shapeArg(fn, 'shape', shape);
    if (given === null) throw typeError(fn, 'shape', 'an array of non-negative integers when x is a typed array', shape);
    if (numel(given) !== x.length) throw rangeError(fn, 'x', `of length ${numel(given)} for shape ${shapeText(given)}`, x);
    return { data: x, shape: given };
  }
  const t = checkQTensor(fn, 'x', x);
  if (t.dtype !== dtype) throw rangeError(fn, 'x.dtype', `'${dtype}' (the prepared dtype)`, t.dtype);
  const p = activationParams(fn, 'x', t);
  if (p.scale !== input.scale) throw rangeError(fn, 'x.scale', `${input.scale} (the prepared input scale)`, p.scale);
  if (p.zeroPoint !== input.zeroPoint) throw rangeError(fn, 'x.zeroPoint', `${input.zeroPoint} (the prepared input zero point)`, p.zeroPoint);
  if (shape !== undefined) {
    const given = shapeArg(fn, 'shape', shape);
    if (shapeText(given) !== shapeText(t.shape)) throw rangeError(fn, 'shape', `undefined or x.shape ${shapeText(t.shape)}`, given);
  }
  return { data: t.data, shape: t.shape };
}

/** A prepared operator bound once to fixed input codes, shape and output (bindPrepared). */
export interface BoundRun {
  run(k: Kernels): void;
  runAsync(k: Kernels): Promise<void>;
}

type Binder = (x: ByteArray, shape: readonly number[] | undefined, out: ByteArray | Int32Array) => BoundRun;
const binders = new WeakMap<object, Binder>();

/**
 * For callers that run one operator many times on the same arrays (the TFLite interpreter's arena views): checks x,
 * shape and out and builds the geometry once, as run would on every call; the bound calls then only reach the
 * kernels. The arrays must keep their lengths (views of a fixed arena); run after dispose throws as run does.
 */
export function bindPrepared(op: PreparedOp<unknown>, x: ByteArray, shape: readonly number[] | undefined, out: ByteArray | Int32Array): BoundRun {
  const binder = binders.get(op);
  if (binder === undefined) throw new TypeError('bindPrepared: op must be an operator made by createConv2d, createDepthwiseConv2d or createFullyConnected');
  return binder(x, shape, out);
}

/** A wrapper around a makePrepared operator (extra dispose work) binds as the operator it wraps. */
function wrapping<T extends object>(wrapper: T, op: PreparedOp<unknown>): T {
  const binder = binders.get(op);
  if (binder !== undefined) binders.set(wrapper, binder);
  return wrapper;
}

function makePrepared<Result>(name: string, dtype: QDType, input: TensorParams, runner: Runner<Result>): PreparedOp<Result> {
  let disposed = false;
  const runName = `${name}.run`, runAsyncName = `${name}.runAsync`;
  // The geometry of the last input shape: a layer run again and again on one shape derives it once (the geometry is
  // only read by the kernels, and the async path copies it).
  let last: { shape: readonly number[]; geometry: Int32Array; outShape: readonly number[] } | null = null;
  const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
  const start = (fn: string, x: unknown, shape: unknown, out: unknown) => {
    if (disposed) throw new Error(`${fn}: the prepared operator was disposed`);
    const checked = checkRunInput(fn, dtype, input, x, shape, (n) => runner.defaultShape(n));
    if (last === null || !sameShape(last.shape, checked.shape)) {
      checkElementCount(fn, 'x.shape', checked.shape);
      last = { shape: checked.shape.slice(), ...runner.geometry(fn, checked.shape) };
    }
    const { geometry, outShape } = last;
    const n = numel(outShape);
    let target: ByteArray | Int32Array;
    if (out === undefined) {
      target = runner.allocate(n);
    } else {
      if (!(out instanceof runner.outType) || !ArrayBuffer.isView(out)) throw typeError(fn, 'out', `an ${runner.outType.name}`, out);
      if (out.length !== n) throw rangeError(fn, 'out', `of length ${n} for output shape ${shapeText(outShape)}`, out);
      target = out;
    }
    return { x: checked.data, geometry, out: target, result: runner.result(outShape, target) };
  };
  const op: PreparedOp<Result> = {
    run(x, shape, out) {
      const k = kernels();
      const c = start(runName, x, shape, out);
      runner.run(k, c.x, c.geometry, c.out);
      return c.result;
    },
    runAsync(x, shape, out) {
      const k = kernels();
      return rejectOnThrow(() => {
        const c = start(runAsyncName, x, shape, out);
        return runner.runAsync(k, c.x, c.geometry, c.out).then(() => c.result);
      });
    },
    dispose() {
      disposed = true;
    },
  };
  binders.set(op, (x, shape, out) => {
    const c = start(`${name}.run`, x, shape, out);
    const live = (fn: string): void => {
      if (disposed) throw new Error(`${name}.${fn}: the prepared operator was disposed`);
    };
    return {
      run: (k) => {
        live('run');
        runner.run(k, c.x, c.geometry, c.out);
      },
      runAsync: (k) => rejectOnThrow(() => {
        live('runAsync');
        return runner.runAsync(k, c.x, c.geometry, c.out);
      }),
    };
  });
  return op;
}

/** A copy of the plan's weights and bias, so later changes to the caller's arrays do not reach the operator. */
function ownConvPlan(plan: ConvPlan): ConvPlan {
  return { ...plan, filter: plan.filter.slice(), bias: plan.bias === null ? null : plan.bias.slice() };
}

function createConv(fn: string, depthwise: boolean, p: unknown): PreparedOp<QTensor> {
  const o = plainObjectArg(fn, 'p', p, 'an object { filter, bias, input, output, ...options }');
  const k = kernels();
  const filter = checkQTensor(fn, 'p.filter', o.filter);  // read once, then passed on
  const dtype = filter.dtype;
  const input = perTensorParamsArg(fn, 'p.input', o.input, dtype);
  const plan = ownConvPlan(planCheckedConv({ fn, filter: 'p.filter', bias: 'p.bias', output: 'p.output', option: 'p.' }, depthwise, k, dtype, input,
    filter, o.bias, o.output, o));
  let packed: ConvPlan | null = plan;
  const live = (): ConvPlan => packed as ConvPlan; // makePrepared refuses calls after dispose
  // CONV_2D int8 -> int8 on the native backend: the filter is packed once for the SIMD GEMM of this environment
  let gemm: NativeConvPacks | null = !depthwise && k === nativeKernels ? packNativeConv(plan) : null;
  // DEPTHWISE_CONV_2D int8 -> int8 on the native backend: the filter is packed once for the depthwise kernel
  let dw: NativePreparedDepthwiseConv2D | null = depthwise && k === nativeKernels ? packNativeDepthwise(plan) : null;
  const onGemm = (kk: Kernels, g: Int32Array): NativePreparedConv2D | NativePreparedDepthwiseConv2D | null =>
    (kk === nativeKernels ? dw ?? (gemm !== null ? gemm.forGeometry(g) : null) : null);
  const op = makePrepared<QTensor>(depthwise ? 'depthwiseConv2d' : 'conv2d', dtype, input, {
    geometry: (runFn, shape) => {
      if (shape.length !== 4) throw rangeError(runFn, 'x.shape', 'of rank 4 (NHWC)', shape);
      return convGeometry(live(), shape, 'x', runFn);
    },
    allocate: (n) => (dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n)),
    result: (outShape, out) => resultTensor(dtype, outShape, out as ByteArray, live().output),
    run: (kk, x, g, out) => {
      const native = onGemm(kk, g);
      if (native) native.run(x as Int8Array, g, out as Int8Array);
      else runConvKernel(kk, live(), x, g, out as ByteArray);
    },
    runAsync: (kk, x, g, out) => {
      const native = onGemm(kk, g);
      return native ? native.runAsync(x as Int8Array, g, out as Int8Array) : runConvKernelAsync(kk, live(), x, g, out as ByteArray);
    },
    defaultShape: () => null,
    outType: dtype === 'int8' ? Int8Array : Uint8Array,
  });
  return wrapping({
    run: op.run,
    runAsync: op.runAsync,
    dispose() {
      op.dispose();
      gemm?.dispose();
      gemm = null;
      dw?.dispose();
      dw = null;
      packed = null;
    },
  }, op);
}

/** The native packings of one CONV_2D filter, one per group count (groups = input channels / filter channels). */
interface NativeConvPacks {
  forGeometry(geometry: Int32Array): NativePreparedConv2D;
  dispose(): void;
}

/**
 * The filter packed for the native GEMM when the layer is int8 -> int8 with zero-point-0 weights, else null (the
 * reference kernel runs). Packs for one group (input channels = filter channels) now, for other group counts on
 * their first run.
 */
function packNativeConv(plan: ConvPlan): NativeConvPacks | null {
  const native = loaded.native;
  if (native === null || plan.dtype !== 'int8' || plan.filterOffset !== 0) return null;
  const r = plan.requant;
  if (r.profile !== 2 && r.multiplier.some((m) => m < 0)) return null;
  const filter = plan.filter as Int8Array;
  const byInputChannels = new Map<number, NativePreparedConv2D>();
  const pack = (geometry: Int32Array): NativePreparedConv2D => {
    const op = native.createConv2d(filter, plan.bias, r.multiplier, r.shift, r.scale, geometry);
    byInputChannels.set(geometry[ConvField.InputChannels], op);
    return op;
  };
  pack(convLayerGeometry(plan, plan.filterShape[3], plan.filterShape[0], plan.filterShape[3], 1));
  return {
    forGeometry: (geometry) => byInputChannels.get(geometry[ConvField.InputChannels]) ?? pack(geometry),
    dispose() {
      for (const op of byInputChannels.values()) op.dispose();
      byInputChannels.clear();
    },
  };
}

/** CONV_2D with the filter packed once (see conv2d): p = { filter, bias, input, output, strides?, dilations?, padding?, activation?, profile? }. */
export function createConv2d(p: PreparedConvParams): PreparedOp<QTensor> {
  return createConv('createConv2d', false, p);
}

/** DEPTHWISE_CONV_2D with the filter packed once (see depthwiseConv2d); p as createConv2d plus depthMultiplier. */
export function createDepthwiseConv2d(p: PreparedDepthwiseConvParams): PreparedOp<QTensor> {
  return createConv('createDepthwiseConv2d', true, p);
}

/**
 * FULLY_CONNECTED with the weights packed once (see fullyConnected). run(x) accepts raw codes without a shape
 * ([length/K, K]). With output null, run returns the raw int32 accumulators and `out` must be an Int32Array.
 */
export function createFullyConnected(p: PreparedFullyConnectedParams<{ scale: number; zeroPoint: number }>): PreparedOp<QTensor>;
export function createFullyConnected(p: PreparedFullyConnectedParams<null>): PreparedOp<Int32Array>;
export function createFullyConnected(p: PreparedFullyConnectedParams): PreparedOp<QTensor | Int32Array>;
export function createFullyConnected(p: PreparedFullyConnectedParams): PreparedOp<QTensor | Int32Array> {
  const fn = 'createFullyConnected';
  const o = plainObjectArg(fn, 'p', p, 'an object { weights, bias, input, output, activation?, profile? }');
  const k = kernels();
  const weights = checkQTensor(fn, 'p.weights', o.weights);
  const dtype = weights.dtype;
  const input = perTensorParamsArg(fn, 'p.input', o.input, dtype);
  const planned = planCheckedFc({ fn, weights: 'p.weights', bias: 'p.bias', output: 'p.output', option: 'p.' }, k, dtype, input, weights, o.bias, o.output, o);
  let packed: FcPlan | null = { ...planned, weights: planned.weights.slice(), bias: planned.bias === null ? null : planned.bias.slice() };
  const live = (): FcPlan => packed as FcPlan;
  const raw = planned.output === null;
  // no closure below refers to `planned`, which holds the caller's weight and bias arrays (only copies are kept)
  const { depth, units, output } = planned;
  // int8 -> int8 on the native backend: the weights are packed once for the SIMD GEMM of this environment
  let gemm: NativePreparedFullyConnected | null = k === nativeKernels ? packNativeGemm(planned) : null;
  const onGemm = (kk: Kernels): NativePreparedFullyConnected | null => (kk === nativeKernels ? gemm : null);
  const op = makePrepared<QTensor | Int32Array>('fullyConnected', dtype, input, {
    geometry: (runFn, shape) => fcGeometry(live(), shape, 'x', runFn),
    allocate: (n) => allocateFcOutput(live(), n),
    result: (outShape, out) => fcResult(live(), outShape, out),
    run: (kk, x, g, out) => {
      const native = onGemm(kk);
      if (native) native.run(x as Int8Array, g[FcField.Batches], out as Int8Array);
      else runFcKernel(kk, live(), x, g, out);
    },
    runAsync: (kk, x, g, out) => {
      const native = onGemm(kk);
      return native ? native.runAsync(x as Int8Array, g[FcField.Batches], out as Int8Array) : runFcKernelAsync(kk, live(), x, g, out);
    },
    defaultShape: (n) => (n % depth === 0 ? [n / depth, depth] : [n]),
    outType: raw ? Int32Array : dtype === 'int8' ? Int8Array : Uint8Array,
  });
  return wrapping({
    run(x, shape, out) {
      // The hot path: raw int8 codes into a caller-owned output of the right length, nothing else to check.
      const native = gemm !== null ? onGemm(kernels()) : null;
      if (native !== null && shape === undefined && x instanceof Int8Array && out instanceof Int8Array) {
        const batches = x.length / depth;
        if (Number.isInteger(batches) && out.length === batches * units) {
          native.run(x, batches, out);
          return resultTensor('int8', [batches, units], out, output as TensorParams);
        }
      }
      return op.run(x, shape, out);
    },
    runAsync: op.runAsync,
    dispose() {
      op.dispose();
      gemm?.dispose();
      gemm = null;
      packed = null;
    },
  }, op);
}

/** The weights packed for the native GEMM when the layer is int8 -> int8, else null (the reference kernel runs). */
function packNativeGemm(plan: FcPlan): NativePreparedFullyConnected | null {
  const native = loaded.native;
  if (native === null || plan.dtype !== 'int8' || plan.output === null) return null;
  const r = plan.requant;
  if (r.profile !== 2 && r.multiplier.some((m) => m < 0)) return null;
  const { geometry } = fcGeometry(plan, [0, plan.depth], 'x');
  return native.createFullyConnected(plan.weights as Int8Array, plan.bias, r.multiplier, r.shift, r.scale, geometry);
}

/**
 * The depthwise filter packed for the native depthwise kernel when the layer is int8 -> int8 with zero-point-0
 * weights, else null (the reference kernel runs). Input channels and depth multiplier come with each run.
 */
function packNativeDepthwise(plan: ConvPlan): NativePreparedDepthwiseConv2D | null {
  const native = loaded.native;
  if (native === null || plan.dtype !== 'int8' || plan.filterOffset !== 0) return null;
  const r = plan.requant;
  if (r.profile !== 2 && r.multiplier.some((m) => m < 0)) return null;
  const channels = plan.filterShape[3];
  const multiplier = plan.depthMultiplier !== undefined && channels % plan.depthMultiplier === 0 ? plan.depthMultiplier : 1;
  const g = convLayerGeometry(plan, channels / multiplier, channels, 1, multiplier);
  return native.createDepthwiseConv2d(plan.filter as Int8Array, plan.bias, r.multiplier, r.shift, r.scale, g);
}
