// MAX_POOL_2D and AVERAGE_POOL_2D (TFLite reference pooling): NHWC windows without dilation; the output
// keeps the input's scale and zero point, and the fused activation clamps on those parameters.
import type { Kernels } from '../kernels';
import { kernels } from '../kernels';
import type { Activation, Padding, QTensor } from '../types';
import { checkQTensor } from '../quant/params';
import {
  activationArg, activationParams, allocate, checkElementCount, outputClamp, paddingArg, pairArg, plainObjectArg, rejectOnThrow, requireRank, resultTensor,
  spatialGeometry,
} from './common';
import { PoolField } from './geometry';

export interface PoolOptions {
  /** Window [height, width]; required. */
  filter: [number, number];
  /** [height, width], default [1, 1]. */
  strides?: [number, number];
  /** Default 'VALID'. */
  padding?: Padding;
  /** Fused activation, default 'NONE'. */
  activation?: Activation;
}

interface PoolCall {
  input: Int8Array | Uint8Array;
  geometry: Int32Array;
  out: Int8Array | Uint8Array;
  result: QTensor;
}

/** The Int32Array geometry of a pooling layer over an NHWC input (the public ops and the TFLite loader). */
export function poolGeometry(shape: readonly number[], filter: readonly [number, number], strides: readonly [number, number],
  s: { outH: number; outW: number; padTop: number; padLeft: number }, clamp: readonly [number, number]): Int32Array {
  const [batches, inH, inW, channels] = shape;
  const g = new Int32Array(PoolField.Count);
  g[PoolField.Batches] = batches;
  g[PoolField.InputHeight] = inH;
  g[PoolField.InputWidth] = inW;
  g[PoolField.Channels] = channels;
  g[PoolField.OutputHeight] = s.outH;
  g[PoolField.OutputWidth] = s.outW;
  g[PoolField.FilterHeight] = filter[0];
  g[PoolField.FilterWidth] = filter[1];
  g[PoolField.StrideHeight] = strides[0];
  g[PoolField.StrideWidth] = strides[1];
  g[PoolField.PadTop] = s.padTop;
  g[PoolField.PadLeft] = s.padLeft;
  g[PoolField.ActivationMin] = clamp[0];
  g[PoolField.ActivationMax] = clamp[1];
  return g;
}

function prepareCall(fn: string, input: unknown, opts: unknown): PoolCall {
  const x = checkQTensor(fn, 'input', input);
  requireRank(fn, 'input', x, 4, 'NHWC');
  checkElementCount(fn, 'input.shape', x.shape);
  const params = activationParams(fn, 'input', x);
  const o = plainObjectArg(fn, 'opts', opts, 'an options object { filter, strides?, padding?, activation? }');
  const filter = pairArg(fn, 'opts.filter', o.filter, null);
  const strides = pairArg(fn, 'opts.strides', o.strides, [1, 1]);
  const padding = paddingArg(fn, 'opts.padding', o.padding);
  const activation = activationArg(fn, 'opts.activation', o.activation);
  const s = spatialGeometry(fn, 'input', x.shape, { filter, strides, dilations: [1, 1], padding }, 'opts.filter');
  const clamp = outputClamp(activation, params, x.dtype);
  const [batches, , , channels] = x.shape;
  const g = poolGeometry(x.shape, filter, strides, s, clamp);
  const outShape = [batches, s.outH, s.outW, channels];
  const out = allocate(x.dtype, batches * s.outH * s.outW * channels);
  return { input: x.data, geometry: g, out, result: resultTensor(x.dtype, outShape, out, params) };
}

type PoolKernel = 'maxPool2d' | 'averagePool2d';

function poolSync(fn: string, kernel: PoolKernel, input: QTensor, opts: PoolOptions): QTensor {
  const k: Kernels = kernels();
  const c = prepareCall(fn, input, opts);
  if (kernel === 'maxPool2d') k.maxPool2d(c.input, c.geometry, c.out);
  else k.averagePool2d(c.input, c.geometry, c.out);
  return c.result;
}

function poolAsync(fn: string, kernel: PoolKernel, input: QTensor, opts: PoolOptions): Promise<QTensor> {
  const k: Kernels = kernels();
  return rejectOnThrow(() => {
    const c = prepareCall(fn, input, opts);
    const done = kernel === 'maxPool2d' ? k.maxPool2dAsync(c.input, c.geometry, c.out) : k.averagePool2dAsync(c.input, c.geometry, c.out);
    return done.then(() => c.result);
  });
}

/** MAX_POOL_2D: the largest in-bounds value of each window (padding never wins). */
export function maxPool2d(input: QTensor, opts: PoolOptions): QTensor {
  return poolSync('maxPool2d', 'maxPool2d', input, opts);
}

export function maxPool2dAsync(input: QTensor, opts: PoolOptions): Promise<QTensor> {
  return poolAsync('maxPool2dAsync', 'maxPool2d', input, opts);
}

/** AVERAGE_POOL_2D: the mean of the in-bounds values of each window, rounded half away from zero. */
export function averagePool2d(input: QTensor, opts: PoolOptions): QTensor {
  return poolSync('averagePool2d', 'averagePool2d', input, opts);
}

export function averagePool2dAsync(input: QTensor, opts: PoolOptions): Promise<QTensor> {
  return poolAsync('averagePool2dAsync', 'averagePool2d', input, opts);
}
