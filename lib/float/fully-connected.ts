// float32 FULLY_CONNECTED (spec 5.4 without the quantization): x read as [numel/K, K] whatever its rank,
// times weights [units, K] transposed, plus bias, then the fused activation. Summed in float64, stored float32.
import type { Activation, FTensor } from '../types';
import { checkFTensor } from '../quant/params';
import { floatActivationRange } from '../ops/padding';
import { numel, optionsArg, rangeError } from '../validate';
import { activationArg, biasArg, checkOutputSize, clamp } from './args';

/** Options of float.fullyConnected. Default activation 'NONE'. */
export interface FloatFullyConnectedOptions {
  activation?: Activation;
}

/**
 * FULLY_CONNECTED in float32: out[b, u] = act(Σ_k x[b, k] * weights[u, k] + bias[u]).
 * x may have any rank; its element count must be a multiple of K = weights.shape[1]. Output [numel/K, units].
 * @throws TypeError / RangeError for any bad argument, before anything is allocated.
 */
export function fullyConnected(x: FTensor, weights: FTensor, bias: Float32Array | null, opts?: FloatFullyConnectedOptions): FTensor {
  const fn = 'float.fullyConnected';
  const xt = checkFTensor(fn, 'x', x);
  const wt = checkFTensor(fn, 'weights', weights);
  if (wt.shape.length !== 2) throw rangeError(fn, 'weights.shape', 'of rank 2 [units, K]', wt.shape);
  const [units, depth] = wt.shape;
  if (depth < 1) throw rangeError(fn, 'weights.shape[1]', '>= 1 (K, the input depth)', depth);
  const total = numel(xt.shape);
  if (total % depth !== 0) {
    throw rangeError(fn, 'x.shape', `a shape whose element count (${total}) is a multiple of K = ${depth} (weights.shape[1])`, xt.shape);
  }
  const activation = activationArg(fn, optionsArg(fn, 'opts', opts).activation);
  const b = biasArg(fn, bias, units, 'weights.shape[0]');
  const batches = total / depth;
  const shape = Object.freeze([batches, units]);
  checkOutputSize(fn, shape);

  const out = new Float32Array(batches * units);
  const xd = xt.data;
  const wd = wt.data;
  const [lo, hi] = floatActivationRange(activation);
  for (let r = 0; r < batches; r++) {
    const xBase = r * depth;
    for (let u = 0; u < units; u++) {
      const wBase = u * depth;
      let s = 0;
      for (let k = 0; k < depth; k++) s += xd[xBase + k] * wd[wBase + k];
      out[r * units + u] = clamp(b === null ? s : s + b[u], lo, hi);
    }
  }
  return { shape, data: out };
}
