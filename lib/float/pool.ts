// float32 MAX_POOL_2D and AVERAGE_POOL_2D on NHWC input, with TFLite's window and padding rules: only
// in-bounds taps take part (the average divides by their count), then the fused activation clamps.
import type { Activation, FTensor, Padding } from '../types';
import { checkFTensor } from '../quant/params';
import { floatActivationRange } from '../ops/padding';
import { optionsArg, typeError } from '../validate';
import { activationArg, checkOutputSize, clamp, pairArg, paddingArg, requireRank4, window1D } from './args';
import type { Window1D } from './args';

/** Options of float.maxPool2d / float.averagePool2d; filter and strides are [h, w]. Defaults: strides [1,1], 'VALID', 'NONE'. */
export interface FloatPoolOptions {
  filter: [number, number];
  strides?: [number, number];
  padding?: Padding;
  activation?: Activation;
}

interface PoolGeometry {
  batches: number;
  channels: number;
  h: Window1D;
  w: Window1D;
  activation: Activation;
}

function poolArgs(fn: string, x: unknown, opts: unknown): { xt: FTensor; g: PoolGeometry } {
  const xt = checkFTensor(fn, 'x', x);
  requireRank4(fn, 'x', xt, '[N,H,W,C]');
  if (opts === undefined) throw typeError(fn, 'opts', 'an options object with filter: [h, w]', opts);
  const o = optionsArg(fn, 'opts', opts);
  const filter = pairArg(fn, 'opts.filter', o.filter, null);
  const strides = pairArg(fn, 'opts.strides', o.strides, [1, 1]);
  const padding = paddingArg(fn, o.padding);
  const activation = activationArg(fn, o.activation);
  const g: PoolGeometry = {
    batches: xt.shape[0],
    channels: xt.shape[3],
    h: window1D(fn, 'x', xt.shape, 1, padding, filter[0], strides[0], 1),
    w: window1D(fn, 'x', xt.shape, 2, padding, filter[1], strides[1], 1),
    activation,
  };
  checkOutputSize(fn, [g.batches, g.h.output, g.w.output, g.channels]);
  return { xt, g };
}

/** The in-bounds tap range [start, end) of one output position along one dimension. */
function tapRange(w: Window1D, o: number): [number, number] {
  const origin = o * w.stride - w.padBefore;
  return [Math.max(0, origin), Math.min(w.input, origin + w.filter)];
}

function pool(g: PoolGeometry, xd: Float32Array, reduce: 'max' | 'average'): FTensor {
  const { batches, channels: C, h, w } = g;
  const shape = Object.freeze([batches, h.output, w.output, C]);
  const out = new Float32Array(batches * h.output * w.output * C);
  const [lo, hi] = floatActivationRange(g.activation);
  const acc = new Float64Array(C);
  let p = 0;
  for (let n = 0; n < batches; n++) {
    for (let oy = 0; oy < h.output; oy++) {
      const [y0, y1] = tapRange(h, oy);
      for (let ox = 0; ox < w.output; ox++) {
        const [x0, x1] = tapRange(w, ox);
        acc.fill(reduce === 'max' ? -Infinity : 0);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const base = ((n * h.input + iy) * w.input + ix) * C;
            if (reduce === 'max') {
              for (let c = 0; c < C; c++) {
                const v = xd[base + c];
                if (v > acc[c] || v !== v) acc[c] = v; // NaN propagates
              }
            } else {
              for (let c = 0; c < C; c++) acc[c] += xd[base + c];
            }
          }
        }
        // Every SAME or VALID window holds at least one in-bounds tap, so count >= 1.
        const count = (y1 - y0) * (x1 - x0);
        for (let c = 0; c < C; c++) out[p++] = clamp(reduce === 'max' ? acc[c] : acc[c] / count, lo, hi);
      }
    }
  }
  return { shape, data: out };
}

/**
 * MAX_POOL_2D in float32: the maximum over the in-bounds taps of each window. x [N,H,W,C] → [N,OH,OW,C].
 * @throws TypeError / RangeError for any bad argument, before anything is allocated.
 */
export function maxPool2d(x: FTensor, opts: FloatPoolOptions): FTensor {
  const { xt, g } = poolArgs('float.maxPool2d', x, opts);
  return pool(g, xt.data, 'max');
}

/**
 * AVERAGE_POOL_2D in float32: the mean over the in-bounds taps only (padding is not counted), as TFLite.
 * Summed in float64, divided, stored float32. x [N,H,W,C] → [N,OH,OW,C].
 * @throws TypeError / RangeError for any bad argument, before anything is allocated.
 */
export function averagePool2d(x: FTensor, opts: FloatPoolOptions): FTensor {
  const { xt, g } = poolArgs('float.averagePool2d', x, opts);
  return pool(g, xt.data, 'average');
}
