// Argument checks shared by the float32 operators (lib/float): NHWC rank checks, [h, w] pairs, bias,
// window geometry (TFLite padding.h via lib/ops/padding.ts) and the output-size limit. Messages use the
// one qint8 format of lib/validate.ts.
import type { Activation, FTensor, Padding } from '../types';
import { effectiveFilterSize, outputSize, paddingBefore } from '../ops/padding';
import { enumArg, numel, rangeError, shapeText, typeError } from '../validate';

export const ACTIVATIONS: readonly Activation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
export const PADDINGS: readonly Padding[] = ['SAME', 'VALID'];

/** Largest stride, dilation or window size accepted (TFLite stores them as int32). */
export const MAX_WINDOW_PARAM = 2147483647;
/** Largest output a float operator will allocate, in elements. */
export const MAX_OUTPUT_ELEMENTS = 2147483647;

export function activationArg(fn: string, value: unknown): Activation {
  return enumArg(fn, 'opts.activation', value, ACTIVATIONS, 'NONE');
}

export function paddingArg(fn: string, value: unknown): Padding {
  return enumArg(fn, 'opts.padding', value, PADDINGS, 'VALID');
}

/** An [h, w] pair of integers in [1, 2^31 - 1]; `fallback` when undefined (pass null to make it required). */
export function pairArg(fn: string, arg: string, value: unknown, fallback: [number, number] | null): [number, number] {
  if (value === undefined && fallback !== null) return fallback;
  const expected = `[h, w] with integers in [1, ${MAX_WINDOW_PARAM}]`;
  if (!Array.isArray(value)) throw typeError(fn, arg, `an array ${expected}`, value);
  // Read each element once (a getter may answer differently twice) and visit holes (every() skips them).
  const pair = Array.from(value as unknown[]);
  if (!pair.every((v) => typeof v === 'number')) throw typeError(fn, arg, `an array ${expected}`, value);
  if (pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_WINDOW_PARAM)) {
    throw rangeError(fn, arg, expected, value);
  }
  return [pair[0] as number, pair[1] as number];
}

/** The tensor is 4-D NHWC. */
export function requireRank4(fn: string, arg: string, t: FTensor, layout: string): void {
  if (t.shape.length !== 4) throw rangeError(fn, `${arg}.shape`, `of rank 4 ${layout}`, t.shape);
}

/** A dimension of a checked shape is at least `min`. */
export function requireDimAtLeast(fn: string, arg: string, shape: readonly number[], index: number, min: number): void {
  if (shape[index] < min) throw rangeError(fn, `${arg}.shape[${index}]`, `>= ${min} (shape ${shapeText(shape)})`, shape[index]);
}

/** null, or a Float32Array of `length` elements. */
export function biasArg(fn: string, value: unknown, length: number, source: string): Float32Array | null {
  if (value === null) return null;
  if (!(value instanceof Float32Array)) throw typeError(fn, 'bias', 'null or a Float32Array', value);
  if (value.length !== length) throw rangeError(fn, 'bias', `of length ${length} (${source})`, value);
  return value;
}

/** One spatial dimension of a sliding window: output size and padding before. */
export interface Window1D {
  input: number;
  output: number;
  filter: number;
  stride: number;
  dilation: number;
  padBefore: number;
}

/**
 * Output size and padding of one spatial dimension. A negative 'VALID' output (input much smaller
 * than the effective filter) is an error naming `inputArg`'s shape; zero gives an empty output.
 */
export function window1D(fn: string, inputArg: string, shape: readonly number[], dim: 1 | 2, padding: Padding,
  filter: number, stride: number, dilation: number): Window1D {
  const input = shape[dim];
  const output = outputSize(padding, input, filter, stride, dilation);
  if (output < 0) {
    const name = dim === 1 ? 'height' : 'width';
    const eff = effectiveFilterSize(filter, dilation);
    throw rangeError(fn, `${inputArg}.shape`,
      `such that the 'VALID' output ${name} is >= 0 (trunc((${input} - ${eff} + ${stride}) / ${stride}) = ${output}, effective filter ${name} ${eff})`,
      shape);
  }
  return { input, output, filter, stride, dilation, padBefore: paddingBefore(input, output, filter, stride, dilation) };
}

/** Rejects an output too large to allocate, before it is allocated. */
export function checkOutputSize(fn: string, shape: readonly number[]): void {
  const n = numel(shape);
  if (n > MAX_OUTPUT_ELEMENTS) throw rangeError(fn, 'output.shape', `at most ${MAX_OUTPUT_ELEMENTS} elements`, shape);
}

/** Clamps a float64 value to a fused activation's [lo, hi]; NaN passes through. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
