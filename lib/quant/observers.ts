// Calibration observers for post-training quantization of activations: they watch float tensors and
// choose (scale, zero point) with chooseQuantParams' rule, per tensor or per axis.
import type { FTensor, QDType } from '../types';
import { dtypeRange } from '../types';
import { roundHalfAway } from '../js/fixedpoint';
import { isObject, optionsArg, rangeError, typeError, axisArg, enumArg, finiteArg, integerArg } from '../validate';
import { axisMinMax, checkFTensor, checkFinite, chooseOptionsArg, chooseQuantParamsAs, ChooseOptions } from './params';

export interface ObserverOptions {
  /** Observe per slice along this axis of each tensor (per-axis parameters); omit for per tensor. */
  axis?: number;
}

export type PerTensorParams = { scale: number; zeroPoint: number };
export type PerAxisParams = { scale: Float32Array; zeroPoint: Int32Array; axis: number };

/** Normalises what observe() accepts: a Float32Array (per tensor only) or an FTensor. */
function observed(fn: string, x: unknown, axis: number | undefined): { tensor: FTensor; axis: number } {
  let tensor: FTensor;
  if (x instanceof Float32Array) {
    if (axis !== undefined) throw typeError(fn, 'x', 'a tensor { shape, data } for a per-axis observer', x);
    tensor = { shape: [x.length], data: x };
  } else if (isObject(x)) {
    tensor = checkFTensor(fn, 'x', x);
  } else {
    throw typeError(fn, 'x', 'a Float32Array or a tensor { shape, data: Float32Array }', x);
  }
  checkFinite(fn, 'x.data', tensor.data);
  const a = axis === undefined ? -1 : axisArg(fn, 'x (observer axis)', axis, tensor.shape.length);
  return { tensor, axis: a };
}

/** Per-slice (or whole-tensor, slot 0) minimum and maximum of one observed tensor. */
function batchRange(tensor: FTensor, axis: number): { min: Float64Array; max: Float64Array } {
  if (axis >= 0) return axisMinMax(tensor, axis);
  return axisMinMax({ shape: [1, tensor.data.length], data: tensor.data }, 0);
}

abstract class RangeObserver {
  protected min: Float64Array | null = null;
  protected max: Float64Array | null = null;
  protected readonly axis: number | undefined;
  private readonly name: string;

  constructor(name: string, opts: unknown) {
    this.name = name;
    const o = optionsArg(name, 'opts', opts);
    if (o.axis !== undefined) integerArg(name, 'opts.axis', o.axis, 0, 64);
    this.axis = o.axis as number | undefined;
  }

  /** Folds one batch's range into the running range. */
  protected abstract update(batchMin: Float64Array, batchMax: Float64Array): void;

  observe(x: Float32Array | FTensor): void {
    const fn = `${this.name}.observe`;
    const { tensor, axis } = observed(fn, x, this.axis);
    if (tensor.data.length === 0) return;
    const batch = batchRange(tensor, axis);
    if (this.min !== null && this.min.length !== batch.min.length) {
      throw rangeError(fn, 'x.shape', `${this.min.length} slices along axis ${axis}, as before`, tensor.shape);
    }
    this.update(batch.min, batch.max);
  }

  /** The observed range (per slice when per-axis); throws before any observation. */
  range(): { min: Float64Array; max: Float64Array } {
    if (this.min === null || this.max === null) throw rangeError(`${this.name}.quantParams`, 'observer', 'fed with observe() first', 'no data');
    return { min: this.min, max: this.max };
  }

  quantParams(opts?: ChooseOptions & { dtype?: QDType }): PerTensorParams | PerAxisParams {
    const fn = `${this.name}.quantParams`;
    const o = chooseOptionsArg(fn, opts);
    const { min, max } = this.range();
    return paramsFromRanges(fn, min, max, this.axis, o);
  }
}

function paramsFromRanges(fn: string, min: ArrayLike<number>, max: ArrayLike<number>, axis: number | undefined,
  opts: ChooseOptions | undefined): PerTensorParams | PerAxisParams {
  if (axis === undefined) return chooseQuantParamsAs(fn, min[0], max[0], opts);
  const scale = new Float32Array(min.length);
  const zeroPoint = new Int32Array(min.length);
  for (let c = 0; c < min.length; c++) {
    const p = chooseQuantParamsAs(fn, min[c], max[c], opts);
    scale[c] = p.scale;
    zeroPoint[c] = p.zeroPoint;
  }
  return { scale, zeroPoint, axis };
}

/** The running minimum and maximum of everything observed (TFLite's default calibration). */
export class MinMaxObserver extends RangeObserver {
  constructor(opts?: ObserverOptions) {
    super('MinMaxObserver', opts);
  }

  protected update(batchMin: Float64Array, batchMax: Float64Array): void {
    if (this.min === null || this.max === null) {
      this.min = batchMin.slice();
      this.max = batchMax.slice();
      return;
    }
    for (let c = 0; c < batchMin.length; c++) {
      this.min[c] = Math.min(this.min[c], batchMin[c]);
      this.max[c] = Math.max(this.max[c], batchMax[c]);
    }
  }
}

/**
 * An exponential moving average of each batch's minimum and maximum: the first batch sets the range,
 * then range += momentum * (batch range - range). momentum in (0, 1], default 0.01.
 */
export class MovingAverageMinMaxObserver extends RangeObserver {
  readonly momentum: number;

  constructor(opts?: ObserverOptions & { momentum?: number }) {
    super('MovingAverageMinMaxObserver', opts);
    const o = optionsArg('MovingAverageMinMaxObserver', 'opts', opts);
    const momentum = o.momentum === undefined ? 0.01 : finiteArg('MovingAverageMinMaxObserver', 'opts.momentum', o.momentum);
    if (!(momentum > 0 && momentum <= 1)) throw rangeError('MovingAverageMinMaxObserver', 'opts.momentum', 'in (0, 1]', momentum);
    this.momentum = momentum;
  }

  protected update(batchMin: Float64Array, batchMax: Float64Array): void {
    if (this.min === null || this.max === null) {
      this.min = batchMin.slice();
      this.max = batchMax.slice();
      return;
    }
    for (let c = 0; c < batchMin.length; c++) {
      this.min[c] += this.momentum * (batchMin[c] - this.min[c]);
      this.max[c] += this.momentum * (batchMax[c] - this.max[c]);
    }
  }
}

/** A histogram over [lo, hi] with a fixed bin count; widening re-bins the old counts by bin centre. */
class Histogram {
  lo = 0;
  hi = 0;
  counts: Float64Array;
  total = 0;

  constructor(readonly bins: number) {
    this.counts = new Float64Array(bins);
  }

  add(data: Float32Array, start: number, stride: number, count: number, runLength: number, batchMin: number, batchMax: number): void {
    if (this.total === 0) {
      this.lo = batchMin;
      this.hi = batchMax;
    } else if (batchMin < this.lo || batchMax > this.hi) {
      this.widen(Math.min(batchMin, this.lo), Math.max(batchMax, this.hi));
    }
    const width = this.hi - this.lo;
    const bins = this.bins;
    for (let r = 0; r < count; r++) {
      const base = start + r * stride;
      for (let i = 0; i < runLength; i++) {
        const v = data[base + i];
        let b = width > 0 ? Math.floor(((v - this.lo) / width) * bins) : 0;
        if (b >= bins) b = bins - 1;
        if (b < 0) b = 0;
        this.counts[b] += 1;
      }
    }
    this.total += count * runLength;
  }

  private widen(lo: number, hi: number): void {
    const old = this.counts;
    const oldLo = this.lo;
    const oldWidth = this.hi - this.lo;
    this.counts = new Float64Array(this.bins);
    this.lo = lo;
    this.hi = hi;
    const width = hi - lo;
    for (let b = 0; b < this.bins; b++) {
      if (old[b] === 0) continue;
      const centre = oldLo + ((b + 0.5) / this.bins) * oldWidth;
      let nb = width > 0 ? Math.floor(((centre - lo) / width) * this.bins) : 0;
      if (nb >= this.bins) nb = this.bins - 1;
      if (nb < 0) nb = 0;
      this.counts[nb] += old[b];
    }
  }

  /** The value below which a fraction q of the observations lie (linear inside a bin). */
  quantile(q: number): number {
    const target = q * this.total;
    const binWidth = (this.hi - this.lo) / this.bins;
    let cumulative = 0;
    for (let b = 0; b < this.bins; b++) {
      const next = cumulative + this.counts[b];
      if (next >= target && this.counts[b] > 0) {
        return this.lo + (b + (target - cumulative) / this.counts[b]) * binWidth;
      }
      cumulative = next;
    }
    return this.hi;
  }

  /** Quantization MSE over the histogram (bin centres) for a candidate range. */
  error(lo: number, hi: number, opts: ChooseOptions | undefined): number {
    const { scale, zeroPoint } = chooseQuantParamsAs('HistogramObserver.quantParams', lo, hi, opts);
    const range = dtypeRange(opts?.dtype ?? 'int8');
    const qmin = (opts?.narrowRange ?? opts?.symmetric ?? false) ? range.qmin + 1 : range.qmin;
    const qmax = range.qmax;
    const binWidth = (this.hi - this.lo) / this.bins;
    let err = 0;
    for (let b = 0; b < this.bins; b++) {
      const n = this.counts[b];
      if (n === 0) continue;
      const c = this.lo + (b + 0.5) * binWidth;
      let q = roundHalfAway(c / scale) + zeroPoint;
      q = q < qmin ? qmin : q > qmax ? qmax : q;
      const d = (q - zeroPoint) * scale - c;
      err += n * d * d;
    }
    return err;
  }

  /** The range that minimises the quantization MSE: a greedy search shrinking either end. */
  bestRange(opts: ChooseOptions | undefined): [number, number] {
    const binWidth = (this.hi - this.lo) / this.bins;
    const step = Math.max(1, Math.floor(this.bins / 256));
    let start = 0;
    let end = this.bins;
    let best: [number, number] = [this.lo, this.hi];
    let bestError = this.error(this.lo, this.hi, opts);
    while (end - start > 2 * step) {
      const errStart = this.error(this.lo + (start + step) * binWidth, this.lo + end * binWidth, opts);
      const errEnd = this.error(this.lo + start * binWidth, this.lo + (end - step) * binWidth, opts);
      if (errStart <= errEnd) start += step;
      else end -= step;
      const err = Math.min(errStart, errEnd);
      if (err < bestError) {
        bestError = err;
        best = [this.lo + start * binWidth, this.lo + end * binWidth];
      }
    }
    return best;
  }
}

/**
 * A histogram of everything observed, clipped for quantization: 'percentile' takes the (100-p)th and
 * pth percentiles as the range (p = `percentile`, default 99.99); 'mse' picks the range whose quantization error over
 * the histogram is lowest. bins default 2048.
 */
export class HistogramObserver {
  readonly bins: number;
  readonly method: 'percentile' | 'mse';
  readonly percentile: number;
  private readonly axis: number | undefined;
  private histograms: Histogram[] | null = null;

  constructor(opts?: ObserverOptions & { bins?: number; method?: 'percentile' | 'mse'; percentile?: number }) {
    const fn = 'HistogramObserver';
    const o = optionsArg(fn, 'opts', opts);
    this.bins = o.bins === undefined ? 2048 : integerArg(fn, 'opts.bins', o.bins, 16, 1 << 20);
    this.method = enumArg(fn, 'opts.method', o.method, ['percentile', 'mse'] as const, 'percentile');
    const percentile = o.percentile === undefined ? 99.99 : finiteArg(fn, 'opts.percentile', o.percentile);
    if (!(percentile > 50 && percentile <= 100)) throw rangeError(fn, 'opts.percentile', 'in (50, 100]', percentile);
    this.percentile = percentile;
    if (o.axis !== undefined) integerArg(fn, 'opts.axis', o.axis, 0, 64);
    this.axis = o.axis as number | undefined;
  }

  observe(x: Float32Array | FTensor): void {
    const fn = 'HistogramObserver.observe';
    const { tensor, axis } = observed(fn, x, this.axis);
    if (tensor.data.length === 0) return;
    const { min, max } = batchRange(tensor, axis);
    const channels = min.length;
    if (this.histograms === null) {
      this.histograms = Array.from({ length: channels }, () => new Histogram(this.bins));
    } else if (this.histograms.length !== channels) {
      throw rangeError(fn, 'x.shape', `${this.histograms.length} slices along axis ${axis}, as before`, tensor.shape);
    }
    const shape = tensor.shape;
    const outer = axis < 0 ? 1 : shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = axis < 0 ? tensor.data.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    for (let c = 0; c < channels; c++) {
      this.histograms[c].add(tensor.data, c * inner, channels * inner, outer, inner, min[c], max[c]);
    }
  }

  /** The clipped range per slice (slot 0 when per tensor). */
  range(opts?: ChooseOptions): { min: Float64Array; max: Float64Array } {
    if (this.histograms === null) throw rangeError('HistogramObserver.quantParams', 'observer', 'fed with observe() first', 'no data');
    const n = this.histograms.length;
    const min = new Float64Array(n);
    const max = new Float64Array(n);
    const tail = (100 - this.percentile) / 100; // min: the (100-p)th percentile, max: the pth
    for (let c = 0; c < n; c++) {
      const h = this.histograms[c];
      const [lo, hi] = this.method === 'mse' ? h.bestRange(opts) : [h.quantile(tail), h.quantile(1 - tail)];
      min[c] = Math.min(lo, hi);
      max[c] = Math.max(lo, hi);
    }
    return { min, max };
  }

  quantParams(opts?: ChooseOptions & { dtype?: QDType }): PerTensorParams | PerAxisParams {
    const fn = 'HistogramObserver.quantParams';
    const o = chooseOptionsArg(fn, opts);
    const { min, max } = this.range(o);
    return paramsFromRanges(fn, min, max, this.axis, o);
  }
}
