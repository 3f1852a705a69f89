// FULLY_CONNECTED (spec 5.4), the GEMM: input [B, K] (any rank, flattened) times weights [units, K] transposed.
// The weight-only checks and multipliers (an FcPlan, made once by a prepared operator), and the stateless functions.
import type { ByteArray } from '../../binding';
import type { Kernels } from '../kernels';
import { kernels } from '../kernels';
import type { Activation, Profile, QDType, QTensor } from '../types';
import { dtypeRange } from '../types';
import { checkQTensor } from '../quant/params';
import type { CheckedQTensor } from '../quant/params';
import { profileArg, profileId } from '../quant/profile';
import { numel, optionsArg, rangeError } from '../validate';
import {
  activationArg, activationParams, allocate, biasArg, checkElementCount, checkWeights, deriveRequantization, outputClamp,
  perTensorParamsArg, rejectOnThrow, requireRank, Requantization, resultTensor, shapeRelationError, TensorParams,
} from './common';
import { FcField } from './geometry';

export interface FullyConnectedOptions {
  /** Fused activation, default 'NONE'; must be 'NONE' when the output is null. */
  activation?: Activation;
  /** Default 'tflite-ref'. */
  profile?: Profile;
}

/** How arguments are named in messages (stateless or prepared form). */
export interface FcNames {
  fn: string;
  weights: string;
  bias: string;
  output: string;
  option: string;
}

/** Everything about a fully-connected layer that does not depend on the input's shape. */
export interface FcPlan {
  names: FcNames;
  dtype: QDType;
  weights: ByteArray;
  units: number;
  depth: number;
  bias: Int32Array | null;
  input: TensorParams;
  /** null: the raw int32 accumulators (bias included) are the result. */
  output: TensorParams | null;
  requant: Requantization;
  filterOffset: number;
  clamp: [number, number];
}

/** Checks weights, bias, output and options for an input of the given dtype and parameters; derives the multipliers. */
export function planFc(names: FcNames, k: Kernels, dtype: QDType, input: TensorParams, weightsValue: unknown, biasValue: unknown,
  outputValue: unknown, o: Record<string, unknown>): FcPlan {
  return planCheckedFc(names, k, dtype, input, checkQTensor(names.fn, names.weights, weightsValue), biasValue, outputValue, o);
}

/** planFc on weights already checked (read once: a caller that needed their dtype first must not read them again). */
export function planCheckedFc(names: FcNames, k: Kernels, dtype: QDType, input: TensorParams, weights: CheckedQTensor, biasValue: unknown,
  outputValue: unknown, o: Record<string, unknown>): FcPlan {
  const fn = names.fn;
  requireRank(fn, names.weights, weights, 2, '[units, K]');
  const [units, depth] = weights.shape;
  if (units < 1 || depth < 1) throw rangeError(fn, `${names.weights}.shape`, '[units, K] with units, K >= 1', weights.shape);
  checkElementCount(fn, `${names.weights}.shape`, weights.shape);
  checkWeights(fn, names.weights, weights, dtype, 0, 'the units');
  const bias = biasArg(fn, names.bias, biasValue, units);
  const output = outputValue === null ? null : perTensorParamsArg(fn, names.output, outputValue, dtype);
  const activation = activationArg(fn, `${names.option}activation`, o.activation);
  const profile = profileArg(fn, `${names.option}profile`, o.profile);
  const filterOffset = dtype === 'uint8' ? -weights.params.zeroPoint[0] : 0;
  if (output === null) {
    if (activation !== 'NONE') throw rangeError(fn, `${names.option}activation`, `'NONE' when ${names.output} is null (raw int32 accumulators)`, activation);
    const { qmin, qmax } = dtypeRange(dtype);
    const requant: Requantization = {
      multiplier: new Int32Array(1), shift: new Int32Array(1), scale: new Float32Array(1), perChannel: false, profile: profileId(profile),
    };
    return { names, dtype, weights: weights.data, units, depth, bias, input, output, requant, filterOffset, clamp: [qmin, qmax] };
  }
  // per-channel: (double)s_in * s_w[c] / s_out; per-tensor (and uint8): (double)f32(s_in * s_w) / s_out
  const perChannel = weights.params.scale.length > 1;
  const requant = deriveRequantization(fn, names.output, k, profile, input.scale, weights.params.scale, output, !perChannel);
  return { names, dtype, weights: weights.data, units, depth, bias, input, output, requant, filterOffset, clamp: outputClamp(activation, output, dtype) };
}

/** Kernel geometry and output shape [B, units] for an input of `shape` (numel a multiple of K). */
export function fcGeometry(plan: FcPlan, shape: readonly number[], inputArg: string, fn = plan.names.fn): { geometry: Int32Array; outShape: number[] } {
  const n = numel(shape);
  if (n % plan.depth !== 0) {
    throw shapeRelationError(fn, `${inputArg}.shape`, shape, `needs its ${n} elements to be a multiple of K ${plan.depth} (${plan.names.weights}.shape[1])`);
  }
  const batches = n / plan.depth;
  const outShape = [batches, plan.units];
  checkElementCount(fn, 'output shape', outShape);
  const g = new Int32Array(FcField.Count);
  g[FcField.Batches] = batches;
  g[FcField.Depth] = plan.depth;
  g[FcField.Units] = plan.units;
  g[FcField.InputOffset] = -plan.input.zeroPoint;
  g[FcField.FilterOffset] = plan.filterOffset;
  g[FcField.OutputOffset] = plan.output === null ? 0 : plan.output.zeroPoint;
  g[FcField.ActivationMin] = plan.clamp[0];
  g[FcField.ActivationMax] = plan.clamp[1];
  g[FcField.Profile] = plan.requant.profile;
  g[FcField.PerChannel] = plan.requant.perChannel ? 1 : 0;
  return { geometry: g, outShape };
}

/** The output array of a plan: int8/uint8 codes, or int32 accumulators when the output is null. */
export function allocateFcOutput(plan: FcPlan, n: number): ByteArray | Int32Array {
  return plan.output === null ? new Int32Array(n) : allocate(plan.dtype, n);
}

/** The result: a QTensor over `out`, or `out` itself (the raw accumulators). */
export function fcResult(plan: FcPlan, outShape: readonly number[], out: ByteArray | Int32Array): QTensor | Int32Array {
  // allocateFcOutput and the prepared run's checks pair an Int32Array with a null output, bytes with the others
  return plan.output === null ? (out as Int32Array) : resultTensor(plan.dtype, outShape, out as ByteArray, plan.output);
}

export function runFcKernel(k: Kernels, plan: FcPlan, x: ByteArray, geometry: Int32Array, out: ByteArray | Int32Array): void {
  const r = plan.requant;
  k.fullyConnected(x, plan.weights, plan.bias, r.multiplier, r.shift, r.scale, geometry, out);
}

export function runFcKernelAsync(k: Kernels, plan: FcPlan, x: ByteArray, geometry: Int32Array, out: ByteArray | Int32Array): Promise<void> {
  const r = plan.requant;
  return k.fullyConnectedAsync(x, plan.weights, plan.bias, r.multiplier, r.shift, r.scale, geometry, out);
}

interface FcCall {
  plan: FcPlan;
  input: ByteArray;
  geometry: Int32Array;
  out: ByteArray | Int32Array;
  result: QTensor | Int32Array;
}

function prepareCall(fn: string, k: Kernels, input: unknown, weights: unknown, bias: unknown, output: unknown, opts: unknown): FcCall {
  const x = checkQTensor(fn, 'input', input);
  checkElementCount(fn, 'input.shape', x.shape);
  const inputParams = activationParams(fn, 'input', x);
  const o = optionsArg(fn, 'opts', opts);
  const plan = planFc({ fn, weights: 'weights', bias: 'bias', output: 'output', option: 'opts.' }, k, x.dtype, inputParams, weights, bias, output, o);
  const { geometry, outShape } = fcGeometry(plan, x.shape, 'input');
  const out = allocateFcOutput(plan, outShape[0] * outShape[1]);
  return { plan, input: x.data, geometry, out, result: fcResult(plan, outShape, out) };
}

type FcOutput = { scale: number; zeroPoint: number };

/**
 * FULLY_CONNECTED: input of any rank read as [numel/K, K], weights [units, K], bias [units] or null.
 * Output [B, units]; with output null, the raw int32 accumulators (bias included) as an Int32Array.
 */
export function fullyConnected(input: QTensor, weights: QTensor, bias: Int32Array | null, output: FcOutput, opts?: FullyConnectedOptions): QTensor;
export function fullyConnected(input: QTensor, weights: QTensor, bias: Int32Array | null, output: null, opts?: FullyConnectedOptions): Int32Array;
export function fullyConnected(input: QTensor, weights: QTensor, bias: Int32Array | null, output: FcOutput | null, opts?: FullyConnectedOptions): QTensor | Int32Array;
export function fullyConnected(input: QTensor, weights: QTensor, bias: Int32Array | null, output: FcOutput | null, opts?: FullyConnectedOptions): QTensor | Int32Array {
  const k = kernels();
  const c = prepareCall('fullyConnected', k, input, weights, bias, output, opts);
  runFcKernel(k, c.plan, c.input, c.geometry, c.out);
  return c.result;
}

/** fullyConnected off the event loop. Bad input rejects. */
export function fullyConnectedAsync(input: QTensor, weights: QTensor, bias: Int32Array | null, output: FcOutput, opts?: FullyConnectedOptions): Promise<QTensor>;
export function fullyConnectedAsync(input: QTensor, weights: QTensor, bias: Int32Array | null, output: null, opts?: FullyConnectedOptions): Promise<Int32Array>;
export function fullyConnectedAsync(input: QTensor, weights: QTensor, bias: Int32Array | null, output: FcOutput | null, opts?: FullyConnectedOptions): Promise<QTensor | Int32Array>;
export function fullyConnectedAsync(input: QTensor, weights: QTensor, bias: Int32Array | null, output: FcOutput | null, opts?: FullyConnectedOptions): Promise<QTensor | Int32Array> {
  const k = kernels();
  return rejectOnThrow(() => {
    const c = prepareCall('fullyConnectedAsync', k, input, weights, bias, output, opts);
    return runFcKernelAsync(k, c.plan, c.input, c.geometry, c.out).then(() => c.result);
  });
}
