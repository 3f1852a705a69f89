// SOFTMAX over the last axis, int8 -> int8 (output scale 1/256, zero point -128), with TFLite's parameters:
// PreprocessSoftmaxScaling (input multiplier and left shift for Q5.26 differences) and CalculateInputRadius (DiffMin).
import type { Kernels } from '../kernels';
import { kernels } from '../kernels';
import type { QTensor } from '../types';
import { checkQTensor } from '../quant/params';
import { finiteArg, numel, optionsArg, rangeError } from '../validate';
import { activationParams, checkElementCount, rejectOnThrow, resultTensor, TensorParams } from './common';
import { SoftmaxField } from './geometry';

export interface SoftmaxOptions {
  /** exp(beta * x); used as float32, as TFLite stores it. Default 1. */
  beta?: number;
}

/** TFLite requires this output quantization for int8 SOFTMAX. */
export const SOFTMAX_OUTPUT: TensorParams = Object.freeze({ scale: 1 / 256, zeroPoint: -128 });

/** Integer bits of the rescaled input differences (Q5.26). */
const SCALED_DIFF_INTEGER_BITS = 5;

interface SoftmaxCall {
  input: Int8Array;
  geometry: Int32Array;
  out: Int8Array;
  result: QTensor;
}

function prepareCall(fn: string, k: Kernels, input: unknown, opts: unknown): SoftmaxCall {
  const x = checkQTensor(fn, 'input', input);
  if (x.dtype !== 'int8' || !(x.data instanceof Int8Array)) throw rangeError(fn, 'input.dtype', "'int8'", x.dtype);
  if (x.shape.length < 1) throw rangeError(fn, 'input.shape', 'of rank >= 1 (softmax runs over the last axis)', x.shape);
  checkElementCount(fn, 'input.shape', x.shape);
  const params = activationParams(fn, 'input', x);
  const o = optionsArg(fn, 'opts', opts);
  const beta = o.beta === undefined ? 1 : finiteArg(fn, 'opts.beta', o.beta);
  if (!(Math.fround(beta) > 0)) throw rangeError(fn, 'opts.beta', 'a number > 0 (as float32)', beta);

  // PreprocessSoftmaxScaling(beta, s_in, 5): min(beta * s_in * 2^26, 2^31 - 1), QuantizeMultiplierGreaterThanOne
  const real = Math.min(Math.fround(beta) * params.scale * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2 ** 31 - 1);
  if (!(real > 1)) {
    throw rangeError(fn, 'input.scale', 'large enough that beta * input.scale > 2^-26 (TFLite PreprocessSoftmaxScaling)', params.scale);
  }
  const [multiplier, leftShift] = k.quantizeMultiplier(real, 0);
  // CalculateInputRadius(5, leftShift, 31): floor((2^5 - 1) * 2^26 / 2^leftShift)
  const radius = Math.floor(((2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** leftShift);

  const depth = x.shape[x.shape.length - 1];
  const n = numel(x.shape);
  const g = new Int32Array(SoftmaxField.Count);
  g[SoftmaxField.Rows] = depth === 0 ? 0 : n / depth;
  g[SoftmaxField.Depth] = depth;
  g[SoftmaxField.InputMultiplier] = multiplier;
  g[SoftmaxField.InputLeftShift] = leftShift;
  g[SoftmaxField.DiffMin] = -radius;
  const out = new Int8Array(n);
  return { input: x.data, geometry: g, out, result: resultTensor('int8', x.shape, out, SOFTMAX_OUTPUT) };
}

/** SOFTMAX over the last axis of an int8 tensor (per-tensor parameters): TFLite's fixed-point exp and reciprocal. */
export function softmax(input: QTensor, opts?: SoftmaxOptions): QTensor {
  const k = kernels();
  const c = prepareCall('softmax', k, input, opts);
  k.softmax(c.input, c.geometry, c.out);
  return c.result;
}

/** softmax off the event loop. Bad input rejects. */
export function softmaxAsync(input: QTensor, opts?: SoftmaxOptions): Promise<QTensor> {
  const k = kernels();
  return rejectOnThrow(() => {
    const c = prepareCall('softmaxAsync', k, input, opts);
    return k.softmaxAsync(c.input, c.geometry, c.out).then(() => c.result);
  });
}
