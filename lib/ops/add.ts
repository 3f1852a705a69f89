// ADD with TFLite's int8 arithmetic (add.cc Prepare, reference integer_ops/add.h): inputs shifted left by 20,
// rescaled to a common scale 2*max(s_a, s_b), summed, rescaled to the output. Numpy broadcasting, rank <= 6.
import type { Kernels } from '../kernels';
import { kernels } from '../kernels';
import type { Activation, QTensor } from '../types';
import { checkQTensor } from '../quant/params';
import { optionsArg, rangeError, shapeText } from '../validate';
import {
  activationArg, activationParams, allocate, checkElementCount, outputClamp, perTensorParamsArg, rejectOnThrow, resultTensor, TensorParams,
} from './common';
import { AddField, ADD_RANK } from './geometry';

export interface AddOptions {
  /** Fused activation, default 'NONE'. */
  activation?: Activation;
}

/** TFLite's left shift for 8-bit ADD inputs. */
const LEFT_SHIFT = 20;

/** A shape of rank <= ADD_RANK padded with leading 1s to ADD_RANK dimensions. */
function padShape(shape: readonly number[]): number[] {
  return [...new Array<number>(ADD_RANK - shape.length).fill(1), ...shape];
}

/** Element strides of a padded input shape over the output index space: 0 along its dimensions of size 1. */
function broadcastStrides(padded: readonly number[]): number[] {
  const strides = new Array<number>(ADD_RANK).fill(0);
  let stride = 1;
  for (let d = ADD_RANK - 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : stride;
    stride *= padded[d];
  }
  return strides;
}

/**
 * TFLite QuantizeMultiplierSmallerThanOneExp(d) for 0 < d < 1 (fixed-point, so tflite-ref and tflite-single agree):
 * null when d is not below 1 or rounds up to 1.
 */
function multiplierBelowOne(k: Kernels, d: number): [number, number] | null {
  if (!(d < 1)) return null;
  const [multiplier, shift] = k.quantizeMultiplier(d, 0);
  return shift > 0 ? null : [multiplier, shift];
}

/** The padded input shapes and their broadcast output (numpy rules), or null when they do not broadcast. */
export function broadcastAddShapes(a: readonly number[], b: readonly number[]): { shapeA: number[]; shapeB: number[]; outPadded: number[] } | null {
  const shapeA = padShape(a);
  const shapeB = padShape(b);
  const outPadded = new Array<number>(ADD_RANK);
  for (let d = 0; d < ADD_RANK; d++) {
    if (shapeA[d] === shapeB[d] || shapeB[d] === 1) outPadded[d] = shapeA[d];
    else if (shapeA[d] === 1) outPadded[d] = shapeB[d];
    else return null;
  }
  return { shapeA, shapeB, outPadded };
}

/**
 * add.cc Prepare for int8 (the public add and the TFLite loader): left shift 20, the inputs rescaled to
 * 2 * max(s1, s2), the real multipliers in double from the float32 scales; with the clamp, the ADD geometry. Null when
 * the output scale is too small (some multiplier is not below 1).
 */
export function addGeometry(k: Kernels, shapes: { shapeA: number[]; shapeB: number[]; outPadded: number[] }, pa: TensorParams,
  pb: TensorParams, po: TensorParams, clamp: readonly [number, number]): Int32Array | null {
  const twiceMaxInputScale = 2 * Math.max(pa.scale, pb.scale);
  const inputA = multiplierBelowOne(k, pa.scale / twiceMaxInputScale);
  const inputB = multiplierBelowOne(k, pb.scale / twiceMaxInputScale);
  const outputMultiplier = multiplierBelowOne(k, twiceMaxInputScale / (2 ** LEFT_SHIFT * po.scale));
  if (inputA === null || inputB === null || outputMultiplier === null) return null;
  const g = new Int32Array(AddField.Count);
  g.set(shapes.outPadded, AddField.OutputShape);
  g.set(broadcastStrides(shapes.shapeA), AddField.StridesA);
  g.set(broadcastStrides(shapes.shapeB), AddField.StridesB);
  g[AddField.InputOffsetA] = -pa.zeroPoint;
  g[AddField.InputOffsetB] = -pb.zeroPoint;
  g[AddField.OutputOffset] = po.zeroPoint;
  g[AddField.LeftShift] = LEFT_SHIFT;
  [g[AddField.MultiplierA], g[AddField.ShiftA]] = inputA;
  [g[AddField.MultiplierB], g[AddField.ShiftB]] = inputB;
  [g[AddField.OutputMultiplier], g[AddField.OutputShift]] = outputMultiplier;
  g[AddField.ActivationMin] = clamp[0];
  g[AddField.ActivationMax] = clamp[1];
  return g;
}

interface AddCall {
  a: Int8Array | Uint8Array;
  b: Int8Array | Uint8Array;
  geometry: Int32Array;
  out: Int8Array | Uint8Array;
  result: QTensor;
}

function prepareCall(fn: string, k: Kernels, a: unknown, b: unknown, output: unknown, opts: unknown): AddCall {
  const x = checkQTensor(fn, 'a', a);
  const y = checkQTensor(fn, 'b', b);
  if (y.dtype !== x.dtype) throw rangeError(fn, 'b.dtype', `'${x.dtype}' like a.dtype`, y.dtype);
  if (x.shape.length > ADD_RANK) throw rangeError(fn, 'a.shape', `of rank at most ${ADD_RANK}`, x.shape);
  if (y.shape.length > ADD_RANK) throw rangeError(fn, 'b.shape', `of rank at most ${ADD_RANK}`, y.shape);
  checkElementCount(fn, 'a.shape', x.shape);
  checkElementCount(fn, 'b.shape', y.shape);
  const pa = activationParams(fn, 'a', x);
  const pb = activationParams(fn, 'b', y);
  const outParams: TensorParams = perTensorParamsArg(fn, 'output', output, x.dtype);
  const o = optionsArg(fn, 'opts', opts);
  const activation = activationArg(fn, 'opts.activation', o.activation);

  const shapes = broadcastAddShapes(x.shape, y.shape);
  if (shapes === null) throw rangeError(fn, 'b.shape', `broadcastable with a.shape ${shapeText(x.shape)} (numpy rules)`, y.shape);
  const rank = Math.max(x.shape.length, y.shape.length);
  const outShape = shapes.outPadded.slice(ADD_RANK - rank);
  checkElementCount(fn, 'output shape', outShape);
  const clamp = outputClamp(activation, outParams, x.dtype);
  const g = addGeometry(k, shapes, pa, pb, outParams, clamp);
  if (g === null) {
    throw rangeError(fn, 'output.scale', 'larger than 2 * max(a.scale, b.scale) / 2^20 (TFLite ADD needs an output multiplier below 1)', outParams.scale);
  }
  let n = 1;
  for (const d of outShape) n *= d;
  const out = allocate(x.dtype, n);
  return { a: x.data, b: y.data, geometry: g, out, result: resultTensor(x.dtype, outShape, out, outParams) };
}

/** ADD: a + b, broadcast numpy-style (a dimension of size 1 on either side stretches), rank <= 6, same dtype. */
export function add(a: QTensor, b: QTensor, output: { scale: number; zeroPoint: number }, opts?: AddOptions): QTensor {
  const k = kernels();
  const c = prepareCall('add', k, a, b, output, opts);
  k.add(c.a, c.b, c.geometry, c.out);
  return c.result;
}

/** add off the event loop. Bad input rejects. */
export function addAsync(a: QTensor, b: QTensor, output: { scale: number; zeroPoint: number }, opts?: AddOptions): Promise<QTensor> {
  const k = kernels();
  return rejectOnThrow(() => {
    const c = prepareCall('addAsync', k, a, b, output, opts);
    return k.addAsync(c.a, c.b, c.geometry, c.out).then(() => c.result);
  });
}
