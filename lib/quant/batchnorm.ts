// Folding inference batch-norm into the preceding conv / depthwise / FC layer, before quantization (spec 6).
// Float32 throughout, in the converter's order: k = gamma / sqrt(var + eps); W' = W*k; b' = b*k + (beta - mean*k).
import type { FTensor } from '../types';
import { finiteArg, float32ArrayArg, isObject, rangeError, typeError, axisArg, shapeText } from '../validate';
import { axisLayout, checkFTensor, checkFinite } from './params';

export interface FoldBatchNormParams {
  weights: FTensor;
  bias?: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
  /** The output-channel axis of the weights: 0 for CONV_2D [O,H,W,I] and FC [O,K], 3 for DEPTHWISE [1,H,W,C*M]. */
  axis: number;
}

/**
 * Folds y = gamma * (v - mean) / sqrt(variance + epsilon) + beta into the layer's float weights and bias.
 * Quantize the result afterwards (per-channel symmetric weights; bias with s_in * s_w[c]).
 */
export function foldBatchNorm(p: FoldBatchNormParams): { weights: FTensor; bias: Float32Array } {
  const fn = 'foldBatchNorm';
  if (!isObject(p)) throw typeError(fn, 'p', 'an object { weights, gamma, beta, mean, variance, epsilon, axis }', p);
  const w = checkFTensor(fn, 'p.weights', p.weights);
  checkFinite(fn, 'p.weights.data', w.data); // as the batch-norm vectors: NaN or infinite weights fold into garbage
  const axis = axisArg(fn, 'p.axis', p.axis, w.shape.length);
  const channels = w.shape[axis];
  const vector = (name: string, value: unknown): Float32Array => {
    const v = float32ArrayArg(fn, `p.${name}`, value);
    if (v.length !== channels) throw rangeError(fn, `p.${name}`, `of length ${channels} (weights.shape[${axis}] of ${shapeText(w.shape)})`, v);
    checkFinite(fn, `p.${name}`, v);
    return v;
  };
  const gamma = vector('gamma', p.gamma);
  const beta = vector('beta', p.beta);
  const mean = vector('mean', p.mean);
  const variance = vector('variance', p.variance);
  const bias = p.bias === undefined || p.bias === null ? new Float32Array(channels) : vector('bias', p.bias);
  const epsilon = finiteArg(fn, 'p.epsilon', p.epsilon);
  if (epsilon < 0) throw rangeError(fn, 'p.epsilon', 'a finite number >= 0', epsilon);
  const f = Math.fround;
  const k = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const denom = f(Math.sqrt(f(variance[c] + f(epsilon))));
    if (!(denom > 0)) throw rangeError(fn, `p.variance[${c}]`, 'such that variance + epsilon > 0', variance[c]);
    k[c] = f(gamma[c] / denom);
  }
  const { outer, inner } = axisLayout(w.shape, axis);
  const data = new Float32Array(w.data.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) data[base + i] = w.data[base + i] * k[c];
    }
  }
  const folded = new Float32Array(channels);
  for (let c = 0; c < channels; c++) folded[c] = f(bias[c] * k[c]) + f(beta[c] - f(mean[c] * k[c]));
  return { weights: { shape: w.shape, data }, bias: folded };
}
