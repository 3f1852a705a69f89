// float32 ADD with numpy broadcasting (rank <= 6) and SOFTMAX over the last axis (numerically stable:
// the row maximum is subtracted before exp). Both compute in float64 and store float32.
import type { Activation, FTensor } from '../types';
import { checkFTensor } from '../quant/params';
import { floatActivationRange } from '../ops/padding';
import { numberArg, numel, optionsArg, rangeError, shapeText } from '../validate';
import { activationArg, checkOutputSize, clamp } from './args';

/** Options of float.add. Default activation 'NONE'. */
export interface FloatAddOptions {
  activation?: Activation;
}

/** Options of float.softmax. Default beta 1. */
export interface FloatSoftmaxOptions {
  /** Inverse temperature: softmax(beta * x). A finite number > 0. */
  beta?: number;
}

/** The highest rank float.add accepts, as the integer ADD. */
export const MAX_ADD_RANK = 6;

/** Element strides of `shape` over an output of `rank` dims (right-aligned); 0 along size-1 (broadcast) dimensions. */
function broadcastStrides(shape: readonly number[], rank: number): number[] {
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[rank - shape.length + i] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/**
 * ADD in float32: out = act(a + b) with numpy broadcasting. Shapes are aligned from the last dimension; each
 * pair of sizes must be equal or contain a 1. Output rank = max(rank a, rank b), at most 6.
 * @throws TypeError / RangeError for any bad argument, before anything is allocated.
 */
export function add(a: FTensor, b: FTensor, opts?: FloatAddOptions): FTensor {
  const fn = 'float.add';
  const at = checkFTensor(fn, 'a', a);
  const bt = checkFTensor(fn, 'b', b);
  if (at.shape.length > MAX_ADD_RANK) throw rangeError(fn, 'a.shape', `of rank at most ${MAX_ADD_RANK}`, at.shape);
  if (bt.shape.length > MAX_ADD_RANK) throw rangeError(fn, 'b.shape', `of rank at most ${MAX_ADD_RANK}`, bt.shape);
  const rank = Math.max(at.shape.length, bt.shape.length);
  const shapeOut: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - at.shape.length ? 1 : at.shape[i - (rank - at.shape.length)];
    const db = i < rank - bt.shape.length ? 1 : bt.shape[i - (rank - bt.shape.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw rangeError(fn, 'b.shape', `broadcast-compatible with a.shape ${shapeText(at.shape)} (sizes aligned from the last dimension equal, or one of them 1)`, bt.shape);
    }
    shapeOut.push(da === 1 ? db : da);
  }
  const activation = activationArg(fn, optionsArg(fn, 'opts', opts).activation);
  const shape = Object.freeze(shapeOut);
  checkOutputSize(fn, shape);

  const out = new Float32Array(numel(shape));
  const [lo, hi] = floatActivationRange(activation);
  // Iterate in MAX_ADD_RANK dimensions with leading size-1 dimensions.
  const pad = MAX_ADD_RANK - rank;
  const dims = [...new Array<number>(pad).fill(1), ...shape];
  const sa = [...new Array<number>(pad).fill(0), ...broadcastStrides(at.shape, rank)];
  const sb = [...new Array<number>(pad).fill(0), ...broadcastStrides(bt.shape, rank)];
  const ad = at.data;
  const bd = bt.data;
  let p = 0;
  for (let i0 = 0; i0 < dims[0]; i0++) {
    for (let i1 = 0; i1 < dims[1]; i1++) {
      for (let i2 = 0; i2 < dims[2]; i2++) {
        for (let i3 = 0; i3 < dims[3]; i3++) {
          for (let i4 = 0; i4 < dims[4]; i4++) {
            const ia = i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3] + i4 * sa[4];
            const ib = i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3] + i4 * sb[4];
            for (let i5 = 0; i5 < dims[5]; i5++) {
              out[p++] = clamp(ad[ia + i5 * sa[5]] + bd[ib + i5 * sb[5]], lo, hi);
            }
          }
        }
      }
    }
  }
  return { shape, data: out };
}

/**
 * SOFTMAX in float32 over the last axis: out = exp(beta * (x - max)) / Σ exp(beta * (x - max)) per row,
 * so large inputs cannot overflow; each row sums to 1 up to float32 rounding. x of rank >= 1, same shape out.
 * @throws TypeError / RangeError for any bad argument, before anything is allocated.
 */
export function softmax(x: FTensor, opts?: FloatSoftmaxOptions): FTensor {
  const fn = 'float.softmax';
  const xt = checkFTensor(fn, 'x', x);
  if (xt.shape.length < 1) throw rangeError(fn, 'x.shape', 'of rank >= 1 (softmax runs over the last axis)', xt.shape);
  const o = optionsArg(fn, 'opts', opts);
  let beta = 1;
  if (o.beta !== undefined) {
    beta = numberArg(fn, 'opts.beta', o.beta);
    if (!(beta > 0 && beta < Infinity)) throw rangeError(fn, 'opts.beta', 'a finite number > 0', beta);
  }

  const depth = xt.shape[xt.shape.length - 1];
  const out = new Float32Array(xt.data.length);
  if (depth === 0) return { shape: xt.shape, data: out };
  const rows = xt.data.length / depth;
  const xd = xt.data;
  const e = new Float64Array(depth);
  for (let r = 0; r < rows; r++) {
    const base = r * depth;
    let max = -Infinity;
    for (let i = 0; i < depth; i++) if (xd[base + i] > max) max = xd[base + i];
    let sum = 0;
    for (let i = 0; i < depth; i++) {
      e[i] = Math.exp((xd[base + i] - max) * beta);
      sum += e[i];
    }
    for (let i = 0; i < depth; i++) out[base + i] = e[i] / sum;
  }
  return { shape: xt.shape, data: out };
}
