// What the integer operators share: checks of outputs, activations, bias and [h, w] pairs, the spatial
// geometry of windows (padding.ts), the weight checks and the requantization multipliers of each profile
// (spec sections 3, 4.6, 5.5), and the async wrapper that rejects instead of throwing.
import type { ByteArray, NativeProfile } from '../../binding';
import type { Kernels } from '../kernels';
import type { Activation, ConvPadding, ExplicitPadding, Padding, Profile, QDType, QTensor } from '../types';
import { dtypeRange } from '../types';
import { CheckedQTensor, normalizeParams } from '../quant/params';
import { profileId } from '../quant/profile';
import { enumArg, isObject, rangeError, shapeText, typeError } from '../validate';
import { activationRange, effectiveFilterSize, outputSize, paddingBefore } from './padding';

export const ACTIVATIONS: readonly Activation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
export const PADDINGS: readonly Padding[] = ['SAME', 'VALID'];
export const INT32_MAX = 2147483647;

/** Per-tensor parameters of an activation tensor; scale already float32. */
export interface TensorParams {
  scale: number;
  zeroPoint: number;
}

/** An operator output { scale, zeroPoint } (or prepared input parameters): per-tensor, zero point valid for dtype. */
export function perTensorParamsArg(fn: string, arg: string, value: unknown, dtype: QDType): TensorParams {
  const p = normalizeParams(fn, arg, value, dtype, null);
  if (p.scale.length !== 1) throw rangeError(fn, `${arg}.scale`, 'a single number (per-tensor)', (value as { scale: unknown }).scale);
  return { scale: p.scale[0], zeroPoint: p.zeroPoint[0] };
}

/** The parameters of a checked activation tensor, which must be per-tensor. */
export function activationParams(fn: string, arg: string, t: CheckedQTensor): TensorParams {
  if (t.params.scale.length !== 1) throw rangeError(fn, `${arg}.scale`, 'a single number (activations are quantized per tensor)', t.params.scale);
  return { scale: t.params.scale[0], zeroPoint: t.params.zeroPoint[0] };
}

/** A checked tensor of a given rank. */
export function requireRank(fn: string, arg: string, t: CheckedQTensor, rank: number, layout: string): void {
  if (t.shape.length !== rank) throw rangeError(fn, `${arg}.shape`, `of rank ${rank} (${layout})`, t.shape);
}

/** An error about a relation between shapes, e.g. "conv2d: filter.shape [8,3,3,4] needs Cin 4 to divide input channels 6". */
export function shapeRelationError(fn: string, arg: string, shape: readonly number[], relation: string): RangeError {
  return new RangeError(`${fn}: ${arg} ${shapeText(shape)} ${relation}`);
}

/** Bias: an Int32Array of one value per output channel, or null (undefined is taken as null). */
export function biasArg(fn: string, arg: string, value: unknown, channels: number): Int32Array | null {
  if (value === null || value === undefined) return null;
  if (!(value instanceof Int32Array) || !ArrayBuffer.isView(value)) throw typeError(fn, arg, 'an Int32Array or null', value);
  if (value.length !== channels) throw rangeError(fn, arg, `of length ${channels} (one value per output channel)`, value);
  return value;
}

/** An [height, width] pair of integers in [1, 2^31-1]; `fallback` when undefined. */
export function pairArg(fn: string, arg: string, value: unknown, fallback: [number, number] | null): [number, number] {
  const expected = 'an array [height, width] of integers >= 1';
  if (value === undefined && fallback !== null) return fallback;
  if (!Array.isArray(value)) throw typeError(fn, arg, expected, value);
  const pair: unknown[] = Array.from(value); // read each element once: a getter cannot change it after the check
  if (pair.length !== 2) throw rangeError(fn, arg, expected, value);
  for (const v of pair) {
    if (typeof v !== 'number') throw typeError(fn, arg, expected, value);
    if (!Number.isInteger(v) || v < 1 || v > INT32_MAX) throw rangeError(fn, arg, expected, value);
  }
  return [pair[0] as number, pair[1] as number];
}

export function activationArg(fn: string, arg: string, value: unknown): Activation {
  return enumArg(fn, arg, value, ACTIVATIONS, 'NONE');
}

export function paddingArg(fn: string, arg: string, value: unknown): Padding {
  return enumArg(fn, arg, value, PADDINGS, 'VALID');
}

/** What explicit padding must be, in messages. */
const EXPLICIT_PADDING = '[[top, bottom], [left, right]] of integers >= 0';

/**
 * A convolution's padding: 'SAME' or 'VALID' (default), or explicit [[top, bottom], [left, right]] of integers in
 * [0, 2^31-1], returned as a frozen copy (each element read once).
 */
export function convPaddingArg(fn: string, arg: string, value: unknown): ConvPadding {
  if (!Array.isArray(value)) {
    if (value === undefined || typeof value === 'string') return paddingArg(fn, arg, value);
    throw typeError(fn, arg, `'SAME', 'VALID' or ${EXPLICIT_PADDING}`, value);
  }
  const rows: unknown[] = Array.from(value);
  if (rows.length !== 2) throw rangeError(fn, arg, EXPLICIT_PADDING, value);
  const pairs = rows.map((row) => {
    if (!Array.isArray(row)) throw typeError(fn, arg, EXPLICIT_PADDING, value);
    const pair: unknown[] = Array.from(row);
    if (pair.length !== 2) throw rangeError(fn, arg, EXPLICIT_PADDING, value);
    for (const v of pair) {
      if (typeof v !== 'number') throw typeError(fn, arg, EXPLICIT_PADDING, value);
      if (!Number.isInteger(v) || v < 0 || v > INT32_MAX) throw rangeError(fn, arg, EXPLICIT_PADDING, value);
    }
    return Object.freeze([pair[0] as number, pair[1] as number] as const);
  });
  return Object.freeze([pairs[0], pairs[1]] as const);
}

/** Explicit padding as text, for messages: [[1,1],[0,2]]. */
export function paddingText(p: ExplicitPadding): string {
  return `[[${p[0][0]},${p[0][1]}],[${p[1][0]},${p[1][1]}]]`;
}

/** The [min, max] integer clamp of a fused activation on an output of the given dtype. */
export function outputClamp(activation: Activation, output: TensorParams, dtype: QDType): [number, number] {
  const { qmin, qmax } = dtypeRange(dtype);
  return activationRange(activation, output.scale, output.zeroPoint, qmin, qmax);
}

/** A sliding window over the height and width of an NHWC tensor. */
export interface WindowSpec {
  filter: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** Explicit padding only for convolutions (pools take 'SAME' or 'VALID'). */
  padding: ConvPadding;
}

export interface SpatialGeometry {
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
}

/**
 * Output size and leading padding of a window over an NHWC input (spec 5.1). VALID with an input smaller
 * than the dilated filter is an error; so is an extent that would overflow int32 index arithmetic. Explicit
 * padding [[top, bottom], [left, right]] is VALID over the input so padded, read with the leading padding.
 */
export function spatialGeometry(fn: string, inputArg: string, shape: readonly number[], w: WindowSpec, extentArg: string,
  paddingName = 'opts.padding'): SpatialGeometry {
  const [inH, inW] = [shape[1], shape[2]];
  const effH = effectiveFilterSize(w.filter[0], w.dilations[0]);
  const effW = effectiveFilterSize(w.filter[1], w.dilations[1]);
  if (inH + effH > INT32_MAX || inW + effW > INT32_MAX) {
    throw rangeError(fn, extentArg, 'small enough that input size plus dilated filter extent stays below 2^31', w.dilations[0] === 1 && w.dilations[1] === 1 ? w.filter : w.dilations);
  }
  const what = w.dilations[0] === 1 && w.dilations[1] === 1 ? 'filter size' : 'dilated filter extent';
  if (typeof w.padding !== 'string') return explicitGeometry(fn, inputArg, paddingName, shape, w, w.padding, effH, effW, what);
  if (w.padding === 'VALID' && (inH < effH || inW < effW)) {
    throw rangeError(fn, `${inputArg}.shape`, `at least the ${what} ${effH}x${effW} in height and width for padding 'VALID'`, shape);
  }
  const outH = outputSize(w.padding, inH, w.filter[0], w.strides[0], w.dilations[0]);
  const outW = outputSize(w.padding, inW, w.filter[1], w.strides[1], w.dilations[1]);
  return {
    outH,
    outW,
    padTop: paddingBefore(inH, outH, w.filter[0], w.strides[0], w.dilations[0]),
    padLeft: paddingBefore(inW, outW, w.filter[1], w.strides[1], w.dilations[1]),
  };
}

/** spatialGeometry for explicit padding: VALID over the padded extent, the leading padding as given. */
function explicitGeometry(fn: string, inputArg: string, paddingName: string, shape: readonly number[], w: WindowSpec, padding: ExplicitPadding,
  effH: number, effW: number, what: string): SpatialGeometry {
  const [[top, bottom], [left, right]] = padding;
  const paddedH = shape[1] + top + bottom;
  const paddedW = shape[2] + left + right;
  if (paddedH + effH > INT32_MAX || paddedW + effW > INT32_MAX) {
    throw rangeError(fn, paddingName, 'small enough that input size plus padding plus dilated filter extent stays below 2^31', padding);
  }
  if (paddedH < effH || paddedW < effW) {
    throw rangeError(fn, `${inputArg}.shape`, `at least the ${what} ${effH}x${effW} in height and width once padded by ${paddingText(padding)}`, shape);
  }
  return {
    outH: Math.floor((paddedH - effH) / w.strides[0]) + 1,
    outW: Math.floor((paddedW - effW) / w.strides[1]) + 1,
    padTop: top,
    padLeft: left,
  };
}

/**
 * Weight checks shared by conv, depthwise and fully connected: the dtype of the input; int8 weights
 * symmetric (every zero point 0); uint8 (legacy) weights per-tensor; per-channel scales along `axis`.
 */
export function checkWeights(fn: string, arg: string, w: CheckedQTensor, inputDtype: QDType, axis: number, axisName: string): void {
  if (w.dtype !== inputDtype) throw rangeError(fn, `${arg}.dtype`, `'${inputDtype}' like the input`, w.dtype);
  const perChannel = w.params.scale.length > 1;
  if (w.dtype === 'uint8') {
    if (perChannel) throw rangeError(fn, `${arg}.scale`, 'a single number for uint8 weights (per-tensor)', w.params.scale);
  } else {
    for (let c = 0; c < w.params.zeroPoint.length; c++) {
      const z = w.params.zeroPoint[c];
      if (z !== 0) throw rangeError(fn, perChannel ? `${arg}.zeroPoint[${c}]` : `${arg}.zeroPoint`, '0 for int8 weights (symmetric)', z);
    }
  }
  if (perChannel && w.params.axis !== axis) throw rangeError(fn, `${arg}.axis`, `${axis} (${axisName}) for per-channel weights`, w.params.axis);
}

/** Requantization parameters in the layout the kernels take (binding.d.ts): one entry, or one per channel. */
export interface Requantization {
  multiplier: Int32Array;
  shift: Int32Array;
  scale: Float32Array;
  perChannel: boolean;
  profile: NativeProfile;
}

/**
 * Multipliers from float32 scales, exactly as TFLite derives them (spec 3, 4.6):
 * - fixed-point profiles: d[c] = s_in * s_w[c] / s_out in double, or (double)f32(s_in * s_w) / s_out when
 *   `float32Product` (per-tensor FULLY_CONNECTED, the uint8 path); then QuantizeMultiplier(d) of the profile;
 * - xnnpack-fp32: scale[c] = f32(f32(s_in * s_w[c]) / s_out), refused at >= 256 as XNNPACK does.
 * A multiplier that needs a left shift above 30 (tflite-ref, d >= 2^30) is refused: TFLite's arithmetic is undefined there.
 */
export function deriveRequantization(fn: string, outputArg: string, k: Kernels, profile: Profile, inputScale: number,
  weightScale: Float32Array, output: TensorParams, float32Product: boolean): Requantization {
  const channels = weightScale.length;
  const pid = profileId(profile);
  const r: Requantization = {
    multiplier: new Int32Array(channels), shift: new Int32Array(channels), scale: new Float32Array(channels),
    perChannel: channels > 1, profile: pid,
  };
  const where = (c: number): string => (channels > 1 ? ` (channel ${c})` : '');
  for (let c = 0; c < channels; c++) {
    const product = inputScale * weightScale[c];
    if (pid === 2) {
      const s = Math.fround(Math.fround(product) / output.scale);
      if (!(s < 256)) {
        throw rangeError(fn, `${outputArg}.scale`, `large enough that the xnnpack-fp32 requantization scale stays below 256${where(c)}`, output.scale);
      }
      r.scale[c] = s;
      continue;
    }
    const d = (float32Product ? Math.fround(product) : product) / output.scale;
    // tflite-single saturates large multipliers to (2^31-1, 30); only tflite-ref can exceed a shift of 30
    const [multiplier, shift] = Number.isFinite(d) ? k.quantizeMultiplier(d, pid) : [0, 31];
    if (shift > 30) {
      throw rangeError(fn, `${outputArg}.scale`, `large enough that the real multiplier input scale * weight scale / output scale stays below 2^30${where(c)}`, output.scale);
    }
    r.multiplier[c] = multiplier;
    r.shift[c] = shift;
  }
  return r;
}

export function allocate(dtype: QDType, n: number): Int8Array | Uint8Array {
  return dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
}

/** The public result tensor. */
export function resultTensor(dtype: QDType, shape: readonly number[], data: ByteArray, params: TensorParams): QTensor {
  return { dtype, shape: Object.freeze(shape.slice()), data, scale: params.scale, zeroPoint: params.zeroPoint };
}

/** Runs the synchronous checks of an …Async function: a throw becomes a rejected promise. */
export function rejectOnThrow<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (err) {
    return Promise.reject(err);
  }
}

/** An options object, or a prepared operator's parameter object: a plain object. */
export function plainObjectArg(fn: string, arg: string, value: unknown, expected: string): Record<string, unknown> {
  if (!isObject(value) || Array.isArray(value) || ArrayBuffer.isView(value)) throw typeError(fn, arg, expected, value);
  return value;
}

/** Tensors are indexed with int32 arithmetic in the kernels: at most 2^31-1 elements. */
export function checkElementCount(fn: string, arg: string, shape: readonly number[]): void {
  let n = 1;
  for (const d of shape) n *= d;
  if (n > INT32_MAX) throw rangeError(fn, arg, 'a shape of at most 2^31-1 elements', shape);
}
