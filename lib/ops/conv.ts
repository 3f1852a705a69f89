// CONV_2D and DEPTHWISE_CONV_2D (spec 5.2, 5.3): the checks and multipliers that depend only on the weights
// (a ConvPlan, made once by a prepared operator), the geometry of one input, and the stateless functions.
import type { ByteArray } from '../../binding';
import type { Kernels } from '../kernels';
import { kernels } from '../kernels';
import type { Activation, ConvPadding, Profile, QDType, QTensor } from '../types';
import { checkQTensor } from '../quant/params';
import type { CheckedQTensor } from '../quant/params';
import { profileArg } from '../quant/profile';
import { integerArg, optionsArg, rangeError } from '../validate';
import {
  activationArg, activationParams, allocate, biasArg, checkElementCount, checkWeights, convPaddingArg, deriveRequantization, INT32_MAX, outputClamp,
  pairArg, perTensorParamsArg, rejectOnThrow, requireRank, Requantization, resultTensor, shapeRelationError, spatialGeometry,
  TensorParams, WindowSpec,
} from './common';
import { ConvField } from './geometry';

export interface ConvOptions {
  /** [height, width], default [1, 1]. */
  strides?: [number, number];
  /** [height, width], default [1, 1]. */
  dilations?: [number, number];
  /**
   * 'SAME', 'VALID' (default), or explicit [[top, bottom], [left, right]] (integers >= 0): rows and columns of the
   * input zero point around the input, then a 'VALID' window (TFLite's PAD before a 'VALID' conv).
   */
  padding?: ConvPadding;
  /** Fused activation, default 'NONE'. */
  activation?: Activation;
  /** Default 'tflite-ref'. */
  profile?: Profile;
}

export interface DepthwiseConvOptions extends ConvOptions {
  /** Output channels per input channel; derived from the shapes (filter channels / input channels) and checked when given. */
  depthMultiplier?: number;
}

/** How arguments are named in messages: "filter", "opts.strides" (stateless) or "p.filter", "p.strides" (prepared). */
export interface ConvNames {
  fn: string;
  filter: string;
  bias: string;
  output: string;
  /** Prefix of option names, with its dot. */
  option: string;
}

/** Everything about a convolution that does not depend on the input's shape. */
export interface ConvPlan {
  names: ConvNames;
  depthwise: boolean;
  dtype: QDType;
  filter: ByteArray;
  filterShape: readonly number[];
  bias: Int32Array | null;
  input: TensorParams;
  output: TensorParams;
  requant: Requantization;
  filterOffset: number;
  clamp: [number, number];
  window: WindowSpec;
  /** As given (depthwise only); checked against the shapes with each input. */
  depthMultiplier: number | undefined;
}

/**
 * Checks the filter, bias, output and options of a convolution whose input has the given dtype and parameters,
 * and derives its requantization with kernels `k`.
 */
export function planConv(names: ConvNames, depthwise: boolean, k: Kernels, dtype: QDType, input: TensorParams,
  filterValue: unknown, biasValue: unknown, outputValue: unknown, o: Record<string, unknown>): ConvPlan {
  return planCheckedConv(names, depthwise, k, dtype, input, checkQTensor(names.fn, names.filter, filterValue), biasValue, outputValue, o);
}

/** planConv on a filter already checked (read once: a caller that needed its dtype first must not read it again). */
export function planCheckedConv(names: ConvNames, depthwise: boolean, k: Kernels, dtype: QDType, input: TensorParams,
  filter: CheckedQTensor, biasValue: unknown, outputValue: unknown, o: Record<string, unknown>): ConvPlan {
  const fn = names.fn;
  requireRank(fn, names.filter, filter, 4, depthwise ? '[1, KH, KW, Cin*M]' : '[Cout, KH, KW, Cin/groups]');
  const fs = filter.shape;
  if (depthwise ? fs[0] !== 1 || fs[1] < 1 || fs[2] < 1 || fs[3] < 1 : fs.some((d) => d < 1)) {
    throw rangeError(fn, `${names.filter}.shape`, depthwise ? '[1, KH, KW, Cin*M] with KH, KW, Cin*M >= 1' : '[Cout, KH, KW, Cin/groups] with every dimension >= 1', fs);
  }
  checkElementCount(fn, `${names.filter}.shape`, fs);
  checkWeights(fn, names.filter, filter, dtype, depthwise ? 3 : 0, 'the output channels');
  const outChannels = depthwise ? fs[3] : fs[0];
  const bias = biasArg(fn, names.bias, biasValue, outChannels);
  const output = perTensorParamsArg(fn, names.output, outputValue, dtype);
  const strides = pairArg(fn, `${names.option}strides`, o.strides, [1, 1]);
  const dilations = pairArg(fn, `${names.option}dilations`, o.dilations, [1, 1]);
  const padding = convPaddingArg(fn, `${names.option}padding`, o.padding);
  const activation = activationArg(fn, `${names.option}activation`, o.activation);
  const profile = profileArg(fn, `${names.option}profile`, o.profile);
  const depthMultiplier = depthwise && o.depthMultiplier !== undefined
    ? integerArg(fn, `${names.option}depthMultiplier`, o.depthMultiplier, 1, INT32_MAX) : undefined;
  // int8: (double)s_in * s_w[c] / s_out for per-channel and per-tensor weights alike; uint8: the float32 product
  const requant = deriveRequantization(fn, names.output, k, profile, input.scale, filter.params.scale, output, dtype === 'uint8');
  return {
    names, depthwise, dtype, filter: filter.data, filterShape: fs, bias, input, output, requant,
    filterOffset: dtype === 'uint8' ? -filter.params.zeroPoint[0] : 0,
    clamp: outputClamp(activation, output, dtype),
    window: { filter: [fs[1], fs[2]], strides, dilations, padding },
    depthMultiplier,
  };
}

/** The kernel geometry and output shape of a plan applied to an NHWC input of `shape` (checked here against the filter). */
export function convGeometry(plan: ConvPlan, shape: readonly number[], inputArg: string, fn = plan.names.fn): { geometry: Int32Array; outShape: number[] } {
  const { filter: filterArg, option } = plan.names;
  const fs = plan.filterShape;
  const inC = shape[3];
  let outC: number;
  let filterC: number;
  let depthMultiplier = 1;
  if (plan.depthwise) {
    outC = fs[3];
    filterC = 1;
    if (inC === 0 || outC % inC !== 0) throw shapeRelationError(fn, `${filterArg}.shape`, fs, `needs Cin*M ${outC} to be a multiple of input channels ${inC}`);
    depthMultiplier = outC / inC;
    if (plan.depthMultiplier !== undefined && plan.depthMultiplier !== depthMultiplier) {
      throw rangeError(fn, `${option}depthMultiplier`, `${depthMultiplier} (filter channels ${outC} / input channels ${inC})`, plan.depthMultiplier);
    }
  } else {
    outC = fs[0];
    filterC = fs[3];
    if (inC === 0 || inC % filterC !== 0) throw shapeRelationError(fn, `${filterArg}.shape`, fs, `needs Cin ${filterC} to divide input channels ${inC}`);
    const groups = inC / filterC;
    if (outC % groups !== 0) {
      throw shapeRelationError(fn, `${filterArg}.shape`, fs, `needs Cout ${outC} to be a multiple of the ${groups} groups (input channels ${inC} / Cin ${filterC})`);
    }
  }
  const s = spatialGeometry(fn, inputArg, shape, plan.window, `${option}dilations`, `${option}padding`);
  const outShape = [shape[0], s.outH, s.outW, outC];
  checkElementCount(fn, 'output shape', outShape);
  const g = convLayerGeometry(plan, inC, outC, filterC, depthMultiplier);
  g[ConvField.Batches] = shape[0];
  g[ConvField.InputHeight] = shape[1];
  g[ConvField.InputWidth] = shape[2];
  g[ConvField.OutputHeight] = s.outH;
  g[ConvField.OutputWidth] = s.outW;
  g[ConvField.PadTop] = s.padTop;
  g[ConvField.PadLeft] = s.padLeft;
  return { geometry: g, outShape };
}

/**
 * The fields of a plan's kernel geometry that do not depend on the input's size (batches, height, width, and the
 * output size and padding that follow from them stay 0): what the prepared native layers are packed with.
 */
export function convLayerGeometry(plan: ConvPlan, inputChannels: number, outputChannels: number, filterChannels: number,
  depthMultiplier: number): Int32Array {
  const w = plan.window;
  const g = new Int32Array(ConvField.Count);
  g[ConvField.InputChannels] = inputChannels;
  g[ConvField.OutputChannels] = outputChannels;
  g[ConvField.FilterHeight] = w.filter[0];
  g[ConvField.FilterWidth] = w.filter[1];
  g[ConvField.FilterChannels] = filterChannels;
  g[ConvField.StrideHeight] = w.strides[0];
  g[ConvField.StrideWidth] = w.strides[1];
  g[ConvField.DilationHeight] = w.dilations[0];
  g[ConvField.DilationWidth] = w.dilations[1];
  g[ConvField.InputOffset] = -plan.input.zeroPoint;
  g[ConvField.FilterOffset] = plan.filterOffset;
  g[ConvField.OutputOffset] = plan.output.zeroPoint;
  g[ConvField.ActivationMin] = plan.clamp[0];
  g[ConvField.ActivationMax] = plan.clamp[1];
  g[ConvField.Profile] = plan.requant.profile;
  g[ConvField.DepthMultiplier] = depthMultiplier;
  g[ConvField.PerChannel] = plan.requant.perChannel ? 1 : 0;
  return g;
}

export function runConvKernel(k: Kernels, plan: ConvPlan, x: ByteArray, geometry: Int32Array, out: ByteArray): void {
  const r = plan.requant;
  if (plan.depthwise) k.depthwiseConv2d(x, plan.filter, plan.bias, r.multiplier, r.shift, r.scale, geometry, out);
  else k.conv2d(x, plan.filter, plan.bias, r.multiplier, r.shift, r.scale, geometry, out);
}

export function runConvKernelAsync(k: Kernels, plan: ConvPlan, x: ByteArray, geometry: Int32Array, out: ByteArray): Promise<void> {
  const r = plan.requant;
  return plan.depthwise
    ? k.depthwiseConv2dAsync(x, plan.filter, plan.bias, r.multiplier, r.shift, r.scale, geometry, out)
    : k.conv2dAsync(x, plan.filter, plan.bias, r.multiplier, r.shift, r.scale, geometry, out);
}

interface ConvCall {
  plan: ConvPlan;
  input: ByteArray;
  geometry: Int32Array;
  out: ByteArray;
  result: QTensor;
}

/** Every check of a stateless convolution, then the output allocated: nothing is written yet. */
function prepareCall(fn: string, depthwise: boolean, k: Kernels, input: unknown, filter: unknown, bias: unknown, output: unknown, opts: unknown): ConvCall {
  const x = checkQTensor(fn, 'input', input);
  requireRank(fn, 'input', x, 4, 'NHWC');
  checkElementCount(fn, 'input.shape', x.shape);
  const inputParams = activationParams(fn, 'input', x);
  const o = optionsArg(fn, 'opts', opts);
  const names: ConvNames = { fn, filter: 'filter', bias: 'bias', output: 'output', option: 'opts.' };
  const plan = planConv(names, depthwise, k, x.dtype, inputParams, filter, bias, output, o);
  const { geometry, outShape } = convGeometry(plan, x.shape, 'input');
  const out = allocate(x.dtype, outShape[0] * outShape[1] * outShape[2] * outShape[3]);
  return { plan, input: x.data, geometry, out, result: resultTensor(x.dtype, outShape, out, plan.output) };
}

/**
 * CONV_2D: NHWC input, filter [Cout, KH, KW, Cin/groups] (groups = input channels / Cin), int32 bias or null.
 * int8 (per-channel or per-tensor symmetric weights) or uint8 (legacy, per-tensor, any weight zero point).
 */
export function conv2d(input: QTensor, filter: QTensor, bias: Int32Array | null, output: { scale: number; zeroPoint: number },
  opts?: ConvOptions): QTensor {
  const k = kernels();
  const c = prepareCall('conv2d', false, k, input, filter, bias, output, opts);
  runConvKernel(k, c.plan, c.input, c.geometry, c.out);
  return c.result;
}

/** conv2d on a worker thread of the addon (JS backend: after the current event-loop turn). Bad input rejects. */
export function conv2dAsync(input: QTensor, filter: QTensor, bias: Int32Array | null, output: { scale: number; zeroPoint: number },
  opts?: ConvOptions): Promise<QTensor> {
  const k = kernels();
  return rejectOnThrow(() => {
    const c = prepareCall('conv2dAsync', false, k, input, filter, bias, output, opts);
    return runConvKernelAsync(k, c.plan, c.input, c.geometry, c.out).then(() => c.result);
  });
}

/** DEPTHWISE_CONV_2D: filter [1, KH, KW, Cin*M]; output channel oc reads input channel floor(oc / M). */
export function depthwiseConv2d(input: QTensor, filter: QTensor, bias: Int32Array | null, output: { scale: number; zeroPoint: number },
  opts?: DepthwiseConvOptions): QTensor {
  const k = kernels();
  const c = prepareCall('depthwiseConv2d', true, k, input, filter, bias, output, opts);
  runConvKernel(k, c.plan, c.input, c.geometry, c.out);
  return c.result;
}

/** depthwiseConv2d off the event loop. Bad input rejects. */
export function depthwiseConv2dAsync(input: QTensor, filter: QTensor, bias: Int32Array | null, output: { scale: number; zeroPoint: number },
  opts?: DepthwiseConvOptions): Promise<QTensor> {
  const k = kernels();
  return rejectOnThrow(() => {
    const c = prepareCall('depthwiseConv2dAsync', true, k, input, filter, bias, output, opts);
    return runConvKernelAsync(k, c.plan, c.input, c.geometry, c.out).then(() => c.result);
  });
}
