// Choosing (scale, zero point) from a range (spec section 2), and the checked, normalised form of
// QuantParams / QTensor / FTensor that every operation works on.
import type { FTensor, QDType, QTensor, QuantParams } from '../types';
import { DTYPES, dtypeRange } from '../types';
import { roundHalfAway } from '../js/fixedpoint';
import {
  axisArg, booleanArg, enumArg, finiteArg, float32ArrayArg, isObject, numel, optionsArg, rangeError, shapeArg, shapeText, typeError,
} from '../validate';

export interface ChooseOptions {
  dtype?: QDType;
  /** Symmetric range [-m, m] with zero point 0 (int8) or 128 (uint8). */
  symmetric?: boolean;
  /** Leave out the lowest code (-128 / 0). Default: true when symmetric, false otherwise. */
  narrowRange?: boolean;
}

/** Checked per-tensor or per-axis parameters: scale already float32, one entry per channel. */
export interface NormalizedParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  /** The quantized dimension, or -1 for per-tensor. */
  axis: number;
}

interface ChooseConfig {
  qmin: number;
  qmax: number;
  symmetric: boolean;
  dtype: QDType;
}

function chooseConfig(fn: string, opts: unknown, symmetricDefault: boolean): ChooseConfig {
  const o = optionsArg(fn, 'opts', opts);
  const dtype = enumArg(fn, 'opts.dtype', o.dtype, DTYPES, 'int8');
  const symmetric = booleanArg(fn, 'opts.symmetric', o.symmetric, symmetricDefault);
  const narrow = booleanArg(fn, 'opts.narrowRange', o.narrowRange, symmetric);
  const { qmin, qmax } = dtypeRange(dtype);
  return { qmin: narrow ? qmin + 1 : qmin, qmax, symmetric, dtype };
}

/**
 * Checks the options of a choose* call under the name `fn` and returns a plain copy (each field read once), so
 * later uses cannot see other values than the ones checked.
 */
export function chooseOptionsArg(fn: string, opts: unknown): ChooseOptions {
  const o = optionsArg(fn, 'opts', opts);
  const copy: ChooseOptions = {};
  if (o.dtype !== undefined) copy.dtype = o.dtype as QDType;
  if (o.symmetric !== undefined) copy.symmetric = o.symmetric as boolean;
  if (o.narrowRange !== undefined) copy.narrowRange = o.narrowRange as boolean;
  const checked = { ...copy };
  chooseConfig(fn, checked, false);
  return Object.freeze(copy);
}

/** Steps 1-7 of spec 2.1 (asymmetric) or 2.2 (symmetric) for one range; scale returned as float32. */
function chooseFromRange(min: number, max: number, c: ChooseConfig): { scale: number; zeroPoint: number } {
  let rmin = Math.min(min, 0);
  let rmax = Math.max(max, 0);
  if (c.symmetric) {
    let m = Math.max(-rmin, rmax);
    if (m === 0) m = 5e-7; // an all-zero slice: widened to +-5e-7, every q is then the zero point
    const zeroPoint = c.dtype === 'int8' ? 0 : 128;
    return { scale: Math.fround((2 * m) / (c.qmax - c.qmin)), zeroPoint };
  }
  if (rmax - rmin < 1e-6) {
    rmin -= 1e-6;
    rmax += 1e-6;
  }
  if (Math.abs(rmax - rmin) < Number.EPSILON) return { scale: 1, zeroPoint: c.qmin };
  const s = (rmax - rmin) / (c.qmax - c.qmin);
  const fromMin = c.qmin - rmin / s;
  const fromMax = c.qmax - rmax / s;
  const z = Math.abs(c.qmin) + Math.abs(rmin / s) < Math.abs(c.qmax) + Math.abs(rmax / s) ? fromMin : fromMax;
  const zeroPoint = z < c.qmin ? c.qmin : z > c.qmax ? c.qmax : roundHalfAway(z);
  return { scale: Math.fround(s), zeroPoint };
}

function rangeArgs(fn: string, min: unknown, max: unknown): [number, number] {
  const lo = finiteArg(fn, 'min', min);
  const hi = finiteArg(fn, 'max', max);
  if (lo > hi) throw rangeError(fn, 'min', `at most max (${hi})`, lo);
  return [lo, hi];
}

/**
 * Scale and zero point for a calibrated range [min, max], as TFLite's converter chooses them: the range is
 * widened to include 0 and guarded against tiny widths, the zero point nudged to an integer inside
 * [qmin, qmax], the scale stored as float32. Asymmetric by default (activations).
 */
export function chooseQuantParams(min: number, max: number, opts?: ChooseOptions): { scale: number; zeroPoint: number } {
  return chooseQuantParamsAs('chooseQuantParams', min, max, opts);
}

/** chooseQuantParams whose error messages name `fn` (the observers' quantParams). */
export function chooseQuantParamsAs(fn: string, min: number, max: number, opts?: ChooseOptions): { scale: number; zeroPoint: number } {
  const [lo, hi] = rangeArgs(fn, min, max);
  return chooseFromRange(lo, hi, chooseConfig(fn, opts, false));
}

/** Per-slice minimum and maximum of a tensor along `axis`. */
export function axisMinMax(x: FTensor, axis: number): { min: Float64Array; max: Float64Array } {
  const { outer, channels, inner } = axisLayout(x.shape, axis);
  const min = new Float64Array(channels).fill(Infinity);
  const max = new Float64Array(channels).fill(-Infinity);
  const data = x.data;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      let lo = min[c];
      let hi = max[c];
      for (let i = 0; i < inner; i++) {
        const v = data[base + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      min[c] = lo;
      max[c] = hi;
    }
  }
  return { min, max };
}

/**
 * Per-axis parameters from the data of a float tensor, one (scale, zero point) per slice along `axis`.
 * Symmetric narrow-range by default (per-axis quantization is for weights); an empty slice gets the
 * all-zero rule.
 */
export function choosePerAxisQuantParams(x: FTensor, axis: number, opts?: ChooseOptions): { scale: Float32Array; zeroPoint: Int32Array; axis: number } {
  const fn = 'choosePerAxisQuantParams';
  const t = checkFTensor(fn, 'x', x);
  const a = axisArg(fn, 'axis', axis, t.shape.length);
  const config = chooseConfig(fn, opts, true);
  checkFinite(fn, 'x.data', t.data);
  const { min, max } = axisMinMax(t, a);
  const channels = t.shape[a];
  const scale = new Float32Array(channels);
  const zeroPoint = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const lo = min[c] === Infinity ? 0 : min[c];
    const hi = max[c] === -Infinity ? 0 : max[c];
    const p = chooseFromRange(lo, hi, config);
    scale[c] = p.scale;
    zeroPoint[c] = p.zeroPoint;
  }
  return { scale, zeroPoint, axis: a };
}

export function checkFinite(fn: string, arg: string, data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) throw rangeError(fn, arg, 'finite (no NaN or infinity)', `${v} at index ${i}`);
  }
}

/** [outer, channels, inner] of a shape split at `axis` (axis -1: per-tensor, channels 1). */
export function axisLayout(shape: readonly number[], axis: number): { outer: number; channels: number; inner: number } {
  if (axis < 0) return { outer: 1, channels: 1, inner: numel(shape) };
  return { outer: numel(shape.slice(0, axis)), channels: shape[axis], inner: numel(shape.slice(axis + 1)) };
}

export function checkFTensor(fn: string, arg: string, x: unknown): FTensor {
  if (!isObject(x)) throw typeError(fn, arg, 'a tensor { shape, data: Float32Array }', x);
  const { shape: shapeValue, data: dataValue } = x; // read once
  const shape = shapeArg(fn, `${arg}.shape`, shapeValue);
  const data = float32ArrayArg(fn, `${arg}.data`, dataValue);
  if (data.length !== numel(shape)) {
    throw rangeError(fn, `${arg}.data`, `of length ${numel(shape)} for shape ${shapeText(shape)}`, data);
  }
  return { shape, data };
}

function scaleValue(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number') throw typeError(fn, arg, 'a number', v);
  const s = Math.fround(v);
  if (!(s > 0) || s === Infinity) throw rangeError(fn, arg, 'a finite number > 0 (as float32)', v);
  return s;
}

function listArg(fn: string, arg: string, v: unknown): ArrayLike<unknown> | null {
  if (typeof v === 'number') return null;
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) return v as unknown as ArrayLike<unknown>;
  throw typeError(fn, arg, 'a number or an array of numbers', v);
}

/**
 * Checks quantization parameters against a dtype and, for per-axis parameters, against the tensor shape.
 * A one-element scale list without axis is per-tensor.
 */
export function normalizeParams(fn: string, arg: string, params: unknown, dtype: QDType, shape: readonly number[] | null): NormalizedParams {
  if (!isObject(params)) throw typeError(fn, arg, 'quantization parameters { scale, zeroPoint }', params);
  // Each field is read once: a getter that answers differently on a second read cannot slip past a check.
  const p = { scale: params.scale, zeroPoint: params.zeroPoint, axis: params.axis };
  const { qmin, qmax } = dtypeRange(dtype);
  const scales = listArg(fn, `${arg}.scale`, p.scale);
  const zeros = listArg(fn, `${arg}.zeroPoint`, p.zeroPoint);
  const zeroValue = (v: unknown, name: string): number => {
    if (typeof v !== 'number') throw typeError(fn, name, 'an integer', v);
    if (!Number.isInteger(v) || v < qmin || v > qmax) throw rangeError(fn, name, `an integer in [${qmin}, ${qmax}] for ${dtype}`, v);
    return v;
  };
  if (scales === null) {
    if (zeros !== null && zeros.length !== 1) throw rangeError(fn, `${arg}.zeroPoint`, 'a single number, as scale is', p.zeroPoint);
    const z = zeros === null ? p.zeroPoint : zeros[0];
    if (p.axis !== undefined && shape !== null) axisArg(fn, `${arg}.axis`, p.axis, shape.length);
    return { scale: Float32Array.of(scaleValue(fn, `${arg}.scale`, p.scale)), zeroPoint: Int32Array.of(zeroValue(z, `${arg}.zeroPoint`)), axis: -1 };
  }
  const n = scales.length;
  if (typeof n !== 'number' || !(n >= 0)) throw typeError(fn, `${arg}.scale`, 'a number or an array of numbers', p.scale);
  if (n === 0) throw rangeError(fn, `${arg}.scale`, 'a number or a non-empty array', p.scale);
  if (zeros === null || zeros.length !== n) {
    throw rangeError(fn, `${arg}.zeroPoint`, `an array of the same length as scale (${n})`, p.zeroPoint);
  }
  let axis = -1;
  if (p.axis === undefined) {
    if (n !== 1) throw rangeError(fn, `${arg}.axis`, `given for per-axis parameters (${n} scales)`, p.axis);
  } else if (shape !== null) {
    axis = axisArg(fn, `${arg}.axis`, p.axis, shape.length);
    if (shape[axis] !== n) {
      throw rangeError(fn, `${arg}.scale`, `of length shape[${axis}] = ${shape[axis]} for shape ${shapeText(shape)}`, p.scale);
    }
  } else {
    axis = integerArg0(fn, `${arg}.axis`, p.axis);
  }
  const scale = new Float32Array(n);
  const zeroPoint = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    scale[i] = scaleValue(fn, `${arg}.scale[${i}]`, scales[i]);
    zeroPoint[i] = zeroValue(zeros[i], `${arg}.zeroPoint[${i}]`);
  }
  return { scale, zeroPoint, axis };
}

function integerArg0(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number') throw typeError(fn, arg, 'an integer >= 0', v);
  if (!Number.isInteger(v) || v < 0) throw rangeError(fn, arg, 'an integer >= 0', v);
  return v;
}

/** A checked quantized tensor with normalised parameters. */
export interface CheckedQTensor {
  dtype: QDType;
  shape: readonly number[];
  data: Int8Array | Uint8Array;
  params: NormalizedParams;
}

export function checkQTensor(fn: string, arg: string, t: unknown): CheckedQTensor {
  if (!isObject(t)) throw typeError(fn, arg, "a quantized tensor { dtype, shape, data, scale, zeroPoint }", t);
  // Each field is read once (a getter could answer differently on a second read); dtype is required.
  const { dtype: dtypeValue, shape: shapeValue, data: dataValue } = t;
  if (dtypeValue === undefined) throw typeError(fn, `${arg}.dtype`, `one of ${DTYPES.map((d) => `'${d}'`).join(', ')}`, dtypeValue);
  const dtype = enumArg(fn, `${arg}.dtype`, dtypeValue, DTYPES, 'int8');
  const shape = shapeArg(fn, `${arg}.shape`, shapeValue);
  const expected = dtype === 'int8' ? Int8Array : Uint8Array;
  if (!(dataValue instanceof expected) || !ArrayBuffer.isView(dataValue)) {
    throw typeError(fn, `${arg}.data`, `an ${expected.name} for dtype '${dtype}'`, dataValue);
  }
  const data = dataValue as Int8Array | Uint8Array;
  if (data.length !== numel(shape)) {
    throw rangeError(fn, `${arg}.data`, `of length ${numel(shape)} for shape ${shapeText(shape)}`, data);
  }
  return { dtype, shape, data, params: normalizeParams(fn, arg, t, dtype, shape) };
}

/** The public form of normalised parameters: numbers when per-tensor, typed arrays and axis when per-axis. */
export function publicParams(p: NormalizedParams): QuantParams {
  if (p.axis < 0) return { scale: p.scale[0], zeroPoint: p.zeroPoint[0] };
  return { scale: p.scale, zeroPoint: p.zeroPoint, axis: p.axis };
}

export function makeQTensor(dtype: QDType, shape: readonly number[], data: Int8Array | Uint8Array, p: NormalizedParams): QTensor {
  return { dtype, shape, data, ...publicParams(p) };
}
